import { describe, expect, it } from 'vitest';
import { npArgmax, pyLen, scoreMultipleChoice } from './choice.ts';
import type { SciqDoc } from './datasets.ts';
import { sciq } from './tasks/sciq.ts';

/** choices [distractor1, distractor2, distractor3, correct_answer], gold 3. */
const doc = (d1: string, d2: string, d3: string, answer: string): SciqDoc => ({
  question: 'q?',
  distractor1: d1,
  distractor2: d2,
  distractor3: d3,
  correct_answer: answer,
  support: '',
});

describe('scoreMultipleChoice (process_results, multiple_choice)', () => {
  it('acc: the highest log-likelihood is the gold choice', () => {
    expect(scoreMultipleChoice(sciq, doc('a', 'bb', 'cc', 'dd'), [-5, -6, -7, -1])).toMatchObject({ acc: 1, acc_norm: 1, pred: 3, predNorm: 3, gold: 3 });
  });
  it('acc_norm divides by the choice length in characters: it can differ from acc', () => {
    // lengths 1, 3, 2, 4; lls -2, -6, -5, -3.9 → raw argmax 0; normalised -2, -2, -2.5, -0.975 → 3
    const s = scoreMultipleChoice(sciq, doc('a', 'bbb', 'cc', 'dddd'), [-2, -6, -5, -3.9]);
    expect(s).toEqual({ acc: 0, acc_norm: 1, pred: 0, predNorm: 3, gold: 3 });
    // lengths 1, 3, 2, 8; lls -1, -2.5, -3, -3.6 → raw 0; normalised -1, -0.833…, -1.5, -0.45 → 3; raw loses
    expect(scoreMultipleChoice(sciq, doc('a', 'bbb', 'cc', 'dddddddd'), [-1, -2.5, -3, -3.6])).toMatchObject({ acc: 0, acc_norm: 1 });
  });
  it('lengths are Python code points, not UTF-16 units', () => {
    // "😀😀" is 2 characters in Python (4 UTF-16 units): -4.8 / 2 = -2.4 loses to -2.2 / 1; over 4 it would win
    expect(pyLen('😀😀')).toBe(2);
    expect(scoreMultipleChoice(sciq, doc('x', 'y', 'z', '😀😀'), [-2.2, -2.3, -2.5, -4.8])).toMatchObject({ acc: 0, acc_norm: 0, predNorm: 0 });
  });
  it('ties go to the first maximum and NaN wins, as np.argmax', () => {
    expect(npArgmax([-1, -1, -2])).toBe(0);
    expect(npArgmax([-1, Number.NaN, 0, Number.NaN])).toBe(1);
    expect(npArgmax([-Infinity, -Infinity])).toBe(0);
  });
  it('fails on a count of log-likelihoods other than the choices', () => {
    expect(() => scoreMultipleChoice(sciq, doc('a', 'b', 'c', 'd'), [-1, -2])).toThrow(/2 log-likelihoods for 4 choices/);
  });
});
