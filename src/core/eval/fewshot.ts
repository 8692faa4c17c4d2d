/**
 * Few-shot selection as lm-evaluation-harness does it (`lm_eval/api/samplers.py`, `task.py`,
 * `evaluator.py`):
 *   - the task's sampler holds one `random.Random` that `simple_evaluate` seeds with
 *     `fewshot_random_seed` (1234 unless told otherwise), shared by every document of the task;
 *   - documents are contextualised in evaluation order and each calls `rnd.sample(fewshot_docs, n)`
 *     once, so the k-th evaluated document gets the k-th draw;
 *   - when the few-shot split is the evaluated split, n is `num_fewshot + 1` and the document itself
 *     is removed from the draw (by equality), keeping the first `num_fewshot` of the rest;
 *   - `num_fewshot` 0 draws nothing;
 *   - the `first_n` sampler (fixed exemplars) takes the first n and needs n of them.
 */
import { EvalError } from './errors.ts';
import { PyRandom } from './pyrandom.ts';

export const HARNESS_FEWSHOT_SEED = 1234;

/** The harness's equality of two documents (dicts): same fields, same values. */
export function sameDoc(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * One task's few-shot draws: `drawAt(k)` is the k-th `sample(docs, size)` of a `random.Random(seed)`,
 * computed in order once and kept, so documents may ask in any order.
 */
export class FewshotSampler<D> {
  private readonly rnd: PyRandom;
  private readonly draws: (readonly number[])[] = [];

  constructor(
    readonly docs: readonly D[],
    /** Documents drawn per evaluated document (`num_fewshot`, +1 when the split is the evaluated one). */
    readonly size: number,
    readonly seed: number = HARNESS_FEWSHOT_SEED,
  ) {
    if (!Number.isInteger(size) || size < 0) throw new EvalError('BAD_OPTION', `few-shot draw size must be a non-negative integer, got ${size}`);
    if (size > docs.length) {
      throw new EvalError('NOT_ENOUGH_SHOTS', `${size} few-shot documents asked for, only ${docs.length} given (the harness fails: "Sample larger than population")`);
    }
    this.rnd = new PyRandom(seed);
  }

  /** Positions in `docs` of the draw for the evaluated document at `position` (0-based, evaluation order). */
  drawAt(position: number): readonly number[] {
    if (!Number.isInteger(position) || position < 0) throw new EvalError('BAD_OPTION', `evaluation position must be a non-negative integer, got ${position}`);
    while (this.draws.length <= position) this.draws.push(this.rnd.sampleIndices(this.docs.length, this.size));
    return this.draws[position]!;
  }
}

/**
 * The shots for one evaluated document: the harness's `get_context` selection. `sameSplit`: the
 * few-shot documents are the evaluated split (draw one more, drop `doc`).
 */
export function sampledShots<D>(sampler: FewshotSampler<D>, position: number, doc: D, numFewshot: number, sameSplit: boolean): D[] {
  if (numFewshot === 0) return [];
  const expected = sameSplit ? numFewshot + 1 : numFewshot;
  if (sampler.size !== expected) throw new EvalError('BAD_OPTION', `sampler draws ${sampler.size} documents, ${expected} needed for ${numFewshot} shots`);
  const drawn = sampler.drawAt(position).map((i) => sampler.docs[i]!);
  return drawn.filter((d) => !sameDoc(d, doc)).slice(0, numFewshot);
}

/** The `first_n` sampler: the first `n` exemplars. */
export function firstShots<T>(exemplars: readonly T[], n: number, what: string): T[] {
  if (n > exemplars.length) throw new EvalError('NOT_ENOUGH_SHOTS', `${n} shots asked for, ${what} has ${exemplars.length}`);
  return exemplars.slice(0, n);
}

const samplers = new WeakMap<object, Map<string, FewshotSampler<unknown>>>();

/** A sampler kept per documents array, seed and size, for callers that build prompts one at a time. */
export function sharedSampler<D>(docs: readonly D[], size: number, seed: number = HARNESS_FEWSHOT_SEED): FewshotSampler<D> {
  let bySetting = samplers.get(docs);
  if (bySetting === undefined) {
    bySetting = new Map();
    samplers.set(docs, bySetting);
  }
  const key = `${seed}:${size}`;
  let sampler = bySetting.get(key);
  if (sampler === undefined) {
    sampler = new FewshotSampler<unknown>(docs, size, seed);
    bySetting.set(key, sampler);
  }
  return sampler as FewshotSampler<D>;
}
