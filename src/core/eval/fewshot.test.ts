import { describe, expect, it } from 'vitest';
import { EvalError } from './errors.ts';
import { FewshotSampler, firstShots, sameDoc, sampledShots, sharedSampler } from './fewshot.ts';

const docs = Array.from({ length: 12 }, (_, i) => ({ question: `q${i}`, answer: `#### ${i}` }));

describe('FewshotSampler (the harness ContextSampler with random.Random(1234))', () => {
  it('the k-th evaluated document gets the k-th sample() of one shared generator', () => {
    // CPython: r = random.Random(1234); print([r.sample(range(12), 5) for _ in range(3)])
    const s = new FewshotSampler(docs, 5);
    expect([s.drawAt(0), s.drawAt(1), s.drawAt(2)]).toEqual([
      [7, 1, 0, 10, 9],
      [10, 1, 11, 5, 3],
      [0, 11, 10, 5, 7],
    ]);
  });
  it('draws the same whatever order positions are asked in; another seed draws otherwise', () => {
    const s = new FewshotSampler(docs, 5);
    expect(s.drawAt(2)).toEqual([0, 11, 10, 5, 7]);
    expect(s.drawAt(0)).toEqual([7, 1, 0, 10, 9]);
    // CPython: r = random.Random(7); print([r.sample(range(12), 2) for _ in range(2)])
    const t = new FewshotSampler(docs, 2, 7);
    expect([t.drawAt(0), t.drawAt(1)]).toEqual([
      [5, 2],
      [6, 10],
    ]);
  });
  it('same split: draws one more and drops the evaluated document', () => {
    const six = docs.slice(0, 6);
    // CPython: r = random.Random(1234); print([r.sample(range(6), 3) for _ in range(3)]) → [[3,0,4],[0,4,5],[5,0,4]]
    const s = new FewshotSampler(six, 3);
    expect(sampledShots(s, 0, six[0]!, 2, true)).toEqual([six[3], six[4]]);
    expect(sampledShots(s, 1, six[1]!, 2, true)).toEqual([six[0], six[4]]);
    expect(sampledShots(s, 2, { ...six[5]! }, 2, true)).toEqual([six[0], six[4]]);
    expect(() => sampledShots(s, 0, six[0]!, 3, true)).toThrow(/sampler draws 3 documents, 4 needed/);
  });
  it('zero shots draw nothing', () => {
    const s = new FewshotSampler(docs, 0);
    expect(sampledShots(s, 5, docs[0]!, 0, false)).toEqual([]);
  });
  it('fails like the harness when there are fewer documents than the draw', () => {
    expect(() => new FewshotSampler(docs.slice(0, 4), 5)).toThrow(/5 few-shot documents asked for, only 4 given/);
    try {
      new FewshotSampler(docs.slice(0, 4), 5);
    } catch (e) {
      expect((e as EvalError).code).toBe('NOT_ENOUGH_SHOTS');
    }
    expect(() => new FewshotSampler(docs, 5).drawAt(-1)).toThrow(EvalError);
  });
  it('sharedSampler keeps one generator per documents array, seed and size', () => {
    expect(sharedSampler(docs, 5)).toBe(sharedSampler(docs, 5));
    expect(sharedSampler(docs, 5)).not.toBe(sharedSampler(docs, 4));
    expect(sharedSampler(docs, 5)).not.toBe(sharedSampler([...docs], 5));
  });
  it('first_n and document equality', () => {
    expect(firstShots(['a', 'b', 'c'], 2, 'x')).toEqual(['a', 'b']);
    expect(() => firstShots(['a'], 2, 'the list')).toThrow(/2 shots asked for, the list has 1/);
    expect(sameDoc({ a: 1, b: 'x' }, { a: 1, b: 'x' })).toBe(true);
    expect(sameDoc({ a: 1, b: 'x' }, { a: 1, b: 'y' })).toBe(false);
  });
});
