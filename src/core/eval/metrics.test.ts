// exact_match as lm-evaluation-harness's exact_match_hf_evaluate (lm_eval/api/metrics.py):
// regexes_to_ignore removed (re.sub) from prediction and reference in order, then lower(), then
// string.punctuation and digits removed when asked; mean_stderr = sample_stddev / sqrt(n).
import { describe, expect, it } from 'vitest';
import { aggregateGroup, aggregateMean, exactMatch, mean, meanStderr, normalizeForExactMatch } from './metrics.ts';
import { gsm8k } from './tasks/gsm8k.ts';

const GSM8K = gsm8k.metric.options; // ignore_case, regexes_to_ignore [",", "\$", "(?s).*#### ", "\.$"]
const REFERENCE = 'Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72';

describe('exact_match with the gsm8k options', () => {
  it('reduces the reference to the number after the last "#### "', () => {
    expect(normalizeForExactMatch(REFERENCE, GSM8K)).toBe('72');
    expect(normalizeForExactMatch('#### 1,000', GSM8K)).toBe('1000');
  });
  it.each([
    ['72', 1],
    ['$72', 1],
    ['72.', 1],
    ['7,2', 1], // commas go everywhere, so "7,2" becomes "72"
    ['72.0', 0],
    ['72..', 0], // only one trailing "." goes
    ['-72', 0],
    ['[invalid]', 0],
  ])('%j vs "#### 72" → %d', (prediction, expected) => {
    expect(exactMatch(prediction, REFERENCE, GSM8K)).toBe(expected);
  });
  it('is case-insensitive only when asked', () => {
    expect(exactMatch('True', 'true', { ignoreCase: true })).toBe(1);
    expect(exactMatch('True', 'true')).toBe(0); // bbh: no options
  });
  it('ignore_punctuation removes string.punctuation, ignore_numbers the digits', () => {
    expect(exactMatch('(B)', 'B', { ignorePunctuation: true })).toBe(1);
    expect(exactMatch('a-b_c!', 'abc', { ignorePunctuation: true })).toBe(1);
    expect(exactMatch('abc1', 'abc2', { ignoreNumbers: true })).toBe(1);
  });
});

describe('mean and mean_stderr', () => {
  it('uses the sample standard deviation', () => {
    // [1, 0, 0, 1]: mean 0.5, sample variance (4 · 0.25) / 3 = 1/3, stderr √(1/3) / 2.
    expect(mean([1, 0, 0, 1])).toBe(0.5);
    expect(meanStderr([1, 0, 0, 1])).toBeCloseTo(Math.sqrt(1 / 3) / 2, 15);
    expect(meanStderr([1, 1, 1])).toBe(0);
  });
  it('has no stderr for one sample (the harness prints N/A)', () => {
    expect(aggregateMean([1])).toEqual({ value: 1, stderr: null, n: 1 });
  });
});

describe('size-weighted group aggregation', () => {
  it('weights by size and pools stderrs as pooled_sample_stderr', () => {
    const a = aggregateMean([1, 1, 0, 0]); // 0.5 over 4
    const b = aggregateMean([1, 0]); // 0.5 over 2
    const c = aggregateMean([1, 1]); // 1 over 2
    const g = aggregateGroup([a, b, c]);
    expect(g.value).toBeCloseTo((0.5 * 4 + 0.5 * 2 + 1 * 2) / 8, 15);
    expect(g.n).toBe(8);
    const pooledVar = (3 * a.stderr! ** 2 * 4 + 1 * b.stderr! ** 2 * 2 + 1 * c.stderr! ** 2 * 2) / (8 - 3);
    expect(g.stderr).toBeCloseTo(Math.sqrt(pooledVar / 8), 15);
  });
});
