/**
 * α values as people type them, one syntax for the studio's "α values" field and `rvs sweep
 * --alphas`: numbers and ranges separated by commas (or spaces, or semicolons), e.g.
 * `-1, 0, 0.5, 1` or `-1:1:0.25` (start:stop:step, the stop included when the steps reach it).
 * Each value is kept once, in the order given.
 *
 * Every α is bounded: |α| ≤ ALPHA_BOUND (100). A vector scaled by more than that is almost surely
 * a typo (`1e9`), and its sum with the target overflows low-precision weights; the bound is the
 * same for a single α (the merge panel) and for a list.
 */

export const ALPHA_BOUND = 100;
/** The most values one list may expand to (a range with a tiny step would otherwise hang the page). */
export const MAX_ALPHAS = 10_000;

export type AlphaListErrorCode = 'EMPTY' | 'NOT_A_NUMBER' | 'BAD_RANGE' | 'OUT_OF_BOUNDS' | 'TOO_MANY';

export class AlphaListError extends Error {
  override readonly name = 'AlphaListError';
  constructor(
    readonly code: AlphaListErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** "−0.5" as the studio writes α (a real minus sign), for messages. */
function show(x: number): string {
  return x < 0 ? `−${-x}` : String(x);
}

/** Why α cannot be used, or null: not finite, or beyond ±ALPHA_BOUND. */
export function alphaProblem(alpha: number): string | null {
  if (!Number.isFinite(alpha)) return `α must be a finite number (got ${String(alpha)})`;
  if (Math.abs(alpha) > ALPHA_BOUND) return `α = ${show(alpha)} is outside the accepted range −${ALPHA_BOUND} to ${ALPHA_BOUND}`;
  return null;
}

function number(text: string, part: string): number {
  const x = text.trim() === '' ? NaN : Number(text.replace(/^\u2212/, '-'));
  if (!Number.isFinite(x)) throw new AlphaListError('NOT_A_NUMBER', `“${part}” is not a number`);
  return x;
}

/** Digits after the decimal point in the shortest spelling of x (1e-7 → 7, 0.25 → 2). */
function decimals(x: number): number {
  const [mantissa, exponent] = String(Math.abs(x)).split('e');
  const fraction = mantissa!.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}

/** start:stop:step, stop included when reached; values rounded to the inputs' decimals (no 0.30000000000000004). */
function range(part: string): number[] {
  const fields = part.split(':');
  if (fields.length !== 3) throw new AlphaListError('BAD_RANGE', `“${part}” is not a range: write start:stop:step, e.g. -1:1:0.25`);
  const [start, stop, step] = fields.map((f) => number(f, part)) as [number, number, number];
  if (step === 0) throw new AlphaListError('BAD_RANGE', `“${part}”: the step must not be 0`);
  if (stop !== start && Math.sign(stop - start) !== Math.sign(step)) {
    throw new AlphaListError('BAD_RANGE', `“${part}”: a step of ${show(step)} never goes from ${show(start)} to ${show(stop)} (use ${show(-step)})`);
  }
  const count = Math.floor((stop - start) / step + 1e-9) + 1;
  if (count > MAX_ALPHAS) throw new AlphaListError('TOO_MANY', `“${part}” gives ${count} values; at most ${MAX_ALPHAS} are accepted`);
  const digits = Math.min(100, Math.max(decimals(start), decimals(step)));
  return Array.from({ length: count }, (_, i) => Number((start + i * step).toFixed(digits)) + 0);
}

/** The α values of `text`; throws `AlphaListError` naming the first bad part. */
export function parseAlphaList(text: string): number[] {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  if (parts.length === 0) throw new AlphaListError('EMPTY', 'give at least one α, e.g. 0, 0.5, 1 or -1:1:0.25');
  const alphas: number[] = [];
  for (const part of parts) {
    for (const x of part.includes(':') ? range(part) : [number(part, part)]) {
      const problem = alphaProblem(x);
      if (problem) throw new AlphaListError('OUT_OF_BOUNDS', `“${part}”: ${problem}`);
      if (!alphas.includes(x)) alphas.push(x);
      if (alphas.length > MAX_ALPHAS) throw new AlphaListError('TOO_MANY', `the list gives more than ${MAX_ALPHAS} values`);
    }
  }
  return alphas;
}
