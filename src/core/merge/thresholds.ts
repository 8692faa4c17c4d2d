/**
 * Per-tensor magnitude thresholds for ties and breadcrumbs, by a streaming selection: no sort, no
 * copy of the tensor. Two passes over the tensor's chunks: a histogram of the high 16 bits of |d|'s
 * float32 bits (for non-negative floats bit order is value order) finds the bucket of each wanted
 * rank, a second histogram of the low 16 bits inside those buckets finds the exact value. Memory:
 * two 65,536-bin histograms per term, whatever the tensor's size.
 *
 * Ranks are ascending, 0-based. ties keeps the k largest: |d| ≥ value at rank N − k (all entries
 * equal to the threshold are kept, where mergekit's unstable sort keeps an arbitrary subset of
 * them). breadcrumbs keeps ranks [n_bot, N − n_top): value(n_bot) ≤ |d| < value(N − n_top), entries
 * equal to a threshold on the kept side of it.
 */
import { decodeToF32, dtypeSize, f32FromBits } from '../dtype.ts';
import type { KernelTerm, TermKeep } from './kernel.ts';
import type { TensorJob, TermSelect } from './plan.ts';

const CHUNK = 1 << 20;

/** d of each selecting term, chunk by chunk, as float32 bits of |d|. */
async function forEachChunk(job: TensorJob, terms: readonly number[], visit: (term: number, bits: Uint32Array, n: number) => void): Promise<void> {
  const x = job.inputs.map(() => new Float32Array(Math.min(CHUNK, job.count)));
  const abs = new Float32Array(Math.min(CHUNK, job.count));
  const bits = new Uint32Array(abs.buffer);
  for (let start = 0; start < job.count; start += CHUNK) {
    const n = Math.min(CHUNK, job.count - start);
    await Promise.all(
      job.inputs.map(async (loc, i) => {
        const size = dtypeSize(loc.info.dtype);
        const bytes = await loc.shard.source.read(loc.shard.header.dataStart + loc.info.begin + start * size, n * size);
        decodeToF32(loc.info.dtype as Parameters<typeof decodeToF32>[0], bytes, n, x[i]!);
      }),
    );
    for (const k of terms) {
      const t = job.terms[k]!;
      const p = x[t.plus]!;
      const m = t.minus === null ? null : x[t.minus]!;
      for (let j = 0; j < n; j++) abs[j] = Math.abs(m ? p[j]! - m[j]! : p[j]!);
      visit(k, bits, n);
    }
  }
}

/** The values at ascending ranks of |d| for each term (ranks[term] lists that term's ranks). */
export async function selectRanks(job: TensorJob, ranks: ReadonlyMap<number, readonly number[]>): Promise<Map<number, number[]>> {
  const terms = [...ranks.keys()];
  const high = new Map(terms.map((k) => [k, new Uint32Array(65536)]));
  await forEachChunk(job, terms, (k, bits, n) => {
    const h = high.get(k)!;
    for (let j = 0; j < n; j++) h[bits[j]! >>> 16]!++;
  });
  // For each rank: its bucket and its rank inside the bucket.
  const wanted = new Map<number, { bucket: number; inner: number }[]>();
  for (const k of terms) {
    const h = high.get(k)!;
    wanted.set(
      k,
      ranks.get(k)!.map((rank) => {
        let before = 0;
        for (let b = 0; b < 65536; b++) {
          if (before + h[b]! > rank) return { bucket: b, inner: rank - before };
          before += h[b]!;
        }
        throw new RangeError(`rank ${rank} past the tensor's ${before} entries`);
      }),
    );
  }
  const low = new Map(terms.map((k) => [k, new Map(wanted.get(k)!.map((w) => [w.bucket, new Uint32Array(65536)]))]));
  await forEachChunk(job, terms, (k, bits, n) => {
    const lows = low.get(k)!;
    for (let j = 0; j < n; j++) {
      const l = lows.get(bits[j]! >>> 16);
      if (l) l[bits[j]! & 0xffff]!++;
    }
  });
  const values = new Map<number, number[]>();
  for (const k of terms) {
    values.set(
      k,
      wanted.get(k)!.map(({ bucket, inner }) => {
        const l = low.get(k)!.get(bucket)!;
        let before = 0;
        for (let b = 0; b < 65536; b++) {
          if (before + l[b]! > inner) return f32FromBits(((bucket << 16) | b) >>> 0);
          before += l[b]!;
        }
        throw new RangeError('selection: inconsistent passes');
      }),
    );
  }
  return values;
}

/** The job's terms with their keep rules resolved (bands from the selection, draws as planned). */
export async function resolveKeeps(job: TensorJob): Promise<KernelTerm[]> {
  const selects = job.sparse?.selects ?? [];
  const n = job.count;
  const ranks = new Map<number, number[]>();
  selects.forEach((s, k) => {
    if (s?.kind === 'top') ranks.set(k, [n - s.k]);
    if (s?.kind === 'outliers') ranks.set(k, s.nTop > 0 ? [s.nBot, n - s.nTop] : [s.nBot]);
  });
  const values = ranks.size ? await selectRanks(job, ranks) : new Map<number, number[]>();
  return job.terms.map((t, k) => {
    const s = selects[k];
    let keep: TermKeep | undefined;
    if (s?.kind === 'random') keep = { kind: 'random', key: s.key, threshold: s.threshold, inverse: s.inverse };
    else if (s?.kind === 'top') keep = { kind: 'band', lo: values.get(k)![0]!, hi: Infinity };
    else if (s?.kind === 'outliers') keep = { kind: 'band', lo: values.get(k)![0]!, hi: s.nTop > 0 ? values.get(k)![1]! : Infinity };
    return keep ? { ...t, keep } : t;
  });
}
