// IQ4_NL and IQ4_XS encoders: codes index the 16 non-linear values
// kIq4nlValues; each 32-value group gets the scale that best fits
// x ~ d * value[code] for weights x^2, searched over 15 candidate scales
// (ggml_quantize_chunk's ntry = 7), or for importance weights
// qw * sqrt(sigma2 + x^2) with a matrix. IQ4_XS then
// quantizes the group scales to 6 bits under one fp16 super-scale and
// re-picks codes for the rounded scales.
#include "quant/fp_exact.h"
#include "quant/block_io.h"
#include "quant/codecs.h"
#include "quant/iq_tables.h"
#include "quant/scale_search.h"

#include <cmath>

namespace loom {
namespace {

constexpr int kTries = 7;

// The index of the value nearest x (ties to the lower), kIq4nlValues being sorted.
int nearest_value(float x) {
    const int8_t *v = kIq4nlValues;
    if (x <= float(v[0])) return 0;
    if (x >= float(v[15])) return 15;
    int lo = 0, hi = 15;
    while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (x < float(v[mid])) hi = mid;
        else lo = mid;
    }
    return x - float(v[hi - 1]) < float(v[hi]) - x ? hi - 1 : hi;
}

// Weighted fit (weights `w`, or x^2 when nullptr) of x to the codes chosen
// with inverse scale id.
void fit(const float *x, const float *weights, float id, float *sumqx, float *sumq2, uint8_t *L) {
    *sumqx = 0.0f;
    *sumq2 = 0.0f;
    for (int j = 0; j < 32; ++j) {
        const int l = nearest_value(id * x[j]);
        if (L) L[j] = uint8_t(l);
        const float q = float(kIq4nlValues[l]);
        const float w = weights ? weights[j] : x[j] * x[j];
        *sumqx += w * q * x[j];
        *sumq2 += w * q * q;
    }
}

// The best scale of one 32-value group (0 for an all-zero group); L gets codes.
float group_scale(const float *x, const float *weights, uint8_t *L) {
    float amax;
    const float max = signed_absmax(32, x, &amax);
    if (amax < kGroupMaxEps) return 0.0f;
    float sumqx, sumq2;
    fit(x, weights, 1.0f / (-max / float(kIq4nlValues[0])), &sumqx, &sumq2, L);
    float d = sumq2 > 0.0f ? sumqx / sumq2 : 0.0f;
    float best = d * sumqx;
    for (int t = -kTries; t <= kTries; ++t) {
        fit(x, weights, float(t + kIq4nlValues[0]) / max, &sumqx, &sumq2, nullptr);
        if (sumq2 > 0.0f && sumqx * sumqx > best * sumq2) {
            d = sumqx / sumq2;
            best = d * sumqx;
        }
    }
    return d;
}

void pick_codes(const float *x, int n, float id, uint8_t *L) {
    for (int j = 0; j < n; ++j) L[j] = uint8_t(nearest_value(id * x[j]));
}

// 32 codes into 16 bytes: value j low nibble, value j+16 high nibble.
void pack_group(const uint8_t *L, uint8_t *qs) {
    for (int j = 0; j < 16; ++j) qs[j] = uint8_t(L[j] | (L[16 + j] << 4));
}

// Importance weights of n values: qw * sqrt(sigma2 + x^2), sigma2 twice the
// mean square of the n (computed as ggml does: the sum times 2/n).
void importance(const float *x, const float *qw, int n, float *w) {
    float sigma2 = 0.0f;
    for (int j = 0; j < n; ++j) sigma2 += x[j] * x[j];
    sigma2 *= 2.0f / float(n);
    for (int j = 0; j < n; ++j) w[j] = qw[j] * std::sqrt(sigma2 + x[j] * x[j]);
}

// `qw`: 32 importance weights, or nullptr for x^2.
void iq4_nl_block_weighted(const float *x, uint8_t *b, const float *qw) {
    float weights[32];
    if (qw) importance(x, qw, 32, weights);
    uint8_t L[32];
    const float d = group_scale(x, qw ? weights : nullptr, L);
    store_fp16(b, d);
    pick_codes(x, 32, d != 0.0f ? 1.0f / d : 0.0f, L);
    pack_group(L, b + 2);
}

// `qw`: 256 importance weights, or nullptr for x^2.
void iq4_xs_block_weighted(const float *x, uint8_t *b, const float *qw) {
    std::memset(b, 0, 136);
    float weights[256];
    if (qw) importance(x, qw, 256, weights);
    uint8_t L[32];
    float scales[8], amax_scale;
    for (int g = 0; g < 8; ++g) scales[g] = group_scale(x + 32 * g, qw ? weights + 32 * g : nullptr, L);
    const float max_scale = signed_absmax(8, scales, &amax_scale);
    const float d = -max_scale / 32.0f;
    store_fp16(b, d);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    uint16_t scales_h = 0;
    for (int g = 0; g < 8; ++g) {
        const int l = clamp_int(nearest_int(id * scales[g]), -32, 31);
        const float dl = d * float(l);
        pick_codes(x + 32 * g, 32, dl != 0.0f ? 1.0f / dl : 0.0f, L);
        pack_group(L, b + 8 + 16 * g);
        b[4 + g / 2] |= uint8_t(((l + 32) & 0xf) << (4 * (g % 2)));
        scales_h = uint16_t(scales_h | (((l + 32) >> 4) << (2 * g)));
    }
    store_u16(b + 2, scales_h);
}

void iq4_nl_block(const float *x, uint8_t *b) { iq4_nl_block_weighted(x, b, nullptr); }
void iq4_xs_block(const float *x, uint8_t *b) { iq4_xs_block_weighted(x, b, nullptr); }

template <int64_t kValues, size_t kBytes, void (*Block)(const float *, uint8_t *)>
void iq4_from_float(const float *src, void *dst, int64_t n) {
    for_each_block<kValues, kBytes>(src, dst, n, Block);
}

// One row; block i uses importance weights qw + kValues * i.
template <int64_t kValues, size_t kBytes, void (*Block)(const float *, uint8_t *, const float *)>
void iq4_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    uint8_t *b = static_cast<uint8_t *>(dst);
    for (int64_t i = 0; i < row_len / kValues; ++i) Block(row + kValues * i, b + kBytes * size_t(i), qw + kValues * i);
}

} // namespace

void iq4_nl_from_float(const float *src, void *dst, int64_t n) { iq4_from_float<32, 18, iq4_nl_block>(src, dst, n); }
void iq4_xs_from_float(const float *src, void *dst, int64_t n) { iq4_from_float<256, 136, iq4_xs_block>(src, dst, n); }
void iq4_nl_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    iq4_from_float_weighted<32, 18, iq4_nl_block_weighted>(row, dst, row_len, qw);
}
void iq4_xs_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    iq4_from_float_weighted<256, 136, iq4_xs_block_weighted>(row, dst, row_len, qw);
}

} // namespace loom
