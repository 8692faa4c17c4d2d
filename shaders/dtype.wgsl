// Float codecs shared by the merge kernels: the WGSL twin of src/core/dtype.ts, bit for bit.
//
// Everything here is integer arithmetic on raw bits, so it is exact whatever the device does with
// float32 subnormals, NaN payloads or fast-math: decoding is exact (float16 subnormals included),
// encoding rounds to nearest, ties to even, overflows to ±Inf and writes every NaN as the canonical
// quiet NaN of the target type (BF16 0x7FC0, F16 0x7E00, F32 0x7FC00000).
// (WGSL's own f32 → f16 conversions, pack2x16float included, need no shader-f16 but leave the
// rounding direction of an inexact value to the implementation, so float16 is encoded here too.)
//
// WGSL has no include: the host prepends this file to the kernel that uses it.

// Dtype codes, as the host passes them in override constants.
const DT_BF16: u32 = 0u;
const DT_F16: u32 = 1u;
const DT_F32: u32 = 2u;

// float16 bits (low 16 bits of h) → float32 bits, exactly.
fn f16_to_f32_bits(h: u32) -> u32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0x1fu) {
    return sign | 0x7f800000u | (m << 13u); // ±Inf, or NaN (the payload is dropped on encode)
  }
  if (e != 0u) {
    return sign | ((e + 112u) << 23u) | (m << 13u); // normal: rebias 15 → 127
  }
  if (m == 0u) {
    return sign; // ±0
  }
  // Subnormal m · 2^-24 is a float32 normal: shift the leading one up to bit 10 (the implicit bit).
  let shift = countLeadingZeros(m) - 21u; // 1..10
  return sign | ((113u - shift) << 23u) | (((m << shift) & 0x3ffu) << 13u);
}

// bfloat16 or float16 bits (low 16 bits of h) → float32 bits.
fn decode16(dtype: u32, h: u32) -> u32 {
  if (dtype == DT_BF16) {
    return h << 16u;
  }
  return f16_to_f32_bits(h);
}

// float32 bits → bfloat16 bits, round to nearest even; NaN → 0x7FC0 (dtype.ts bf16FromF32Bits).
fn bf16_from_f32_bits(b: u32) -> u32 {
  if ((b & 0x7fffffffu) > 0x7f800000u) {
    return 0x7fc0u;
  }
  return (b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u;
}

// float32 bits → float16 bits, round to nearest even, overflow to ±Inf; NaN → 0x7E00
// (dtype.ts f16FromF32Bits, line for line).
fn f16_from_f32_bits(bits: u32) -> u32 {
  let sign = (bits >> 16u) & 0x8000u;
  let a = bits & 0x7fffffffu;
  if (a > 0x7f800000u) {
    return 0x7e00u;
  }
  // 0x477ff000 is 65520: the smallest float32 that rounds to Inf in float16.
  if (a >= 0x477ff000u) {
    return sign | 0x7c00u;
  }
  if (a >= 0x38800000u) {
    // Normal in float16: rebias the exponent (127 → 15) and round the 13 dropped bits.
    let rebased = a - 0x38000000u;
    return sign | ((rebased + 0xfffu + ((rebased >> 13u) & 1u)) >> 13u);
  }
  if (a < 0x33000000u) {
    return sign; // below half the smallest subnormal (2^-25): ±0
  }
  // Subnormal in float16: m = round(mantissa24 · 2^(e-127-23+24)).
  let e = a >> 23u;
  let mant24 = (a & 0x7fffffu) | 0x800000u;
  let shift = 126u - e; // 14..24
  let halfway = 1u << (shift - 1u);
  let rest = mant24 & ((1u << shift) - 1u);
  var m = mant24 >> shift;
  if (rest > halfway || (rest == halfway && (m & 1u) == 1u)) {
    m += 1u;
  }
  return sign | m;
}

// float32 bits → float32 bits with the canonical NaN.
fn f32_canonical(b: u32) -> u32 {
  return select(b, 0x7fc00000u, (b & 0x7fffffffu) > 0x7f800000u);
}

// float32 bits → bfloat16 or float16 bits.
fn encode16(dtype: u32, b: u32) -> u32 {
  if (dtype == DT_BF16) {
    return bf16_from_f32_bits(b);
  }
  return f16_from_f32_bits(b);
}
