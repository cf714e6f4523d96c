// The K-quants: 256-value super-blocks of 16 or 8 sub-blocks, each with its
// own quantized scale (and min), under fp16 super-scales.
//
//   Q2_K  [scales 16: 4-bit scale | 4-bit min << 4][qs 64: 2-bit][d][dmin]   x = d*sc*q - dmin*m
//   Q3_K  [hmask 32][qs 64: 2-bit][scales 12: 16 x 6-bit][d]                 x = d*(sc-32)*(q-4)
//   Q4_K  [d][dmin][scales 12: 8 x (6-bit sc, 6-bit m)][qs 128: 4-bit]       x = d*sc*q - dmin*m
//   Q5_K  [d][dmin][scales 12][qh 32][qs 128: 4-bit]                         x = d*sc*q - dmin*m
//   Q6_K  [ql 128: 4-bit][qh 64: 2-bit][scales 16: int8][d]                  x = d*sc*(q-32)
//   Q8_K  [d f32][qs 256: int8][bsums 16: int16 sums of 16 codes]            x = d*q
//
// Code planes: see code_planes.h (2-bit: Q2_K, Q3_K low bits, Q6_K high
// bits; bit: Q3_K hmask, Q5_K qh; 4-bit: Q4_K, Q5_K).
//   Q6_K low nibbles: byte (v/128)*64 + ((v%128)/32 % 2)*32 + v%32, high nibble when v%128 >= 64
#include "quant/fp_exact.h"
#include "quant/block_io.h"
#include "quant/codecs.h"
#include "quant/code_planes.h"
#include "quant/scale_search.h"

#include <algorithm>
#include <cmath>

namespace loom {
namespace {

constexpr int kQK = 256;

size_t q6_nibble_byte(int v) { return size_t((v / 128) * 64 + ((v % 128) / 32 % 2) * 32 + v % 32); }
int q6_nibble(const uint8_t *ql, int v) { return (ql[q6_nibble_byte(v)] >> (4 * ((v % 128) / 64))) & 0xf; }
void put_q6_nibble(uint8_t *ql, int v, int q) { ql[q6_nibble_byte(v)] |= uint8_t((q & 0xf) << (4 * ((v % 128) / 64))); }

// Q4_K/Q5_K: 8 pairs of 6-bit (scale, min). Pairs 0-3 in the low 6 bits of
// bytes 0-3 / 4-7; pairs 4-7 in the nibbles of bytes 8-11 with their top two
// bits in the high 2 bits of bytes 0-3 (scale) / 4-7 (min).
void scale_min_k4(const uint8_t *s, int j, int *sc, int *m) {
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0xf) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

void put_scale_min_k4(uint8_t *s, int j, int sc, int m) {
    if (j < 4) {
        s[j] |= uint8_t(sc);
        s[j + 4] |= uint8_t(m);
    } else {
        s[j + 4] |= uint8_t((sc & 0xf) | ((m & 0xf) << 4));
        s[j - 4] |= uint8_t((sc >> 4) << 6);
        s[j] |= uint8_t((m >> 4) << 6);
    }
}

// Q3_K: 16 6-bit scales (stored +32): low nibbles in bytes 0-7 (scales 0-7
// low, 8-15 high nibble), top two bits in bytes 8-11 at bits 2*(j/4).
int q3_scale(const uint8_t *s, int j) {
    const int low = j < 8 ? s[j] & 0xf : s[j - 8] >> 4;
    const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    return (low | (high << 4)) - 32;
}

void put_q3_scale(uint8_t *s, int j, int stored) {
    s[j % 8] |= uint8_t((stored & 0xf) << (j < 8 ? 0 : 4));
    s[8 + j % 4] |= uint8_t((stored >> 4) << (2 * (j / 4)));
}

// ---- formats: sub-block scales and the code of each value ----------------

struct Q2K {
    static constexpr size_t kBytes = 84;
    static constexpr int kSub = 16;
    static constexpr bool kAffine = true;
    static void scales(const uint8_t *b, float *dl, float *ml) {
        const float d = load_fp16(b + 80), dmin = load_fp16(b + 82);
        for (int j = 0; j < 16; ++j) {
            dl[j] = d * float(b[j] & 0xf);
            ml[j] = dmin * float(b[j] >> 4);
        }
    }
    static int code(const uint8_t *b, int v) { return crumb(b + 16, v); }
};

struct Q3K {
    static constexpr size_t kBytes = 110;
    static constexpr int kSub = 16;
    static constexpr bool kAffine = false;
    static void scales(const uint8_t *b, float *dl, float *) {
        const float d = load_fp16(b + 108);
        for (int j = 0; j < 16; ++j) dl[j] = d * float(q3_scale(b + 96, j));
    }
    static int code(const uint8_t *b, int v) { return crumb(b + 32, v) - (hbit(b, v) ? 0 : 4); }
};

template <int kHighBits>
struct Q45K {
    static constexpr size_t kBytes = kHighBits ? 176 : 144;
    static constexpr int kSub = 32;
    static constexpr bool kAffine = true;
    static constexpr int kQs = kHighBits ? 48 : 16;
    static void scales(const uint8_t *b, float *dl, float *ml) {
        const float d = load_fp16(b), dmin = load_fp16(b + 2);
        for (int j = 0; j < 8; ++j) {
            int sc, m;
            scale_min_k4(b + 4, j, &sc, &m);
            dl[j] = d * float(sc);
            ml[j] = dmin * float(m);
        }
    }
    static int code(const uint8_t *b, int v) { return nibble(b + kQs, v) + (kHighBits ? 16 * hbit(b + 16, v) : 0); }
};
using Q4K = Q45K<0>;
using Q5K = Q45K<1>;

struct Q6K {
    static constexpr size_t kBytes = 210;
    static constexpr int kSub = 16;
    static constexpr bool kAffine = false;
    static void scales(const uint8_t *b, float *dl, float *) {
        const float d = load_fp16(b + 208);
        for (int j = 0; j < 16; ++j) dl[j] = d * float(int8_t(b[192 + j]));
    }
    static int code(const uint8_t *b, int v) { return (q6_nibble(b, v) | (crumb(b + 128, v) << 4)) - 32; }
};

struct Q8K {
    static constexpr size_t kBytes = 292;
    static constexpr int kSub = kQK;
    static constexpr bool kAffine = false;
    static void scales(const uint8_t *b, float *dl, float *) { dl[0] = load_f32(b); }
    static int code(const uint8_t *b, int v) { return int8_t(b[4 + v]); }
};

template <class F>
void k_to_float(const void *src, float *dst, int64_t n) {
    for_each_block<kQK, F::kBytes>(src, dst, n, [](const uint8_t *b, float *y) {
        float dl[16], ml[16];
        F::scales(b, dl, ml);
        for (int v = 0; v < kQK; ++v) {
            const int j = v / F::kSub;
            y[v] = F::kAffine ? dl[j] * float(F::code(b, v)) - ml[j] : dl[j] * float(F::code(b, v));
        }
    });
}

// ---- encoders ---------------------------------------------------------------

// Codes of one sub-block for its final (fp16-rounded) scale d and min dm.
void requantize_affine(const float *x, int n, int nmax, float d, float dm, uint8_t *L) {
    for (int i = 0; i < n; ++i) L[i] = uint8_t(clamp_int(nearest_int((x[i] + dm) / d), 0, nmax));
}

template <typename Code>
void requantize_symmetric(const float *x, int n, int nmax, float d, Code *L) {
    for (int i = 0; i < n; ++i) L[i] = Code(clamp_int(nearest_int(x[i] / d), -nmax, nmax - 1) + nmax);
}

// Q2_K's codes for the stored scales (packed in b), then the code plane.
void q2_k_codes(const float *x, uint8_t *b, uint8_t *L) {
    for (int j = 0; j < 16; ++j) {
        const float d = load_fp16(b + 80) * float(b[j] & 0xf);
        if (d == 0.0f) continue;
        requantize_affine(x + 16 * j, 16, 3, d, load_fp16(b + 82) * float(b[j] >> 4), L + 16 * j);
    }
    for (int v = 0; v < kQK; ++v) put_crumb(b + 16, v, L[v]);
}

void q2_k_block(const float *x, uint8_t *b) {
    uint8_t L[kQK];
    float scales[16], mins[16], weights[16];
    float max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 16; ++j) {
        for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
        scales[j] = search_affine_scale(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], -0.5f, 0.1f, 15, true);
        max_scale = std::max(max_scale, scales[j]);
        max_min = std::max(max_min, mins[j]);
    }
    std::memset(b, 0, Q2K::kBytes);
    if (max_scale > 0.0f) {
        const float iscale = 15.0f / max_scale;
        for (int j = 0; j < 16; ++j) b[j] = uint8_t(nearest_int(iscale * scales[j]));
        store_fp16(b + 80, max_scale / 15.0f);
    }
    if (max_min > 0.0f) {
        const float iscale = 15.0f / max_min;
        for (int j = 0; j < 16; ++j) b[j] |= uint8_t(uint32_t(nearest_int(iscale * mins[j])) << 4);
        store_fp16(b + 82, max_min / 15.0f);
    }
    q2_k_codes(x, b, L);
}

// Q3_K's codes for the stored scales, then the high-bit mask and code plane.
void q3_k_codes(const float *x, uint8_t *b, int8_t *L) {
    for (int j = 0; j < 16; ++j) {
        const float d = load_fp16(b + 108) * float(q3_scale(b + 96, j));
        if (d != 0.0f) requantize_symmetric(x + 16 * j, 16, 4, d, L + 16 * j);
    }
    for (int v = 0; v < kQK; ++v) {
        put_hbit(b, v, L[v] > 3);
        put_crumb(b + 32, v, L[v] > 3 ? L[v] - 4 : L[v]);
    }
}

void q3_k_block(const float *x, uint8_t *b) {
    int8_t L[kQK];
    float scales[16], amax;
    for (int j = 0; j < 16; ++j) scales[j] = search_symmetric_scale_iterative(16, 4, x + 16 * j, L + 16 * j);
    const float max_scale = signed_absmax(16, scales, &amax);
    std::memset(b, 0, Q3K::kBytes);
    if (max_scale != 0.0f) {
        const float iscale = -32.0f / max_scale;
        for (int j = 0; j < 16; ++j) put_q3_scale(b + 96, j, clamp_int(int8_t(nearest_int(iscale * scales[j])), -32, 31) + 32);
        store_fp16(b + 108, 1.0f / iscale);
    }
    q3_k_codes(x, b, L);
}

template <class F>
constexpr int q45_nmax() { return F::kBytes == Q5K::kBytes ? 31 : 15; }

// Q4_K/Q5_K's codes for the stored scales and mins, then the code planes.
template <class F>
void q45_k_codes(const float *x, uint8_t *b, uint8_t *L) {
    constexpr int nmax = q45_nmax<F>();
    for (int j = 0; j < 8; ++j) {
        int sc, m;
        scale_min_k4(b + 4, j, &sc, &m);
        const float d = load_fp16(b) * float(sc);
        if (d == 0.0f) continue;
        requantize_affine(x + 32 * j, 32, nmax, d, load_fp16(b + 2) * float(m), L + 32 * j);
    }
    for (int v = 0; v < kQK; ++v) {
        put_nibble(b + F::kQs, v, L[v]);
        if (nmax == 31) put_hbit(b + 16, v, L[v] >> 4);
    }
}

// Q4_K and Q5_K: 8 sub-blocks of 32 searched with weights |x| + rms(x).
template <class F>
void q45_k_block(const float *x, uint8_t *b) {
    constexpr int nmax = q45_nmax<F>();
    constexpr float rmin = nmax == 31 ? -0.5f : -1.0f;
    constexpr int nstep = nmax == 31 ? 15 : 20;
    uint8_t L[kQK];
    float scales[8], mins[8], weights[32];
    float max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 8; ++j) {
        const float *xj = x + 32 * j;
        float sum_x2 = 0.0f;
        for (int l = 0; l < 32; ++l) sum_x2 += xj[l] * xj[l];
        const float av_x = std::sqrt(sum_x2 / 32.0f);
        for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xj[l]);
        scales[j] = search_affine_scale(32, nmax, xj, weights, L + 32 * j, &mins[j], rmin, 0.1f, nstep, false);
        max_scale = std::max(max_scale, scales[j]);
        max_min = std::max(max_min, mins[j]);
    }
    std::memset(b, 0, F::kBytes);
    const float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
    const float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
    for (int j = 0; j < 8; ++j) {
        const uint8_t ls = std::min<uint8_t>(63, uint8_t(nearest_int(inv_scale * scales[j])));
        const uint8_t lm = std::min<uint8_t>(63, uint8_t(nearest_int(inv_min * mins[j])));
        put_scale_min_k4(b + 4, j, ls, lm);
    }
    store_fp16(b, max_scale / 63.0f);
    store_fp16(b + 2, max_min / 63.0f);
    q45_k_codes<F>(x, b, L);
}

// Q6_K; `qw` (256 importance weights, or nullptr for x^2) weighs the
// sub-block searches.
void q6_k_block_weighted(const float *x, uint8_t *b, const float *qw) {
    int8_t L[kQK];
    float scales[16], max_abs_scale;
    for (int j = 0; j < 16; ++j)
        scales[j] = search_symmetric_scale(16, 32, x + 16 * j, L + 16 * j, qw ? qw + 16 * j : nullptr);
    const float max_scale = signed_absmax(16, scales, &max_abs_scale);
    std::memset(b, 0, Q6K::kBytes);
    if (max_abs_scale < kGroupMaxEps) return; // all zero
    const float iscale = -128.0f / max_scale;
    store_fp16(b + 208, 1.0f / iscale);
    for (int j = 0; j < 16; ++j) b[192 + j] = uint8_t(int8_t(std::min(127, nearest_int(iscale * scales[j]))));
    for (int j = 0; j < 16; ++j) {
        const float d = load_fp16(b + 208) * float(int8_t(b[192 + j]));
        if (d != 0.0f) requantize_symmetric(x + 16 * j, 16, 32, d, L + 16 * j);
    }
    for (int v = 0; v < kQK; ++v) {
        put_q6_nibble(b, v, L[v]);
        put_crumb(b + 128, v, L[v] >> 4);
    }
}

void q6_k_block(const float *x, uint8_t *b) { q6_k_block_weighted(x, b, nullptr); }

// ---- encoders with importance weights (ggml_quantize_chunk's quant_weights) --
//
// Each value's weight is qw * sqrt(sigma2 + x^2), sigma2 a multiple of the
// super-block's mean square; the sub-block scales (and mins) are then coded
// by search_positive_scale / search_symmetric_scale weighted by each
// sub-block's total weight instead of being scaled to the largest one.

// factor * (sum of x^2) / 256 over one super-block.
float block_sigma2(const float *x, float factor) {
    float sum_x2 = 0.0f;
    for (int v = 0; v < kQK; ++v) sum_x2 += x[v] * x[v];
    return factor * sum_x2 / float(kQK);
}

// The n weights of a sub-block into w; returns their sum.
float importance(const float *x, const float *qw, float sigma2, int n, float *w) {
    float sum = 0.0f;
    for (int l = 0; l < n; ++l) w[l] = qw[l] * std::sqrt(sigma2 + x[l] * x[l]);
    for (int l = 0; l < n; ++l) sum += w[l];
    return sum;
}

void q2_k_block_weighted(const float *x, uint8_t *b, const float *qw) {
    uint8_t L[kQK], Ls[16], Lm[16];
    float scales[16], mins[16], sw[16], weights[16];
    const float sigma2 = block_sigma2(x, 1.0f);
    for (int j = 0; j < 16; ++j) {
        sw[j] = importance(x + 16 * j, qw + 16 * j, sigma2, 16, weights);
        scales[j] = search_affine_scale(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], -0.9f, 0.05f, 36, false);
    }
    std::memset(b, 0, Q2K::kBytes);
    store_fp16(b + 80, search_positive_scale(16, 15, scales, Ls, sw));
    store_fp16(b + 82, search_positive_scale(16, 15, mins, Lm, sw));
    for (int j = 0; j < 16; ++j) b[j] = uint8_t(Ls[j] | (Lm[j] << 4));
    q2_k_codes(x, b, L);
}

void q3_k_block_weighted(const float *x, uint8_t *b, const float *qw) {
    int8_t L[kQK], Ls[16];
    float scales[16], sw[16], weights[16];
    const float sigma2 = block_sigma2(x, 2.0f);
    for (int j = 0; j < 16; ++j) {
        sw[j] = importance(x + 16 * j, qw + 16 * j, sigma2, 16, weights);
        scales[j] = search_symmetric_scale(16, 4, x + 16 * j, L + 16 * j, weights);
    }
    std::memset(b, 0, Q3K::kBytes);
    const float d = search_symmetric_scale(16, 32, scales, Ls, sw);
    for (int j = 0; j < 16; ++j) put_q3_scale(b + 96, j, Ls[j]);
    store_fp16(b + 108, d);
    q3_k_codes(x, b, L);
}

template <class F>
void q45_k_block_weighted(const float *x, uint8_t *b, const float *qw) {
    constexpr int nmax = q45_nmax<F>();
    uint8_t L[kQK], Ls[8], Lm[8];
    float scales[8], mins[8], sw[8], weights[32];
    const float sigma2 = block_sigma2(x, 2.0f);
    for (int j = 0; j < 8; ++j) {
        sw[j] = importance(x + 32 * j, qw + 32 * j, sigma2, 32, weights);
        scales[j] = search_affine_scale(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], -0.9f, 0.05f, 36, false);
    }
    std::memset(b, 0, F::kBytes);
    const float d = search_positive_scale(8, 63, scales, Ls, sw);
    const float dmin = search_positive_scale(8, 63, mins, Lm, sw);
    for (int j = 0; j < 8; ++j) {
        // ggml caps Q5_K's 6-bit fields only; both are < 64 for finite input.
        const int cap = nmax == 31 ? 63 : 255;
        put_scale_min_k4(b + 4, j, std::min<int>(cap, Ls[j]), std::min<int>(cap, Lm[j]));
    }
    store_fp16(b, d);
    store_fp16(b + 2, dmin);
    q45_k_codes<F>(x, b, L);
}

// Q8_K: d = max / -127 with the sign of the largest magnitude, codes capped at 127.
void q8_k_block(const float *x, uint8_t *b) {
    std::memset(b, 0, Q8K::kBytes);
    float amax;
    const float max = signed_absmax(kQK, x, &amax);
    if (amax == 0.0f) return;
    const float iscale = -127.0f / max;
    for (int g = 0; g < 16; ++g) {
        int sum = 0;
        for (int v = 16 * g; v < 16 * g + 16; ++v) {
            const int q = std::min(127, nearest_int(iscale * x[v]));
            b[4 + v] = uint8_t(int8_t(q));
            sum += q;
        }
        store_u16(b + 260 + 2 * g, uint16_t(int16_t(sum)));
    }
    store_f32(b, 1.0f / iscale);
}

template <size_t kBytes, void (*Block)(const float *, uint8_t *)>
void k_from_float(const float *src, void *dst, int64_t n) {
    for_each_block<kQK, kBytes>(src, dst, n, Block);
}

// One row; block i uses importance weights qw + 256 * i.
template <size_t kBytes, void (*Block)(const float *, uint8_t *, const float *)>
void k_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    uint8_t *b = static_cast<uint8_t *>(dst);
    for (int64_t i = 0; i < row_len / kQK; ++i) Block(row + kQK * i, b + kBytes * size_t(i), qw + kQK * i);
}

} // namespace

void q2_k_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    k_from_float_weighted<Q2K::kBytes, q2_k_block_weighted>(row, dst, row_len, qw);
}
void q3_k_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    k_from_float_weighted<Q3K::kBytes, q3_k_block_weighted>(row, dst, row_len, qw);
}
void q4_k_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    k_from_float_weighted<Q4K::kBytes, q45_k_block_weighted<Q4K>>(row, dst, row_len, qw);
}
void q5_k_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    k_from_float_weighted<Q5K::kBytes, q45_k_block_weighted<Q5K>>(row, dst, row_len, qw);
}
void q6_k_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    k_from_float_weighted<Q6K::kBytes, q6_k_block_weighted>(row, dst, row_len, qw);
}

void q2_k_to_float(const void *src, float *dst, int64_t n) { k_to_float<Q2K>(src, dst, n); }
void q3_k_to_float(const void *src, float *dst, int64_t n) { k_to_float<Q3K>(src, dst, n); }
void q4_k_to_float(const void *src, float *dst, int64_t n) { k_to_float<Q4K>(src, dst, n); }
void q5_k_to_float(const void *src, float *dst, int64_t n) { k_to_float<Q5K>(src, dst, n); }
void q6_k_to_float(const void *src, float *dst, int64_t n) { k_to_float<Q6K>(src, dst, n); }
void q8_k_to_float(const void *src, float *dst, int64_t n) { k_to_float<Q8K>(src, dst, n); }
void q2_k_from_float(const float *src, void *dst, int64_t n) { k_from_float<Q2K::kBytes, q2_k_block>(src, dst, n); }
void q3_k_from_float(const float *src, void *dst, int64_t n) { k_from_float<Q3K::kBytes, q3_k_block>(src, dst, n); }
void q4_k_from_float(const float *src, void *dst, int64_t n) { k_from_float<Q4K::kBytes, q45_k_block<Q4K>>(src, dst, n); }
void q5_k_from_float(const float *src, void *dst, int64_t n) { k_from_float<Q5K::kBytes, q45_k_block<Q5K>>(src, dst, n); }
void q6_k_from_float(const float *src, void *dst, int64_t n) { k_from_float<Q6K::kBytes, q6_k_block>(src, dst, n); }
void q8_k_from_float(const float *src, void *dst, int64_t n) { k_from_float<Q8K::kBytes, q8_k_block>(src, dst, n); }

} // namespace loom
