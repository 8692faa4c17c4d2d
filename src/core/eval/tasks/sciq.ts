/**
 * SciQ, after lm-evaluation-harness `lm_eval/tasks/sciq/sciq.yaml` (metadata.version 1.0):
 * multiple choice over `allenai/sciq`'s test split; text
 * "{{support.lstrip()}}\nQuestion: {{question}}\nAnswer:", choices [distractor1, distractor2,
 * distractor3, correct_answer], gold index 3, metrics acc and acc_norm. The YAML sets no
 * `num_fewshot` (0); an override samples the train split (`training_split`).
 */
import { parseSciq, SCIQ_LAYOUT, type SciqDoc } from '../datasets.ts';
import { pyStrip } from '../pyregex.ts';
import type { MultipleChoiceTask } from './types.ts';

/** Python's `str.lstrip()`: `pyStrip` of the text with a non-space sentinel after it. */
export function pyLstrip(s: string): string {
  return pyStrip(`${s}x`).slice(0, -1);
}

const choices = (doc: SciqDoc): readonly string[] => [doc.distractor1, doc.distractor2, doc.distractor3, doc.correct_answer];

export const sciq: MultipleChoiceTask<SciqDoc> = {
  kind: 'multiple_choice',
  id: 'sciq',
  version: '1.0',
  source: 'lm_eval/tasks/sciq/sciq.yaml',
  dataset: { repo: 'allenai/sciq', config: null, evalSplit: 'test', fewshotSplit: 'train' },
  layout: SCIQ_LAYOUT,
  parseDocs: parseSciq,
  docToText: (doc) => `${pyLstrip(doc.support)}\nQuestion: ${doc.question}\nAnswer:`,
  docToChoices: choices,
  docToGold: () => 3,
  docToTarget: (doc) => doc.correct_answer,
  description: '',
  targetDelimiter: ' ',
  fewshotDelimiter: '\n\n',
  numFewshot: 0,
  fewshot: 'train-split',
  metrics: ['acc', 'acc_norm'],
};
