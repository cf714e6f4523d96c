// ARM activation quantizers (included inside the level's anonymous
// namespace). Bit-identical to the scalar ones (scalar_legacy.cpp,
// scalar_kquants.cpp): the same amax (fmaxnm = std::fmax), the same
// x * (127/amax) product rounded to nearest even (fcvtns), the same fp16
// rounding (fcvt, nearest even).

inline float amax_of(const float *x, int n) {
    float32x4_t m = vdupq_n_f32(0.0f);
    for (int v = 0; v < n; v += 4) m = vmaxnmq_f32(m, vabsq_f32(vld1q_f32(x + v)));
    return vmaxnmvq_f32(m);
}

// 16 floats -> 16 int8 at scale id; returns their sum.
inline int quantize16(const float *x, float32x4_t id, int8_t *q) {
    int32x4_t i[4];
    for (int v = 0; v < 4; ++v) i[v] = vcvtnq_s32_f32(vmulq_f32(vld1q_f32(x + 4 * v), id));
    const int16x8_t lo = vcombine_s16(vqmovn_s32(i[0]), vqmovn_s32(i[1]));
    const int16x8_t hi = vcombine_s16(vqmovn_s32(i[2]), vqmovn_s32(i[3]));
    vst1q_s8(q, vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi)));
    return vaddvq_s32(vaddq_s32(vaddq_s32(i[0], i[1]), vaddq_s32(i[2], i[3])));
}

// 127/amax (0 for an all-zero block), broadcast.
inline float32x4_t inv_scale(float amax) { return vdupq_n_f32(amax > 0.0f ? 127.0f / amax : 0.0f); }

// Q8_0 / Q8_1 (B): blocks of 32 with an fp16 d (and s = d * sum(q)).
template <class B>
void quantize_q8_32(const float *x, void *dst, int64_t k) {
    auto *y = static_cast<B *>(dst);
    for (int64_t i = 0; i < k / kQK; ++i, x += kQK) {
        const float amax = amax_of(x, kQK), d = amax / 127.0f;
        const int sum = quantize16(x, inv_scale(amax), y[i].qs) + quantize16(x + 16, inv_scale(amax), y[i].qs + 16);
        y[i].d = to_half(d);
        if constexpr (sizeof(B) == sizeof(BlockQ8_1)) y[i].s = to_half(d * static_cast<float>(sum));
    }
}

void quantize_q8_0_arm(const float *x, void *dst, int64_t k) { quantize_q8_32<BlockQ8_0>(x, dst, k); }
void quantize_q8_1_arm(const float *x, void *dst, int64_t k) { quantize_q8_32<BlockQ8_1>(x, dst, k); }

void quantize_q8_k_arm(const float *x, void *dst, int64_t k) {
    auto *y = static_cast<BlockQ8_K *>(dst);
    for (int64_t i = 0; i < k / kQKK; ++i, x += kQKK) {
        const float amax = amax_of(x, kQKK);
        for (int g = 0; g < 16; ++g) y[i].bsums[g] = int16_t(quantize16(x + 16 * g, inv_scale(amax), y[i].qs + 16 * g));
        y[i].d = amax / 127.0f;
    }
}

void convert_f32_arm(const float *x, void *dst, int64_t k) { __builtin_memcpy(dst, x, sizeof(float) * size_t(k)); }
