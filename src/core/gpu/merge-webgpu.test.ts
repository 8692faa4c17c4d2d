// The WebGPU merge kernel against its CPU twin, bit for bit, for every op × input dtypes × output
// dtype. Runs on whatever adapter Dawn finds (SwiftShader on CI). Without an adapter the first test
// FAILS, unless RVS_ALLOW_NO_GPU=1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToF32, dtypeSize, encodeFromF32, FLOAT_DTYPES, type FloatDtype } from '../dtype.ts';
import { runCpuKernel } from '../merge/cpu-kernel.ts';
import { addStats, emptyStats, SHAPE_INPUTS, SHAPES, type ChunkStats, type KernelBackend, type KernelResult, type KernelTask, type ShapeName } from '../merge/kernel.ts';
import { randomTask } from '../merge/kernel-testing.ts';

/** A task of one of the paper's shapes, with its name and α kept for the messages and the subnormal mask. */
type OpTask = KernelTask & { readonly op: ShapeName; readonly alpha: number };
import { loadShaders, openNodeGpu, type NodeGpu } from '../../node/webgpu.ts';
import { chunkLimit, createWebGpuBackend, dispatchSize, GpuKernelError, planPasses } from './merge-webgpu.ts';
import { mulberry32 } from '../testing/random.ts';

let openError: unknown = null;
const gpu: NodeGpu | null = await openNodeGpu().catch((e: unknown) => ((openError = e), null));
const shaders = await loadShaders();
afterAll(() => gpu?.device.destroy());

it('finds a WebGPU adapter (RVS_ALLOW_NO_GPU=1 allows running without one)', () => {
  if (!gpu && process.env.RVS_ALLOW_NO_GPU !== '1') {
    throw new Error(`no WebGPU adapter (is SwiftShader's ICD installed?)${openError ? `: ${String(openError)}` : ''}`);
  }
});

// ---- Data ---------------------------------------------------------------------------------------

const ALPHAS = [0, 1, -1, 0.5, 1.7, -2, 1e-3].map(Math.fround);
const SMALL_COUNTS = [1, 3, 255, 257];
const BIG_COUNT = 1_000_003;

/** Raw bit patterns worth meeting in every role: signed zeros, infinities, NaN payloads, extremes, subnormals, ties. */
const SPECIALS: Record<FloatDtype, readonly number[]> = {
  F32: [
    0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001, // ±0, ±Inf, NaNs (signalling too)
    0x7f7fffff, 0xff7fffff, 0x00800000, 0x80800000, // largest and smallest normals
    0x00000001, 0x807fffff, 0x00010000, // float32 subnormals (the last one is a bfloat16 subnormal)
    0x3f800000, 0xbf800000, 0x3c23d70a, 0xc2f6e979, 0x4b800000, // 1, −1, 0.01, −123.456, 2^24
    0x477fe000, 0x477fefff, 0x477ff000, 0xc77ff000, // float16 overflow edge: 65504, just below 65520, 65520, −65520
    0x38800000, 0x387fc000, 0x33000000, 0x33000001, 0x33c00000, // float16 smallest normal, subnormal, ties at 2^-25, 3·2^-25
    0x3f808000, 0x3f818000, 0x3f808001, 0x7f7f8000, 0x7f7f7fff, // bfloat16 ties (to even, up), above a tie, tie to Inf
    0x3f801000, 0x3f803000, 0x3f801001, 0x477ff001, // float16 ties (to even, up), above a tie, above 65520
  ],
  BF16: [
    0x0000, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0xffc1, 0x7f81, // ±0, ±Inf, NaNs
    0x7f7f, 0xff7f, 0x0080, 0x8080, 0x0001, 0x807f, // extremes, subnormals
    0x3f80, 0xbf80, 0x3f81, 0x4780, 0x477f, 0x3380, 0x3c24, 0xc2f7,
  ],
  F16: [
    0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7d01, 0xfe01, // ±0, ±Inf, NaNs
    0x7bff, 0xfbff, 0x0400, 0x8400, 0x0001, 0x03ff, 0x8001, 0x0200, // extremes, subnormals
    0x3c00, 0xbc00, 0x3c01, 0x3555, 0x211f,
  ],
};

const rng = mulberry32;

function gaussians(next: () => number, n: number, sigma: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = (next() + 1) / 4294967297;
    out[i] = sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * next()) / 4294967296);
  }
  return out;
}

function encode(dtype: FloatDtype, values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * dtypeSize(dtype));
  encodeFromF32(dtype, values, values.length, out);
  return out;
}

/** Model-like weights per role (target, sft, grpo / vector): s ~ N(0, 0.02), g and t close to s, some d = 0. */
function weights(n: number, seed: number): Float32Array[] {
  const next = rng(seed);
  const s = gaussians(next, n, 0.02);
  const g = s.map((x, i) => (i % 10 === 3 ? x : x + 1e-3 * Math.cos(i * 0.37 + seed)));
  const t = s.map((x, i) => x + 5e-4 * Math.sin(i * 0.11));
  return [t, s, g];
}

/** Per role and dtype: specials crossed between roles, raw random bits, and weights, interleaved. */
function mixed(dtype: FloatDtype, role: number, n: number): Uint8Array {
  const size = dtypeSize(dtype);
  const specials = SPECIALS[dtype];
  const next = rng(1000 + role * 17 + size);
  const w = encode(dtype, bigWeights()[role]!.subarray(0, n));
  const bytes = new Uint8Array(n * size);
  const view = new DataView(bytes.buffer);
  const put = (i: number, bits: number) => (size === 4 ? view.setUint32(i * 4, bits, true) : view.setUint16(i * 2, bits & 0xffff, true));
  for (let i = 0; i < n; i++) {
    const k = i >> 2;
    if (i % 4 === 0) put(i, specials[(k * (2 * role + 1) + 5 * role) % specials.length]!);
    else if (i % 4 === 1) put(i, next());
    else bytes.set(w.subarray(i * size, (i + 1) * size), i * size);
  }
  return bytes;
}

let weightsCache: Float32Array[] | undefined;
const bigWeights = () => (weightsCache ??= weights(BIG_COUNT, 7));

const cache = new Map<string, Uint8Array>();
function pool(kind: 'mixed' | 'weights', dtype: FloatDtype, role: number): Uint8Array {
  const key = `${kind}/${dtype}/${role}`;
  let bytes = cache.get(key);
  if (!bytes) {
    bytes = kind === 'mixed' ? mixed(dtype, role, BIG_COUNT) : encode(dtype, bigWeights()[role]!);
    cache.set(key, bytes);
  }
  return bytes;
}

/** Roles of each op's inputs in the data pools: 0 target, 1 sft, 2 grpo (or vector). */
const ROLES: Record<ShapeName, number[]> = { merge: [0, 1, 2], extract: [1, 2], apply: [0, 2], copy: [0] };

function inputsFor(kind: 'mixed' | 'weights', op: ShapeName, dtypes: readonly FloatDtype[], count: number): Uint8Array[] {
  return dtypes.map((dtype, i) => pool(kind, dtype, ROLES[op][i]!).subarray(0, count * dtypeSize(dtype)));
}

// ---- The CPU twin and comparisons ---------------------------------------------------------------

const cpu = (task: KernelTask, inputs: readonly Uint8Array[]): KernelResult => runCpuKernel(task, inputs);

const isSubnormal = (x: number) => x !== 0 && Math.abs(x) < 2 ** -126;

/**
 * Elements whose arithmetic meets a float32 subnormal (as an operand or a result). Devices may flush
 * those to zero (WGSL allows it; SwiftShader does, see the test below); the CPU twin keeps them.
 * Pure bit moves (copy, "p == 0 keeps t", decode, encode) are exact everywhere and never excluded.
 */
function subnormalArithmetic(task: OpTask, inputs: readonly Uint8Array[]): Uint8Array {
  const { count, op } = task;
  const alpha = Math.fround(task.alpha);
  const x = inputs.map((bytes, i) => {
    const out = new Float32Array(count);
    decodeToF32(task.inputDtypes[i]!, bytes, count, out);
    return out;
  });
  const mask = new Uint8Array(count);
  const scaled = (t: number, d: number) => {
    const p = Math.fround(alpha * d);
    return isSubnormal(d) || isSubnormal(p) || (p !== 0 && (isSubnormal(t) || isSubnormal(Math.fround(t + p))));
  };
  for (let i = 0; i < count; i++) {
    if (op === 'extract') {
      const [s, g] = [x[0]![i]!, x[1]![i]!];
      mask[i] = Number(isSubnormal(s) || isSubnormal(g) || isSubnormal(Math.fround(g - s)));
    } else if (op === 'apply') {
      mask[i] = Number(scaled(x[0]![i]!, x[1]![i]!));
    } else if (op === 'merge') {
      const [t, s, g] = [x[0]![i]!, x[1]![i]!, x[2]![i]!];
      mask[i] = Number(isSubnormal(s) || isSubnormal(g) || scaled(t, Math.fround(g - s)));
    }
  }
  return mask;
}

const hex = (bits: number, size: number) => `0x${bits.toString(16).padStart(size * 2, '0')}`;

/** Expects `gpuOut` to equal the CPU twin's output bit for bit; returns the twin's result. */
function expectSameAsCpu(task: OpTask | (KernelTask & { op?: undefined; alpha?: undefined }), inputs: readonly Uint8Array[], gpuOut: Uint8Array, flushes: boolean): KernelResult {
  const ref = cpu(task, inputs);
  expect(gpuOut.byteLength).toBe(ref.output.byteLength);
  const size = dtypeSize(task.outDtype);
  const Words = size === 4 ? Uint32Array : Uint16Array;
  const a = new Words(gpuOut.slice().buffer, 0, task.count);
  const b = new Words(ref.output.slice().buffer, 0, task.count);
  const skip = flushes && task.op !== undefined ? subnormalArithmetic(task as OpTask, inputs) : null;
  // The exclusion must stay the exception: a quarter of the elements are raw bits, spread over all
  // exponents, and up to ~10% of all elements then meet a subnormal operand, product or sum.
  if (skip && task.count >= 1000) expect(skip.reduce((n, x) => n + x, 0) / task.count).toBeLessThan(0.12);
  const wrong: string[] = [];
  for (let i = 0; i < task.count && wrong.length < 5; i++) {
    if (a[i] !== b[i] && !skip?.[i]) {
      const ins = inputs.map((bytes, k) => {
        const s = dtypeSize(task.inputDtypes[k]!);
        const v = new DataView(bytes.buffer, bytes.byteOffset);
        return hex(s === 4 ? v.getUint32(i * 4, true) : v.getUint16(i * 2, true), s);
      });
      wrong.push(`[${i}] inputs ${ins.join(' ')}: gpu ${hex(a[i]!, size)}, cpu ${hex(b[i]!, size)}`);
    }
  }
  expect(wrong, `${task.op ?? JSON.stringify(task.terms)} ${task.inputDtypes.join(',')}→${task.outDtype} α=${task.alpha} n=${task.count}`).toEqual([]);
  return ref;
}

function close(gpuValue: number, cpuValue: number, rel = 1e-5): boolean {
  if (Object.is(gpuValue, cpuValue) || gpuValue === cpuValue) return true;
  return Math.abs(gpuValue - cpuValue) <= rel * Math.abs(cpuValue);
}

function expectStatsClose(actual: ChunkStats | null, expected: ChunkStats | null): void {
  expect(actual === null).toBe(expected === null);
  if (!actual || !expected) return;
  const { count, zerosV, maxAbsV } = expected;
  expect({ count: actual.count, zerosV: actual.zerosV, maxAbsV: actual.maxAbsV }).toEqual({ count, zerosV, maxAbsV });
  expect(close(actual.sumSqV, expected.sumSqV), `sumSqV gpu ${actual.sumSqV} cpu ${expected.sumSqV}`).toBe(true);
  expect(close(actual.sumSqRef, expected.sumSqRef), `sumSqRef gpu ${actual.sumSqRef} cpu ${expected.sumSqRef}`).toBe(true);
}

// ---- Harness: a validation error scope around each test, buffers destroyed after --------------

async function withBackend(fn: (backend: KernelBackend, g: NodeGpu) => Promise<void>, options?: { maxChunkElements?: number; maxWorkgroupsPerDimension?: number }): Promise<void> {
  const g = gpu!;
  g.device.pushErrorScope('validation');
  const backend = createWebGpuBackend(g.device, shaders, { label: 'test', ...options });
  try {
    await fn(backend, g);
  } finally {
    await backend.dispose();
    const error = await g.device.popErrorScope();
    expect(error?.message ?? null).toBeNull();
  }
}

function task(op: ShapeName, inputDtypes: readonly FloatDtype[], outDtype: FloatDtype, count: number, alpha = 1, extra: Partial<KernelTask> = {}): OpTask {
  return { ...SHAPES[op](alpha), op, alpha: Math.fround(alpha), inputDtypes, outDtype, count, stats: op !== 'copy', output: true, ...extra };
}

function dtypeCombos(n: number): FloatDtype[][] {
  return n === 0 ? [[]] : dtypeCombos(n - 1).flatMap((rest) => FLOAT_DTYPES.map((d) => [...rest, d]));
}

const OPS: ShapeName[] = ['merge', 'extract', 'apply', 'copy'];
const comboOf = (op: ShapeName, ins: FloatDtype[], out: FloatDtype) => ({ name: `${op} ${ins.join(',')} → ${out}`, op, ins, out });
const COMBOS = OPS.flatMap((op) => dtypeCombos(SHAPE_INPUTS[op]).flatMap((ins) => FLOAT_DTYPES.map((out) => comboOf(op, ins, out))));
const STATS_COMBOS = OPS.filter((op) => op !== 'copy').flatMap((op) => dtypeCombos(SHAPE_INPUTS[op]).map((ins, i) => comboOf(op, ins, FLOAT_DTYPES[i % 3]!)));

// ---- Tests --------------------------------------------------------------------------------------

describe.skipIf(!gpu)(`WebGPU merge kernel on ${gpu?.adapterName ?? 'no adapter'}`, () => {
  /** Whether the device flushes float32 subnormals in arithmetic (found out, not assumed). */
  let flushes = false;
  let probe: number[] = [];

  beforeAll(async () => {
    // 3·2^-149 − 2^-149 = 2^-148;  (2^-126 + 2^-149) − 2^-126 = 2^-149.
    const bits = (...w: number[]) => new Uint8Array(new Uint32Array(w).buffer);
    await withBackend(async (backend) => {
      const r = await backend.run(task('extract', ['F32', 'F32'], 'F32', 2), [bits(0x00000001, 0x00800000), bits(0x00000003, 0x00800001)]);
      probe = [...new Uint32Array(r.output.buffer)];
    });
    flushes = probe[0] !== 0x00000002 || probe[1] !== 0x00000001;
  });

  it('reports whether float32 subnormals survive arithmetic; copies keep them regardless', async () => {
    console.info(`${gpu!.adapterName}: float32 subnormals are ${flushes ? 'FLUSHED to zero in arithmetic (excluded from bit-exact checks)' : 'kept'}`);
    expect(probe).toEqual(flushes ? [0, 0] : [0x00000002, 0x00000001]);
    await withBackend(async (backend) => {
      const bits = (...w: number[]) => new Uint8Array(new Uint32Array(w).buffer);
      const copied = await backend.run(task('copy', ['F32'], 'F32', 3), [bits(0x00000001, 0x807fffff, 0x00010000)]);
      expect([...new Uint32Array(copied.output.buffer)]).toEqual([0x00000001, 0x807fffff, 0x00010000]);
    });
  });

  it('does not fuse α·d + t into an FMA', async () => {
    await withBackend(async (backend) => {
      // α = d = 1 + 2^-12: α·d = 1 + 2^-11 + 2^-24 rounds to 1 + 2^-11, so t + p = 0 exactly;
      // a fused multiply-add would keep the 2^-24.
      const a = Math.fround(1 + 2 ** -12);
      const f32 = (x: number) => new Uint8Array(new Float32Array([x]).buffer);
      const t = f32(-(1 + 2 ** -11));
      const merged = await backend.run(task('merge', ['F32', 'F32', 'F32'], 'F32', 1, a), [t, f32(0), f32(a)]);
      const applied = await backend.run(task('apply', ['F32', 'F32'], 'F32', 1, a), [t, f32(a)]);
      expect([new Float32Array(merged.output.buffer)[0], new Float32Array(applied.output.buffer)[0]]).toEqual([0, 0]);
    });
  });

  // Every op × input dtypes × output dtype, without statistics (their pipelines compile ~10× faster).
  describe.each(COMBOS)('$name', ({ name, op, ins, out }) => {
    const combo = COMBOS.findIndex((c) => c.name === name);
    const alphas = op === 'copy' ? [1] : ALPHAS;

    it('matches the CPU twin bit for bit on specials, raw bits and weights', async () => {
      await withBackend(async (backend) => {
        for (const count of SMALL_COUNTS) {
          for (const alpha of alphas) {
            const t = task(op, ins, out, count, alpha, { stats: false });
            const inputs = inputsFor('mixed', op, ins, count);
            expectSameAsCpu(t, inputs, (await backend.run(t, inputs)).output, flushes);
          }
        }
        const t = task(op, ins, out, BIG_COUNT, ALPHAS[combo % ALPHAS.length], { stats: false });
        const inputs = inputsFor('mixed', op, ins, BIG_COUNT);
        expectSameAsCpu(t, inputs, (await backend.run(t, inputs)).output, flushes);
      });
    });
  });

  // Statistics depend on the op and the input dtypes, not on the output dtype: one output dtype each.
  describe.each(STATS_COMBOS)('$name with statistics', ({ name, op, ins, out }) => {
    const combo = STATS_COMBOS.findIndex((c) => c.name === name);

    it('matches the CPU twin: output bit for bit, statistics within 1e-5', async () => {
      await withBackend(async (backend) => {
        for (const count of [1, 255, 4097, BIG_COUNT]) {
          const t = task(op, ins, out, count, ALPHAS[(combo + count) % ALPHAS.length]);
          const inputs = inputsFor('weights', op, ins, count);
          const result = await backend.run(t, inputs);
          expectStatsClose(result.stats, expectSameAsCpu(t, inputs, result.output, flushes).stats);
        }
        // Specials and raw bits: outputs only (float32 sums of squares of ~1e38 overflow, the CPU's float64 ones do not).
        for (const count of [3, 257, 65_537]) {
          const t = task(op, ins, out, count, ALPHAS[combo % ALPHAS.length]);
          const inputs = inputsFor('mixed', op, ins, count);
          expectSameAsCpu(t, inputs, (await backend.run(t, inputs)).output, flushes);
        }
      });
    });
  });

  it('composes several terms in one fold, and in several passes past six inputs, bit for bit with the CPU twin', async () => {
    /** Normal float32 values of both signs (no subnormal operand or result to be flushed). */
    const values = (dtype: FloatDtype, count: number, seed: number) => {
      const next = rng(seed);
      const f = new Float32Array(count);
      for (let i = 0; i < count; i++) f[i] = ((next() % 2 ? 1 : -1) * (1 + (next() % 100000))) / 1000;
      return encode(dtype, f);
    };
    await withBackend(async (backend) => {
      let passes = 0;
      for (let seed = 1; seed <= 24; seed++) {
        const t = randomTask(seed, [1, 2, 1023, 4097, 65_537][seed % 5]!, seed % 3 === 0 ? 11 : 5);
        if (planPasses(t).length > 1) passes++;
        const inputs = t.inputDtypes.map((d, i) => values(d, t.count, seed * 13 + i));
        const result = await backend.run(t, inputs);
        expectStatsClose(result.stats, expectSameAsCpu(t, inputs, result.output, false).stats);
      }
      expect(passes).toBeGreaterThanOrEqual(3);
    });
  }, 600_000);

  it('gives the same results with many small chunks in flight at once', async () => {
    await withBackend(
      async (backend) => {
        expect(backend.maxChunkElements).toBe(64);
        for (const [op, ins, out, count] of [
          ['merge', ['BF16', 'F16', 'F32'], 'BF16', 999],
          ['extract', ['F16', 'BF16'], 'F32', 1000],
          ['apply', ['F32', 'BF16'], 'F16', 777],
        ] as const) {
          const whole = task(op, ins, out, count, 1.7);
          const inputs = inputsFor('weights', op, ins, count);
          const chunks = [];
          for (let start = 0; start < count; start += 64) {
            const n = Math.min(64, count - start);
            chunks.push(backend.run({ ...whole, count: n }, inputs.map((b, i) => b.subarray(start * dtypeSize(ins[i]!), (start + n) * dtypeSize(ins[i]!)))));
          }
          const results = await Promise.all(chunks);
          const output = new Uint8Array(count * dtypeSize(out));
          const stats = emptyStats();
          results.forEach((r, k) => {
            output.set(r.output, k * 64 * dtypeSize(out));
            addStats(stats, r.stats!);
          });
          expectStatsClose(stats, expectSameAsCpu(whole, inputs, output, flushes).stats);
        }
      },
      { maxChunkElements: 64 },
    );
  });

  it('folds more than maxComputeWorkgroupsPerDimension workgroups into a 2-D dispatch', async () => {
    // 7 workgroups of 4096 elements with at most 4 per dimension: 4 × 2, one of them idle.
    const count = 6 * 4096 + 7;
    expect(dispatchSize(count, 4)).toEqual([4, 2]);
    expect(dispatchSize(count, 65_535)).toEqual([7, 1]);
    await withBackend(
      async (backend) => {
        for (const [op, ins, out] of [
          ['merge', ['BF16', 'BF16', 'BF16'], 'BF16'],
          ['apply', ['F16', 'F32'], 'F16'],
        ] as const) {
          const t = task(op, ins, out, count, 0.5);
          const inputs = inputsFor('weights', op, ins, count);
          const result = await backend.run(t, inputs);
          expectStatsClose(result.stats, expectSameAsCpu(t, inputs, result.output, flushes).stats);
        }
      },
      { maxWorkgroupsPerDimension: 4 },
    );
  });

  it('keeps ±Inf and NaN in the statistics as the CPU twin does', async () => {
    await withBackend(async (backend) => {
      const f32 = (...x: number[]) => new Uint8Array(new Float32Array(x).buffer);
      const s = f32(0, -0, 1, 2, 3, -4, 0.5, 7);
      for (const g of [f32(0, 1, Infinity, 2, 3, 4, -0.5, 7), f32(0, 1, NaN, 2, -Infinity, 4, 0.5, 6), f32(0, 1, 2.5, 2, 3, 4, 0.5, NaN)]) {
        for (const t of [task('extract', ['F32', 'F32'], 'BF16', 8), task('merge', ['F32', 'F32', 'F32'], 'F16', 8, -2), task('apply', ['F32', 'F32'], 'F32', 8)]) {
          const inputs = t.op === 'merge' ? [s, s, g] : [s, g];
          const result = await backend.run(t, inputs);
          expectStatsClose(result.stats, expectSameAsCpu(t, inputs, result.output, false).stats);
        }
      }
    });
  });

  it('runs statistics only, output only, empty chunks and copies with statistics', async () => {
    await withBackend(async (backend) => {
      const ins = ['F16', 'BF16', 'F32'] as const;
      const inputs = inputsFor('weights', 'merge', ins, 1001);
      const ref = cpu(task('merge', ins, 'BF16', 1001, 0.5), inputs);
      const statsOnly = await backend.run(task('merge', ins, 'BF16', 1001, 0.5, { output: false }), inputs);
      expect(statsOnly.output.byteLength).toBe(0);
      expectStatsClose(statsOnly.stats, ref.stats);
      const outputOnly = await backend.run(task('merge', ins, 'BF16', 1001, 0.5, { stats: false }), inputs);
      expect(outputOnly.stats).toBeNull();
      expect(outputOnly.output).toEqual(ref.output);
      expect(await backend.run(task('apply', ['F32', 'F32'], 'F16', 0), [new Uint8Array(0), new Uint8Array(0)])).toEqual({
        output: new Uint8Array(0),
        stats: { count: 0, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zerosV: 0 },
      });
      const copyInputs = inputsFor('weights', 'copy', ['BF16'], 9);
      const copied = await backend.run(task('copy', ['BF16'], 'F32', 9, 1, { stats: true }), copyInputs);
      expect(copied).toEqual(cpu(task('copy', ['BF16'], 'F32', 9, 1, { stats: true }), copyInputs));
    });
  });

  it('derives the chunk limit from the device limits', () => {
    const limits = { maxStorageBufferBindingSize: 128 << 20, maxBufferSize: 256 << 20 } as GPUSupportedLimits;
    expect(chunkLimit(limits)).toBe(1 << 23);
    expect(chunkLimit(limits, 1 << 30)).toBe(32 << 20);
    expect(chunkLimit(limits, 1001)).toBe(1000);
    const backend = createWebGpuBackend(gpu!.device, shaders);
    expect(backend.maxChunkElements).toBe(Math.min(1 << 23, gpu!.device.limits.maxStorageBufferBindingSize / 4));
    return backend.dispose();
  });

  describe('errors', () => {
    const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof GpuKernelError ? e.code : String(e)));

    it('INVALID_TASK: wrong inputs, too many elements, short input', async () => {
      await withBackend(
        async (backend) => {
          const two = [new Uint8Array(8), new Uint8Array(8)];
          expect(await code(backend.run(task('merge', ['F32', 'F32'], 'F32', 2), two))).toBe('INVALID_TASK');
          expect(await code(backend.run(task('apply', ['F32', 'F32'], 'F32', 65), two))).toBe('INVALID_TASK');
          expect(await code(backend.run(task('apply', ['F32', 'F32'], 'F32', 3), two))).toBe('INVALID_TASK');
          expect(await code(backend.run(task('apply', ['F32', 'F32'], 'F32', 1.5), two))).toBe('INVALID_TASK');
        },
        { maxChunkElements: 64 },
      );
    });

    it('SHADER_COMPILATION and PIPELINE_CREATION', async () => {
      const device = gpu!.device;
      const broken = createWebGpuBackend(device, { ...shaders, merge: `${shaders.merge}\nfn oops( {` });
      expect(await code(broken.run(task('copy', ['F32'], 'F32', 2), [new Uint8Array(8)]))).toBe('SHADER_COMPILATION');
      await broken.dispose();
      // Compiles, but has none of the override constants the pipeline sets.
      const bare = createWebGpuBackend(device, { merge: '@compute @workgroup_size(1) fn main() {}' });
      expect(await code(bare.run(task('copy', ['F32'], 'F32', 2), [new Uint8Array(8)]))).toBe('PIPELINE_CREATION');
      await bare.dispose();
    });

    it('DISPOSED and DEVICE_LOST', async () => {
      const disposed = createWebGpuBackend(gpu!.device, shaders);
      await disposed.dispose();
      expect(await code(disposed.run(task('copy', ['F32'], 'F32', 2), [new Uint8Array(8)]))).toBe('DISPOSED');
      const other = (await openNodeGpu())!;
      const backend = createWebGpuBackend(other.device, shaders);
      other.device.destroy();
      await other.device.lost;
      expect(await code(backend.run(task('copy', ['F32'], 'F32', 2), [new Uint8Array(8)]))).toBe('DEVICE_LOST');
      await backend.dispose();
    });
  });
});
