// The legacy 32-value block formats, one skeleton for all six:
//
//   Q4_0  [d fp16][qs 16]            x = (q - 8) * d          q in 0..15
//   Q4_1  [d fp16][m fp16][qs 16]    x = q * d + m            q in 0..15
//   Q5_0  [d fp16][qh 4][qs 16]      x = (q - 16) * d         q in 0..31
//   Q5_1  [d fp16][m fp16][qh 4][qs 16]  x = q * d + m        q in 0..31
//   Q8_0  [d fp16][qs int8 32]       x = q * d
//   Q8_1  [d fp16][s fp16][qs int8 32]   x = q * d, s = d * sum(q) (for dot products)
//
// 4/5-bit codes: byte j of qs holds value j in its low nibble and value j+16
// in its high nibble; bit j of the little-endian uint32 qh is bit 4 of value j.
#include "quant/fp_exact.h"
#include "quant/block_io.h"
#include "quant/codecs.h"
#include "quant/scale_search.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace loom {
namespace {

constexpr int kQK = 32;

enum class Scheme { kSymmetric, kAffine, kInt8 };

struct Legacy {
    Scheme scheme;
    int bits;
    bool second_fp16; // m (affine) or s (Q8_1) after d
    constexpr int header() const { return 2 + (second_fp16 ? 2 : 0); }
    constexpr int qh_offset() const { return header(); }
    constexpr int qs_offset() const { return header() + (bits == 5 ? 4 : 0); }
    constexpr size_t bytes() const { return size_t(qs_offset() + (bits == 8 ? kQK : kQK / 2)); }
    constexpr int levels() const { return 1 << bits; }
};

constexpr Legacy kQ4_0{Scheme::kSymmetric, 4, false};
constexpr Legacy kQ4_1{Scheme::kAffine, 4, true};
constexpr Legacy kQ5_0{Scheme::kSymmetric, 5, false};
constexpr Legacy kQ5_1{Scheme::kAffine, 5, true};
constexpr Legacy kQ8_0{Scheme::kInt8, 8, false};
constexpr Legacy kQ8_1{Scheme::kInt8, 8, true};

// The 32 codes of a block: unsigned 0..2^bits-1, or int8 for Q8.
template <const Legacy &L>
void unpack_codes(const uint8_t *b, int q[kQK]) {
    const uint8_t *qs = b + L.qs_offset();
    if (L.bits == 8) {
        for (int j = 0; j < kQK; ++j) q[j] = int8_t(qs[j]);
        return;
    }
    const uint32_t qh = L.bits == 5 ? load_u32(b + L.qh_offset()) : 0u;
    for (int j = 0; j < kQK / 2; ++j) {
        q[j] = int((qs[j] & 0x0f) | (((qh >> j) & 1u) << 4));
        q[j + kQK / 2] = int((qs[j] >> 4) | (((qh >> (j + kQK / 2)) & 1u) << 4));
    }
}

template <const Legacy &L>
void pack_codes(const int q[kQK], uint8_t *b) {
    uint8_t *qs = b + L.qs_offset();
    if (L.bits == 8) {
        for (int j = 0; j < kQK; ++j) qs[j] = uint8_t(int8_t(q[j]));
        return;
    }
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
        qs[j] = uint8_t((q[j] & 0x0f) | ((q[j + kQK / 2] & 0x0f) << 4));
        qh |= uint32_t((q[j] >> 4) & 1) << j;
        qh |= uint32_t((q[j + kQK / 2] >> 4) & 1) << (j + kQK / 2);
    }
    if (L.bits == 5) store_u32(b + L.qh_offset(), qh);
}

template <const Legacy &L>
void block_to_float(const uint8_t *b, float *y) {
    int q[kQK];
    unpack_codes<L>(b, q);
    const float d = load_fp16(b);
    if (L.scheme == Scheme::kAffine) {
        const float m = load_fp16(b + 2);
        for (int j = 0; j < kQK; ++j) y[j] = float(q[j]) * d + m;
    } else {
        const int offset = L.scheme == Scheme::kSymmetric ? L.levels() / 2 : 0;
        for (int j = 0; j < kQK; ++j) y[j] = float(q[j] - offset) * d;
    }
}

// Symmetric: the value of largest magnitude maps to code 0 (d = max / -2^(bits-1)),
// the rest round by truncating x/d + 2^(bits-1) + 0.5.
template <const Legacy &L>
void symmetric_from_float(const float *x, uint8_t *b) {
    float amax;
    const float max = signed_absmax(kQK, x, &amax);
    const float d = max / float(-L.levels() / 2);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const float bias = float(L.levels() / 2) + 0.5f;
    int q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = truncate_clamped(x[j] * id + bias, 0, L.levels() - 1);
    store_fp16(b, d);
    pack_codes<L>(q, b);
}

// Affine: [min, max] spread over the 2^bits codes.
template <const Legacy &L>
void affine_from_float(const float *x, uint8_t *b) {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < kQK; ++j) {
        if (x[j] < min) min = x[j];
        if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / float(L.levels() - 1);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    int q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = truncate_clamped((x[j] - min) * id + 0.5f, 0, L.levels() - 1);
    store_fp16(b, d);
    store_fp16(b + 2, min);
    pack_codes<L>(q, b);
}

// Q8: d = amax / 127, codes round half away from zero; Q8_1 also stores d * sum(q).
template <const Legacy &L>
void int8_from_float(const float *x, uint8_t *b) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    int q[kQK];
    int sum = 0;
    for (int j = 0; j < kQK; ++j) {
        q[j] = truncate_clamped(std::round(x[j] * id), -128, 127);
        sum += q[j];
    }
    store_fp16(b, d);
    if (L.second_fp16) store_fp16(b + 2, float(sum) * d);
    pack_codes<L>(q, b);
}

template <const Legacy &L>
void to_float(const void *src, float *dst, int64_t n) {
    for_each_block<kQK, L.bytes()>(src, dst, n, block_to_float<L>);
}

template <const Legacy &L>
void from_float(const float *src, void *dst, int64_t n) {
    constexpr auto block = L.scheme == Scheme::kSymmetric ? symmetric_from_float<L>
                           : L.scheme == Scheme::kAffine  ? affine_from_float<L>
                                                          : int8_from_float<L>;
    for_each_block<kQK, L.bytes()>(src, dst, n, block);
}

// With importance weights (one row): each value's weight is
// qw * sqrt(sigma2 + x^2), sigma2 the row's mean square.
float row_sigma2(const float *x, int64_t row_len) {
    float sum_x2 = 0.0f;
    for (int64_t j = 0; j < row_len; ++j) sum_x2 += x[j] * x[j];
    return sum_x2 / float(row_len);
}

// Symmetric: the weighted least-squares search over codes in
// [-2^(bits-1), 2^(bits-1)-1]. Affine: the weighted search of scale and min
// (37 tries) over codes in [0, 2^bits-1]; m = -min.
template <const Legacy &L>
void block_from_float_weighted(const float *xb, const float *weight, uint8_t *b) {
    int q[kQK];
    if (L.scheme == Scheme::kSymmetric) {
        int8_t codes[kQK];
        store_fp16(b, search_symmetric_scale(kQK, L.levels() / 2, xb, codes, weight));
        for (int j = 0; j < kQK; ++j) q[j] = codes[j];
    } else {
        uint8_t codes[kQK];
        float min;
        store_fp16(b, search_affine_scale(kQK, L.levels() - 1, xb, weight, codes, &min, -0.9f, 0.05f, 36, false));
        store_fp16(b + 2, -min);
        for (int j = 0; j < kQK; ++j) q[j] = codes[j];
    }
    pack_codes<L>(q, b);
}

template <const Legacy &L>
void from_float_weighted(const float *x, void *dst, int64_t row_len, const float *qw) {
    const float sigma2 = row_sigma2(x, row_len);
    uint8_t *b = static_cast<uint8_t *>(dst);
    for (int64_t ib = 0; ib < row_len / kQK; ++ib, b += L.bytes()) {
        const float *xb = x + ib * kQK, *w = qw + ib * kQK;
        float weight[kQK];
        for (int j = 0; j < kQK; ++j) weight[j] = w[j] * std::sqrt(sigma2 + xb[j] * xb[j]);
        block_from_float_weighted<L>(xb, weight, b);
    }
}

} // namespace

void q4_0_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    from_float_weighted<kQ4_0>(row, dst, row_len, qw);
}
void q5_0_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    from_float_weighted<kQ5_0>(row, dst, row_len, qw);
}
void q4_1_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    from_float_weighted<kQ4_1>(row, dst, row_len, qw);
}
void q5_1_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    from_float_weighted<kQ5_1>(row, dst, row_len, qw);
}

void q4_0_to_float(const void *src, float *dst, int64_t n) { to_float<kQ4_0>(src, dst, n); }
void q4_1_to_float(const void *src, float *dst, int64_t n) { to_float<kQ4_1>(src, dst, n); }
void q5_0_to_float(const void *src, float *dst, int64_t n) { to_float<kQ5_0>(src, dst, n); }
void q5_1_to_float(const void *src, float *dst, int64_t n) { to_float<kQ5_1>(src, dst, n); }
void q8_0_to_float(const void *src, float *dst, int64_t n) { to_float<kQ8_0>(src, dst, n); }
void q8_1_to_float(const void *src, float *dst, int64_t n) { to_float<kQ8_1>(src, dst, n); }
void q4_0_from_float(const float *src, void *dst, int64_t n) { from_float<kQ4_0>(src, dst, n); }
void q4_1_from_float(const float *src, void *dst, int64_t n) { from_float<kQ4_1>(src, dst, n); }
void q5_0_from_float(const float *src, void *dst, int64_t n) { from_float<kQ5_0>(src, dst, n); }
void q5_1_from_float(const float *src, void *dst, int64_t n) { from_float<kQ5_1>(src, dst, n); }
void q8_0_from_float(const float *src, void *dst, int64_t n) { from_float<kQ8_0>(src, dst, n); }
void q8_1_from_float(const float *src, void *dst, int64_t n) { from_float<kQ8_1>(src, dst, n); }

} // namespace loom
