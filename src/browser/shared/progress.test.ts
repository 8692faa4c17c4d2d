import { afterEach, describe, expect, it, vi } from 'vitest';
import { throttleProgress } from './progress.ts';

describe('throttleProgress', () => {
  afterEach(() => void vi.useRealTimers());

  it('delivers at most one snapshot per interval, the latest always, and the held one on flush', () => {
    vi.useFakeTimers();
    let t = 0;
    const got: number[] = [];
    const p = throttleProgress((x: number) => got.push(x), 100, () => t);
    p.push(1); // the first goes at once
    p.push(2);
    p.push(3); // replaces 2
    expect(got).toEqual([1]);
    t = 100;
    vi.advanceTimersByTime(100);
    expect(got).toEqual([1, 3]);
    t = 150;
    p.push(4);
    p.flush(); // before a result: nothing trails it
    expect(got).toEqual([1, 3, 4]);
    vi.advanceTimersByTime(1000);
    expect(got).toEqual([1, 3, 4]);
    t = 400;
    p.push(5); // an interval later: at once
    expect(got).toEqual([1, 3, 4, 5]);
  });
});
