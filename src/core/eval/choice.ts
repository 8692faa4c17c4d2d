/**
 * Multiple-choice scoring as lm-evaluation-harness's `ConfigurableTask.process_results` for
 * `output_type: multiple_choice`: `acc` = 1 when the choice with the highest log-likelihood is the
 * gold one; `acc_norm` the same after dividing each log-likelihood by its choice's length in
 * characters (Python `len` of the choice string, code points, without the target delimiter). Ties
 * and NaN go as `np.argmax`: the first maximum, and the first NaN if there is one.
 */
import { EvalError } from './errors.ts';
import type { MultipleChoiceTask } from './tasks/types.ts';

export interface ChoiceScore {
  readonly acc: 0 | 1;
  readonly acc_norm: 0 | 1;
  /** Index of the choice picked by raw, then by length-normalised, log-likelihood. */
  readonly pred: number;
  readonly predNorm: number;
  readonly gold: number;
}

/** `np.argmax` of a 1-D float array. */
export function npArgmax(xs: readonly number[]): number {
  if (xs.length === 0) throw new EvalError('BAD_ROW', 'argmax of an empty list');
  let best = 0;
  for (let i = 0; i < xs.length; i++) {
    if (Number.isNaN(xs[i])) return i;
    if (xs[i]! > xs[best]!) best = i;
  }
  return best;
}

/** Python's `len(s)`: Unicode code points. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function scoreMultipleChoice<D>(task: MultipleChoiceTask<D>, doc: D, loglikelihoods: readonly number[]): ChoiceScore {
  const choices = task.docToChoices(doc);
  if (loglikelihoods.length !== choices.length) {
    throw new EvalError('BAD_ROW', `${task.id}: ${loglikelihoods.length} log-likelihoods for ${choices.length} choices`);
  }
  const gold = task.docToGold(doc);
  if (!Number.isInteger(gold) || gold < 0 || gold >= choices.length) {
    throw new EvalError('BAD_ROW', `${task.id}: gold index ${gold} is not one of the ${choices.length} choices`);
  }
  const pred = npArgmax(loglikelihoods);
  const predNorm = npArgmax(loglikelihoods.map((ll, i) => ll / pyLen(choices[i]!)));
  return { acc: pred === gold ? 1 : 0, acc_norm: predNorm === gold ? 1 : 0, pred, predNorm, gold };
}
