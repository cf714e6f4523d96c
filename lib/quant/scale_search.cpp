// Scale searches for the encoders; see scale_search.h.
#include "quant/fp_exact.h"
#include "quant/scale_search.h"

#include <algorithm>
#include <cmath>

namespace loom {
namespace {

int symmetric_code(float iscale, float x, int nmax) { return clamp_int(nearest_int(iscale * x), -nmax, nmax - 1); }

// Weighted (w = weights, or x^2 when nullptr) sums of x*l and l*l for the codes iscale gives.
void symmetric_fit(int n, int nmax, const float *x, const float *weights, float iscale, float *sumlx, float *suml2) {
    *sumlx = 0.0f;
    *suml2 = 0.0f;
    for (int i = 0; i < n; ++i) {
        const int l = symmetric_code(iscale, x[i], nmax);
        const float w = weights ? weights[i] : x[i] * x[i];
        *sumlx += w * x[i] * float(l);
        *suml2 += w * float(l) * float(l);
    }
}

void store_symmetric_codes(int n, int nmax, const float *x, float iscale, int8_t *L) {
    for (int i = 0; i < n; ++i) L[i] = int8_t(nmax + symmetric_code(iscale, x[i], nmax));
}

// The signed largest-magnitude value of a group, or false (and zero codes)
// when the group is all zero.
bool group_max(int n, const float *x, int8_t *L, float *max) {
    float amax = 0.0f;
    *max = signed_absmax(n, x, &amax);
    if (amax >= kGroupMaxEps) return true;
    std::memset(L, 0, size_t(n));
    return false;
}

} // namespace

float signed_absmax(int n, const float *x, float *amax) {
    float max = 0.0f;
    *amax = 0.0f;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > *amax) {
            *amax = ax;
            max = x[i];
        }
    }
    return max;
}

float search_symmetric_scale(int n, int nmax, const float *x, int8_t *L, const float *weights) {
    float max;
    if (!group_max(n, x, L, &max)) return 0.0f;
    float iscale = float(-nmax) / max;
    float sumlx, suml2;
    symmetric_fit(n, nmax, x, weights, iscale, &sumlx, &suml2);
    store_symmetric_codes(n, nmax, x, iscale, L);
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int step = -9; step <= 9; ++step) {
        if (step == 0) continue;
        iscale = -(float(nmax) + 0.1f * float(step)) / max;
        symmetric_fit(n, nmax, x, weights, iscale, &sumlx, &suml2);
        if (suml2 > 0.0f && sumlx * sumlx > best * suml2) {
            store_symmetric_codes(n, nmax, x, iscale, L);
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

float search_symmetric_scale_iterative(int n, int nmax, const float *x, int8_t *L) {
    float max;
    if (!group_max(n, x, L, &max)) return 0.0f;
    const float iscale = float(-nmax) / max;
    float sumlx = 0.0f, suml2 = 0.0f;
    for (int i = 0; i < n; ++i) {
        const int l = symmetric_code(iscale, x[i], nmax);
        L[i] = int8_t(l);
        const float w = x[i] * x[i];
        sumlx += w * x[i] * float(l);
        suml2 += w * float(l) * float(l);
    }
    for (int pass = 0; pass < 5; ++pass) {
        int changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * float(L[i]);
            if (!(slx > 0.0f)) continue;
            float sl2 = suml2 - w * float(L[i]) * float(L[i]);
            const int l = clamp_int(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
            if (l == L[i]) continue;
            slx += w * x[i] * float(l);
            sl2 += w * float(l) * float(l);
            if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2) {
                L[i] = int8_t(l);
                sumlx = slx;
                suml2 = sl2;
                ++changed;
            }
        }
        if (!changed) break;
    }
    for (int i = 0; i < n; ++i) L[i] = int8_t(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

namespace {

float affine_error(int n, const float *x, const float *weights, const uint8_t *L, float scale, float min,
                   bool use_mad) {
    float err = 0.0f;
    for (int i = 0; i < n; ++i) {
        float diff = scale * float(L[i]) + min - x[i];
        diff = use_mad ? std::fabs(diff) : diff * diff;
        err += weights[i] * diff;
    }
    return err;
}

void affine_codes(int n, int nmax, const float *x, float iscale, float min, uint8_t *L) {
    for (int i = 0; i < n; ++i) L[i] = uint8_t(clamp_int(nearest_int(iscale * (x[i] - min)), 0, nmax));
}

// Weighted squared error of x against scale * min(nmax, round(iscale * x)).
float positive_error(int n, int nmax, const float *x, const float *weights, float iscale, float scale) {
    float err = 0.0f;
    for (int i = 0; i < n; ++i) {
        const int l = std::min(nmax, nearest_int(iscale * x[i]));
        const float diff = x[i] - scale * float(l);
        err += weights[i] * diff * diff;
    }
    return err;
}

// The coarse search: the inverse scale of the 9 tried whose codes fit best.
float positive_iscale(int n, int nmax, const float *x, const float *weights, float max) {
    float iscale = float(nmax) / max;
    const float scale = 1.0f / iscale;
    float best = 0.0f;
    for (int i = 0; i < n; ++i) { // the first try's codes are not capped at nmax
        const float diff = x[i] - scale * float(uint8_t(nearest_int(iscale * x[i])));
        best += weights[i] * diff * diff;
    }
    for (int step = -4; step <= 4; ++step) {
        if (step == 0) continue;
        const float iscale_step = (0.1f * float(step) + float(nmax)) / max;
        const float err = positive_error(n, nmax, x, weights, iscale_step, 1.0f / iscale_step);
        if (err < best) {
            best = err;
            iscale = iscale_step;
        }
    }
    return iscale;
}

} // namespace

float search_positive_scale(int n, int nmax, const float *x, uint8_t *L, const float *weights) {
    float max = 0.0f;
    for (int i = 0; i < n; ++i) max = max > x[i] ? max : x[i];
    if (max < kGroupMaxEps) {
        std::memset(L, 0, size_t(n));
        return 0.0f;
    }
    const float iscale = positive_iscale(n, nmax, x, weights, max);
    float sumlx = 0.0f, suml2 = 0.0f;
    for (int i = 0; i < n; ++i) {
        const int l = std::min(nmax, nearest_int(iscale * x[i]));
        L[i] = uint8_t(l);
        sumlx += weights[i] * x[i] * float(l);
        suml2 += weights[i] * float(l) * float(l);
    }
    for (int pass = 0; pass < 5; ++pass) {
        int changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = weights[i];
            float slx = sumlx - w * x[i] * float(L[i]);
            float sl2 = suml2 - w * float(L[i]) * float(L[i]);
            if (!(slx > 0.0f && sl2 > 0.0f)) continue;
            const int l = std::min(nmax, nearest_int(x[i] * sl2 / slx));
            if (l == L[i]) continue;
            slx += w * x[i] * float(l);
            sl2 += w * float(l) * float(l);
            if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                L[i] = uint8_t(l);
                sumlx = slx;
                suml2 = sl2;
                ++changed;
            }
        }
        if (!changed) break;
    }
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

float search_affine_scale(int n, int nmax, const float *x, const float *weights, uint8_t *L, float *min_out,
                          float rmin, float rdelta, int nstep, bool use_mad) {
    float min = x[0], max = x[0];
    float sum_w = weights[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += weights[i];
        sum_x += weights[i] * x[i];
    }
    if (min > 0.0f) min = 0.0f;
    if (max == min) {
        std::memset(L, 0, size_t(n));
        *min_out = -min;
        return 0.0f;
    }
    float scale = 1.0f / (float(nmax) / (max - min));
    affine_codes(n, nmax, x, float(nmax) / (max - min), min, L);
    float best_error = affine_error(n, x, weights, L, scale, min, use_mad);
    uint8_t Laux[256];
    for (int step = 0; step <= nstep; ++step) {
        const float iscale = (rmin + rdelta * float(step) + float(nmax)) / (max - min);
        affine_codes(n, nmax, x, iscale, min, Laux);
        float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
        for (int i = 0; i < n; ++i) {
            const float wl = weights[i] * float(Laux[i]);
            sum_l += wl;
            sum_l2 += wl * float(Laux[i]);
            sum_xl += wl * x[i];
        }
        const float D = sum_w * sum_l2 - sum_l * sum_l;
        if (!(D > 0.0f)) continue;
        float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
        float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
        if (this_min > 0.0f) {
            this_min = 0.0f;
            this_scale = sum_xl / sum_l2;
        }
        const float err = affine_error(n, x, weights, Laux, this_scale, this_min, use_mad);
        if (err < best_error) {
            std::memcpy(L, Laux, size_t(n));
            best_error = err;
            scale = this_scale;
            min = this_min;
        }
    }
    *min_out = -min;
    return scale;
}

} // namespace loom
