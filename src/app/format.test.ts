import { describe, expect, it } from 'vitest';
import { eta, formatAlpha, formatCount, formatPercent, formatSeconds, formatValue } from './format.ts';

describe('formatting', () => {
  it('counts', () => {
    expect(formatCount(97)).toBe('97');
    expect(formatCount(31_776)).toBe('31.8K');
    expect(formatCount(494_032_768)).toBe('494.0M');
    expect(formatCount(1_543_714_304)).toBe('1.54B');
  });
  it('values, percentages, durations, α', () => {
    expect(formatValue(0)).toBe('0');
    expect(formatValue(0.01234)).toBe('0.0123');
    expect(formatValue(0.000123456)).toBe('1.23e-4');
    expect(formatValue(NaN)).toBe('—');
    expect(formatPercent(0.25)).toBe('25.0%');
    expect(formatPercent(0.0001)).toBe('0.010%');
    expect(formatSeconds(0.42)).toBe('0.4 s');
    expect(formatSeconds(12.4)).toBe('12 s');
    expect(formatSeconds(185)).toBe('3 min 05 s');
    expect(formatAlpha(1)).toBe('+1.00');
    expect(formatAlpha(-0.5)).toBe('−0.50');
  });
  it('estimates the time left from the rate so far', () => {
    expect(eta(25, 100, 10)).toBe(30);
    expect(eta(0, 100, 10)).toBeNull();
    expect(eta(100, 100, 10)).toBeNull();
    expect(eta(10, 100, 0.1)).toBeNull();
  });
});
