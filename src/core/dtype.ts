/**
 * Element types of safetensors files, and the float codecs the merge engine computes with.
 *
 * Every float dtype is decoded exactly into float32; encoding rounds to nearest, ties to even,
 * overflows to ±Infinity, keeps subnormals, and writes every NaN as the canonical quiet NaN of the
 * target type (BF16 0x7FC0, F16 0x7E00, F32 0x7FC00000). The WGSL kernels in `shaders/` follow the
 * same rules, bit for bit.
 */

/** Every dtype the safetensors format defines (the reference implementation's `Dtype` enum). */
export const SAFETENSORS_DTYPES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPES;

/** The float dtypes the merge engine reads and writes. */
export const FLOAT_DTYPES = ['BF16', 'F16', 'F32'] as const;
export type FloatDtype = (typeof FLOAT_DTYPES)[number];

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(SAFETENSORS_DTYPES, value);
}

export function isFloatDtype(value: unknown): value is FloatDtype {
  return value === 'BF16' || value === 'F16' || value === 'F32';
}

export function dtypeSize(dtype: SafetensorsDtype): number {
  return SAFETENSORS_DTYPES[dtype];
}

/** `bf16` / `f16` / `f32` as users type them on the command line. */
export function parseFloatDtype(text: string): FloatDtype | undefined {
  const upper = text.toUpperCase();
  return isFloatDtype(upper) ? upper : undefined;
}

export const CANONICAL_NAN = { BF16: 0x7fc0, F16: 0x7e00, F32: 0x7fc00000 } as const;

// ---------------------------------------------------------------------------------------------
// Scalar codecs (the specification; the array codecs below must agree with them).

const scratch = new DataView(new ArrayBuffer(4));

export function f32Bits(x: number): number {
  scratch.setFloat32(0, x, true);
  return scratch.getUint32(0, true);
}

export function f32FromBits(bits: number): number {
  scratch.setUint32(0, bits >>> 0, true);
  return scratch.getFloat32(0, true);
}

export function bf16ToF32(h: number): number {
  return f32FromBits((h & 0xffff) << 16);
}

/** float32 bits → bfloat16 bits, round to nearest even; NaN → 0x7FC0. */
export function bf16FromF32Bits(bits: number): number {
  bits >>>= 0;
  if ((bits & 0x7fffffff) > 0x7f800000) return CANONICAL_NAN.BF16;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float32 bits → float16 bits, round to nearest even, overflow to ±Inf; NaN → 0x7E00. */
export function f16FromF32Bits(bits: number): number {
  bits >>>= 0;
  const sign = (bits >>> 16) & 0x8000;
  const abs = bits & 0x7fffffff;
  if (abs > 0x7f800000) return CANONICAL_NAN.F16;
  // 0x477ff000 is 65520: the smallest float32 that rounds to Inf in float16.
  if (abs >= 0x477ff000) return sign | 0x7c00;
  if (abs >= 0x38800000) {
    // Normal in float16: rebias the exponent (127 → 15) and round the 13 dropped bits.
    const rebased = abs - 0x38000000;
    return sign | ((rebased + 0xfff + ((rebased >>> 13) & 1)) >>> 13);
  }
  if (abs < 0x33000000) return sign; // below half the smallest subnormal (2^-25): ±0
  // Subnormal in float16: value = m · 2^-24 with m = round(mantissa24 · 2^(e-127-23+24)).
  const exp = abs >>> 23;
  const mant24 = (abs & 0x7fffff) | 0x800000;
  const shift = 126 - exp; // 14..24 (0x33000000 has exp 102, 0x38800000 has exp 113)
  const halfway = 1 << (shift - 1);
  const rest = mant24 & ((1 << shift) - 1);
  let m = mant24 >>> shift;
  if (rest > halfway || (rest === halfway && m & 1)) m += 1;
  return sign | m;
}

// ---------------------------------------------------------------------------------------------
// Array codecs used by the CPU kernel: bytes (little-endian) ↔ float32.

let f16Table: Float32Array | undefined;

function f16DecodeTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToF32(h);
  }
  return f16Table;
}

/**
 * Decodes `count` elements of `dtype` from `bytes` (which must start at an element boundary and be
 * 4-byte aligned within its buffer for F32) into `out[0..count)`.
 */
export function decodeToF32(dtype: FloatDtype, bytes: Uint8Array, count: number, out: Float32Array): void {
  switch (dtype) {
    case 'F32': {
      out.set(viewAs(Float32Array, bytes, count));
      return;
    }
    case 'BF16': {
      const src = viewAs(Uint16Array, bytes, count);
      const dst = new Uint32Array(out.buffer, out.byteOffset, count);
      for (let i = 0; i < count; i++) dst[i] = src[i]! << 16;
      return;
    }
    case 'F16': {
      const src = viewAs(Uint16Array, bytes, count);
      const table = f16DecodeTable();
      for (let i = 0; i < count; i++) out[i] = table[src[i]!]!;
      return;
    }
  }
}

/** Encodes `values[0..count)` as `dtype` into `out` (byte length count × size, aligned). */
export function encodeFromF32(dtype: FloatDtype, values: Float32Array, count: number, out: Uint8Array): void {
  switch (dtype) {
    case 'F32': {
      const src = new Uint32Array(values.buffer, values.byteOffset, count);
      const dst = alignedView(Uint32Array, out, count);
      for (let i = 0; i < count; i++) {
        const b = src[i]!;
        dst[i] = (b & 0x7fffffff) > 0x7f800000 ? CANONICAL_NAN.F32 : b;
      }
      return;
    }
    case 'BF16': {
      const src = new Uint32Array(values.buffer, values.byteOffset, count);
      const dst = alignedView(Uint16Array, out, count);
      for (let i = 0; i < count; i++) {
        const b = src[i]!;
        dst[i] = (b & 0x7fffffff) > 0x7f800000 ? CANONICAL_NAN.BF16 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
      }
      return;
    }
    case 'F16': {
      const src = new Uint32Array(values.buffer, values.byteOffset, count);
      const dst = alignedView(Uint16Array, out, count);
      for (let i = 0; i < count; i++) dst[i] = f16FromF32Bits(src[i]!);
      return;
    }
  }
}

type TypedArrayCtor<T> = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  BYTES_PER_ELEMENT: number;
};

/** A typed view of `bytes`; copies only when the bytes are misaligned for the element type. */
export function viewAs<T>(Ctor: TypedArrayCtor<T>, bytes: Uint8Array, count: number): T {
  const needed = count * Ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength < needed) throw new RangeError(`need ${needed} bytes, have ${bytes.byteLength}`);
  if (bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(bytes.buffer, bytes.byteOffset, count);
  const copy = new Uint8Array(needed);
  copy.set(bytes.subarray(0, needed));
  return new Ctor(copy.buffer, 0, count);
}

/** A typed view of `bytes` that must be aligned (outputs are written in place, never copied). */
export function alignedView<T>(Ctor: TypedArrayCtor<T>, bytes: Uint8Array, count: number): T {
  if (bytes.byteOffset % Ctor.BYTES_PER_ELEMENT !== 0) throw new RangeError('misaligned output view');
  return new Ctor(bytes.buffer, bytes.byteOffset, count);
}
