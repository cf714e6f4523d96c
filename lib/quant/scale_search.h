// The scale searches behind the encoders (K-quants, IQ4, legacy): given a group
// of values, find a scale (and min) and integer codes that minimise a
// weighted error. The arithmetic order is that of ggml's reference encoders
// so the chosen codes are bit-identical; do not "simplify" the float math.
#pragma once

#include <cstdint>
#include <cstring>

namespace loom {

// Round to nearest, ties to even, by adding 1.5 * 2^23 (exact for |v| < 2^22,
// never undefined behaviour for larger or NaN inputs).
inline int nearest_int(float v) {
    const float biased = v + 12582912.0f;
    int32_t bits;
    std::memcpy(&bits, &biased, sizeof bits);
    return (bits & 0x007fffff) - 0x00400000;
}

inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

// A C cast to int (truncation) for v in [lo, hi], clamped outside it and lo
// for NaN: the same codes as ggml's casts for finite inputs, and no undefined
// behaviour when a caller quantizes Inf or NaN.
inline int truncate_clamped(float v, int lo, int hi) {
    if (!(v > float(lo))) return lo;
    return v >= float(hi) ? hi : int(v);
}

// Groups whose largest magnitude is below this are all-zero.
constexpr float kGroupMaxEps = 1e-15f;

// The value of largest magnitude, sign kept (the first on ties); *amax gets
// its magnitude. 0 for an all-zero (or empty) group.
float signed_absmax(int n, const float *x, float *amax);

// Symmetric codes in [-nmax, nmax-1] (stored as code + nmax in L) for
// `weights` (nullptr: x^2): tries 18 scales around -nmax/max and keeps the
// one with the best weighted least-squares fit. Returns the scale (0 for an
// all-zero group).
float search_symmetric_scale(int n, int nmax, const float *x, int8_t *L, const float *weights = nullptr);

// Like search_symmetric_scale but refines codes one at a time (Q3_K's
// search): up to 5 passes moving single codes while the fit improves.
float search_symmetric_scale_iterative(int n, int nmax, const float *x, int8_t *L);

// Affine codes in [0, nmax]: x ~ scale * L - min, min >= 0 returned in
// *min_out. Tries nstep+1 scales (rmin + rdelta*i + nmax) / (max - min),
// each refined by weighted least squares; error is squared or (use_mad)
// absolute. Returns the scale.
float search_affine_scale(int n, int nmax, const float *x, const float *weights, uint8_t *L, float *min_out,
                          float rmin, float rdelta, int nstep, bool use_mad);

// Codes in [0, nmax] for non-negative x (the sub-block scales or mins of a
// K-quant super-block with an importance matrix): tries 9 scales around
// max/nmax by weighted squared error, then moves single codes while the
// weighted least-squares fit improves (up to 5 passes). Codes are kept
// modulo 256 as ggml's uint8 codes are. Returns the scale (0 when max <
// kGroupMaxEps, codes 0).
float search_positive_scale(int n, int nmax, const float *x, uint8_t *L, const float *weights);

} // namespace loom
