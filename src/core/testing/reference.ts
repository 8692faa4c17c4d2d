/**
 * Independent float64 references for tests: direct rounding of a double to a float dtype (no
 * detour through float32), and element access to checkpoint tensors.
 */
import { bf16ToF32, f16ToF32, type FloatDtype } from '../dtype.ts';
import type { Checkpoint } from '../checkpoint/checkpoint.ts';

const FORMATS = {
  // mantissa bits (without the implicit 1), smallest normal exponent, largest finite value
  BF16: { bits: 7, emin: -126, max: (2 - 2 ** -7) * 2 ** 127 },
  F16: { bits: 10, emin: -14, max: 65504 },
  F32: { bits: 23, emin: -126, max: (2 - 2 ** -23) * 2 ** 127 },
} as const;

/** The spacing of `dtype` values around |x|. */
export function ulp(x: number, dtype: FloatDtype): number {
  const f = FORMATS[dtype];
  const a = Math.abs(x);
  let e = a === 0 ? f.emin : Math.floor(Math.log2(a));
  while (a !== 0 && 2 ** e > a) e--; // log2 can be off by one next to powers of two
  while (a !== 0 && 2 ** (e + 1) <= a) e++;
  return 2 ** (Math.max(f.emin, e) - f.bits);
}

/** x rounded once to `dtype`, nearest, ties to even; ±Inf past the largest finite value's half-ulp. */
export function roundOnce(x: number, dtype: FloatDtype): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const f = FORMATS[dtype];
  const u = ulp(x, dtype);
  const q = x / u;
  let r = Math.round(q);
  if (Math.abs(q - Math.trunc(q)) === 0.5) r = Math.trunc(q) % 2 === 0 ? Math.trunc(q) : Math.trunc(q) + Math.sign(q);
  const y = r * u;
  if (Math.abs(y) > f.max) return Math.sign(x) * Infinity;
  return y;
}

/** Element values of a tensor as float64 (for tests on tiny checkpoints only). */
export async function tensorValues(ckpt: Checkpoint, name: string): Promise<Float64Array> {
  const loc = ckpt.tensors.get(name);
  if (!loc) throw new Error(`${ckpt.name}: no tensor ${name}`);
  const bytes = await loc.shard.source.read(loc.shard.header.dataStart + loc.info.begin, loc.info.end - loc.info.begin);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dtype = loc.info.dtype;
  const size = dtype === 'F32' ? 4 : 2;
  const out = new Float64Array(bytes.byteLength / size);
  for (let i = 0; i < out.length; i++) {
    if (dtype === 'F32') out[i] = view.getFloat32(i * 4, true);
    else if (dtype === 'BF16') out[i] = bf16ToF32(view.getUint16(i * 2, true));
    else if (dtype === 'F16') out[i] = f16ToF32(view.getUint16(i * 2, true));
    else throw new Error(`${name}: ${dtype} is not a float dtype`);
  }
  return out;
}

export async function tensorBytes(ckpt: Checkpoint, name: string): Promise<Uint8Array> {
  const loc = ckpt.tensors.get(name);
  if (!loc) throw new Error(`${ckpt.name}: no tensor ${name}`);
  return loc.shard.source.read(loc.shard.header.dataStart + loc.info.begin, loc.info.end - loc.info.begin);
}
