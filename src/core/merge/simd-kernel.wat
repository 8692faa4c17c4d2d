;; The CPU merge kernel in WebAssembly SIMD: the same arithmetic as the TypeScript twin
;; (cpu-kernel.ts) and the WGSL kernel (shaders/merge.wgsl), four float32 lanes at a time.
;;
;; WebAssembly float arithmetic is IEEE 754 binary32 with round-to-nearest-even, subnormals kept,
;; and no contraction (there is no fused multiply-add in this instruction set), so every lane
;; computes exactly what the TypeScript twin computes. NaN bit patterns from arithmetic are
;; nondeterministic in WebAssembly; the encoders canonicalise every NaN, so outputs are not.
;;
;; Every function works on `n` elements rounded up to a multiple of 8; callers pad their buffers.
;; Pointers are byte offsets into the exported memory. Assemble with `npm run build:wasm`.
(module
  (memory (export "memory") 1)

  ;; ---- decoders: dtype → float32 bits -----------------------------------------------------

  ;; bf16 → f32: the 16 bits become the high half.
  (func (export "decode_bf16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v (v128.load (local.get $src)))
        (v128.store (local.get $dst) (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $v)) (i32.const 16)))
        (v128.store offset=16 (local.get $dst) (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $v)) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next))))

  ;; f16 → f32 for four widened lanes (h in the low 16 bits of each i32 lane).
  (func $f16_lanes (param $h v128) (result v128)
    (local $em v128) (local $e v128) (local $shifted v128) (local $sub v128) (local $r v128)
    (local.set $em (v128.and (local.get $h) (i32x4.splat (i32.const 0x7fff))))
    (local.set $e (v128.and (local.get $h) (i32x4.splat (i32.const 0x7c00))))
    (local.set $shifted (i32x4.shl (local.get $em) (i32.const 13)))
    ;; subnormal (and zero): mantissa · 2^-24, exact in float32
    (local.set $sub (f32x4.mul (f32x4.convert_i32x4_u (local.get $em)) (f32x4.splat (f32.const 0x1p-24))))
    ;; normal: rebias the exponent 15 → 127
    (local.set $r (i32x4.add (local.get $shifted) (i32x4.splat (i32.const 0x38000000))))
    ;; infinity and NaN: exponent all ones
    (local.set $r (v128.bitselect
      (v128.or (local.get $shifted) (i32x4.splat (i32.const 0x7f800000)))
      (local.get $r)
      (i32x4.eq (local.get $e) (i32x4.splat (i32.const 0x7c00)))))
    (local.set $r (v128.bitselect (local.get $sub) (local.get $r) (i32x4.eq (local.get $e) (v128.const i32x4 0 0 0 0))))
    (v128.or (local.get $r) (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x8000))) (i32.const 16))))

  (func (export "decode_f16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v (v128.load (local.get $src)))
        (v128.store (local.get $dst) (call $f16_lanes (i32x4.extend_low_i16x8_u (local.get $v))))
        (v128.store offset=16 (local.get $dst) (call $f16_lanes (i32x4.extend_high_i16x8_u (local.get $v))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next))))

  ;; ---- one term on a base, fused (the common case), in place on float32 blocks -------------

  ;; t ← (p == 0) ? t : t + p  with p = α·(g − s)
  (func (export "merge") (param $t i32) (param $s i32) (param $g i32) (param $n i32) (param $alpha f32)
    (local $end i32) (local $a v128) (local $tv v128) (local $p v128)
    (local.set $a (f32x4.splat (local.get $alpha)))
    (local.set $end (i32.add (local.get $t) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $t) (local.get $end)))
        (local.set $tv (v128.load (local.get $t)))
        (local.set $p (f32x4.mul (local.get $a) (f32x4.sub (v128.load (local.get $g)) (v128.load (local.get $s)))))
        (v128.store (local.get $t)
          (v128.bitselect (local.get $tv) (f32x4.add (local.get $tv) (local.get $p)) (f32x4.eq (local.get $p) (f32x4.splat (f32.const 0)))))
        (local.set $t (i32.add (local.get $t) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (br $next))))

  ;; t ← (p == 0) ? t : t + p  with p = α·v
  (func (export "apply") (param $t i32) (param $v i32) (param $n i32) (param $alpha f32)
    (local $end i32) (local $a v128) (local $tv v128) (local $p v128)
    (local.set $a (f32x4.splat (local.get $alpha)))
    (local.set $end (i32.add (local.get $t) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $t) (local.get $end)))
        (local.set $tv (v128.load (local.get $t)))
        (local.set $p (f32x4.mul (local.get $a) (v128.load (local.get $v))))
        (v128.store (local.get $t)
          (v128.bitselect (local.get $tv) (f32x4.add (local.get $tv) (local.get $p)) (f32x4.eq (local.get $p) (f32x4.splat (f32.const 0)))))
        (local.set $t (i32.add (local.get $t) (i32.const 16)))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (br $next))))

  ;; ---- the general fold (kernel.ts): acc ← p₁, then acc ← acc + pₖ; then t ← acc == 0 ? t : t + acc

  ;; acc ← α·(x − m)
  (func (export "pair_first") (param $acc i32) (param $x i32) (param $m i32) (param $n i32) (param $alpha f32)
    (local $end i32) (local $a v128)
    (local.set $a (f32x4.splat (local.get $alpha)))
    (local.set $end (i32.add (local.get $acc) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $acc) (local.get $end)))
        (v128.store (local.get $acc) (f32x4.mul (local.get $a) (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $m)))))
        (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $m (i32.add (local.get $m) (i32.const 16)))
        (br $next))))

  ;; acc ← acc + α·(x − m)
  (func (export "pair_add") (param $acc i32) (param $x i32) (param $m i32) (param $n i32) (param $alpha f32)
    (local $end i32) (local $a v128)
    (local.set $a (f32x4.splat (local.get $alpha)))
    (local.set $end (i32.add (local.get $acc) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $acc) (local.get $end)))
        (v128.store (local.get $acc) (f32x4.add (v128.load (local.get $acc))
          (f32x4.mul (local.get $a) (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $m))))))
        (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $m (i32.add (local.get $m) (i32.const 16)))
        (br $next))))

  ;; acc ← α·x
  (func (export "single_first") (param $acc i32) (param $x i32) (param $n i32) (param $alpha f32)
    (local $end i32) (local $a v128)
    (local.set $a (f32x4.splat (local.get $alpha)))
    (local.set $end (i32.add (local.get $acc) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $acc) (local.get $end)))
        (v128.store (local.get $acc) (f32x4.mul (local.get $a) (v128.load (local.get $x))))
        (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $next))))

  ;; acc ← acc + α·x
  (func (export "single_add") (param $acc i32) (param $x i32) (param $n i32) (param $alpha f32)
    (local $end i32) (local $a v128)
    (local.set $a (f32x4.splat (local.get $alpha)))
    (local.set $end (i32.add (local.get $acc) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $acc) (local.get $end)))
        (v128.store (local.get $acc) (f32x4.add (v128.load (local.get $acc)) (f32x4.mul (local.get $a) (v128.load (local.get $x)))))
        (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $next))))

  ;; t ← (acc == 0) ? t : t + acc
  (func (export "add_base") (param $t i32) (param $acc i32) (param $n i32)
    (local $end i32) (local $tv v128) (local $p v128)
    (local.set $end (i32.add (local.get $t) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $t) (local.get $end)))
        (local.set $tv (v128.load (local.get $t)))
        (local.set $p (v128.load (local.get $acc)))
        (v128.store (local.get $t)
          (v128.bitselect (local.get $tv) (f32x4.add (local.get $tv) (local.get $p)) (f32x4.eq (local.get $p) (f32x4.splat (f32.const 0)))))
        (local.set $t (i32.add (local.get $t) (i32.const 16)))
        (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
        (br $next))))

  ;; ---- encoders: float32 → dtype, nearest even, canonical NaN ----------------------------

  ;; (the lane helpers are written out in the loops: V8 does not inline wasm calls everywhere)
  (func (export "encode_bf16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $lo v128) (local $hi v128)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (local.set $lo (v128.load (local.get $src)))
        (local.set $hi (v128.load offset=16 (local.get $src)))
        (local.set $lo (v128.bitselect
          (i32x4.splat (i32.const 0x7fc0))
          (i32x4.shr_u
            (i32x4.add (i32x4.add (local.get $lo) (i32x4.splat (i32.const 0x7fff)))
                       (v128.and (i32x4.shr_u (local.get $lo) (i32.const 16)) (i32x4.splat (i32.const 1))))
            (i32.const 16))
          (i32x4.gt_u (v128.and (local.get $lo) (i32x4.splat (i32.const 0x7fffffff))) (i32x4.splat (i32.const 0x7f800000)))))
        (local.set $hi (v128.bitselect
          (i32x4.splat (i32.const 0x7fc0))
          (i32x4.shr_u
            (i32x4.add (i32x4.add (local.get $hi) (i32x4.splat (i32.const 0x7fff)))
                       (v128.and (i32x4.shr_u (local.get $hi) (i32.const 16)) (i32x4.splat (i32.const 1))))
            (i32.const 16))
          (i32x4.gt_u (v128.and (local.get $hi) (i32x4.splat (i32.const 0x7fffffff))) (i32x4.splat (i32.const 0x7f800000)))))
        (v128.store (local.get $dst) (i16x8.narrow_i32x4_u (local.get $lo) (local.get $hi)))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next))))

  (func $f16_encode_lanes (param $b v128) (result v128)
    (local $abs v128) (local $rebased v128) (local $r v128) (local $sub v128)
    (local.set $abs (v128.and (local.get $b) (i32x4.splat (i32.const 0x7fffffff))))
    ;; normal: rebias 127 → 15 and round away the 13 low bits, nearest even
    (local.set $rebased (i32x4.sub (local.get $abs) (i32x4.splat (i32.const 0x38000000))))
    (local.set $r (i32x4.shr_u
      (i32x4.add (i32x4.add (local.get $rebased) (i32x4.splat (i32.const 0xfff)))
                 (v128.and (i32x4.shr_u (local.get $rebased) (i32.const 13)) (i32x4.splat (i32.const 1))))
      (i32.const 13)))
    ;; subnormal: round(|x| · 2^24) to the nearest even integer (the scaling is exact)
    (local.set $sub (i32x4.trunc_sat_f32x4_u (f32x4.nearest (f32x4.mul (local.get $abs) (f32x4.splat (f32.const 0x1p24))))))
    (local.set $r (v128.bitselect (local.get $sub) (local.get $r) (i32x4.lt_u (local.get $abs) (i32x4.splat (i32.const 0x38800000)))))
    ;; 65520 and above round to infinity
    (local.set $r (v128.bitselect (i32x4.splat (i32.const 0x7c00)) (local.get $r) (i32x4.ge_u (local.get $abs) (i32x4.splat (i32.const 0x477ff000)))))
    (local.set $r (v128.or (local.get $r) (v128.and (i32x4.shr_u (local.get $b) (i32.const 16)) (i32x4.splat (i32.const 0x8000)))))
    (v128.bitselect (i32x4.splat (i32.const 0x7e00)) (local.get $r) (i32x4.gt_u (local.get $abs) (i32x4.splat (i32.const 0x7f800000)))))

  (func (export "encode_f16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (v128.store (local.get $dst)
          (i16x8.narrow_i32x4_u (call $f16_encode_lanes (v128.load (local.get $src))) (call $f16_encode_lanes (v128.load offset=16 (local.get $src)))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next))))

  (func (export "encode_f32") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $b v128)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (local.set $b (v128.load (local.get $src)))
        (v128.store (local.get $dst) (v128.bitselect (i32x4.splat (i32.const 0x7fc00000)) (local.get $b)
          (i32x4.gt_u (v128.and (local.get $b) (i32x4.splat (i32.const 0x7fffffff))) (i32x4.splat (i32.const 0x7f800000)))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next))))
)
