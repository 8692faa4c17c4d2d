/**
 * A checkpoint as a report names it: a display name, a fingerprint, the parameter count and the
 * dominant dtype.
 *
 * The fingerprint (`headers+samples-fnv1a64:<16 hex digits>`) is FNV-1a 64 over, in this order:
 *   1. every shard's file name, size and tensor table (name, dtype, shape, offsets) as JSON text;
 *   2. for each shard, for each tensor in file order, a sample of its bytes: the whole tensor when
 *      it is at most SAMPLE_BLOCKS × SAMPLE_BLOCK bytes (64 KiB), else SAMPLE_BLOCKS blocks of
 *      SAMPLE_BLOCK bytes starting at floor(k · (n − SAMPLE_BLOCK) / (SAMPLE_BLOCKS − 1)),
 *      k = 0 … SAMPLE_BLOCKS − 1: the first and the last block and 14 evenly spaced between.
 * So checkpoints with the same layout but other values (SFT, GRPO and a target fine-tuned from one
 * base) get different fingerprints, while the cost stays bounded by the number of tensors, not
 * their size: at most 64 KiB per tensor (about 21 MB in 16 reads per tensor for a 1.5B Qwen2 with
 * 338 tensors, instead of its 3 GB). Two checkpoints that differ only between the sampled blocks
 * share a fingerprint; fine-tuning changes nearly every element, so that does not happen in
 * practice, but a fingerprint is not a checksum of every byte (hash the files for that).
 */
import { parameterCount, type Checkpoint } from './checkpoint.ts';

export interface CheckpointSummary {
  readonly name: string;
  readonly fingerprint: string;
  readonly params: number;
  readonly dtype: string;
}

export const FINGERPRINT_PREFIX = 'headers+samples-fnv1a64:';
export const SAMPLE_BLOCK = 4096;
export const SAMPLE_BLOCKS = 16;

/**
 * FNV-1a 64, fed bytes incrementally, in 32-bit integer arithmetic. The state is two 32-bit
 * halves; multiplying by the prime 2^40 + 0x1b3 is h·0x1b3 + (h << 40): the low half's product
 * is formed from its 16-bit halves (each product below 2^26), its carry and `lo << 8` go to the
 * high half, whose own product needs only its low 32 bits (Math.imul).
 */
export class Fnv1a64 {
  private hi = 0xcbf29ce4 | 0;
  private lo = 0x84222325 | 0;

  update(bytes: Uint8Array): this {
    let { hi, lo } = this;
    for (let i = 0; i < bytes.length; i++) {
      lo ^= bytes[i]!;
      const t = (lo & 0xffff) * 0x1b3;
      const u = (lo >>> 16) * 0x1b3 + (t >>> 16);
      hi = (Math.imul(hi, 0x1b3) + (u >>> 16) + (lo << 8)) | 0;
      lo = (u << 16) | (t & 0xffff);
    }
    this.hi = hi;
    this.lo = lo;
    return this;
  }

  digest(): string {
    return (this.hi >>> 0).toString(16).padStart(8, '0') + (this.lo >>> 0).toString(16).padStart(8, '0');
  }
}

export function fnv1a64(text: string): string {
  return new Fnv1a64().update(new TextEncoder().encode(text)).digest();
}

/** The [offset, length] ranges of a tensor of `n` bytes that the fingerprint hashes (see the module comment). */
export function sampleRanges(n: number): [number, number][] {
  if (n <= SAMPLE_BLOCKS * SAMPLE_BLOCK) return n === 0 ? [] : [[0, n]];
  return Array.from({ length: SAMPLE_BLOCKS }, (_, k) => [Math.floor((k * (n - SAMPLE_BLOCK)) / (SAMPLE_BLOCKS - 1)), SAMPLE_BLOCK]);
}

export async function fingerprintCheckpoint(checkpoint: Checkpoint): Promise<string> {
  const tables = checkpoint.shards.map((s) => ({
    file: s.file,
    size: s.header.fileSize,
    tensors: s.header.tensors.map((t) => [t.name, t.dtype, t.shape, t.begin, t.end]),
  }));
  const hash = new Fnv1a64().update(new TextEncoder().encode(JSON.stringify(tables)));
  const buffer = new Uint8Array(SAMPLE_BLOCKS * SAMPLE_BLOCK);
  for (const shard of checkpoint.shards) {
    for (const t of shard.header.tensors) {
      // A tensor's blocks are read together (into consecutive parts of `buffer`), then hashed in order.
      const ranges = sampleRanges(t.end - t.begin);
      let at = 0;
      const parts = ranges.map(([offset, length]) => {
        const into = buffer.subarray(at, (at += length));
        return shard.source.read(shard.header.dataStart + t.begin + offset, length, into);
      });
      for (const part of await Promise.all(parts)) hash.update(part);
    }
  }
  return FINGERPRINT_PREFIX + hash.digest();
}

export async function summarizeCheckpoint(checkpoint: Checkpoint, name: string = checkpoint.name): Promise<CheckpointSummary> {
  const bytesByDtype = new Map<string, number>();
  for (const { info } of checkpoint.tensors.values()) bytesByDtype.set(info.dtype, (bytesByDtype.get(info.dtype) ?? 0) + info.end - info.begin);
  const dtype = [...bytesByDtype].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';
  return { name, fingerprint: await fingerprintCheckpoint(checkpoint), params: parameterCount(checkpoint), dtype };
}
