// The merge kernel: one pass of the general fold of src/core/merge/kernel.ts over one chunk of
// elements, with optional statistics of the first term's vector. The contract and the exact
// arithmetic are in kernel.ts; the CPU twin (src/core/merge/cpu-kernel.ts) is the reference, and
// this kernel must equal it bit for bit.
//
// Needs shaders/dtype.wgsl prepended (codecs, DT_* codes). Pipeline layout (src/core/gpu/merge-webgpu.ts):
//   0 params    uniform    count, zero, the terms' α
//   1..6 in0..5 storage r  up to MAX_SLOTS inputs (unused ones bound to a dummy buffer); with BASE,
//                          in0 is the base
//   7 dst       storage rw the encoded result (dummy when OUTPUT is false)
//   8 partials  storage rw 4 words per workgroup (dummy when STATS is false)
// (8 storage buffers: the WebGPU default maxStorageBuffersPerShaderStage.) A task with more inputs
// or terms than one pass takes is split by the host into passes that carry the float32 sum in a
// buffer: the next pass reads it as an input with the term 1·acc first (exact, see kernel.ts).
//
// Data are array<u32>. The unit of work is a pair of elements (2i, 2i+1): one word of 16-bit data,
// two words of float32. Invocation `lid` of workgroup `group` handles pairs
// (group · PAIRS_PER_INVOCATION + k) · WG_SIZE + lid, k = 0..7, so that each of the 8 steps reads
// and writes consecutive words across the workgroup. The count may be odd: the host zero-pads 16-bit
// inputs to a whole word, the last pair's missing element is neither read (float32), counted, nor
// written (a 16-bit output gets 0 in the padding half, which the host never reads back).

// ---- Specialisation: one pipeline per (inputs, terms, dtypes, stats, output) -----------------

const MAX_SLOTS: u32 = 6u;
const MAX_TERMS: u32 = 8u;
const NONE: u32 = 255u;

override N_SLOTS: u32 = 1u;   // inputs bound
override BASE: bool = true;   // in0 is the base: r = (acc == 0) ? in0 : in0 + acc; else r = acc
override N_TERMS: u32 = 0u;   // 0 with BASE: a copy
// Term k: α_k·(in[PLUS_k] − in[MINUS_k]), or α_k·in[PLUS_k] when MINUS_k is NONE.
override PLUS_0: u32 = 0u;
override PLUS_1: u32 = 0u;
override PLUS_2: u32 = 0u;
override PLUS_3: u32 = 0u;
override PLUS_4: u32 = 0u;
override PLUS_5: u32 = 0u;
override PLUS_6: u32 = 0u;
override PLUS_7: u32 = 0u;
override MINUS_0: u32 = NONE;
override MINUS_1: u32 = NONE;
override MINUS_2: u32 = NONE;
override MINUS_3: u32 = NONE;
override MINUS_4: u32 = NONE;
override MINUS_5: u32 = NONE;
override MINUS_6: u32 = NONE;
override MINUS_7: u32 = NONE;
override IN0_DTYPE: u32 = DT_F32;
override IN1_DTYPE: u32 = DT_F32;
override IN2_DTYPE: u32 = DT_F32;
override IN3_DTYPE: u32 = DT_F32;
override IN4_DTYPE: u32 = DT_F32;
override IN5_DTYPE: u32 = DT_F32;
override OUT_DTYPE: u32 = DT_F32;
override STATS: bool = false;
override OUTPUT: bool = true;
// ties / dare_* / breadcrumbs (src/core/merge/sparse-kernel.ts): keep rules per term, majority
// sign, normalisation by a host table of 1/Σα per agreeing subset (a product: WGSL's division is not
// correctly rounded). At most MAX_SPARSE_TERMS terms, one pass.
const MAX_SPARSE_TERMS: u32 = 5u;
const KEEP_ALL: u32 = 0u;
const KEEP_BAND: u32 = 1u;    // lo ≤ |d| < hi
const KEEP_RANDOM: u32 = 2u;  // (hash(key, index) >> 8) < threshold, then d·inverse when inverse ≠ 0
override SPARSE: bool = false;
override CONSENSUS: bool = false;
override NORMALIZE: bool = false;
override KEEP_0: u32 = KEEP_ALL;
override KEEP_1: u32 = KEEP_ALL;
override KEEP_2: u32 = KEEP_ALL;
override KEEP_3: u32 = KEEP_ALL;
override KEEP_4: u32 = KEEP_ALL;

// 256 invocations (the WebGPU default maxComputeInvocationsPerWorkgroup) × 8 pairs each: 4096
// elements per workgroup, 2048 workgroups for an 8 Mi-element chunk (plenty to fill a GPU). Several
// pairs per invocation keep the workgroups, hence the barriers and the partials, few: SwiftShader
// runs a shader with barriers as coroutines, and with 1 pair per invocation statistics made the
// kernel ~20× slower there (~4× with 8).
const WG_SIZE: u32 = 256u;
const PAIRS_PER_INVOCATION: u32 = 8u;

struct Params {
  count: u32, // elements in this chunk
  zero: u32,  // always 0: see opaque()
  start: u32, // index of the chunk's first element in its tensor (the random draw's counter)
  _pad1: u32,
  alpha: array<vec4<f32>, 2>, // α of term k at alpha[k / 4][k % 4], already rounded to float32
  // Keep rule of term k: band (bits of lo, bits of hi, -, -); random (bits of inverse or 0, -, key, threshold).
  keep: array<vec4<u32>, 8>,
  // 1/Σα (float32) for each subset of counted terms, bit k of the index for term k.
  recip: array<vec4<f32>, 8>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> in0: array<u32>;
@group(0) @binding(2) var<storage, read> in1: array<u32>;
@group(0) @binding(3) var<storage, read> in2: array<u32>;
@group(0) @binding(4) var<storage, read> in3: array<u32>;
@group(0) @binding(5) var<storage, read> in4: array<u32>;
@group(0) @binding(6) var<storage, read> in5: array<u32>;
@group(0) @binding(7) var<storage, read_write> dst: array<u32>;
// Per workgroup: sum v², sum ref², max |v| (float32 bits), count of v == 0. The host adds them in float64.
@group(0) @binding(8) var<storage, read_write> partials: array<u32>;

fn term_plus(k: u32) -> u32 {
  switch (k) {
    case 0u: { return PLUS_0; }
    case 1u: { return PLUS_1; }
    case 2u: { return PLUS_2; }
    case 3u: { return PLUS_3; }
    case 4u: { return PLUS_4; }
    case 5u: { return PLUS_5; }
    case 6u: { return PLUS_6; }
    default: { return PLUS_7; }
  }
}

fn term_keep(k: u32) -> u32 {
  switch (k) {
    case 0u: { return KEEP_0; }
    case 1u: { return KEEP_1; }
    case 2u: { return KEEP_2; }
    case 3u: { return KEEP_3; }
    default: { return KEEP_4; }
  }
}

// lowbias32, as mix32 in sparse-kernel.ts.
fn mix32(v: u32) -> u32 {
  var x = v;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  return x ^ (x >> 16u);
}

fn term_minus(k: u32) -> u32 {
  switch (k) {
    case 0u: { return MINUS_0; }
    case 1u: { return MINUS_1; }
    case 2u: { return MINUS_2; }
    case 3u: { return MINUS_3; }
    case 4u: { return MINUS_4; }
    case 5u: { return MINUS_5; }
    case 6u: { return MINUS_6; }
    default: { return MINUS_7; }
  }
}

// ---- Loading and storing pairs --------------------------------------------------------------

// Float32 bits of elements 2i and 2i+1: one word of 16-bit data, or two words of float32 (the
// second only if it exists).
fn decode16_pair(dtype: u32, w: u32) -> vec2<u32> {
  return vec2<u32>(decode16(dtype, w & 0xffffu), decode16(dtype, w >> 16u));
}

// Word i of slot j's binding (WGSL cannot index bindings; j is a constant after unrolling).
fn word(j: u32, i: u32) -> u32 {
  switch (j) {
    case 0u: { return in0[i]; }
    case 1u: { return in1[i]; }
    case 2u: { return in2[i]; }
    case 3u: { return in3[i]; }
    case 4u: { return in4[i]; }
    default: { return in5[i]; }
  }
}

fn slot_dtype(j: u32) -> u32 {
  switch (j) {
    case 0u: { return IN0_DTYPE; }
    case 1u: { return IN1_DTYPE; }
    case 2u: { return IN2_DTYPE; }
    case 3u: { return IN3_DTYPE; }
    case 4u: { return IN4_DTYPE; }
    default: { return IN5_DTYPE; }
  }
}

fn read_slot(j: u32, i: u32, has_hi: bool) -> vec2<u32> {
  let dtype = slot_dtype(j);
  if (dtype != DT_F32) {
    return decode16_pair(dtype, word(j, i));
  }
  var x = vec2<u32>(word(j, 2u * i), 0u);
  if (has_hi) {
    x.y = word(j, 2u * i + 1u);
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

struct Element {
  r: u32,   // result bits (float32)
  v: f32,   // the first term's vector element d₁
  sft: f32, // the first term's minus input (its reference), 0 when it has none
}

// The sparsified methods' element (sparse-kernel.ts, step for step).
fn sparse_element(x: array<u32, MAX_SLOTS>, index: u32) -> Element {
  var p: array<f32, MAX_SPARSE_TERMS>;
  var v = 0.0;
  var minus0 = 0.0;
  for (var k = 0u; k < N_TERMS; k++) {
    var d = bitcast<f32>(x[term_plus(k)]);
    var s = 0.0;
    let m = term_minus(k);
    if (m != NONE) {
      s = bitcast<f32>(x[m]);
      d = d - s;
    }
    if (k == 0u) {
      v = d;
      minus0 = s;
    }
    let rule = params.keep[k];
    let kind = term_keep(k);
    if (kind == KEEP_BAND) {
      let a = abs(d);
      if (!(bitcast<f32>(rule.x) <= a && a < bitcast<f32>(rule.y))) {
        d = 0.0;
      }
    } else if (kind == KEEP_RANDOM) {
      let h = mix32(index * 0x9e3779b9u + rule.z);
      if ((h >> 8u) < rule.w) {
        if (rule.x != 0u) {
          d = opaque(d * bitcast<f32>(rule.x));
        }
      } else {
        d = 0.0;
      }
    }
    p[k] = opaque(params.alpha[k / 4u][k % 4u] * d);
  }
  var sign = 0.0;
  if (CONSENSUS) {
    var s = p[0];
    for (var k = 1u; k < N_TERMS; k++) {
      s = s + p[k];
    }
    sign = select(-1.0, 1.0, s >= 0.0);
  }
  var acc = 0.0;
  var counted = 0u;
  var first = true;
  for (var k = 0u; k < N_TERMS; k++) {
    let pk = p[k];
    if (CONSENSUS && !((sign > 0.0 && pk > 0.0) || (sign < 0.0 && pk < 0.0))) {
      continue;
    }
    acc = select(acc + pk, pk, first);
    counted = counted | (1u << k);
    first = false;
  }
  if (NORMALIZE) {
    acc = opaque(acc * params.recip[counted / 4u][counted % 4u]);
  }
  if (!BASE) {
    return Element(bitcast<u32>(acc), v, minus0);
  }
  if (acc == 0.0) {
    return Element(x[0], v, minus0);
  }
  return Element(bitcast<u32>(bitcast<f32>(x[0]) + acc), v, minus0);
}

// One element of the fold; x holds the decoded inputs' float32 bits by slot.
fn element(x: array<u32, MAX_SLOTS>, index: u32) -> Element {
  if (SPARSE) {
    return sparse_element(x, index);
  }
  if (N_TERMS == 0u) {
    return Element(x[0], 0.0, 0.0);
  }
  var acc = 0.0;
  var v = 0.0;
  var minus0 = 0.0;
  for (var k = 0u; k < N_TERMS; k++) {
    var d = bitcast<f32>(x[term_plus(k)]);
    var s = 0.0;
    let m = term_minus(k);
    if (m != NONE) {
      s = bitcast<f32>(x[m]);
      d = d - s;
    }
    let p = opaque(params.alpha[k / 4u][k % 4u] * d);
    if (k == 0u) {
      v = d;
      minus0 = s;
      acc = p;
    } else {
      acc = acc + p;
    }
  }
  if (!BASE) {
    return Element(bitcast<u32>(acc), v, minus0);
  }
  // "acc == 0 keeps the base" keeps α = 0, zero and cancelling vectors bit-exact, signed zeros
  // included (t + 0 would turn −0 into +0), and never touches the base's bits then.
  if (acc == 0.0) {
    return Element(x[0], v, minus0);
  }
  return Element(bitcast<u32>(bitcast<f32>(x[0]) + acc), v, minus0);
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
  var lo: array<u32, MAX_SLOTS>;
  var hi: array<u32, MAX_SLOTS>;
  for (var j = 0u; j < N_SLOTS; j++) {
    let x = read_slot(j, pair, has_hi);
    lo[j] = x.x;
    hi[j] = x.y;
  }
  let a = element(lo, params.start + 2u * pair);
  let b = element(hi, params.start + 2u * pair + 1u);
  if (OUTPUT) {
    write_pair(pair, vec2<u32>(a.r, b.r), has_hi);
  }
  if (STATS) {
    accumulate(stats, a);
    if (has_hi) {
      accumulate(stats, b);
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
