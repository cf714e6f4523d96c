// The IQ ("importance") formats. Every one decodes 32-value groups as four
// runs of 8 values, each run with a scale, 8 grid coordinates (a lattice
// point from iq_tables.cpp, or IQ4's non-linear values), a sign mask and
// (IQ1 only) a shift:   x = (scale * (grid[j] + delta)) * (sign_j ? -1 : 1)
// (with delta 0 and no signs that is bit-for-bit scale * grid[j]).
//
//   IQ2_XXS [d][qs 64: per group 4 grid bytes + u32 (4 x 7-bit sign index, 4-bit scale)]
//   IQ2_XS  [d][qs 32 x u16: 9-bit grid | 7-bit sign index][scales 8: 2 x 4-bit]
//   IQ2_S   [d][qs 32: grid low bits][signs 32][qh 8: grid bits 8-9][scales 8: 2 x 4-bit]
//   IQ3_XXS [d][qs 64: grid bytes][8 x u32: 4 x 7-bit sign index, 4-bit scale]
//   IQ3_S   [d][qs 64: grid low bits][qh 8: grid bit 8][signs 32][scales 4: 2 x 4-bit]
//   IQ1_S   [d][qs 32: grid low bits][qh 8 x u16: 3 x 3-bit grid high, 3-bit scale, delta sign]
//   IQ1_M   [qs 32][qh 16: 2 x (3-bit grid high, delta sign)][scales 8: 3-bit scales; fp16 d in top nibbles]
//   IQ4_NL  [d][qs 16: 4-bit index into kIq4nlValues]   (32 values)
//   IQ4_XS  [d][scales_h u16][scales_l 4][qs 128]       x = d*(ls-32)*value
#include "quant/fp_exact.h"
#include "quant/block_io.h"
#include "quant/codecs.h"
#include "quant/iq_tables.h"

namespace loom {
namespace {

struct Run {
    float scale;
    float delta = 0.0f;
    uint8_t signs = 0;
    int grid[8];
};

template <typename Entry>
void set_grid(Run &r, const Entry *table, int index, int first = 0, int count = 8) {
    uint8_t bytes[sizeof(Entry)];
    std::memcpy(bytes, &table[index], sizeof bytes);
    for (int j = 0; j < count; ++j) r.grid[first + j] = bytes[j];
}

void set_iq1_grid(Run &r, int index) {
    int8_t coords[8];
    std::memcpy(coords, &kIq1sGrid[index], sizeof coords);
    for (int j = 0; j < 8; ++j) r.grid[j] = coords[j];
}

// 4-bit group scale of IQ2/IQ3: d * (0.5 + s) * f
float half_step_scale(float d, uint32_t s, float f) { return d * (0.5f + float(s)) * f; }

struct Iq2xxs {
    static constexpr size_t kBytes = 66;
    static constexpr int kValues = 256;
    static void group(const uint8_t *b, int g, Run r[4]) {
        const uint8_t *q = b + 2 + 8 * g;
        const uint32_t aux = load_u32(q + 4);
        for (int l = 0; l < 4; ++l) {
            r[l].scale = half_step_scale(load_fp16(b), aux >> 28, 0.25f);
            r[l].signs = kIq2Signs[(aux >> (7 * l)) & 127];
            set_grid(r[l], kIq2xxsGrid, q[l]);
        }
    }
};

struct Iq2xs {
    static constexpr size_t kBytes = 74;
    static constexpr int kValues = 256;
    static void group(const uint8_t *b, int g, Run r[4]) {
        const uint8_t sc = b[66 + g];
        for (int l = 0; l < 4; ++l) {
            const uint16_t q = load_u16(b + 2 + 2 * (4 * g + l));
            r[l].scale = half_step_scale(load_fp16(b), l < 2 ? sc & 0xf : sc >> 4, 0.25f);
            r[l].signs = kIq2Signs[q >> 9];
            set_grid(r[l], kIq2xsGrid, q & 511);
        }
    }
};

struct Iq2s {
    static constexpr size_t kBytes = 82;
    static constexpr int kValues = 256;
    static void group(const uint8_t *b, int g, Run r[4]) {
        const uint8_t *qs = b + 2 + 4 * g, *signs = b + 34 + 4 * g;
        const uint8_t qh = b[66 + g], sc = b[74 + g];
        for (int l = 0; l < 4; ++l) {
            r[l].scale = half_step_scale(load_fp16(b), l < 2 ? sc & 0xf : sc >> 4, 0.25f);
            r[l].signs = signs[l];
            set_grid(r[l], kIq2sGrid, qs[l] | ((qh << (8 - 2 * l)) & 0x300));
        }
    }
};

struct Iq3xxs {
    static constexpr size_t kBytes = 98;
    static constexpr int kValues = 256;
    static void group(const uint8_t *b, int g, Run r[4]) {
        const uint8_t *qs = b + 2 + 8 * g;
        const uint32_t aux = load_u32(b + 66 + 4 * g);
        for (int l = 0; l < 4; ++l) {
            r[l].scale = half_step_scale(load_fp16(b), aux >> 28, 0.5f);
            r[l].signs = kIq2Signs[(aux >> (7 * l)) & 127];
            set_grid(r[l], kIq3xxsGrid, qs[2 * l], 0, 4);
            set_grid(r[l], kIq3xxsGrid, qs[2 * l + 1], 4, 4);
        }
    }
};

struct Iq3s {
    static constexpr size_t kBytes = 110;
    static constexpr int kValues = 256;
    static void group(const uint8_t *b, int g, Run r[4]) {
        const uint8_t *qs = b + 2 + 8 * g, *signs = b + 74 + 4 * g;
        const int qh = b[66 + g];
        const float scale = load_fp16(b) * float(1 + 2 * ((b[106 + g / 2] >> (4 * (g % 2))) & 0xf));
        for (int l = 0; l < 4; ++l) {
            r[l].scale = scale;
            r[l].signs = signs[l];
            set_grid(r[l], kIq3sGrid, qs[2 * l] | ((qh << (8 - 2 * l)) & 256), 0, 4);
            set_grid(r[l], kIq3sGrid, qs[2 * l + 1] | ((qh << (7 - 2 * l)) & 256), 4, 4);
        }
    }
};

struct Iq1s {
    static constexpr size_t kBytes = 50;
    static constexpr int kValues = 256;
    static void group(const uint8_t *b, int g, Run r[4]) {
        const uint8_t *qs = b + 2 + 4 * g;
        const uint16_t qh = load_u16(b + 34 + 2 * g);
        for (int l = 0; l < 4; ++l) {
            r[l].scale = load_fp16(b) * float(2 * ((qh >> 12) & 7) + 1);
            r[l].delta = (qh & 0x8000) ? -kIq1Delta : kIq1Delta;
            set_iq1_grid(r[l], qs[l] | (((qh >> (3 * l)) & 7) << 8));
        }
    }
};

struct Iq1m {
    static constexpr size_t kBytes = 56;
    static constexpr int kValues = 256;
    static float super_scale(const uint8_t *b) {
        uint16_t h = 0;
        for (int i = 0; i < 4; ++i) h = uint16_t(h | ((load_u16(b + 48 + 2 * i) >> 12) << (4 * i)));
        return fp16_to_fp32(h);
    }
    static void group(const uint8_t *b, int g, Run r[4]) {
        const uint8_t *qs = b + 4 * g, *qh = b + 32 + 2 * g;
        const uint16_t sc = load_u16(b + 48 + 2 * (g / 2));
        for (int l = 0; l < 4; ++l) {
            const int bits = qh[l / 2] >> (4 * (l % 2)); // 3 grid bits, then the delta sign
            r[l].scale = super_scale(b) * float(2 * ((sc >> (6 * (g % 2) + 3 * (l / 2))) & 7) + 1);
            r[l].delta = (bits & 0x08) ? -kIq1Delta : kIq1Delta;
            set_iq1_grid(r[l], qs[l] | ((bits & 7) << 8));
        }
    }
};

// IQ4: runs 0-1 are the low nibbles of the group's 16 bytes, runs 2-3 the high ones.
void iq4_runs(const uint8_t *qs, float scale, Run r[4]) {
    for (int l = 0; l < 4; ++l) {
        r[l].scale = scale;
        for (int j = 0; j < 8; ++j) r[l].grid[j] = kIq4nlValues[(qs[8 * (l % 2) + j] >> (4 * (l / 2))) & 0xf];
    }
}

struct Iq4nl {
    static constexpr size_t kBytes = 18;
    static constexpr int kValues = 32;
    static void group(const uint8_t *b, int, Run r[4]) { iq4_runs(b + 2, load_fp16(b), r); }
};

struct Iq4xs {
    static constexpr size_t kBytes = 136;
    static constexpr int kValues = 256;
    static int group_scale(const uint8_t *b, int g) {
        return (((b[4 + g / 2] >> (4 * (g % 2))) & 0xf) | (((load_u16(b + 2) >> (2 * g)) & 3) << 4)) - 32;
    }
    static void group(const uint8_t *b, int g, Run r[4]) {
        iq4_runs(b + 8 + 16 * g, load_fp16(b) * float(group_scale(b, g)), r);
    }
};

// ggml writes the sign as a multiply by -1.0f that compilers turn into a
// sign-bit flip, and its NaN outputs carry that flipped sign: flip the bit
// explicitly so the result does not depend on the optimisation level.
float with_sign(float v, bool negative) { return negative ? -v : v; }

template <class F>
void iq_to_float(const void *src, float *dst, int64_t n) {
    for_each_block<F::kValues, F::kBytes>(src, dst, n, [](const uint8_t *b, float *y) {
        for (int g = 0; g < F::kValues / 32; ++g) {
            Run r[4];
            F::group(b, g, r);
            for (int l = 0; l < 4; ++l)
                for (int j = 0; j < 8; ++j)
                    y[32 * g + 8 * l + j] = with_sign(r[l].scale * (float(r[l].grid[j]) + r[l].delta), (r[l].signs >> j) & 1);
        }
    });
}

} // namespace

void iq2_xxs_to_float(const void *src, float *dst, int64_t n) { iq_to_float<Iq2xxs>(src, dst, n); }
void iq2_xs_to_float(const void *src, float *dst, int64_t n) { iq_to_float<Iq2xs>(src, dst, n); }
void iq2_s_to_float(const void *src, float *dst, int64_t n) { iq_to_float<Iq2s>(src, dst, n); }
void iq3_xxs_to_float(const void *src, float *dst, int64_t n) { iq_to_float<Iq3xxs>(src, dst, n); }
void iq3_s_to_float(const void *src, float *dst, int64_t n) { iq_to_float<Iq3s>(src, dst, n); }
void iq1_s_to_float(const void *src, float *dst, int64_t n) { iq_to_float<Iq1s>(src, dst, n); }
void iq1_m_to_float(const void *src, float *dst, int64_t n) { iq_to_float<Iq1m>(src, dst, n); }
void iq4_nl_to_float(const void *src, float *dst, int64_t n) { iq_to_float<Iq4nl>(src, dst, n); }
void iq4_xs_to_float(const void *src, float *dst, int64_t n) { iq_to_float<Iq4xs>(src, dst, n); }

} // namespace loom
