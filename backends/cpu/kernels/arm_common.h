// Helpers shared by the ARM levels. Included by arm_neon.cpp (baseline
// armv8-a NEON) and arm_dotprod.cpp (+dotprod) inside an anonymous
// namespace, so each level compiles its own copy for its target. Only
// intrinsics and plain loops here (no std:: templates: an inline function
// compiled for +dotprod could be picked by the linker for baseline callers).
//
// LOOM_ARM_DOTPROD (1 at the dotprod level; GCC sets no feature macro for a
// `#pragma GCC target`) switches the int8 dot products to sdot.

inline float hsum(float32x4_t v) { return vaddvq_f32(v); }

// IEEE half -> float (fcvt: exact).
inline float half(uint16_t h) { return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0); }

// float -> IEEE half, rounded to nearest even (FPCR default; lib/quant's fp32_to_fp16).
inline uint16_t to_half(float f) { return vget_lane_u16(vreinterpret_u16_f16(vcvt_f16_f32(vdupq_n_f32(f))), 0); }

// acc + the 16 products a[i]*b[i] of signed bytes, spread over 4 int32 lanes
// (which lane holds which product differs between the two forms; callers
// only use whole-vector sums).
inline int32x4_t dot_s8(int32x4_t acc, int8x16_t a, int8x16_t b) {
#if LOOM_ARM_DOTPROD
    return vdotq_s32(acc, a, b);
#else
    // |a*b| <= 128*128 fits int16; pairwise widening adds keep it exact.
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
#endif
}

// 16 bytes -> their low nibbles (values 0..15) and high nibbles (16..31).
inline void nibbles(const uint8_t *p, int8x16_t &lo, int8x16_t &hi) {
    const uint8x16_t v = vld1q_u8(p);
    lo = vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(0xF)));
    hi = vreinterpretq_s8_u8(vshrq_n_u8(v, 4));
}

// (v >> n) & mask per byte, n a run-time shift (constant after unrolling).
inline uint8x16_t bits_of(uint8x16_t v, int n, uint8_t mask) {
    return vandq_u8(vshlq_u8(v, vdupq_n_s8(int8_t(-n))), vdupq_n_u8(mask));
}
