import { describe, expect, it } from 'vitest';
import { SweepEstimate, sweepPlan } from './sweep-estimate.ts';

// Two tasks that cost very differently per item: "slow" 2 s an item, "fast" 0.1 s an item.
const plan = sweepPlan([0, 1, 2], [
  { task: 'slow', items: 10 },
  { task: 'fast', items: 100 },
]);

describe('SweepEstimate', () => {
  it('has nothing to say before an item is measured', () => {
    const e = new SweepEstimate(plan);
    expect(e.remainingSeconds()).toBeNull();
    expect(e.itemsTotal).toBe(330);
    expect(e.itemsDone).toBe(0);
  });

  it('applies each task’s measured rate to the whole remaining plan', () => {
    const e = new SweepEstimate(plan);
    e.update(0, 10, 20); // slow at α 0: 2 s/item
    e.update(1, 100, 10); // fast at α 0: 0.1 s/item
    // Left: α 1 and α 2, each 10·2 + 100·0.1 = 30 s.
    expect(e.remainingSeconds()).toBeCloseTo(60, 10);
    expect(e.itemsDone).toBe(110);
    e.update(2, 5, 10); // halfway through slow at α 1
    expect(e.remainingSeconds()).toBeCloseTo(5 * 2 + 10 + 30, 10);
  });

  it('does not jump when the sweep moves from a slow task to a fast one (the elapsed/fraction estimate does)', () => {
    const e = new SweepEstimate(plan);
    const truth = (done: number) => 90 - done; // 30 s an α, 90 s in all
    e.update(0, 10, 20);
    e.update(1, 100, 10);
    e.update(2, 10, 20);
    const ours = e.remainingSeconds()!;
    // Elapsed 50 s for 120 of 330 items: elapsed × left / done.
    const naive = (50 * (330 - 120)) / 120;
    expect(Math.abs(ours - truth(50))).toBeLessThan(1e-9);
    expect(Math.abs(naive - truth(50))).toBeGreaterThan(10);
  });

  it('takes tasks not measured yet at the mean rate so far', () => {
    const e = new SweepEstimate(plan);
    e.update(0, 5, 10); // 2 s/item, fast unmeasured
    // slow: 5 + 10 + 10 items left at 2 s; fast: 300 items at 2 s (the mean so far).
    expect(e.remainingSeconds()).toBeCloseTo(25 * 2 + 300 * 2, 10);
  });

  it('adds the measured cost of each α switch still to come', () => {
    const e = new SweepEstimate(plan);
    e.alphaSwitched(4); // α 0 applied
    e.update(0, 10, 20);
    e.update(1, 100, 10);
    expect(e.remainingSeconds()).toBeCloseTo(60 + 2 * 4, 10); // α 1 and α 2 still to apply
    e.alphaSwitched(2); // α 1 applied: 3 s a switch on average, one to come
    expect(e.remainingSeconds()).toBeCloseTo(60 + 3, 10);
  });

  it('is 0 when everything is done', () => {
    const e = new SweepEstimate(plan);
    plan.forEach((r, i) => e.update(i, r.items, 1));
    for (let i = 0; i < 3; i++) e.alphaSwitched(1);
    expect(e.remainingSeconds()).toBe(0);
    expect(e.itemsDone).toBe(e.itemsTotal);
  });
});
