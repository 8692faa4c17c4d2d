/** Every evaluation task, in one explicit list. */
import type { BbhDoc, Gsm8kDoc, SciqDoc } from '../datasets.ts';
import { EvalError } from '../errors.ts';
import { BBH_TASKS } from './bbh.ts';
import { gsm8k, gsm8kCot, gsm8kCotZeroshot } from './gsm8k.ts';
import { humaneval } from './humaneval.ts';
import { sciq } from './sciq.ts';
import type { HumanEvalProblem } from '../humaneval.ts';
import type { CodeTask, GenerateTask, MultipleChoiceTask } from './types.ts';

export type AnyGenerateTask = GenerateTask<Gsm8kDoc> | GenerateTask<BbhDoc>;
export type AnyMultipleChoiceTask = MultipleChoiceTask<SciqDoc>;
export type AnyCodeTask = CodeTask<HumanEvalProblem>;
export type AnyTask = AnyGenerateTask | AnyMultipleChoiceTask | AnyCodeTask;

export const TASKS: readonly AnyTask[] = [gsm8k, gsm8kCot, gsm8kCotZeroshot, sciq, humaneval, ...BBH_TASKS];

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** The task with this id; an unknown id fails naming the closest ones. */
export function getTask(id: string): AnyTask {
  const task = TASKS.find((t) => t.id === id);
  if (task) return task;
  const ranked = TASKS.map((t) => ({ id: t.id, d: t.id.includes(id) && id.length >= 3 ? 0 : editDistance(id, t.id) })).sort((a, b) => a.d - b.d);
  const best = ranked.filter((r) => r.d <= Math.max(2, ranked[0]!.d)).slice(0, 3).map((r) => r.id);
  throw new EvalError('UNKNOWN_TASK', `unknown task "${id}"; did you mean ${best.map((b) => `"${b}"`).join(', ')}?`);
}

/** A generation task by id; a multiple-choice id fails saying so (its scores need log-likelihoods). */
export function getGenerateTask(id: string): AnyGenerateTask {
  const task = getTask(id);
  if (task.kind !== 'generate') {
    const why = task.kind === 'code' ? 'it is scored by running code in a sandbox' : 'it is scored from log-likelihoods, not generated outputs';
    throw new EvalError('UNKNOWN_TASK', `task "${id}" is ${task.kind === 'code' ? 'a code task' : 'multiple choice'}: ${why}`);
  }
  return task;
}
