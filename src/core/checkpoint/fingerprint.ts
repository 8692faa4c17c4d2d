/**
 * A checkpoint as a report names it: a display name, a fingerprint of its safetensors headers
 * (FNV-1a 64 over every shard's file name, size and tensor table: it changes when any tensor's
 * name, dtype, shape or place changes, not when only the values do — hashing gigabytes of values
 * is left to tools made for it), the parameter count and the dominant dtype.
 */
import { parameterCount, type Checkpoint } from './checkpoint.ts';

export interface CheckpointSummary {
  readonly name: string;
  readonly fingerprint: string;
  readonly params: number;
  readonly dtype: string;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = (1n << 64n) - 1n;

export function fnv1a64(text: string): string {
  let h = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK;
  return h.toString(16).padStart(16, '0');
}

export function summarizeCheckpoint(checkpoint: Checkpoint, name: string = checkpoint.name): CheckpointSummary {
  const tables = checkpoint.shards.map((s) => ({
    file: s.file,
    size: s.header.fileSize,
    tensors: s.header.tensors.map((t) => [t.name, t.dtype, t.shape, t.begin, t.end]),
  }));
  const bytesByDtype = new Map<string, number>();
  for (const { info } of checkpoint.tensors.values()) bytesByDtype.set(info.dtype, (bytesByDtype.get(info.dtype) ?? 0) + info.end - info.begin);
  const dtype = [...bytesByDtype].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';
  return { name, fingerprint: `headers-fnv1a64:${fnv1a64(JSON.stringify(tables))}`, params: parameterCount(checkpoint), dtype };
}
