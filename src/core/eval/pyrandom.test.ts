import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PyRandom } from './pyrandom.ts';

/*
 * Reference values. The first block is the published MT19937 reference output (Matsumoto &
 * Nishimura's mt19937ar.out, init_by_array({0x123, 0x234, 0x345, 0x456})). Every other vector was
 * printed by CPython 3.11.7 (and checked identical on 3.8.18, 3.9.18, 3.10.13, 3.12.1, 3.13.0) with
 * the `python3 -c '...'` command quoted beside it; `import random` is implied.
 */

describe('MT19937 core', () => {
  it('matches mt19937ar.out for init_by_array({0x123, 0x234, 0x345, 0x456})', () => {
    // CPython seeds with an int's 32-bit words, least significant first, so this int is that key.
    const r = new PyRandom((0x456n << 96n) | (0x345n << 64n) | (0x234n << 32n) | 0x123n);
    const out = Array.from({ length: 10 }, () => r.nextUint32());
    expect(out).toEqual([1067595299, 955945823, 477289528, 4107218783, 4228976476, 3344332714, 3355579695, 227628506, 810200273, 2591290167]);
  });

  it('seeds from an int as CPython does (abs value, [0] for zero, multi-word)', () => {
    const draw = (seed: number | bigint) => {
      const r = new PyRandom(seed);
      return [r.nextUint32(), r.nextUint32(), r.nextUint32()];
    };
    // r = random.Random(1234); print([r.getrandbits(32) for _ in range(5)])
    const r = new PyRandom(1234);
    expect(Array.from({ length: 5 }, () => Number(r.getrandbits(32)))).toEqual([4150886329, 3342196574, 1892932127, 501869158, 32175636]);
    // r = random.Random(0); print([r.getrandbits(32) for _ in range(3)])
    expect(draw(0)).toEqual([3626764237, 1654615998, 3255389356]);
    // r = random.Random(-1234); ... (the sign is dropped)
    expect(draw(-1234)).toEqual([4150886329, 3342196574, 1892932127]);
    // r = random.Random(2**64+5); ...
    expect(draw(2n ** 64n + 5n)).toEqual([2192917427, 3085273184, 3778534651]);
  });
});

describe('random.Random methods', () => {
  it('random()', () => {
    // r = random.Random(1234); print(repr(r.random()), repr(r.random()))
    const r = new PyRandom(1234);
    expect([r.random(), r.random()]).toEqual([0.9664535356921388, 0.4407325991753527]);
  });

  it('getrandbits across word boundaries', () => {
    // r = random.Random(42); print(r.getrandbits(1), r.getrandbits(33), r.getrandbits(64), r.getrandbits(100))
    const r = new PyRandom(42);
    expect([r.getrandbits(1), r.getrandbits(33), r.getrandbits(64), r.getrandbits(100)]).toEqual([
      1n,
      478163327n,
      5073395517033431291n,
      882565121070403957190206503824n,
    ]);
  });

  it('_randbelow', () => {
    // r = random.Random(7); print([r._randbelow(n) for n in (1,2,3,10,1000,2**31,2**32+1,2**53-1)])
    const r = new PyRandom(7);
    const ns = [1, 2, 3, 10, 1000, 2 ** 31, 2 ** 32 + 1, 2 ** 53 - 1];
    expect(ns.map((n) => r.randbelow(n))).toEqual([0, 0, 1, 0, 74, 404285457, 2179419893, 774142246342872]);
  });

  it('sample: set branch, the same generator drawn again and again (the harness reuses it per document)', () => {
    // r = random.Random(1234); print(r.sample(range(7473),5)); print(r.sample(range(7473),5))
    const r = new PyRandom(1234);
    expect(r.sampleIndices(7473, 5)).toEqual([6374, 3610, 957, 61, 742]);
    expect(r.sampleIndices(7473, 5)).toEqual([7462, 6610, 4769, 286, 5501]);
    // r = random.Random(1234); print([r.sample(range(7473), 8) for _ in range(3)])
    const s = new PyRandom(1234);
    expect([s.sampleIndices(7473, 8), s.sampleIndices(7473, 8), s.sampleIndices(7473, 8)]).toEqual([
      [6374, 3610, 957, 61, 742, 7462, 6610, 4769],
      [286, 5501, 5677, 687, 806, 6279, 2905, 1939],
      [142, 252, 6461, 129, 2835, 5311, 5105, 3966],
    ]);
    // r = random.Random(1234); print(r.sample(range(1000), 10))
    expect(new PyRandom(1234).sampleIndices(1000, 10)).toEqual([989, 796, 451, 119, 7, 92, 932, 965, 961, 826]);
  });

  it('sample: pool branch and its boundary (k=10: pool up to n=85, set from n=86)', () => {
    // r = random.Random(1234); print(r.sample(range(85), 10)) / the same with range(86)
    expect(new PyRandom(1234).sampleIndices(85, 10)).toEqual([56, 14, 0, 11, 74, 4, 10, 12, 45, 30]);
    expect(new PyRandom(1234).sampleIndices(86, 10)).toEqual([56, 14, 0, 11, 74, 4, 85, 10, 12, 45]);
    // r = random.Random(99); print(r.sample(range(20), 20)); print(r.sample(range(30), 6)) (fresh generators)
    expect(new PyRandom(99).sampleIndices(20, 20)).toEqual([12, 19, 6, 5, 7, 3, 2, 18, 1, 4, 17, 8, 11, 10, 14, 15, 16, 13, 0, 9]);
    expect(new PyRandom(99).sampleIndices(30, 6)).toEqual([12, 29, 6, 19, 5, 7]);
    // r = random.Random(99); print(r.sample(range(200), 50))
    expect(new PyRandom(99).sampleIndices(200, 50)).toEqual([
      103, 97, 51, 153, 45, 58, 63, 34, 22, 64, 186, 98, 135, 175, 179, 137, 191, 159, 125, 197, 107, 156, 150, 55, 95, 99, 54, 38, 118, 169, 195, 145, 86,
      21, 187, 183, 120, 80, 199, 10, 68, 142, 1, 108, 52, 92, 136, 20, 171, 132,
    ]);
  });

  it('sample picks elements, not positions, and rejects k out of range', () => {
    const words = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    // random.Random(1234).sample(range(10), 3) == [7, 1, 0]
    expect(new PyRandom(1234).sample(words, 3)).toEqual(['h', 'b', 'a']);
    expect(() => new PyRandom(1).sample(words, 11)).toThrow(/larger than population/);
    expect(() => new PyRandom(1).sample(words, -1)).toThrow(RangeError);
  });

  it('shuffle', () => {
    // r = random.Random(5); x=list(range(10)); r.shuffle(x); print(x)
    const x = Array.from({ length: 10 }, (_, i) => i);
    new PyRandom(5).shuffle(x);
    expect(x).toEqual([2, 3, 1, 0, 8, 7, 6, 5, 4, 9]);
  });

  it('sample returns k distinct members, randbelow stays below n (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 300 }), (seed, n, kRaw) => {
        const k = kRaw % (n + 1);
        const r = new PyRandom(seed);
        const s = r.sampleIndices(n, k);
        expect(new Set(s).size).toBe(k);
        expect(s.every((i) => i >= 0 && i < n)).toBe(true);
        expect(r.randbelow(n)).toBeLessThan(n);
      }),
      { numRuns: 200 },
    );
  });
});
