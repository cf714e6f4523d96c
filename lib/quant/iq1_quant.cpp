// IQ1_S and IQ1_M encoders. Codes are -1, 0, +1 shifted by +-delta
// (kIq1Delta), in runs of 8 that must be points of the 2048-point grid. Per
// group (IQ1_S: 32 values, one shift; IQ1_M: 16 values, a shift per run of 8):
//   1. the exact weighted least-squares split: values sorted, every pair of
//      boundaries (i1, i2) into the three codes tried for each shift choice
//      with prefix sums (O(n^2) per group);
//   2. runs off the grid replaced by their best grid neighbour
//      (iq_lattice.h), and the scale refitted;
// then the group scales become 3-bit codes under one super-scale (IQ1_M
// refits that super-scale to the coded group scales). Weights: imatrix *
// sqrt(sigma2 + x^2), or x^2 (IQ1_M without a matrix). Steps, arithmetic
// order and constants are those of ggml-quants.c (quantize_row_iq1_s_impl,
// quantize_row_iq1_m_impl), so the codes are llama.cpp's.
#include "quant/fp_exact.h"
#include "quant/block_io.h"
#include "quant/codecs.h"
#include "quant/iq_lattice.h"
#include "quant/iq_tables.h"
#include "quant/scale_search.h"

#include <cfloat>
#include <cmath>
#include <cstring>

namespace loom {
namespace {

const float kPlus[3] = {-1 + kIq1Delta, kIq1Delta, 1 + kIq1Delta};   // codes with shift +delta
const float kMinus[3] = {-1 - kIq1Delta, -kIq1Delta, 1 - kIq1Delta}; // and with -delta

// Indices of x[0..n) in ascending order of value, equal values in index
// order (a stable insertion sort: safe for NaN, n is 16 or 32).
void sort_order(const float *x, int n, int *order) {
    for (int j = 0; j < n; ++j) {
        int k = j;
        for (; k > 0 && x[order[k - 1]] > x[j]; --k) order[k] = order[k - 1];
        order[k] = j;
    }
}

void group_weights(const float *x, const float *qw, float sigma2, int n, float *w) {
    for (int i = 0; i < n; ++i) w[i] = qw ? qw[i] * std::sqrt(sigma2 + x[i] * x[i]) : x[i] * x[i];
}

float abs_max(const float *x, int n) {
    float max = std::fabs(x[0]);
    for (int i = 1; i < n; ++i) max = max > std::fabs(x[i]) ? max : std::fabs(x[i]);
    return max;
}

// Levels 0 (below i1), 1, 2 (from i2) by sorted position.
void assign_levels(const int *order, int n, int i1, int i2, int8_t *L) {
    for (int j = 0; j < n; ++j) L[order[j]] = int8_t(j < i1 ? 0 : j < i2 ? 1 : 2);
}

// Snaps the runs of L onto the grid (best neighbours for values `xx[run]`);
// returns whether all were on it. index gets the grid indices.
bool snap_runs(const IqLattice &lat, const float *x, const float *w, float scale, const float *const *xx, int runs,
               int8_t *L, int *index) {
    bool all_on_grid = true;
    for (int k = 0; k < runs; ++k) {
        const int key = lat.key(L + 8 * k);
        index[k] = lat.index(key);
        if (index[k] >= 0) continue;
        all_on_grid = false;
        index[k] = lat.best_neighbour(key, x + 8 * k, w + 8 * k, scale, L + 8 * k, xx[k]);
    }
    return all_on_grid;
}

// The refitted scale of snapped runs (unchanged unless both sums are positive).
float refit(const IqLattice &lat, const float *x, const float *w, const float *const *xx, int runs, const int *index,
            float scale) {
    float sumqx = 0.0f, sumq2 = 0.0f;
    for (int k = 0; k < runs; ++k)
        for (int j = 0; j < 8; ++j) {
            const float q = xx[k][lat.level(index[k], j)];
            sumqx += w[8 * k + j] * q * x[8 * k + j];
            sumq2 += w[8 * k + j] * q * q;
        }
    return sumqx > 0.0f && sumq2 > 0.0f ? sumqx / sumq2 : scale;
}

struct Iq1Group {
    float scale = 0.0f;
    int shift = 0; // IQ1_S: +1 / -1 (1 when skipped); IQ1_M: 0..3 (bit 1: run 0 minus, bit 0: run 1 minus)
    int index[4] = {};
};

// Step 2 of a group: runs onto the grid, the scale refitted if any moved.
Iq1Group finish_group(const float *x, const float *w, float scale, int shift, const float *const *xx, int runs,
                      int8_t *L) {
    const IqLattice &lat = iq1s_lattice();
    Iq1Group g;
    if (!snap_runs(lat, x, w, scale, xx, runs, L, g.index)) scale = refit(lat, x, w, xx, runs, g.index, scale);
    g.scale = scale;
    g.shift = shift;
    return g;
}

// sigma2 of a 256-value block: twice its mean square.
float block_sigma2(const float *x) {
    float sumx2 = 0.0f;
    for (int i = 0; i < 256; ++i) sumx2 += x[i] * x[i];
    return 2.0f * sumx2 / 256.0f;
}

// ---- IQ1_S: 32-value groups, one shift ----------------------------------------------------

Iq1Group iq1_s_group(const float *x, const float *w) {
    constexpr int n = 32;
    Iq1Group g;
    g.shift = 1;
    const float max = abs_max(x, n);
    if (max < 1e-12f) return g;
    int order[n];
    sort_order(x, n, order);
    float sumx[n + 1], sumw[n + 1];
    sumx[0] = sumw[0] = 0.0f;
    for (int j = 0; j < n; ++j) {
        sumx[j + 1] = sumx[j] + w[order[j]] * x[order[j]];
        sumw[j + 1] = sumw[j] + w[order[j]];
    }
    float best = -FLT_MAX, scale = max;
    int b1 = -1, b2 = -1, shift = 0;
    for (int i1 = 0; i1 <= n; ++i1)
        for (int i2 = i1; i2 <= n; ++i2)
            for (int s = 1; s >= -1; s -= 2) {
                const float *v = s == 1 ? kPlus : kMinus;
                const float sumqx = (sumx[i1] - sumx[0]) * v[0] + (sumx[i2] - sumx[i1]) * v[1] + (sumx[n] - sumx[i2]) * v[2];
                const float sumq2 = (sumw[i1] - sumw[0]) * v[0] * v[0] + (sumw[i2] - sumw[i1]) * v[1] * v[1] +
                                    (sumw[n] - sumw[i2]) * v[2] * v[2];
                if (sumq2 > 0.0f && sumqx * sumqx > best * sumq2)
                    scale = sumqx / sumq2, best = scale * sumqx, b1 = i1, b2 = i2, shift = s;
            }
    if (b1 < 0 || b2 < 0 || shift == 0) return g;
    int8_t L[n];
    assign_levels(order, n, b1, b2, L);
    if (scale < 0.0f) {
        for (int j = 0; j < n; ++j) L[j] = int8_t(2 - L[j]);
        scale = -scale, shift = -shift;
    }
    const float *v = shift == 1 ? kPlus : kMinus;
    const float *xx[4] = {v, v, v, v};
    return finish_group(x, w, scale, shift, xx, 4, L);
}

// [d fp16][qs 32: grid low bytes][qh 8 x u16: 4 x 3 grid high bits, 3-bit scale, shift sign]
void iq1_s_block(const float *x, const float *qw, uint8_t *b) {
    std::memset(b, 0, 50);
    const float sigma2 = block_sigma2(x);
    float scales[8], max_scale = 0.0f, w[32];
    int shifts[8];
    for (int ib = 0; ib < 8; ++ib) {
        group_weights(x + 32 * ib, qw + 32 * ib, sigma2, 32, w);
        const Iq1Group g = iq1_s_group(x + 32 * ib, w);
        uint16_t h = 0;
        for (int k = 0; k < 4; ++k) {
            b[2 + 4 * ib + k] = uint8_t(g.index[k] & 255);
            h = uint16_t(h | (g.index[k] >> 8) << (3 * k));
        }
        store_u16(b + 34 + 2 * ib, h);
        scales[ib] = g.scale;
        shifts[ib] = g.shift;
        max_scale = max_scale > g.scale ? max_scale : g.scale;
    }
    if (!(max_scale != 0.0f)) return;
    const float d = max_scale / 15.0f, id = 1.0f / d;
    store_fp16(b, d * 1.125f);
    for (int ib = 0; ib < 8; ++ib) {
        int l = clamp_int(nearest_int(0.5f * (id * scales[ib] - 1.0f)), 0, 7);
        if (shifts[ib] == -1) l |= 8;
        store_u16(b + 34 + 2 * ib, uint16_t(load_u16(b + 34 + 2 * ib) | l << 12));
    }
}

// ---- IQ1_M: 16-value groups, a shift per run of 8 ---------------------------------------

// The values of run k (0 or 1) for shift choice s (0..3).
const float *iq1_m_values(int s, int k) { return (k == 0 ? s < 2 : s % 2 == 0) ? kPlus : kMinus; }

// Step 1 of IQ1_M: with v[0]-v[1] = v[1]-v[2] = -1 the three-code sums of a
// split collapse to T*v[2] - px[i1] - px[i2] with prefix sums per half.
void iq1_m_best_split(const float *x, const float *w, const int *order, int *b1, int *b2, int *best_k, float *scale) {
    constexpr int n = 16;
    float px[2][n + 1], pw[2][n + 1];
    px[0][0] = px[1][0] = pw[0][0] = pw[1][0] = 0.0f;
    for (int j = 0; j < n; ++j) {
        const int i = order[j], h = i < n / 2 ? 0 : 1;
        px[h][j + 1] = px[h][j] + w[i] * x[i];
        px[1 - h][j + 1] = px[1 - h][j];
        pw[h][j + 1] = pw[h][j] + w[i];
        pw[1 - h][j + 1] = pw[1 - h][j];
    }
    const float txs[2] = {px[0][n], px[1][n]}, tws[2] = {pw[0][n], pw[1][n]};
    const float p2 = kPlus[2], m2 = kMinus[2];
    const float cp1 = kPlus[0] * kPlus[0] - kPlus[1] * kPlus[1], cp2 = kPlus[1] * kPlus[1] - kPlus[2] * kPlus[2];
    const float cm1 = kMinus[0] * kMinus[0] - kMinus[1] * kMinus[1], cm2 = kMinus[1] * kMinus[1] - kMinus[2] * kMinus[2];
    float best = -FLT_MAX;
    for (int i1 = 0; i1 <= n; ++i1)
        for (int i2 = i1; i2 <= n; ++i2) {
            float qx_p[2], qx_m[2], q2_p[2], q2_m[2];
            for (int h = 0; h < 2; ++h) {
                const float sx = px[h][i1] + px[h][i2];
                qx_p[h] = txs[h] * p2 - sx;
                qx_m[h] = txs[h] * m2 - sx;
                q2_p[h] = tws[h] * p2 * p2 + pw[h][i1] * cp1 + pw[h][i2] * cp2;
                q2_m[h] = tws[h] * m2 * m2 + pw[h][i1] * cm1 + pw[h][i2] * cm2;
            }
            const float sumqx[4] = {qx_p[0] + qx_p[1], qx_p[0] + qx_m[1], qx_m[0] + qx_p[1], qx_m[0] + qx_m[1]};
            const float sumq2[4] = {q2_p[0] + q2_p[1], q2_p[0] + q2_m[1], q2_m[0] + q2_p[1], q2_m[0] + q2_m[1]};
            for (int k = 0; k < 4; ++k)
                if (sumq2[k] > 0.0f && sumqx[k] * sumqx[k] > best * sumq2[k])
                    *scale = sumqx[k] / sumq2[k], best = *scale * sumqx[k], *b1 = i1, *b2 = i2, *best_k = k;
        }
}

Iq1Group iq1_m_group(const float *x, const float *w) {
    constexpr int n = 16;
    Iq1Group g;
    const float max = abs_max(x, n);
    if (max < 1e-7f) return g;
    int order[n];
    sort_order(x, n, order);
    int b1 = -1, b2 = -1, k = -1;
    float scale = max;
    iq1_m_best_split(x, w, order, &b1, &b2, &k, &scale);
    if (b1 < 0 || b2 < 0 || k < 0) return g;
    int8_t L[n];
    assign_levels(order, n, b1, b2, L);
    if (scale < 0.0f) {
        for (int j = 0; j < n; ++j) L[j] = int8_t(2 - L[j]);
        scale = -scale, k = 3 - k;
    }
    const float *xx[2] = {iq1_m_values(k, 0), iq1_m_values(k, 1)};
    return finish_group(x, w, scale, k, xx, 2, L);
}

// [qs 32][qh 16: 2 x (3 grid high bits, shift bit)][scales 4 x u16: 4 x 3-bit scales, fp16 d in top nibbles]
void iq1_m_block(const float *x, const float *qw, uint8_t *b) {
    std::memset(b, 0, 56);
    const float sigma2 = block_sigma2(x);
    float scales[16], max_scale = 0.0f, w[16];
    int shifts[16];
    for (int ib = 0; ib < 16; ++ib) {
        group_weights(x + 16 * ib, qw ? qw + 16 * ib : nullptr, sigma2, 16, w);
        const Iq1Group g = iq1_m_group(x + 16 * ib, w);
        b[2 * ib] = uint8_t(g.index[0] & 255);
        b[2 * ib + 1] = uint8_t(g.index[1] & 255);
        b[32 + ib] = uint8_t((g.index[0] >> 8) | ((g.index[1] >> 8) << 4));
        scales[ib] = g.scale;
        shifts[ib] = g.shift;
        max_scale = max_scale > g.scale ? max_scale : g.scale;
    }
    if (!(max_scale != 0.0f)) return;
    static const uint8_t kShiftBits[4] = {0x00, 0x80, 0x08, 0x88};
    const IqLattice &lat = iq1s_lattice();
    float d = max_scale / 15.0f;
    const float id = 1.0f / d;
    float sumqx = 0.0f, sumq2 = 0.0f;
    uint16_t sc[4] = {};
    for (int ib = 0; ib < 16; ++ib) {
        const int l = clamp_int(nearest_int(0.5f * (id * scales[ib] - 1.0f)), 0, 7);
        sc[ib / 4] = uint16_t(sc[ib / 4] | l << (3 * (ib % 4)));
        b[32 + ib] |= kShiftBits[shifts[ib]];
        group_weights(x + 16 * ib, qw ? qw + 16 * ib : nullptr, sigma2, 16, w);
        for (int k = 0; k < 2; ++k) {
            const float *xx = iq1_m_values(shifts[ib], k);
            const int index = b[2 * ib + k] + ((b[32 + ib] << (8 - 4 * k)) & 0x700);
            for (int j = 0; j < 8; ++j) {
                const float q = xx[lat.level(index, j)] * float(2 * l + 1);
                sumqx += w[8 * k + j] * q * x[16 * ib + 8 * k + j];
                sumq2 += w[8 * k + j] * q * q;
            }
        }
    }
    if (sumq2 > 0.0f) d = sumqx / sumq2;
    const uint16_t s = fp32_to_fp16(d * 1.1125f);
    sc[0] = uint16_t(sc[0] | (s & 0x000f) << 12);
    sc[1] = uint16_t(sc[1] | (s & 0x00f0) << 8);
    sc[2] = uint16_t(sc[2] | (s & 0x0f00) << 4);
    sc[3] = uint16_t(sc[3] | (s & 0xf000));
    for (int i = 0; i < 4; ++i) store_u16(b + 48 + 2 * i, sc[i]);
}

template <size_t kBytes, void (*Block)(const float *, const float *, uint8_t *)>
void iq1_row(const float *x, void *dst, int64_t n, const float *qw) {
    uint8_t *b = static_cast<uint8_t *>(dst);
    for (int64_t i = 0; i < n / 256; ++i) Block(x + 256 * i, qw ? qw + 256 * i : nullptr, b + kBytes * size_t(i));
}

} // namespace

void iq1_m_from_float(const float *src, void *dst, int64_t n) { iq1_row<56, iq1_m_block>(src, dst, n, nullptr); }
void iq1_s_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    iq1_row<50, iq1_s_block>(row, dst, row_len, qw);
}
void iq1_m_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    iq1_row<56, iq1_m_block>(row, dst, row_len, qw);
}

} // namespace loom
