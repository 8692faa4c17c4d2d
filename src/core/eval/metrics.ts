/**
 * Metrics and aggregations of lm-evaluation-harness (`lm_eval/api/metrics.py`), reimplemented:
 * `exact_match` (exact_match_hf_evaluate on one prediction/reference pair), `mean`, `mean_stderr`
 * and the size-weighted group aggregation with `pooled_sample_stderr`.
 */
import { compilePythonRegex, removeAll } from './pyregex.ts';

export interface ExactMatchOptions {
  readonly ignoreCase?: boolean;
  readonly ignorePunctuation?: boolean;
  readonly ignoreNumbers?: boolean;
  /** Python `re` patterns removed (re.sub with "") from prediction and reference, in order. */
  readonly regexesToIgnore?: readonly string[];
}

/** Python's `string.punctuation`. */
const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/** The normalisation exact_match applies to both sides: regexes, then case, punctuation, digits. */
export function normalizeForExactMatch(text: string, opts: ExactMatchOptions): string {
  let s = text;
  for (const pattern of opts.regexesToIgnore ?? []) s = removeAll(compilePythonRegex(pattern), s);
  if (opts.ignoreCase) s = s.toLowerCase();
  if (opts.ignorePunctuation) s = s.replace(ASCII_PUNCTUATION, '');
  if (opts.ignoreNumbers) s = s.replace(/[0-9]/g, '');
  return s;
}

/** 1 when prediction and reference are equal after normalisation, else 0. */
export function exactMatch(prediction: string, reference: string, opts: ExactMatchOptions = {}): 0 | 1 {
  return normalizeForExactMatch(prediction, opts) === normalizeForExactMatch(reference, opts) ? 1 : 0;
}

export function mean(xs: readonly number[]): number {
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/**
 * Standard error of the mean: sample standard deviation (n − 1 denominator) / √n — the harness's
 * `mean_stderr`. Null for fewer than two values, where the harness reports "N/A".
 */
export function meanStderr(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const mu = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - mu) ** 2;
  return Math.sqrt(ss / (xs.length - 1)) / Math.sqrt(xs.length);
}

export const STDERR_METHOD = 'sample standard deviation (n−1) / √n (lm-evaluation-harness mean_stderr); groups: pooled_sample_stderr';

export interface MetricValue {
  readonly value: number;
  readonly stderr: number | null;
  readonly n: number;
}

export function aggregateMean(xs: readonly number[]): MetricValue {
  return { value: mean(xs), stderr: meanStderr(xs), n: xs.length };
}

/**
 * A group's score weighted by subtask size (`weight_by_size: true`): Σ vᵢ·nᵢ / Σ nᵢ, with the
 * harness's `pooled_sample_stderr`: √( Σ (nᵢ−1)·seᵢ²·nᵢ / (Σnᵢ − k) / Σnᵢ ). Stderr is null if any
 * subtask's is.
 */
export function aggregateGroup(parts: readonly MetricValue[]): MetricValue {
  const total = parts.reduce((a, p) => a + p.n, 0);
  const value = parts.reduce((a, p) => a + p.value * p.n, 0) / total;
  let stderr: number | null = null;
  if (parts.every((p) => p.stderr !== null) && total > parts.length) {
    const pooledVar = parts.reduce((a, p) => a + (p.n - 1) * p.stderr! ** 2 * p.n, 0) / (total - parts.length);
    stderr = Math.sqrt(pooledVar / total);
  }
  return { value, stderr, n: total };
}
