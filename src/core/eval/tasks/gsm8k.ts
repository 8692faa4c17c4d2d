/**
 * GSM8K, after lm-evaluation-harness `lm_eval/tasks/gsm8k/gsm8k.yaml`, `gsm8k-cot.yaml` and
 * `gsm8k-cot-zeroshot.yaml` (each metadata.version 3.0). None sets `max_gen_toks`, so generation
 * stops at the harness's default of 256 new tokens.
 */
import { GSM8K_LAYOUT, parseGsm8k, type Gsm8kDoc } from '../datasets.ts';
import type { ExactMatchOptions } from '../metrics.ts';
import type { FilterPipeline } from '../filters.ts';
import { pyStrip } from '../pyregex.ts';
import type { GenerateTask, TaskDataset } from './types.ts';

/** `dataset_path: openai/gsm8k`, `dataset_name: main`; test evaluated, few-shot from train. */
const GSM8K_DATASET: TaskDataset = { repo: 'openai/gsm8k', config: 'main', evalSplit: 'test', fewshotSplit: 'train' };

/** The harness's default `max_gen_toks` (no GSM8K YAML sets one). */
const DEFAULT_MAX_GEN_TOKS = 256;

/** `metric_list[0]` of both YAML files. */
const GSM8K_EXACT_MATCH: ExactMatchOptions = {
  ignoreCase: true,
  ignorePunctuation: false,
  regexesToIgnore: [',', '\\$', '(?s).*#### ', '\\.$'],
};

/** `(-?[$0-9.,]{2,})|(-?[0-9]+)`, last match: the last number-like run in the output. */
const FLEXIBLE_EXTRACT: FilterPipeline = {
  name: 'flexible-extract',
  steps: [{ fn: 'regex', pattern: '(-?[$0-9.,]{2,})|(-?[0-9]+)', groupSelect: -1 }, { fn: 'take_first' }],
};

/** gsm8k-cot.yaml and gsm8k-cot-zeroshot.yaml: "The answer is N." */
const COT_STRICT_MATCH: FilterPipeline = {
  name: 'strict-match',
  steps: [{ fn: 'regex', pattern: 'The answer is (\\-?[0-9\\.\\,]+).' }, { fn: 'take_first' }],
};

export const gsm8k: GenerateTask<Gsm8kDoc> = {
  kind: 'generate',
  id: 'gsm8k',
  version: '3.0',
  source: 'lm_eval/tasks/gsm8k/gsm8k.yaml',
  dataset: GSM8K_DATASET,
  layout: GSM8K_LAYOUT,
  parseDocs: parseGsm8k,
  docToText: (doc) => `Question: ${doc.question}\nAnswer:`,
  docToTarget: (doc) => doc.answer,
  description: '',
  targetDelimiter: ' ',
  fewshotDelimiter: '\n\n',
  numFewshot: 5,
  fewshot: 'train-split',
  until: ['Question:', '</s>', '<|im_end|>'],
  maxGenToks: DEFAULT_MAX_GEN_TOKS,
  filters: [
    { name: 'strict-match', steps: [{ fn: 'regex', pattern: '#### (\\-?[0-9\\.\\,]+)' }, { fn: 'take_first' }] },
    FLEXIBLE_EXTRACT,
  ],
  metric: { name: 'exact_match', options: GSM8K_EXACT_MATCH },
};

/** `fewshot_config.samples` of gsm8k-cot.yaml (sampler first_n); `answer` holds the YAML's `target`. */
const COT_SHOTS: readonly Gsm8kDoc[] = [
  {
    question: 'There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?',
    answer: 'There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. The answer is 6.',
  },
  {
    question: 'If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?',
    answer: 'There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The answer is 5.',
  },
  {
    question: 'Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they have left in total?',
    answer: 'Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. After eating 35, they had 74 - 35 = 39. The answer is 39.',
  },
  {
    question: 'Jason had 20 lollipops. He gave Denny some lollipops. Now Jason has 12 lollipops. How many lollipops did Jason give to Denny?',
    answer: 'Jason started with 20 lollipops. Then he had 12 after giving some to Denny. So he gave Denny 20 - 12 = 8. The answer is 8.',
  },
  {
    question: 'Shawn has five toys. For Christmas, he got two toys each from his mom and dad. How many toys does he have now?',
    answer: 'Shawn started with 5 toys. If he got 2 toys each from his mom and dad, then that is 4 more toys. 5 + 4 = 9. The answer is 9.',
  },
  {
    question: 'There were nine computers in the server room. Five more computers were installed each day, from monday to thursday. How many computers are now in the server room?',
    answer: 'There were originally 9 computers. For each of 4 days, 5 more computers were added. So 5 * 4 = 20 computers were added. 9 + 20 is 29. The answer is 29.',
  },
  {
    question: 'Michael had 58 golf balls. On tuesday, he lost 23 golf balls. On wednesday, he lost 2 more. How many golf balls did he have at the end of wednesday?',
    answer: 'Michael started with 58 golf balls. After losing 23 on tuesday, he had 58 - 23 = 35. After losing 2 more, he had 35 - 2 = 33 golf balls. The answer is 33.',
  },
  {
    question: 'Olivia has $23. She bought five bagels for $3 each. How much money does she have left?',
    answer: 'Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars left. 23 - 15 is 8. The answer is 8.',
  },
];

export const gsm8kCot: GenerateTask<Gsm8kDoc> = {
  kind: 'generate',
  id: 'gsm8k_cot',
  version: '3.0',
  source: 'lm_eval/tasks/gsm8k/gsm8k-cot.yaml',
  dataset: GSM8K_DATASET,
  layout: GSM8K_LAYOUT,
  parseDocs: parseGsm8k,
  docToText: (doc) => `Q: ${doc.question}\nA:`,
  // `answer.split('####')[-1].strip()`; the few-shot answers carry no "####", so this is their text.
  docToTarget: (doc) => pyStrip(doc.answer.split('####').at(-1) ?? ''),
  description: '',
  targetDelimiter: ' ',
  fewshotDelimiter: '\n\n',
  numFewshot: 8,
  fewshot: 'fixed',
  fixedShots: COT_SHOTS,
  until: ['Q:', '</s>', '<|im_end|>'],
  maxGenToks: DEFAULT_MAX_GEN_TOKS,
  filters: [COT_STRICT_MATCH, FLEXIBLE_EXTRACT],
  metric: { name: 'exact_match', options: GSM8K_EXACT_MATCH },
};

/**
 * gsm8k-cot-zeroshot.yaml: "Q: {question}\nA: Let's think step by step.", no examples
 * (`num_fewshot: 0`; an override samples the train split), the gsm8k_cot stop strings and filters.
 */
export const gsm8kCotZeroshot: GenerateTask<Gsm8kDoc> = {
  kind: 'generate',
  id: 'gsm8k_cot_zeroshot',
  version: '3.0',
  source: 'lm_eval/tasks/gsm8k/gsm8k-cot-zeroshot.yaml',
  dataset: GSM8K_DATASET,
  layout: GSM8K_LAYOUT,
  parseDocs: parseGsm8k,
  docToText: (doc) => `Q: ${doc.question}\nA: Let's think step by step.`,
  docToTarget: (doc) => doc.answer,
  description: '',
  targetDelimiter: ' ',
  fewshotDelimiter: '\n\n',
  numFewshot: 0,
  fewshot: 'train-split',
  until: ['Q:', '</s>', '<|im_end|>'],
  maxGenToks: DEFAULT_MAX_GEN_TOKS,
  filters: [COT_STRICT_MATCH, FLEXIBLE_EXTRACT],
  metric: { name: 'exact_match', options: GSM8K_EXACT_MATCH },
};
