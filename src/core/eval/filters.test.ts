// Filters checked against lm-evaluation-harness's RegexFilter (lm_eval/filters/extraction.py):
// re.findall; no match → fallback "[invalid]"; match[group_select] (0 first, -1 last); a tuple →
// its first non-empty group; .strip(). Patterns from lm_eval/tasks/gsm8k/gsm8k.yaml,
// lm_eval/tasks/gsm8k/gsm8k-cot.yaml and lm_eval/tasks/bbh/cot_fewshot/_cot_fewshot_template_yaml.
import { describe, expect, it } from 'vitest';
import { EvalError } from './errors.ts';
import { applyFilters, INVALID, regexExtract, truncateAtStops } from './filters.ts';
import { gsm8k, gsm8kCot } from './tasks/gsm8k.ts';
import { BBH_TASKS } from './tasks/bbh.ts';

const pipeline = (task: { filters: readonly { name: string }[] }, name: string) => {
  const p = (task.filters as readonly import('./filters.ts').FilterPipeline[]).find((f) => f.name === name);
  if (!p) throw new Error(name);
  return p;
};
const strict = pipeline(gsm8k, 'strict-match');
const flexible = pipeline(gsm8k, 'flexible-extract');
const cotStrict = pipeline(gsm8kCot, 'strict-match');
const bbh = pipeline(BBH_TASKS[0]!, 'get-answer');

describe('gsm8k strict-match: "#### (\\-?[0-9\\.\\,]+)", first match', () => {
  it.each([
    ['She pays 3 * 6 = 18.\n#### 18', '18'],
    ['#### 1,234.50', '1,234.50'],
    ['#### -7\n#### 9', '-7'], // the first of several
    ['#### $5', INVALID], // "$" is not in the class
    ['The answer is 42.', INVALID],
    ['', INVALID],
  ])('%j → %j', (output, expected) => {
    expect(applyFilters([output], strict)).toBe(expected);
  });
});

describe('gsm8k flexible-extract: "(-?[$0-9.,]{2,})|(-?[0-9]+)", last match, first non-empty group', () => {
  it.each([
    ['So she makes 9 * 2 = $18.', '$18.'],
    ['1,000 apples then 7', '7'], // a single digit: the second group
    ['Total: -3 then -12,5.', '-12,5.'],
    ['x = 5', '5'],
    ['no numbers at all', INVALID],
  ])('%j → %j', (output, expected) => {
    expect(applyFilters([output], flexible)).toBe(expected);
  });
});

describe('gsm8k_cot strict-match: "The answer is (\\-?[0-9\\.\\,]+)." (the final . is any character)', () => {
  it.each([
    ['23 - 15 is 8. The answer is 8.', '8'],
    ['The answer is 1,200 dollars.', '1,200'],
    ['The answer is 8', INVALID], // the trailing "." needs a character after the number
    ['The answer is 5. Then The answer is 6.', '5.'], // greedy: "5." then the space
    ['the answer is 8.', INVALID], // case-sensitive
  ])('%j → %j', (output, expected) => {
    expect(applyFilters([output], cotStrict)).toBe(expected);
  });
});

describe('bbh get-answer: "(?<=the answer is )(.*)(?=.)"', () => {
  it.each([
    ['So the answer is (B).', '(B)'],
    ['So the answer is True.', 'True'],
    ['So the answer is valid.\nthe answer is No.', 'valid'],
    ['So the answer is 24', '2'], // the lookahead eats the last character of the line, as in Python
    ['So The answer is (A).', INVALID],
  ])('%j → %j', (output, expected) => {
    expect(applyFilters([output], bbh)).toBe(expected);
  });
});

describe('RegexFilter details', () => {
  it('uses the fallback given, and group_select from the end', () => {
    expect(regexExtract('none', { fn: 'regex', pattern: '(x)', fallback: 'N' })).toBe('N');
    expect(regexExtract('a1 b2 c3', { fn: 'regex', pattern: '([0-9])', groupSelect: -2 })).toBe('2');
  });
  it('strips the selected match', () => {
    expect(regexExtract('A: yes \n', { fn: 'regex', pattern: 'A:(.*)' })).toBe('yes');
  });
  it('fails where the harness raises IndexError (a tuple of empty groups)', () => {
    expect(() => regexExtract('ab', { fn: 'regex', pattern: '(x?)(y?)b' })).toThrow(EvalError);
  });
  it('take_first keeps the first response', () => {
    expect(applyFilters(['#### 1', '#### 2'], strict)).toBe('1');
  });
});

describe('truncateAtStops (generate_until)', () => {
  it('cuts at each stop string in turn and is idempotent', () => {
    const out = ' 9 eggs.\n#### 18\n\nQuestion: next one';
    expect(truncateAtStops(out, gsm8k.until)).toBe(' 9 eggs.\n#### 18\n\n');
    expect(truncateAtStops(truncateAtStops(out, gsm8k.until), gsm8k.until)).toBe(' 9 eggs.\n#### 18\n\n');
    expect(truncateAtStops('x<|im_end|>y', gsm8k.until)).toBe('x');
  });
});
