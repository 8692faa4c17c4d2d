import { describe, expect, it } from 'vitest';
import { formatBytes } from './format.ts';

describe('formatBytes', () => {
  it('decimal units, three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1536)).toBe('1.54 KB');
    expect(formatBytes(43_000_000)).toBe('43.0 MB');
    expect(formatBytes(988_097_536)).toBe('988 MB');
    expect(formatBytes(3_087_467_008)).toBe('3.09 GB');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});
