// IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS and IQ3_S encoders. Every one splits a
// 256-value block into groups (32 or 16 values), each group into runs of 8
// signs and chunks of `dims` magnitudes that must form a grid point
// (iq_lattice.h). Per group:
//   1. signs out: xval = |x|; the 7-bit-sign types keep an even number of
//      negatives per run by leaving the value of least weight*x^2 negative;
//   2. a sweep of candidate scales: round each chunk to levels, snap it to
//      the grid (its best neighbour when off the grid), keep the scale with
//      the best weighted least-squares fit;
//   3. re-snap chunks at the fitted scale and fit it once more;
// then the group scales become 4-bit codes under one fp16 super-scale.
// The weights are llama.cpp's: imatrix * sqrt(sigma2 + x^2) with an
// importance matrix, x^2 (IQ3) or sigma2/4 + x^2 (IQ2_S) without. The steps,
// their arithmetic order and the constants are those of ggml-quants.c
// (quantize_row_iq2_xxs_impl ... iq3_s_impl), so the codes are llama.cpp's.
#include "quant/fp_exact.h"
#include "quant/block_io.h"
#include "quant/codecs.h"
#include "quant/iq_lattice.h"
#include "quant/scale_search.h"

#include <cmath>
#include <cstring>

namespace loom {
namespace {

enum class Refine { kAll, kOffGrid, kAllIfOffGrid };

struct Spec {
    const IqLattice &(*lattice)();
    int group;           // values per group: 32 or 16
    int max_q;           // levels per coordinate
    float sigma_factor;  // sigma2 = factor * sum(x^2) / 256
    bool even_signs;     // 7 stored sign bits per run (the 8th makes the count even)
    float eps;           // groups with max |x| below this are zero (0: only max == 0)
    bool qp_start;       // IQ2_XXS: the sweep centres on a make_qp_quants fit
    int half_tries;
    float step;
    bool start_on_grid;
    Refine refine;
    float fudge;         // the stored super-scale is max_scale / 31 * fudge
    float unweighted_sigma; // without imatrix: weight = unweighted_sigma * sigma2 + x^2
};

struct Group {
    float scale = 0.0f;
    int index[8] = {};   // grid index per chunk
    uint8_t signs[4] = {};
};

// make_qp_quants's scale (ggml-quants.c): codes in [0, nmax] for weights w.
// L is uint8_t as there: a negative code wraps, and llama.cpp's fit sees it so.
float qp_scale(int n, int nmax, const float *x, const float *w) {
    uint8_t L[32];
    float max = 0.0f;
    for (int i = 0; i < n; ++i) max = max > x[i] ? max : x[i];
    if (max < kGroupMaxEps) return 0.0f;
    float iscale = float(nmax) / max;
    for (int i = 0; i < n; ++i) L[i] = uint8_t(nearest_int(iscale * x[i]));
    float scale = 1.0f / iscale, best_mse = 0.0f;
    for (int i = 0; i < n; ++i) {
        const float diff = x[i] - scale * float(L[i]);
        best_mse += w[i] * diff * diff;
    }
    for (int is = -4; is <= 4; ++is) {
        if (is == 0) continue;
        const float iscale_is = (0.1f * float(is) + float(nmax)) / max, scale_is = 1.0f / iscale_is;
        float mse = 0.0f;
        for (int i = 0; i < n; ++i) {
            const int l = std::min(nmax, nearest_int(iscale_is * x[i]));
            const float diff = x[i] - scale_is * float(l);
            mse += w[i] * diff * diff;
        }
        if (mse < best_mse) best_mse = mse, iscale = iscale_is;
    }
    float sumlx = 0.0f, suml2 = 0.0f;
    for (int i = 0; i < n; ++i) {
        const int l = std::min(nmax, nearest_int(iscale * x[i]));
        L[i] = uint8_t(l);
        sumlx += w[i] * x[i] * float(l); // the int code here, the wrapped one below
        suml2 += w[i] * float(l) * float(l);
    }
    for (int pass = 0; pass < 5; ++pass) {
        int changed = 0;
        for (int i = 0; i < n; ++i) {
            float slx = sumlx - w[i] * x[i] * float(L[i]), sl2 = suml2 - w[i] * float(L[i]) * float(L[i]);
            if (!(slx > 0.0f && sl2 > 0.0f)) continue;
            const int l = std::min(nmax, nearest_int(x[i] * sl2 / slx));
            if (l == int(L[i])) continue;
            slx += w[i] * x[i] * float(l);
            sl2 += w[i] * float(l) * float(l);
            if (slx * slx * suml2 > sumlx * sumlx * sl2) L[i] = uint8_t(l), sumlx = slx, suml2 = sl2, ++changed;
        }
        if (!changed) break;
    }
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Signs of a run of 8 out of x into xval; returns the sign mask.
uint8_t split_signs(const Spec &s, const float *x, const float *w, float *xval) {
    uint8_t mask = 0;
    int negatives = 0;
    for (int i = 0; i < 8; ++i) {
        xval[i] = x[i] >= 0.0f ? x[i] : -x[i];
        if (!(x[i] >= 0.0f)) mask = uint8_t(mask | (1u << i)), ++negatives;
    }
    if (!s.even_signs) return mask;
    if (negatives % 2) {
        int imin = 0;
        float min = w[0] * x[0] * x[0];
        for (int i = 1; i < 8; ++i)
            if (w[i] * x[i] * x[i] < min) min = w[i] * x[i] * x[i], imin = i;
        xval[imin] = -xval[imin];
        mask = uint8_t(mask ^ (1u << imin));
    }
    return uint8_t(mask & 127);
}

// Levels of chunk (lat.dims() values) at inverse scale id, snapped onto the grid at
// `scale`; returns whether the rounded point was in the grid.
bool snap_chunk(const Spec &s, const IqLattice &lat, const float *xval, const float *waux, float id, float scale,
                int8_t *L) {
    for (int i = 0; i < lat.dims(); ++i)
        L[i] = int8_t(clamp_int(nearest_int(0.5f * (id * xval[i] - 1.0f)), 0, s.max_q - 1));
    const int key = lat.key(L);
    if (lat.index(key) >= 0) return true;
    lat.best_neighbour(key, xval, waux, scale, L);
    return false;
}

// The weighted fit sum(w x q), sum(w q^2) with q = 2*level+1.
void fit(int n, const float *xval, const float *w, const int8_t *L, float *sumqx, float *sumq2) {
    *sumqx = 0.0f;
    *sumq2 = 0.0f;
    for (int i = 0; i < n; ++i) {
        const float q = float(2 * L[i] + 1);
        *sumqx += w[i] * xval[i] * q;
        *sumq2 += w[i] * q * q;
    }
}

// Steps 2 and 3 for one group: levels in L, the fitted scale returned.
float sweep(const Spec &s, const IqLattice &lat, const float *xval, const float *w, const float *waux, float top,
            float scale, int8_t *L) {
    const int n = s.group, chunks = s.group / lat.dims(), dims = lat.dims();
    bool on_grid[8], on_grid_aux[8];
    int8_t Laux[32];
    std::memset(L, 0, size_t(n));
    for (int k = 0; k < chunks; ++k) on_grid[k] = s.start_on_grid;
    float best = 0.0f, sumqx, sumq2;
    for (int is = -s.half_tries; is <= s.half_tries; ++is) {
        const float id = (float(2 * s.max_q - 1) + float(is) * s.step) / top, this_scale = 1.0f / id;
        for (int k = 0; k < chunks; ++k)
            on_grid_aux[k] = snap_chunk(s, lat, xval + dims * k, waux + dims * k, id, this_scale, Laux + dims * k);
        fit(n, xval, w, Laux, &sumqx, &sumq2);
        if (sumq2 > 0.0f && sumqx * sumqx > best * sumq2) {
            scale = sumqx / sumq2;
            best = scale * sumqx;
            std::memcpy(L, Laux, size_t(n));
            std::memcpy(on_grid, on_grid_aux, sizeof on_grid);
        }
    }
    int off_grid = 0;
    for (int k = 0; k < chunks; ++k) off_grid += !on_grid[k];
    if (!(scale > 0.0f) || (s.refine != Refine::kAll && off_grid == 0)) return scale;
    const float id = 1.0f / scale;
    for (int k = 0; k < chunks; ++k)
        if (s.refine != Refine::kOffGrid || !on_grid[k])
            snap_chunk(s, lat, xval + dims * k, waux + dims * k, id, scale, L + dims * k);
    fit(n, xval, w, L, &sumqx, &sumq2);
    return sumq2 > 0.0f ? sumqx / sumq2 : scale;
}

// One group of s.group values x; qw: its importance weights or nullptr.
Group quantize_group(const Spec &s, const float *x, const float *qw, float sigma2) {
    const IqLattice &lat = s.lattice();
    float w[32], waux[32], xval[32];
    for (int i = 0; i < s.group; ++i) {
        if (qw) w[i] = qw[i] * std::sqrt(sigma2 + x[i] * x[i]);
        else w[i] = s.unweighted_sigma > 0.0f ? s.unweighted_sigma * sigma2 + x[i] * x[i] : x[i] * x[i];
        waux[i] = std::sqrt(w[i]);
    }
    Group g;
    for (int r = 0; r < s.group / 8; ++r) g.signs[r] = split_signs(s, x + 8 * r, w + 8 * r, xval + 8 * r);
    float max = xval[0];
    for (int i = 1; i < s.group; ++i) max = max > xval[i] ? max : xval[i];
    if (s.eps > 0.0f ? max < s.eps : max == 0.0f) return Group{};
    float top = max, scale = max / float(2 * s.max_q - 1);
    if (s.qp_start) {
        scale = qp_scale(s.group, s.max_q + 1, xval, w);
        top = scale * float(s.max_q);
        if (top <= 0.0f) return Group{};
    }
    int8_t L[32];
    scale = sweep(s, lat, xval, w, waux, top, scale, L);
    if (scale < 0.0f) {
        scale = -scale;
        for (int r = 0; r < s.group / 8; ++r) g.signs[r] = uint8_t(~g.signs[r] & (s.even_signs ? 127 : 255));
    }
    for (int k = 0; k < s.group / lat.dims(); ++k) {
        const int d = lat.dims(), key = lat.key(L + d * k);
        g.index[k] = lat.index(key) >= 0 ? lat.index(key) : lat.best_neighbour(key, xval + d * k, waux + d * k, scale, L + d * k);
    }
    g.scale = scale;
    return g;
}

// Block layouts (see iquants.cpp): where a group's grid indices, signs and
// 4-bit scale code go.
struct Iq2xxsLayout {
    static constexpr size_t kBytes = 66;
    static void put(uint8_t *b, int ib, const Group &g) {
        uint8_t *q = b + 2 + 8 * ib;
        uint32_t aux = load_u32(q + 4);
        for (int k = 0; k < 4; ++k) q[k] = uint8_t(g.index[k]), aux |= uint32_t(g.signs[k]) << (7 * k);
        store_u32(q + 4, aux);
    }
    static void put_scale(uint8_t *b, int ib, int l) { store_u32(b + 6 + 8 * ib, load_u32(b + 6 + 8 * ib) | uint32_t(l) << 28); }
};

struct Iq2xsLayout {
    static constexpr size_t kBytes = 74;
    static void put(uint8_t *b, int ib, const Group &g) {
        for (int k = 0; k < 2; ++k) store_u16(b + 2 + 2 * (2 * ib + k), uint16_t(g.index[k] | (g.signs[k] << 9)));
    }
    static void put_scale(uint8_t *b, int ib, int l) { b[66 + ib / 2] = uint8_t(b[66 + ib / 2] | l << (4 * (ib % 2))); }
};

struct Iq2sLayout {
    static constexpr size_t kBytes = 82;
    static void put(uint8_t *b, int ib, const Group &g) {
        for (int k = 0; k < 2; ++k) {
            const int i8 = 2 * ib + k;
            b[2 + i8] = uint8_t(g.index[k] & 255);
            b[66 + i8 / 4] = uint8_t(b[66 + i8 / 4] | (g.index[k] >> 8) << (2 * (i8 % 4)));
            b[34 + i8] = g.signs[k];
        }
    }
    static void put_scale(uint8_t *b, int ib, int l) { b[74 + ib / 2] = uint8_t(b[74 + ib / 2] | l << (4 * (ib % 2))); }
};

struct Iq3xxsLayout {
    static constexpr size_t kBytes = 98;
    static void put(uint8_t *b, int ib, const Group &g) {
        uint32_t aux = 0;
        for (int k = 0; k < 8; ++k) b[2 + 8 * ib + k] = uint8_t(g.index[k]);
        for (int r = 0; r < 4; ++r) aux |= uint32_t(g.signs[r]) << (7 * r);
        store_u32(b + 66 + 4 * ib, aux);
    }
    static void put_scale(uint8_t *b, int ib, int l) { store_u32(b + 66 + 4 * ib, load_u32(b + 66 + 4 * ib) | uint32_t(l) << 28); }
};

struct Iq3sLayout {
    static constexpr size_t kBytes = 110;
    static void put(uint8_t *b, int ib, const Group &g) {
        for (int k = 0; k < 8; ++k) {
            b[2 + 8 * ib + k] = uint8_t(g.index[k] & 255);
            b[66 + ib] = uint8_t(b[66 + ib] | (g.index[k] >> 8) << k);
        }
        for (int r = 0; r < 4; ++r) b[74 + 4 * ib + r] = g.signs[r];
    }
    static void put_scale(uint8_t *b, int ib, int l) { b[106 + ib / 2] = uint8_t(b[106 + ib / 2] | l << (4 * (ib % 2))); }
};

template <typename Layout>
void quantize_block(const Spec &s, const float *x, const float *qw, uint8_t *b) {
    std::memset(b, 0, Layout::kBytes);
    float sumx2 = 0.0f;
    for (int i = 0; i < 256; ++i) sumx2 += x[i] * x[i];
    const float sigma2 = s.sigma_factor * sumx2 / 256.0f;
    float scales[16], max_scale = 0.0f;
    const int groups = 256 / s.group;
    for (int ib = 0; ib < groups; ++ib) {
        const Group g = quantize_group(s, x + s.group * ib, qw ? qw + s.group * ib : nullptr, sigma2);
        Layout::put(b, ib, g);
        scales[ib] = g.scale;
        max_scale = max_scale > g.scale ? max_scale : g.scale;
    }
    if (!(max_scale != 0.0f)) {
        std::memset(b, 0, Layout::kBytes);
        return;
    }
    const float d = max_scale / 31.0f, id = 1.0f / d;
    store_fp16(b, d * s.fudge);
    for (int ib = 0; ib < groups; ++ib)
        Layout::put_scale(b, ib, clamp_int(nearest_int(0.5f * (id * scales[ib] - 1.0f)), 0, 15));
}

// The five specs, as llama.cpp's encoders.
const Spec kIq2xxs{iq2xxs_lattice, 32, 3, 1.0f, true, 1e-15f, true, 6, 0.1f, true, Refine::kAll, 1.0f, 0.0f};
const Spec kIq2xs{iq2xs_lattice, 16, 3, 1.0f, true, 1e-15f, false, 9, 0.1f, true, Refine::kOffGrid, 1.0f, 0.0f};
const Spec kIq2s{iq2s_lattice, 16, 3, 2.0f, false, 1e-8f, false, 9, 0.1f, true, Refine::kOffGrid, 0.9875f, 0.25f};
const Spec kIq3xxs{iq3xxs_lattice, 32, 8, 2.0f, true, 1e-8f, false, 15, 0.2f, true, Refine::kOffGrid, 1.0125f, 0.0f};
const Spec kIq3s{iq3s_lattice, 32, 8, 2.0f, false, 0.0f, false, 9, 0.2f, false, Refine::kAllIfOffGrid, 1.033f, 0.0f};

template <typename Layout>
void quantize_row(const Spec &s, const float *x, void *dst, int64_t n, const float *qw) {
    uint8_t *b = static_cast<uint8_t *>(dst);
    for (int64_t i = 0; i < n / 256; ++i) quantize_block<Layout>(s, x + 256 * i, qw ? qw + 256 * i : nullptr, b + Layout::kBytes * size_t(i));
}

} // namespace

void iq2_s_from_float(const float *src, void *dst, int64_t n) { quantize_row<Iq2sLayout>(kIq2s, src, dst, n, nullptr); }
void iq3_xxs_from_float(const float *src, void *dst, int64_t n) { quantize_row<Iq3xxsLayout>(kIq3xxs, src, dst, n, nullptr); }
void iq3_s_from_float(const float *src, void *dst, int64_t n) { quantize_row<Iq3sLayout>(kIq3s, src, dst, n, nullptr); }

void iq2_xxs_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    quantize_row<Iq2xxsLayout>(kIq2xxs, row, dst, row_len, qw);
}
void iq2_xs_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    quantize_row<Iq2xsLayout>(kIq2xs, row, dst, row_len, qw);
}
void iq2_s_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    quantize_row<Iq2sLayout>(kIq2s, row, dst, row_len, qw);
}
void iq3_xxs_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    quantize_row<Iq3xxsLayout>(kIq3xxs, row, dst, row_len, qw);
}
void iq3_s_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw) {
    quantize_row<Iq3sLayout>(kIq3s, row, dst, row_len, qw);
}

} // namespace loom
