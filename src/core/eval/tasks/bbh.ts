/**
 * BIG-Bench Hard, chain of thought with the 3 exemplars of each subtask's cot-prompts file, after
 * lm-evaluation-harness `lm_eval/tasks/bbh/cot_fewshot/_cot_fewshot_template_yaml`
 * (metadata.version 4.0) and the per-subtask YAML files beside it: prompt = description + the
 * exemplars + "Q: {input}\nA: Let's think step by step.\n"; target `{{target}}`; filter
 * "get-answer" = regex `(?<=the answer is )(.*)(?=.)` then take_first; exact_match with no
 * normalisation (case-sensitive); the group `bbh_cot_fewshot` is the size-weighted mean;
 * `max_gen_toks` 1024; `dataset_path` SaylorTwift/bbh, `dataset_name` the subtask, split "test".
 */
import { BBH_LAYOUT, parseBbh, type BbhDoc } from '../datasets.ts';
import type { GenerateTask } from './types.ts';

export const BBH_GROUP = 'bbh_cot_fewshot';

/** The 27 subtasks, in the harness's (alphabetical) order. */
export const BBH_SUBTASKS = [
  'boolean_expressions',
  'causal_judgement',
  'date_understanding',
  'disambiguation_qa',
  'dyck_languages',
  'formal_fallacies',
  'geometric_shapes',
  'hyperbaton',
  'logical_deduction_five_objects',
  'logical_deduction_seven_objects',
  'logical_deduction_three_objects',
  'movie_recommendation',
  'multistep_arithmetic_two',
  'navigate',
  'object_counting',
  'penguins_in_a_table',
  'reasoning_about_colored_objects',
  'ruin_names',
  'salient_translation_error_detection',
  'snarks',
  'sports_understanding',
  'temporal_sequences',
  'tracking_shuffled_objects_five_objects',
  'tracking_shuffled_objects_seven_objects',
  'tracking_shuffled_objects_three_objects',
  'web_of_lies',
  'word_sorting',
] as const;

export type BbhSubtask = (typeof BBH_SUBTASKS)[number];

function bbhTask(subtask: BbhSubtask): GenerateTask<BbhDoc> {
  return {
    kind: 'generate',
    id: `${BBH_GROUP}_${subtask}`,
    group: BBH_GROUP,
    version: '4.0',
    source: `lm_eval/tasks/bbh/cot_fewshot/${subtask}.yaml`,
    dataset: { repo: 'SaylorTwift/bbh', config: subtask, evalSplit: 'test', fewshotSplit: null },
    layout: BBH_LAYOUT,
    parseDocs: parseBbh,
    docToText: (doc) => `Q: ${doc.input}\nA: Let's think step by step.\n`,
    docToTarget: (doc) => doc.target,
    description: '',
    targetDelimiter: '',
    fewshotDelimiter: '\n\n',
    numFewshot: 3,
    fewshot: 'cot-prompt',
    until: ['</s>', 'Q', '\n\n'],
    maxGenToks: 1024,
    filters: [{ name: 'get-answer', steps: [{ fn: 'regex', pattern: '(?<=the answer is )(.*)(?=.)' }, { fn: 'take_first' }] }],
    metric: { name: 'exact_match', options: {} },
  };
}

export const BBH_TASKS: readonly GenerateTask<BbhDoc>[] = BBH_SUBTASKS.map(bbhTask);

/** One cot-prompts exemplar: the question part ("Q: …\nA: Let's think step by step.\n") and the
 * reasoning that follows, as the harness lays them out. */
export interface CotShot {
  readonly text: string;
  readonly target: string;
}

const THINK = "\nA: Let's think step by step.";

/**
 * A cot-prompts file: a canary line, "-----", the task description (one or more paragraphs), a
 * blank line, then the exemplars ("Q: …\nA: Let's think step by step.\n… So the answer is X.")
 * separated by blank lines. The description is everything before the first "Q: " line.
 */
export function parseCotPrompt(text: string): { description: string; shots: CotShot[] } {
  const body = text.replace(/\r\n/g, '\n');
  const dashes = body.indexOf('-----\n');
  const rest = dashes >= 0 ? body.slice(dashes + 6) : body;
  const first = rest.startsWith('Q: ') ? 0 : rest.indexOf('\nQ: ') + 1;
  if (first <= 0 && !rest.startsWith('Q: ')) return { description: rest.trim(), shots: [] };
  const description = rest.slice(0, first).replace(/\n+$/, '');
  const shots = rest
    .slice(first)
    .trimEnd()
    .split(/\n\n(?=Q: )/)
    .map((exemplar): CotShot => {
      const at = exemplar.indexOf(THINK);
      if (at < 0) return { text: exemplar, target: '' };
      // The harness's exemplars are doc_to_text ("…step by step.\n") + the YAML's target, so the
      // one whitespace character after the phrase is always a newline in the prompt — also for
      // sports_understanding, whose file continues on the same line after a space.
      const end = at + THINK.length;
      const skip = /\s/.test(exemplar.charAt(end)) ? 1 : 0;
      return { text: `${exemplar.slice(0, end)}\n`, target: exemplar.slice(end + skip) };
    });
  return { description, shots };
}
