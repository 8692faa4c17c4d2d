/**
 * HumanEval as a task (see ../humaneval.ts for the harness's definition it follows): zero-shot,
 * greedy, the prompt continued until a new top-level statement, pass@1 by running the program in
 * a sandbox with `code_eval`'s 3 s limit.
 */
import type { DataRow } from '../datasets.ts';
import { HUMANEVAL, humanevalFromRows, humanevalProgram, parseHumanEval, type HumanEvalProblem } from '../humaneval.ts';
import type { CodeTask } from './types.ts';

export const humaneval: CodeTask<HumanEvalProblem> = {
  kind: 'code',
  id: HUMANEVAL.id,
  version: HUMANEVAL.version,
  source: HUMANEVAL.source,
  dataset: { repo: 'openai/openai_humaneval', config: 'openai_humaneval', evalSplit: 'test', fewshotSplit: null },
  layout: {
    name: 'openai/openai_humaneval',
    columns: ['task_id', 'prompt', 'canonical_solution', 'test', 'entry_point'],
    fromRows: (rows: readonly DataRow[], file: string) => humanevalFromRows(rows, file),
  },
  parseDocs: parseHumanEval,
  docToText: HUMANEVAL.docToText,
  docToTarget: (problem) => problem.canonical_solution,
  description: '',
  targetDelimiter: '',
  fewshotDelimiter: '\n\n',
  numFewshot: 0,
  fewshot: 'fixed',
  fixedShots: [],
  until: HUMANEVAL.until,
  maxGenToks: HUMANEVAL.maxGenToks,
  program: humanevalProgram,
  timeoutMs: HUMANEVAL.timeoutMs,
  metricKey: `${HUMANEVAL.metric},${HUMANEVAL.filter}`,
};
