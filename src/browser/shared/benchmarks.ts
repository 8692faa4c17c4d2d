/**
 * The benchmarks the Evaluate panel offers, as data: each is one task of src/core/eval/tasks, or a
 * task group (BIG-Bench Hard's 27 subtasks, whose files are matched by name).
 */
import { BBH_GROUP, BBH_SUBTASKS } from '../../core/eval/tasks/bbh.ts';

export interface Benchmark {
  /** A task id, or a group id. */
  readonly id: string;
  readonly label: string;
  /** The task ids it runs (a group: every subtask whose files are given). */
  readonly tasks: readonly string[];
  readonly group: boolean;
  /** What the test-data input takes. */
  readonly dataHint: string;
  /** A few-shot source the task samples from (null: none, or inside the group's files). */
  readonly fewshotHint: string | null;
  /** Why its data cannot be fetched from the Hugging Face Hub (null: it can, from its task's `dataset`). */
  readonly notOnHub: string | null;
}

export const BENCHMARKS: readonly Benchmark[] = [
  { id: 'gsm8k', label: 'GSM8K (5-shot)', tasks: ['gsm8k'], group: false, dataHint: 'test split: .jsonl, .json, .parquet, .jsonl.gz', fewshotHint: 'train split (few-shot examples)', notOnHub: null },
  { id: 'gsm8k_cot', label: 'GSM8K chain of thought (8 fixed examples)', tasks: ['gsm8k_cot'], group: false, dataHint: 'test split', fewshotHint: null, notOnHub: null },
  { id: 'gsm8k_cot_zeroshot', label: 'GSM8K chain of thought, zero-shot', tasks: ['gsm8k_cot_zeroshot'], group: false, dataHint: 'test split', fewshotHint: 'train split (only with few-shot > 0)', notOnHub: null },
  { id: 'sciq', label: 'SciQ (multiple choice)', tasks: ['sciq'], group: false, dataHint: 'test split', fewshotHint: 'train split (only with few-shot > 0)', notOnHub: null },
  { id: 'humaneval', label: 'HumanEval (pass@1, Python sandbox)', tasks: ['humaneval'], group: false, dataHint: 'HumanEval.jsonl(.gz) or .parquet', fewshotHint: null, notOnHub: null },
  {
    id: BBH_GROUP,
    label: 'BIG-Bench Hard, chain of thought (3-shot)',
    tasks: BBH_SUBTASKS.map((s) => `${BBH_GROUP}_${s}`),
    group: true,
    dataHint: 'the BIG-Bench Hard folder, or its files: tasks/<subtask>.json and cot-prompts/<subtask>.txt',
    fewshotHint: null,
    notOnHub: 'Files only: no Hub dataset holds BIG-Bench Hard with its cot-prompts in this layout.',
  },
];

export function getBenchmark(id: string): Benchmark {
  const b = BENCHMARKS.find((x) => x.id === id);
  if (!b) throw new Error(`unknown benchmark "${id}" (known: ${BENCHMARKS.map((x) => x.id).join(', ')})`);
  return b;
}
