import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALPHA_BOUND, AlphaListError, alphaProblem, MAX_ALPHAS, parseAlphaList } from './alphas.ts';

function code(text: string): string | null {
  try {
    parseAlphaList(text);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(AlphaListError);
    return (e as AlphaListError).code;
  }
}

describe('parseAlphaList', () => {
  it('reads numbers separated by commas, spaces or semicolons, once each, in order', () => {
    expect(parseAlphaList('-1, 0,0.5 1;1')).toEqual([-1, 0, 0.5, 1]);
    expect(parseAlphaList('−0.5')).toEqual([-0.5]);
  });

  it('expands start:stop:step with the stop included, as exact decimals', () => {
    expect(parseAlphaList('-1:1:0.25')).toEqual([-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1]);
    expect(parseAlphaList('0:1:0.1')).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(parseAlphaList('1:-1:-0.5')).toEqual([1, 0.5, 0, -0.5, -1]);
    expect(parseAlphaList('0:1:0.3')).toEqual([0, 0.3, 0.6, 0.9]); // 1.2 would pass the stop
    expect(parseAlphaList('2:2:1')).toEqual([2]);
    expect(parseAlphaList('0, -1:1:1, 5')).toEqual([0, -1, 1, 5]);
    expect(Object.is(parseAlphaList('-1:0:0.5')[2], 0)).toBe(true); // no −0
  });

  it('a range equals the values start + i·step written out (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -400, max: 400 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 60 }), (a, s, n) => {
        // start, step in hundredths; the expected values computed in integers, then scaled.
        const start = a / 100;
        const step = s / 100;
        const stop = (a + s * n) / 100;
        const expected = Array.from({ length: n + 1 }, (_, i) => (a + s * i) / 100);
        expect(parseAlphaList(`${start}:${stop}:${step}`)).toEqual(expected);
      }),
    );
  });

  it('refuses bad lists with a code per failure', () => {
    expect(code('')).toBe('EMPTY');
    expect(code(' , ')).toBe('EMPTY');
    expect(code('0, x')).toBe('NOT_A_NUMBER');
    expect(code('Infinity')).toBe('NOT_A_NUMBER');
    expect(code('-1:1')).toBe('BAD_RANGE');
    expect(code('-1:1:0')).toBe('BAD_RANGE');
    expect(code('1:-1:0.25')).toBe('BAD_RANGE');
    expect(code('0:a:1')).toBe('NOT_A_NUMBER');
    expect(code('1e9')).toBe('OUT_OF_BOUNDS');
    expect(code(`-${ALPHA_BOUND + 1}`)).toBe('OUT_OF_BOUNDS');
    expect(code('0:200:50')).toBe('OUT_OF_BOUNDS');
    expect(code(`0:1:${1 / MAX_ALPHAS / 2}`)).toBe('TOO_MANY');
  });

  it('says what is wrong in one line, naming the part', () => {
    expect(() => parseAlphaList('1:-1:0.25')).toThrow('“1:-1:0.25”: a step of 0.25 never goes from 1 to −1 (use −0.25)');
    expect(() => parseAlphaList('-1:1')).toThrow('“-1:1” is not a range: write start:stop:step, e.g. -1:1:0.25');
    expect(() => parseAlphaList('0, 1e9')).toThrow(`“1e9”: α = 1000000000 is outside the accepted range −${ALPHA_BOUND} to ${ALPHA_BOUND}`);
  });
});

describe('alphaProblem', () => {
  it('accepts the bounds and refuses beyond them or non-finite', () => {
    expect(alphaProblem(ALPHA_BOUND)).toBeNull();
    expect(alphaProblem(-ALPHA_BOUND)).toBeNull();
    expect(alphaProblem(ALPHA_BOUND + 0.01)).toMatch(/outside/);
    expect(alphaProblem(NaN)).toMatch(/finite/);
  });
});
