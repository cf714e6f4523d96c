// Block layouts the CPU kernels read (weights, as stored in GGUF) and write
// (quantized activations). Weight layouts are the GGML ones (lib/quant holds
// their codecs); activation layouts are GGML's Q8_0 / Q8_1 / Q8_K so that
// lib/quant's to_float can decode them in tests.
//
// All fields are little-endian; fp16 scales are raw IEEE half bits.
#pragma once

#include <cstddef>
#include <cstdint>

namespace loom::cpu {

constexpr int kQK = 32;   // values per legacy block
constexpr int kQKK = 256; // values per K-quant super-block

// ---- activations ----------------------------------------------------------
struct BlockQ8_0 { // x = d * qs[i]
    uint16_t d;
    int8_t qs[kQK];
};
struct BlockQ8_1 { // x = d * qs[i]; s = d * sum(qs) (for weights with a min)
    uint16_t d;
    uint16_t s;
    int8_t qs[kQK];
};
struct BlockQ8_K { // x = d * qs[i]; bsums[g] = sum of qs[16g .. 16g+15]
    float d;
    int8_t qs[kQKK];
    int16_t bsums[kQKK / 16];
};

// ---- legacy weights (32 values) ------------------------------------------
struct BlockQ4_0 { // x = d * (nibble - 8); qs[i] low nibble = x[i], high = x[i+16]
    uint16_t d;
    uint8_t qs[kQK / 2];
};
struct BlockQ4_1 { // x = d * nibble + m
    uint16_t d;
    uint16_t m;
    uint8_t qs[kQK / 2];
};
struct BlockQ5_0 { // x = d * ((nibble | bit(qh, i) << 4) - 16)
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[kQK / 2];
};
struct BlockQ5_1 { // x = d * (nibble | bit(qh, i) << 4) + m
    uint16_t d;
    uint16_t m;
    uint8_t qh[4];
    uint8_t qs[kQK / 2];
};
using BlockQ8_0W = BlockQ8_0; // x = d * qs[i]
struct BlockIQ4_NL { // x = d * kIq4nlValues[nibble]
    uint16_t d;
    uint8_t qs[kQK / 2];
};

// ---- K-quants (256 values) -----------------------------------------------
struct BlockQ2_K { // 16 groups of 16: x = d*(sc&15)*q2 - dmin*(sc>>4)
    uint8_t scales[kQKK / 16];
    uint8_t qs[kQKK / 4];
    uint16_t d;
    uint16_t dmin;
};
struct BlockQ3_K { // 16 groups of 16: x = d*(sc6-32)*(q2 - (hbit ? 0 : 4))
    uint8_t hmask[kQKK / 8];
    uint8_t qs[kQKK / 4];
    uint8_t scales[12];
    uint16_t d;
};
struct BlockQ4_K { // 8 groups of 32: x = d*sc6*q4 - dmin*m6
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[12];
    uint8_t qs[kQKK / 2];
};
struct BlockQ5_K { // 8 groups of 32: x = d*sc6*q5 - dmin*m6
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[12];
    uint8_t qh[kQKK / 8];
    uint8_t qs[kQKK / 2];
};
struct BlockQ6_K { // 16 groups of 16: x = d*sc8*(q6 - 32)
    uint8_t ql[kQKK / 2];
    uint8_t qh[kQKK / 4];
    int8_t scales[kQKK / 16];
    uint16_t d;
};
struct BlockIQ4_XS { // 8 groups of 32: x = d*(sc6-32)*kIq4nlValues[nibble]
    uint16_t d;
    uint16_t scales_h;
    uint8_t scales_l[kQKK / 64];
    uint8_t qs[kQKK / 2];
};

static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36 && sizeof(BlockQ8_K) == 292, "act");
static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22 &&
                  sizeof(BlockQ5_1) == 24 && sizeof(BlockIQ4_NL) == 18,
              "legacy");
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144 &&
                  sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210 && sizeof(BlockIQ4_XS) == 136,
              "kquants");

// The IQ4_NL / IQ4_XS code book (ggml/src/ggml-common.h, kvalues_iq4nl).
constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                     1,    13,   25,  38,  53,  69,  89,  113};

// The 6-bit scale and min of group j (0..7) of a Q4_K/Q5_K block
// (the packing of ggml's get_scale_min_k4).
inline void k4_scale_min(const uint8_t *s, int j, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

// All 8 scales and mins of a Q4_K/Q5_K block (k4_scale_min for j = 0..7),
// without branches.
inline void k4_scales_mins(const uint8_t *s, uint8_t sc[8], uint8_t m[8]) {
    for (int j = 0; j < 4; ++j) {
        sc[j] = s[j] & 63;
        m[j] = s[j + 4] & 63;
        sc[j + 4] = static_cast<uint8_t>((s[j + 8] & 0xF) | ((s[j] >> 6) << 4));
        m[j + 4] = static_cast<uint8_t>((s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4));
    }
}

// The 16 signed 6-bit scales of a Q3_K block, already minus 32.
inline void q3_k_scales(const uint8_t *s, int8_t out[16]) {
    for (int j = 0; j < 16; ++j) {
        const int low = j < 8 ? (s[j] & 0xF) : (s[j - 8] >> 4);
        const int high = (s[8 + (j & 3)] >> (2 * (j >> 2))) & 3;
        out[j] = static_cast<int8_t>((low | (high << 4)) - 32);
    }
}

// The 8 signed 6-bit scales of an IQ4_XS block, already minus 32.
inline int iq4_xs_scale(const BlockIQ4_XS &b, int j) {
    const int low = (b.scales_l[j / 2] >> (4 * (j % 2))) & 0xF;
    const int high = (b.scales_h >> (2 * j)) & 3;
    return (low | (high << 4)) - 32;
}

} // namespace loom::cpu
