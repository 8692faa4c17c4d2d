// The float codecs against an independent reference: the correctly rounded value is found by
// arithmetic on doubles (the two neighbouring representable values, built from exact powers of
// two), then turned into bits by arithmetic too. No bit tricks are shared with dtype.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bf16FromF32Bits,
  bf16ToF32,
  CANONICAL_NAN,
  decodeToF32,
  encodeFromF32,
  f16FromF32Bits,
  f16ToF32,
  f32Bits,
  f32FromBits,
  type FloatDtype,
} from './dtype.ts';

// ---------------------------------------------------------------------------------------------
// Reference

/** A binary float format with `p` significant bits (implicit bit included). */
interface Format {
  readonly p: number;
  readonly expBits: number;
  readonly bias: number;
  readonly canonicalNaN: number;
}
const BF16: Format = { p: 8, expBits: 8, bias: 127, canonicalNaN: 0x7fc0 };
const F16: Format = { p: 11, expBits: 5, bias: 15, canonicalNaN: 0x7e00 };

const emin = (f: Format) => 1 - f.bias;
const emax = (f: Format) => 2 ** f.expBits - 2 - f.bias;
const maxFinite = (f: Format) => (2 - 2 ** (1 - f.p)) * 2 ** emax(f);

const localU32 = new Uint32Array(1);
const localF32 = new Float32Array(localU32.buffer);

/** The float32 with these bits, by a test-local reinterpretation. */
function f32Value(bits: number): number {
  localU32[0] = bits >>> 0;
  return localF32[0]!;
}

/** floor(log2(a)) for a > 0, exactly. */
function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  return e;
}

/** Bits of the 16-bit format value `v` (which must be representable, or ±Infinity). */
function bitsOf(f: Format, v: number, negative: boolean): number {
  const sign = negative ? 0x8000 : 0;
  const m = f.p - 1;
  if (v === Infinity) return sign | (((1 << f.expBits) - 1) << m);
  if (v === 0) return sign;
  if (v < 2 ** emin(f)) return sign | (v / 2 ** (emin(f) - m)); // subnormal: exponent field 0
  const e = exponentOf(v);
  const mant = (v / 2 ** e - 1) * 2 ** m;
  if (!Number.isInteger(mant)) throw new Error(`${v} is not representable`);
  return sign | ((e + f.bias) << m) | mant;
}

/** Correctly rounded (nearest, ties to even mantissa) encoding of a double into `f`. */
function referenceEncode(f: Format, x: number): number {
  if (Number.isNaN(x)) return f.canonicalNaN;
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  if (a === Infinity) return bitsOf(f, Infinity, negative);
  if (a === 0) return bitsOf(f, 0, negative);
  const e = Math.max(exponentOf(a), emin(f));
  const ulp = 2 ** (e - (f.p - 1));
  const lo = Math.floor(a / ulp) * ulp; // exact: scaling by powers of two
  const hi = lo + ulp;
  let r: number;
  if (a - lo < hi - a) r = lo;
  else if (a - lo > hi - a) r = hi;
  else r = (lo / ulp) % 2 === 0 ? lo : hi; // tie: the even mantissa
  if (r > maxFinite(f)) r = Infinity;
  return bitsOf(f, r, negative);
}

/** Decoding by the textbook formula. */
function referenceDecode(f: Format, h: number): number {
  const m = f.p - 1;
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> m) & ((1 << f.expBits) - 1);
  const mant = h & ((1 << m) - 1);
  if (exp === (1 << f.expBits) - 1) return mant === 0 ? sign * Infinity : NaN;
  if (exp === 0) return sign * mant * 2 ** (emin(f) - m);
  return sign * (1 + mant / 2 ** m) * 2 ** (exp - f.bias);
}

const refBf16 = (bits: number) => referenceEncode(BF16, f32Value(bits));
const refF16 = (bits: number) => referenceEncode(F16, f32Value(bits));
/** Float32 bits of a double that float32 represents exactly. */
function bitsOfF32(x: number): number {
  if (!Object.is(Math.fround(x), x) && !Number.isNaN(x)) throw new Error(`${x} is not a float32`);
  localF32[0] = x;
  return localU32[0]!;
}
const hex = (n: number) => `0x${n.toString(16)}`;

describe('the reference itself', () => {
  it('agrees with known values', () => {
    expect(referenceEncode(F16, 1)).toBe(0x3c00);
    expect(referenceEncode(F16, -2)).toBe(0xc000);
    expect(referenceEncode(F16, 65504)).toBe(0x7bff);
    expect(referenceEncode(F16, 2 ** -24)).toBe(0x0001);
    expect(referenceEncode(BF16, 1)).toBe(0x3f80);
    expect(referenceEncode(BF16, Math.PI)).toBe(0x4049);
    expect(referenceDecode(F16, 0x3555)).toBeCloseTo(1 / 3, 3);
  });
});

// ---------------------------------------------------------------------------------------------
// Scalars

describe('f32Bits / f32FromBits', () => {
  it('reinterpret float32 bits both ways', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
        const x = f32FromBits(bits);
        if (Number.isNaN(f32Value(bits))) {
          expect(x).toBeNaN();
        } else {
          expect(x).toBe(f32Value(bits));
          expect(f32Bits(x)).toBe(bits);
        }
      }),
    );
    expect(f32Bits(-0)).toBe(0x80000000);
    expect(f32Bits(1)).toBe(0x3f800000);
  });
});

describe.each([
  ['BF16', BF16, bf16ToF32, bf16FromF32Bits],
  ['F16', F16, f16ToF32, f16FromF32Bits],
] as const)('%s scalar codec', (_name, format, decode, encode) => {
  it('decodes all 65536 bit patterns exactly', () => {
    for (let h = 0; h < 65536; h++) {
      const want = referenceDecode(format, h);
      const got = decode(h);
      if (Number.isNaN(want)) expect(got, hex(h)).toBeNaN();
      else if (!Object.is(got, want)) expect.fail(`${hex(h)}: decoded ${got}, want ${want}`);
    }
  });

  it('round-trips all 65536 bit patterns (decode → encode), NaN → canonical', () => {
    for (let h = 0; h < 65536; h++) {
      const isNaN = Number.isNaN(referenceDecode(format, h));
      const back = encode(f32Bits(decode(h)));
      if (back !== (isNaN ? format.canonicalNaN : h)) expect.fail(`${hex(h)} came back as ${hex(back)}`);
    }
  });

  it('encodes random float32 bits as the correctly rounded value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
        expect(encode(bits), hex(bits)).toBe(referenceEncode(format, f32Value(bits)));
      }),
      { numRuns: 20_000 },
    );
  });

  it('encodes random doubles rounded to float32 correctly', () => {
    fc.assert(
      fc.property(fc.float(), (x) => {
        expect(encode(bitsOfF32(x))).toBe(referenceEncode(format, x));
      }),
      { numRuns: 5_000 },
    );
  });

  it('rounds every halfway point (and its float32 neighbours) to nearest, ties to even', () => {
    // Every pair of adjacent finite values (and the largest finite value and Infinity), both signs.
    const top = format === F16 ? 0x7bff : 0x7f7f;
    for (const sign of [0, 0x8000]) {
      for (let h = 0; h <= top; h++) {
        const lo = referenceDecode(format, h);
        const hi = h === top ? 2 ** (emax(format) + 1) : referenceDecode(format, h + 1);
        const mid = bitsOfF32((lo + hi) / 2);
        for (const bits of [mid - 1, mid, mid + 1]) {
          const b = (bits | (sign << 16)) >>> 0;
          const want = referenceEncode(format, f32Value(b));
          const got = encode(b);
          if (got !== want) expect.fail(`${hex(b)} → ${hex(got)}, want ${hex(want)}`);
        }
        // The exact midpoint goes to the even neighbour.
        const even = h % 2 === 0 ? h : h + 1;
        const tie = encode((mid | (sign << 16)) >>> 0);
        if (tie !== (sign | even)) expect.fail(`midpoint after ${hex(sign | h)} → ${hex(tie)}, want ${hex(sign | even)}`);
      }
    }
  });

  it('keeps signed zeros and infinities, and canonicalises every NaN', () => {
    expect(encode(0x00000000)).toBe(0x0000);
    expect(encode(0x80000000)).toBe(0x8000);
    expect(encode(0x7f800000)).toBe(format === F16 ? 0x7c00 : 0x7f80);
    expect(encode(0xff800000)).toBe(format === F16 ? 0xfc00 : 0xff80);
    for (const nan of [0x7f800001, 0x7fc00000, 0x7fffffff, 0xff800001, 0xffc00000, 0xffffffff, 0x7f808000]) {
      expect(encode(nan), hex(nan)).toBe(format.canonicalNaN);
    }
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fffff }), fc.boolean(), (mant, neg) => {
        expect(encode(((neg ? 0xff800000 : 0x7f800000) | mant) >>> 0)).toBe(format.canonicalNaN);
      }),
    );
  });
});

describe('F16 edges', () => {
  const enc = (x: number) => f16FromF32Bits(bitsOfF32(Math.fround(x)));

  it('overflows to Infinity from 65520 on', () => {
    expect(enc(65504)).toBe(0x7bff);
    expect(Math.fround(65519.99)).toBeLessThan(65520);
    expect(enc(65519.99)).toBe(0x7bff);
    expect(f16FromF32Bits(bitsOfF32(65520) - 1)).toBe(0x7bff);
    expect(enc(65520)).toBe(0x7c00);
    expect(enc(-65520)).toBe(0xfc00);
    expect(enc(65536)).toBe(0x7c00);
    expect(enc(3.4e38)).toBe(0x7c00);
    expect(enc(-65519.99)).toBe(0xfbff);
  });

  it('keeps subnormals and rounds below them to signed zero', () => {
    expect(enc(2 ** -24)).toBe(0x0001);
    expect(enc(-(2 ** -24))).toBe(0x8001);
    expect(enc(2 ** -25)).toBe(0x0000); // tie between 0 and 2^-24: even
    expect(enc(-(2 ** -25))).toBe(0x8000);
    expect(f16FromF32Bits(bitsOfF32(2 ** -25) + 1)).toBe(0x0001); // just above the tie
    expect(f16FromF32Bits(bitsOfF32(2 ** -25) - 1)).toBe(0x0000);
    expect(enc(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 ulps: even
    expect(enc(5 * 2 ** -25)).toBe(0x0002); // tie between 2 and 3 ulps: even
    expect(enc(1023 * 2 ** -24)).toBe(0x03ff); // largest subnormal
    expect(enc(1023.5 * 2 ** -24)).toBe(0x0400); // tie into the smallest normal
    expect(enc(2 ** -14)).toBe(0x0400);
    expect(f16FromF32Bits(0x00000001)).toBe(0x0000); // float32 subnormals underflow
    expect(f16FromF32Bits(0x80000001)).toBe(0x8000);
  });

  it('matches the reference over the whole subnormal range and its edges', () => {
    // Every float32 from 2^-26 to 2^-13 at a stride, plus random ones.
    for (let bits = bitsOfF32(2 ** -26); bits <= bitsOfF32(2 ** -13); bits += 389) {
      if (f16FromF32Bits(bits) !== refF16(bits)) expect.fail(hex(bits));
      const neg = (bits | 0x80000000) >>> 0;
      if (f16FromF32Bits(neg) !== refF16(neg)) expect.fail(hex(neg));
    }
    fc.assert(
      fc.property(fc.integer({ min: bitsOfF32(2 ** -30), max: bitsOfF32(2 ** -13) }), (bits) => {
        expect(f16FromF32Bits(bits)).toBe(refF16(bits));
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('BF16 edges', () => {
  it('rounds near the top of the range and keeps float32 subnormals', () => {
    expect(bf16FromF32Bits(0x7f7f7fff)).toBe(0x7f7f);
    expect(bf16FromF32Bits(0x7f7f8000)).toBe(0x7f80); // tie: 0x7f7f is odd → up, which is Inf
    expect(bf16FromF32Bits(0x7f7fffff)).toBe(0x7f80);
    expect(bf16FromF32Bits(0xff7fffff)).toBe(0xff80);
    expect(bf16FromF32Bits(0x00008000)).toBe(0x0000); // tie: even
    expect(bf16FromF32Bits(0x00018000)).toBe(0x0002); // tie: odd → up
    expect(bf16FromF32Bits(0x00008001)).toBe(0x0001);
    expect(bf16FromF32Bits(0x80000001)).toBe(0x8000);
    for (const bits of [0x7f7f7fff, 0x7f7f8000, 0x00008000, 0x00018000, 0x00008001, 0x80000001]) {
      expect(bf16FromF32Bits(bits)).toBe(refBf16(bits));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Arrays

const SIZE = { BF16: 2, F16: 2, F32: 4 } as const;

/** The scalar codec's float32 bits for element `h` of `dtype` (decode). */
function scalarDecode(dtype: FloatDtype, raw: number): number {
  if (dtype === 'BF16') return bf16ToF32(raw);
  if (dtype === 'F16') return f16ToF32(raw);
  return f32FromBits(raw);
}

function scalarEncode(dtype: FloatDtype, bits: number): number {
  if (dtype === 'BF16') return bf16FromF32Bits(bits);
  if (dtype === 'F16') return f16FromF32Bits(bits);
  return (bits & 0x7fffffff) > 0x7f800000 ? CANONICAL_NAN.F32 : bits;
}

/** A float32 bit pattern, biased towards special values and halfway points. */
const f32BitsArb = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffffffff, 0x477ff000, 0x33000000),
  fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0x7fff, 0x8000, 0x8001)).map(([hi, lo]) => ((hi << 16) | lo) >>> 0),
);

describe.each(['BF16', 'F16', 'F32'] as const)('%s array codecs', (dtype) => {
  const size = SIZE[dtype];

  it('decodeToF32 equals the scalar decoder, for any length and input byte offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.integer({ min: 0, max: size === 2 ? 0xffff : 0xffffffff }), { maxLength: 41 }),
        (byteOffset, outOffset, extra, raws) => {
          const count = raws.length;
          const backing = new Uint8Array(byteOffset + count * size + 3);
          const view = new DataView(backing.buffer);
          raws.forEach((r, i) => (size === 2 ? view.setUint16(byteOffset + i * 2, r, true) : view.setUint32(byteOffset + i * 4, r, true)));
          const bytes = backing.subarray(byteOffset, byteOffset + count * size);
          const outBacking = new Float32Array(outOffset + count + extra).fill(1234.5);
          const out = outBacking.subarray(outOffset);
          decodeToF32(dtype, bytes, count, out);
          const outBits = new Uint32Array(out.buffer, out.byteOffset, out.length);
          raws.forEach((r, i) => {
            const want = scalarDecode(dtype, r);
            if (Number.isNaN(want)) expect(out[i]).toBeNaN();
            else expect(Object.is(out[i], want), `${hex(r)} → ${out[i]}, want ${want}`).toBe(true);
            // BF16 and F32 decoding is a bit copy: even NaN payloads survive.
            if (dtype === 'BF16') expect(outBits[i]).toBe((r << 16) >>> 0);
            if (dtype === 'F32') expect(outBits[i]).toBe(r);
          });
          for (let i = count; i < out.length; i++) expect(out[i]).toBe(1234.5); // nothing past count
          for (let i = 0; i < outOffset; i++) expect(outBacking[i]).toBe(1234.5);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('encodeFromF32 equals the scalar encoder, for any length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.array(f32BitsArb, { maxLength: 41 }), (valueOffset, bitsList) => {
        const count = bitsList.length;
        const valueBacking = new Uint32Array(valueOffset + count);
        valueBacking.set(bitsList, valueOffset);
        const values = new Float32Array(valueBacking.buffer, valueOffset * 4, count);
        // Output in the middle of a larger buffer, at an aligned offset, with sentinels around it.
        const outBacking = new Uint8Array(8 + count * size + 8).fill(0xa5);
        const out = outBacking.subarray(8, 8 + count * size);
        encodeFromF32(dtype, values, count, out);
        const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
        bitsList.forEach((b, i) => {
          const got = size === 2 ? view.getUint16(i * 2, true) : view.getUint32(i * 4, true);
          expect(got, hex(b)).toBe(scalarEncode(dtype, b));
        });
        expect([...outBacking.subarray(0, 8), ...outBacking.subarray(8 + count * size)].every((x) => x === 0xa5)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('encode ∘ decode is the identity on non-NaN elements', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 64 }), (byteOffset, data) => {
        const count = Math.floor(data.length / size);
        const backing = new Uint8Array(byteOffset + data.length);
        backing.set(data, byteOffset);
        const values = new Float32Array(count);
        decodeToF32(dtype, backing.subarray(byteOffset), count, values);
        const out = new Uint8Array(count * size);
        encodeFromF32(dtype, values, count, out);
        for (let i = 0; i < count; i++) {
          const original = data.subarray(i * size, (i + 1) * size);
          const nan = Number.isNaN(values[i]!);
          const want = nan ? new Uint8Array(new (size === 2 ? Uint16Array : Uint32Array)([CANONICAL_NAN[dtype]]).buffer) : original;
          expect([...out.subarray(i * size, (i + 1) * size)]).toEqual([...want]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a misaligned output view and a short input', () => {
    const values = new Float32Array([1, 2, 3]);
    expect(() => encodeFromF32(dtype, values, 3, new Uint8Array(3 * size + 1).subarray(1))).toThrow(RangeError);
    expect(() => decodeToF32(dtype, new Uint8Array(3 * size - 1), 3, new Float32Array(3))).toThrow(RangeError);
  });
});
