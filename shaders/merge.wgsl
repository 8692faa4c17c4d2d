// The merge kernel: ops merge / extract / apply / copy over one chunk of elements, with optional
// vector statistics. The contract and the exact arithmetic are in src/core/merge/kernel.ts; the CPU
// twin (src/core/merge/cpu-kernel.ts) is the reference, and this kernel must equal it bit for bit.
//
// Needs shaders/dtype.wgsl prepended (codecs, DT_* codes). Pipeline layout (src/core/gpu/merge-webgpu.ts):
//   0 params    uniform    count, alpha, zero
//   1..3 in0..2 storage r  the op's inputs in OP_INPUTS order (unused ones bound to a dummy buffer)
//   4 dst       storage rw the encoded result (dummy when OUTPUT is false)
//   5 partials  storage rw 4 words per workgroup (dummy when STATS is false)
//
// Data are array<u32>. The unit of work is a pair of elements (2i, 2i+1): one word of 16-bit data,
// two words of float32. Invocation `lid` of workgroup `group` handles pairs
// (group · PAIRS_PER_INVOCATION + k) · WG_SIZE + lid, k = 0..7, so that each of the 8 steps reads
// and writes consecutive words across the workgroup. The count may be odd: the host zero-pads 16-bit
// inputs to a whole word, the last pair's missing element is neither read (float32), counted, nor
// written (a 16-bit output gets 0 in the padding half, which the host never reads back).

// ---- Specialisation: one pipeline per (op, dtypes, stats, output) ----------------------------

const OP_MERGE: u32 = 0u;   // in0 = target, in1 = sft, in2 = grpo:  r = t + α·(g − s)
const OP_EXTRACT: u32 = 1u; // in0 = sft, in1 = grpo:                r = g − s
const OP_APPLY: u32 = 2u;   // in0 = target, in1 = vector:           r = t + α·v
const OP_COPY: u32 = 3u;    // in0 = target:                         r = t

override OP: u32;
override IN0_DTYPE: u32 = DT_F32;
override IN1_DTYPE: u32 = DT_F32;
override IN2_DTYPE: u32 = DT_F32;
override OUT_DTYPE: u32 = DT_F32;
override STATS: bool = false;
override OUTPUT: bool = true;

// 256 invocations (the WebGPU default maxComputeInvocationsPerWorkgroup) × 8 pairs each: 4096
// elements per workgroup, 2048 workgroups for an 8 Mi-element chunk (plenty to fill a GPU). Several
// pairs per invocation keep the workgroups, hence the barriers and the partials, few: SwiftShader
// runs a shader with barriers as coroutines, and with 1 pair per invocation statistics made the
// kernel ~20× slower there (~4× with 8).
const WG_SIZE: u32 = 256u;
const PAIRS_PER_INVOCATION: u32 = 8u;

struct Params {
  count: u32, // elements in this chunk
  alpha: f32, // already rounded to float32 by the host
  zero: u32,  // always 0: see opaque()
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> in0: array<u32>;
@group(0) @binding(2) var<storage, read> in1: array<u32>;
@group(0) @binding(3) var<storage, read> in2: array<u32>;
@group(0) @binding(4) var<storage, read_write> dst: array<u32>;
// Per workgroup: sum v², sum ref², max |v| (float32 bits), count of v == 0. The host adds them in float64.
@group(0) @binding(5) var<storage, read_write> partials: array<u32>;

// ---- Loading and storing pairs --------------------------------------------------------------

// Float32 bits of elements 2i and 2i+1: one word of 16-bit data, or two words of float32 (the
// second only if it exists).
fn decode16_pair(dtype: u32, w: u32) -> vec2<u32> {
  return vec2<u32>(decode16(dtype, w & 0xffffu), decode16(dtype, w >> 16u));
}

fn read_in0(i: u32, has_hi: bool) -> vec2<u32> {
  if (IN0_DTYPE != DT_F32) {
    return decode16_pair(IN0_DTYPE, in0[i]);
  }
  var x = vec2<u32>(in0[2u * i], 0u);
  if (has_hi) {
    x.y = in0[2u * i + 1u];
  }
  return x;
}

fn read_in1(i: u32, has_hi: bool) -> vec2<u32> {
  if (IN1_DTYPE != DT_F32) {
    return decode16_pair(IN1_DTYPE, in1[i]);
  }
  var x = vec2<u32>(in1[2u * i], 0u);
  if (has_hi) {
    x.y = in1[2u * i + 1u];
  }
  return x;
}

fn read_in2(i: u32, has_hi: bool) -> vec2<u32> {
  if (IN2_DTYPE != DT_F32) {
    return decode16_pair(IN2_DTYPE, in2[i]);
  }
  var x = vec2<u32>(in2[2u * i], 0u);
  if (has_hi) {
    x.y = in2[2u * i + 1u];
  }
  return x;
}

fn write_pair(i: u32, r: vec2<u32>, has_hi: bool) {
  if (OUT_DTYPE == DT_F32) {
    dst[2u * i] = f32_canonical(r.x);
    if (has_hi) {
      dst[2u * i + 1u] = f32_canonical(r.y);
    }
  } else {
    let hi = select(0u, encode16(OUT_DTYPE, r.y), has_hi);
    dst[i] = encode16(OUT_DTYPE, r.x) | (hi << 16u);
  }
}

// ---- Arithmetic -----------------------------------------------------------------------------

// An identity the compiler cannot see through. WGSL (like SPIR-V without NoContraction, and the
// Vulkan/Metal/D3D drivers below it) lets a compiler contract `a * b + c` into one fused
// multiply-add, which rounds once instead of twice and so differs from the CPU twin in the last
// bit. XOR-ing the product's bits with a uniform the host always sets to 0 leaves the value (NaN
// payloads and signed zeros included) untouched, but the compiler cannot know that the addend
// below is a product, so it must round the product to float32 on its own first.
fn opaque(x: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(x) ^ params.zero);
}

// r = (p == 0) ? t : t + p with p = α·d, as bits. "p == 0 keeps t" keeps α = 0 and zero vectors
// bit-exact, signed zeros included (t + 0 would turn −0 into +0), and never touches t's bits then.
fn add_scaled(t: u32, d: f32) -> u32 {
  let p = opaque(params.alpha * d);
  if (p == 0.0) {
    return t;
  }
  return bitcast<u32>(bitcast<f32>(t) + p);
}

struct Element {
  r: u32,   // result bits (float32)
  v: f32,   // the vector element (d for merge)
  sft: f32, // the reference θ_SFT for merge/extract, 0 for apply
}

// One element of the op; x0..x2 are the decoded inputs' float32 bits in OP_INPUTS order.
fn element(x0: u32, x1: u32, x2: u32) -> Element {
  switch (OP) {
    case OP_MERGE: {
      let s = bitcast<f32>(x1);
      let d = bitcast<f32>(x2) - s;
      return Element(add_scaled(x0, d), d, s);
    }
    case OP_EXTRACT: {
      let s = bitcast<f32>(x0);
      let v = bitcast<f32>(x1) - s;
      return Element(bitcast<u32>(v), v, s);
    }
    case OP_APPLY: {
      let v = bitcast<f32>(x1);
      return Element(add_scaled(x0, v), v, 0.0);
    }
    default: {
      return Element(x0, 0.0, 0.0);
    }
  }
}

// ---- Statistics -----------------------------------------------------------------------------
// Float32 within a workgroup (the host adds the partials in float64), so they match the CPU twin's
// float64 sums to ~1e-6 relative, except that a square over 3.4e38 (|v| > 1.8e19) overflows to Inf
// here. Subnormal v may count as zero where the device flushes them.

struct Stats {
  sum_sq_v: f32,
  sum_sq_ref: f32,
  max_abs_v: f32,
  zeros_v: u32,
}

fn accumulate(s: ptr<function, Stats>, e: Element) {
  (*s).sum_sq_v += e.v * e.v;
  (*s).sum_sq_ref += e.sft * e.sft;
  // Like the CPU twin's `if (a > max)`: a NaN never becomes the maximum.
  let a = abs(e.v);
  if (a > (*s).max_abs_v) {
    (*s).max_abs_v = a;
  }
  if (e.v == 0.0) {
    (*s).zeros_v += 1u;
  }
}

var<workgroup> wg_sum_sq_v: array<f32, WG_SIZE>;
var<workgroup> wg_sum_sq_ref: array<f32, WG_SIZE>;
var<workgroup> wg_max_abs_v: array<f32, WG_SIZE>;
var<workgroup> wg_zeros_v: array<u32, WG_SIZE>;

// ---- Entry point ----------------------------------------------------------------------------

// One pair of elements: decode, compute, encode, accumulate.
fn process_pair(pair: u32, count: u32, stats: ptr<function, Stats>) {
  let has_hi = 2u * pair + 1u < count;
  let x0 = read_in0(pair, has_hi);
  var x1 = vec2<u32>(0u, 0u);
  var x2 = vec2<u32>(0u, 0u);
  if (OP != OP_COPY) {
    x1 = read_in1(pair, has_hi);
  }
  if (OP == OP_MERGE) {
    x2 = read_in2(pair, has_hi);
  }
  let lo = element(x0.x, x1.x, x2.x);
  let hi = element(x0.y, x1.y, x2.y);
  if (OUTPUT) {
    write_pair(pair, vec2<u32>(lo.r, hi.r), has_hi);
  }
  if (STATS) {
    accumulate(stats, lo);
    if (has_hi) {
      accumulate(stats, hi);
    }
  }
}

// The host dispatches ceil(count / 4096) workgroups, folded into 2-D (x · y) when that exceeds
// maxComputeWorkgroupsPerDimension; groups past the end do nothing but join the barriers.
@compute @workgroup_size(WG_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let group = wid.y * groups.x + wid.x;
  let count = params.count;
  var stats = Stats(0.0, 0.0, 0.0, 0u);

  for (var k = 0u; k < PAIRS_PER_INVOCATION; k++) {
    let pair = (group * PAIRS_PER_INVOCATION + k) * WG_SIZE + lid;
    if (2u * pair >= count) {
      break;
    }
    process_pair(pair, count, &stats);
  }

  // STATS is an override constant, so this branch (and its barriers) is uniform.
  if (STATS) {
    wg_sum_sq_v[lid] = stats.sum_sq_v;
    wg_sum_sq_ref[lid] = stats.sum_sq_ref;
    wg_max_abs_v[lid] = stats.max_abs_v;
    wg_zeros_v[lid] = stats.zeros_v;
    workgroupBarrier();
    for (var stride = WG_SIZE / 2u; stride > 0u; stride >>= 1u) {
      if (lid < stride) {
        wg_sum_sq_v[lid] += wg_sum_sq_v[lid + stride];
        wg_sum_sq_ref[lid] += wg_sum_sq_ref[lid + stride];
        // Both are ≥ 0 and never NaN here, so max() is exact.
        wg_max_abs_v[lid] = max(wg_max_abs_v[lid], wg_max_abs_v[lid + stride]);
        wg_zeros_v[lid] += wg_zeros_v[lid + stride];
      }
      workgroupBarrier();
    }
    if (lid == 0u && 2u * WG_SIZE * PAIRS_PER_INVOCATION * group < count) {
      partials[4u * group] = bitcast<u32>(wg_sum_sq_v[0]);
      partials[4u * group + 1u] = bitcast<u32>(wg_sum_sq_ref[0]);
      partials[4u * group + 2u] = bitcast<u32>(wg_max_abs_v[0]);
      partials[4u * group + 3u] = wg_zeros_v[0];
    }
  }
}
