// One dequantizer per block type, selected by a -DTYPE_<NAME> define:
//   dequant16(rb, c, k, v) writes values [16c, 16c+16) of the row whose
//   first block starts at byte rb (k = row length; only float types need it,
//   values past k come out 0). QK is the type's block size, BLOCK_BYTES its size.
// Layouts follow the GGUF block definitions (ggml-common.h).
#include "types.glsl"

#if defined(TYPE_F32) || defined(TYPE_F16) || defined(TYPE_BF16)
#define QK 1
#if defined(TYPE_F32)
#define BLOCK_BYTES 4
float ld_elem(uint off) { return uintBitsToFloat(WQ(off >> 2)); }
#elif defined(TYPE_F16)
#define BLOCK_BYTES 2
float ld_elem(uint off) { return ld_f16(off); }
#else
#define BLOCK_BYTES 2
float ld_elem(uint off) { return ld_bf16(off); }
#endif
void dequant16(uint rb, uint c, uint k, out float v[16]) {
    [[unroll]] for (uint j = 0u; j < 16u; j++) {
        uint i = 16u * c + j;
        v[j] = i < k ? ld_elem(rb + i * BLOCK_BYTES) : 0.0;
    }
}

#elif defined(TYPE_Q4_0) || defined(TYPE_IQ4_NL)
#define QK 32
#define BLOCK_BYTES 18
#if defined(TYPE_IQ4_NL)
// kvalues_iq4nl, from ggml-common.h
const float kIq4nl[16] = float[16](-127., -104., -83., -65., -49., -35., -22., -10., 1., 13., 25., 38., 53., 69., 89., 113.);
#define Q4_VALUE(n) kIq4nl[n]
#else
#define Q4_VALUE(n) (float(n) - 8.0)
#endif
void dequant16(uint rb, uint c, uint k, out float v[16]) {
    uint b = rb + (c >> 1) * BLOCK_BYTES;
    float d = ld_f16(b);
    uint sh = (c & 1u) * 4u;
    [[unroll]] for (uint j = 0u; j < 16u; j += 4u) {
        uint q = ld_u32(b + 2u + j);
        [[unroll]] for (uint t = 0u; t < 4u; t++) v[j + t] = d * Q4_VALUE((q >> (8u * t + sh)) & 0xFu);
    }
}

#elif defined(TYPE_Q4_1)
#define QK 32
#define BLOCK_BYTES 20
void dequant16(uint rb, uint c, uint k, out float v[16]) {
    uint b = rb + (c >> 1) * BLOCK_BYTES;
    float d = ld_f16(b), m = ld_f16(b + 2u);
    uint sh = (c & 1u) * 4u;
    [[unroll]] for (uint j = 0u; j < 16u; j += 4u) {
        uint q = ld_u32(b + 4u + j);
        [[unroll]] for (uint t = 0u; t < 4u; t++) v[j + t] = d * float((q >> (8u * t + sh)) & 0xFu) + m;
    }
}

#elif defined(TYPE_Q5_0) || defined(TYPE_Q5_1)
#define QK 32
#if defined(TYPE_Q5_0)
#define BLOCK_BYTES 22
#define Q5_HEAD 2u
#else
#define BLOCK_BYTES 24
#define Q5_HEAD 4u
#endif
void dequant16(uint rb, uint c, uint k, out float v[16]) {
    uint b = rb + (c >> 1) * BLOCK_BYTES;
    float d = ld_f16(b);
#if defined(TYPE_Q5_0)
    float m = -16.0 * d;
#else
    float m = ld_f16(b + 2u);
#endif
    uint hi = c & 1u;
    uint qh = ld_u32(b + Q5_HEAD) >> (16u * hi);
    [[unroll]] for (uint j = 0u; j < 16u; j += 4u) {
        uint q = ld_u32(b + Q5_HEAD + 4u + j);
        [[unroll]] for (uint t = 0u; t < 4u; t++) {
            uint n = ((q >> (8u * t + 4u * hi)) & 0xFu) | (((qh >> (j + t)) & 1u) << 4);
            v[j + t] = d * float(n) + m;
        }
    }
}

#elif defined(TYPE_Q8_0)
#define QK 32
#define BLOCK_BYTES 34
void dequant16(uint rb, uint c, uint k, out float v[16]) {
    uint b = rb + (c >> 1) * BLOCK_BYTES;
    float d = ld_f16(b);
    uint qs = b + 2u + 16u * (c & 1u);
    [[unroll]] for (uint j = 0u; j < 16u; j += 4u) {
        uint q = ld_u32(qs + j);
        [[unroll]] for (uint t = 0u; t < 4u; t++) v[j + t] = d * float(sext8(q >> (8u * t)));
    }
}

#elif defined(TYPE_Q2_K)
#define QK 256
#define BLOCK_BYTES 84
void dequant16(uint rb, uint c, uint k, out float v[16]) {
    uint b = rb + (c >> 4) * BLOCK_BYTES;
    c &= 15u;
    float d = ld_f16(b + 80u), dmin = ld_f16(b + 82u);
    uint sc = ld_u8(b + c);
    float dl = d * float(sc & 0xFu), ml = dmin * float(sc >> 4);
    uint qs = b + 16u + 32u * (c >> 3) + 16u * (c & 1u);
    uint sh = 2u * ((c & 7u) >> 1);
    [[unroll]] for (uint j = 0u; j < 16u; j += 4u) {
        uint q = ld_u32(qs + j);
        [[unroll]] for (uint t = 0u; t < 4u; t++) v[j + t] = dl * float((q >> (8u * t + sh)) & 3u) - ml;
    }
}

#elif defined(TYPE_Q3_K)
#define QK 256
#define BLOCK_BYTES 110
void dequant16(uint rb, uint c, uint k, out float v[16]) {
    uint b = rb + (c >> 4) * BLOCK_BYTES;
    c &= 15u;
    float d = ld_f16(b + 108u);
    uint lo = c < 8u ? (ld_u8(b + 96u + c) & 0xFu) : (ld_u8(b + 96u + c - 8u) >> 4);
    uint hi = (ld_u8(b + 104u + (c & 3u)) >> (2u * (c >> 2))) & 3u;
    float dl = d * float(int(lo | (hi << 4)) - 32);
    uint j2 = (c & 7u) >> 1;
    uint qs = b + 32u + 32u * (c >> 3) + 16u * (c & 1u);
    uint hm = b + 16u * (c & 1u);
    uint sh = 2u * j2, hbit = 4u * (c >> 3) + j2;
    [[unroll]] for (uint j = 0u; j < 16u; j += 4u) {
        uint q = ld_u32(qs + j), h = ld_u32(hm + j);
        [[unroll]] for (uint t = 0u; t < 4u; t++) {
            int n = int((q >> (8u * t + sh)) & 3u) - (((h >> (8u * t + hbit)) & 1u) != 0u ? 0 : 4);
            v[j + t] = dl * float(n);
        }
    }
}

#elif defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
#define QK 256
#if defined(TYPE_Q4_K)
#define BLOCK_BYTES 144
#define QS_AT 16u
#else
#define BLOCK_BYTES 176
#define QS_AT 48u
#endif
// 6-bit scale and min of sub-block s (get_scale_min_k4 in the format definition).
void scale_min_k4(uint sb, uint s, out uint sc, out uint m) {
    if (s < 4u) {
        sc = ld_u8(sb + s) & 63u;
        m = ld_u8(sb + s + 4u) & 63u;
    } else {
        uint x = ld_u8(sb + s + 4u);
        sc = (x & 0xFu) | ((ld_u8(sb + s - 4u) >> 6) << 4);
        m = (x >> 4) | ((ld_u8(sb + s) >> 6) << 4);
    }
}
void dequant16(uint rb, uint c, uint k, out float v[16]) {
    uint b = rb + (c >> 4) * BLOCK_BYTES;
    c &= 15u;
    uint s = c >> 1, l0 = 16u * (c & 1u);
    uint sc, mn;
    scale_min_k4(b + 4u, s, sc, mn);
    float dl = ld_f16(b) * float(sc), ml = ld_f16(b + 2u) * float(mn);
    uint qs = b + QS_AT + 32u * (s >> 1) + l0;
    uint sh = 4u * (s & 1u);
    [[unroll]] for (uint j = 0u; j < 16u; j += 4u) {
        uint q = ld_u32(qs + j);
#if defined(TYPE_Q5_K)
        uint h = ld_u32(b + 16u + l0 + j);
#endif
        [[unroll]] for (uint t = 0u; t < 4u; t++) {
            uint n = (q >> (8u * t + sh)) & 0xFu;
#if defined(TYPE_Q5_K)
            n |= ((h >> (8u * t + s)) & 1u) << 4;
#endif
            v[j + t] = dl * float(n) - ml;
        }
    }
}

#elif defined(TYPE_Q6_K)
#define QK 256
#define BLOCK_BYTES 210
void dequant16(uint rb, uint c, uint k, out float v[16]) {
    uint b = rb + (c >> 4) * BLOCK_BYTES;
    c &= 15u;
    uint n = c >> 3, r = c & 7u, g = r >> 1, l0 = 16u * (r & 1u);
    float dl = ld_f16(b + 208u) * float(sext8(ld_u8(b + 192u + c)));
    uint ql = b + 64u * n + l0 + 32u * (g & 1u);
    uint qh = b + 128u + 32u * n + l0;
    uint shl = 4u * (g >> 1), shh = 2u * g;
    [[unroll]] for (uint j = 0u; j < 16u; j += 4u) {
        uint q = ld_u32(ql + j), h = ld_u32(qh + j);
        [[unroll]] for (uint t = 0u; t < 4u; t++) {
            uint x = ((q >> (8u * t + shl)) & 0xFu) | (((h >> (8u * t + shh)) & 3u) << 4);
            v[j + t] = dl * float(int(x) - 32);
        }
    }
}

#elif defined(TYPE_IQ4_XS)
#define QK 256
#define BLOCK_BYTES 136
// kvalues_iq4nl, from ggml-common.h
const float kIq4nl[16] = float[16](-127., -104., -83., -65., -49., -35., -22., -10., 1., 13., 25., 38., 53., 69., 89., 113.);
void dequant16(uint rb, uint c, uint k, out float v[16]) {
    uint b = rb + (c >> 4) * BLOCK_BYTES;
    c &= 15u;
    uint ib = c >> 1, sh = 4u * (c & 1u);
    uint ls = ((ld_u8(b + 4u + (ib >> 1)) >> (4u * (ib & 1u))) & 0xFu) | (((ld_u16(b + 2u) >> (2u * ib)) & 3u) << 4);
    float dl = ld_f16(b) * float(int(ls) - 32);
    uint qs = b + 8u + 16u * ib;
    [[unroll]] for (uint j = 0u; j < 16u; j += 4u) {
        uint q = ld_u32(qs + j);
        [[unroll]] for (uint t = 0u; t < 4u; t++) v[j + t] = dl * kIq4nl[(q >> (8u * t + sh)) & 0xFu];
    }
}

#elif defined(TYPE_TQ2_0)
#define QK 256
#define BLOCK_BYTES 66
void dequant16(uint rb, uint c, uint k, out float v[16]) {
    uint b = rb + (c >> 4) * BLOCK_BYTES;
    c &= 15u;
    float d = ld_f16(b + 64u);
    uint qs = b + 32u * (c >> 3) + 16u * (c & 1u), sh = 2u * ((c & 7u) >> 1);
    [[unroll]] for (uint j = 0u; j < 16u; j += 4u) {
        uint q = ld_u32(qs + j);
        [[unroll]] for (uint t = 0u; t < 4u; t++) v[j + t] = d * (float((q >> (8u * t + sh)) & 3u) - 1.0);
    }
}

#elif defined(TYPE_TQ1_0)
#define QK 256
#define BLOCK_BYTES 54
// A base-3 digit packed as in the format: (uint8(q * 3^n) * 3) >> 8, minus 1.
float tq1_trit(uint q, uint pow3) { return float((((q * pow3) & 0xFFu) * 3u) >> 8) - 1.0; }
void dequant16(uint rb, uint c, uint k, out float v[16]) {
    uint b = rb + (c >> 4) * BLOCK_BYTES;
    c &= 15u;
    float d = ld_f16(b + 52u);
    const uint pow3[5] = uint[5](1u, 3u, 9u, 27u, 81u);
    if (c < 10u) {          // values 0..159: qs[0..31], digit c/2
        uint at = b + 16u * (c & 1u), p3 = pow3[c >> 1];
        [[unroll]] for (uint t = 0u; t < 16u; t++) v[t] = d * tq1_trit(ld_u8(at + t), p3);
    } else if (c < 15u) {   // values 160..239: qs[32..47], digit c-10
        uint p3 = pow3[c - 10u];
        [[unroll]] for (uint t = 0u; t < 16u; t++) v[t] = d * tq1_trit(ld_u8(b + 32u + t), p3);
    } else {                // values 240..255: qh[t%4], digit t/4
        [[unroll]] for (uint t = 0u; t < 16u; t++) v[t] = d * tq1_trit(ld_u8(b + 48u + (t & 3u)), pow3[t >> 2]);
    }
}

#elif defined(TYPE_IQ2_XXS) || defined(TYPE_IQ2_XS) || defined(TYPE_IQ2_S) || defined(TYPE_IQ3_XXS) || \
      defined(TYPE_IQ3_S) || defined(TYPE_IQ1_S) || defined(TYPE_IQ1_M)
// The lattice formats (lib/quant/iquants.cpp has the layouts). A 256-value
// block is 8 groups of 32 values = 4 runs of 8; run r has a scale, 8 grid
// coordinates (a lattice point), an 8-bit sign mask and (IQ1 only) a shift
// delta:  x_j = scale * (grid_j + delta), negated where sign bit j is set.
// A 16-value chunk is two runs. The grids (generated from
// lib/quant/iq_tables.cpp by gen_iq_grids.py) are 16-bit entries of 2- or
// 3-bit coordinate codes in one storage buffer, uploaded once by the
// backend and bound at set 1 (every IQ pipeline's second descriptor set);
// this type's grid starts at uvec4 IQ_GRID_BASE. iq_coord maps a code back
// to its value.
#define QK 256
#include "iq_grids.glsl"
layout(std430, set = 1, binding = 0) readonly buffer IqGrids { uvec4 iq_grid4[]; };
#if defined(TYPE_IQ2_XXS)
#define BLOCK_BYTES 66
#elif defined(TYPE_IQ2_XS)
#define BLOCK_BYTES 74
#elif defined(TYPE_IQ2_S)
#define BLOCK_BYTES 82
#elif defined(TYPE_IQ3_XXS)
#define BLOCK_BYTES 98
#elif defined(TYPE_IQ3_S)
#define BLOCK_BYTES 110
#elif defined(TYPE_IQ1_S)
#define BLOCK_BYTES 50
#else
#define BLOCK_BYTES 56
#endif
#if defined(TYPE_IQ3_XXS) || defined(TYPE_IQ3_S)
#define IQ_CODE_BITS 3u
#else
#define IQ_CODE_BITS 2u
#endif

struct IqRun {
    float scale;
    float delta;
    uint signs;
    uint codes; // coordinate j is (codes >> (IQ_CODE_BITS * j)) & mask
};

// Grid entry i: 16 bits of codes.
uint iq_entry(uint i) { return (iq_grid4[IQ_GRID_BASE + (i >> 3)][(i >> 1) & 3u] >> (16u * (i & 1u))) & 0xFFFFu; }
// ksigns_iq2xs: a 7-bit sign index gets bit 7 set to make the parity even.
uint iq_signs7(uint i) { return i | ((bitCount(i) & 1u) << 7); }
// 4-bit group scale of IQ2/IQ3: d * (0.5 + s) * f
float iq_half_step(float d, uint s, float f) { return d * (0.5 + float(s)) * f; }
// IQ1S_DELTA, IQ1M_DELTA with the block's sign bit
float iq1_delta(bool neg) { return neg ? -0.125 : 0.125; }

// Run l (0..3) of group g (0..7) of the block at byte b.
IqRun iq_run(uint b, uint g, uint l) {
    IqRun r;
    r.delta = 0.0;
    r.signs = 0u;
#if defined(TYPE_IQ2_XXS)
    // [d][per group: 4 grid bytes, u32 (4 x 7-bit sign index, 4-bit scale)]
    uint q = b + 2u + 8u * g, aux = ld_u32(q + 4u);
    r.scale = iq_half_step(ld_f16(b), aux >> 28, 0.25);
    r.signs = iq_signs7((aux >> (7u * l)) & 127u);
    r.codes = iq_entry(ld_u8(q + l));
#elif defined(TYPE_IQ2_XS)
    // [d][32 x u16: 9-bit grid index | 7-bit sign index][8 x (2 x 4-bit scale)]
    uint q = ld_u16(b + 2u + 2u * (4u * g + l)), sc = ld_u8(b + 66u + g);
    r.scale = iq_half_step(ld_f16(b), (sc >> (4u * (l >> 1))) & 0xFu, 0.25);
    r.signs = iq_signs7(q >> 9);
    r.codes = iq_entry(q & 511u);
#elif defined(TYPE_IQ2_S)
    // [d][32 grid low bytes][32 sign bytes][8 x grid bits 8-9][8 x (2 x 4-bit scale)]
    uint qh = ld_u8(b + 66u + g), sc = ld_u8(b + 74u + g);
    r.scale = iq_half_step(ld_f16(b), (sc >> (4u * (l >> 1))) & 0xFu, 0.25);
    r.signs = ld_u8(b + 34u + 4u * g + l);
    r.codes = iq_entry(ld_u8(b + 2u + 4u * g + l) | (((qh >> (2u * l)) & 3u) << 8));
#elif defined(TYPE_IQ3_XXS)
    // [d][64 grid bytes][8 x u32: 4 x 7-bit sign index, 4-bit scale]; a run is two 4-value entries
    uint q = b + 2u + 8u * g + 2u * l, aux = ld_u32(b + 66u + 4u * g);
    r.scale = iq_half_step(ld_f16(b), aux >> 28, 0.5);
    r.signs = iq_signs7((aux >> (7u * l)) & 127u);
    r.codes = iq_entry(ld_u8(q)) | (iq_entry(ld_u8(q + 1u)) << 12);
#elif defined(TYPE_IQ3_S)
    // [d][64 grid low bytes][8 x grid bit 8][32 sign bytes][4 x (2 x 4-bit scale)]
    uint q = b + 2u + 8u * g + 2u * l, qh = ld_u8(b + 66u + g);
    r.scale = ld_f16(b) * float(1u + 2u * ((ld_u8(b + 106u + (g >> 1)) >> (4u * (g & 1u))) & 0xFu));
    r.signs = ld_u8(b + 74u + 4u * g + l);
    r.codes = iq_entry(ld_u8(q) | (((qh >> (2u * l)) & 1u) << 8)) |
              (iq_entry(ld_u8(q + 1u) | (((qh >> (2u * l + 1u)) & 1u) << 8)) << 12);
#elif defined(TYPE_IQ1_S)
    // [d][32 grid low bytes][8 x u16: 4 x 3-bit grid high bits, 3-bit scale, delta sign]
    uint qh = ld_u16(b + 34u + 2u * g);
    r.scale = ld_f16(b) * float(2u * ((qh >> 12) & 7u) + 1u);
    r.delta = iq1_delta((qh & 0x8000u) != 0u);
    r.codes = iq_entry(ld_u8(b + 2u + 4u * g + l) | (((qh >> (3u * l)) & 7u) << 8));
#else // IQ1_M
    // [32 grid low bytes][16 x 2 x (3-bit grid high bits, delta sign)][4 x u16: 4 x 3-bit scale + 4 bits of fp16 d]
    uint s0 = ld_u16(b + 48u), s1 = ld_u16(b + 50u), s2 = ld_u16(b + 52u), s3 = ld_u16(b + 54u);
    float d = unpackHalf2x16((s0 >> 12) | ((s1 >> 12) << 4) | ((s2 >> 12) << 8) | ((s3 >> 12) << 12)).x;
    uint sc = ld_u16(b + 48u + 2u * (g >> 1));
    uint bits = ld_u8(b + 32u + 2u * g + (l >> 1)) >> (4u * (l & 1u));
    r.scale = d * float(2u * ((sc >> (6u * (g & 1u) + 3u * (l >> 1))) & 7u) + 1u);
    r.delta = iq1_delta((bits & 8u) != 0u);
    r.codes = iq_entry(ld_u8(b + 4u * g + l) | ((bits & 7u) << 8));
#endif
    return r;
}

// The value of coordinate code n (the code lists of gen_iq_grids.py).
float iq_coord(uint n) {
#if defined(TYPE_IQ1_S) || defined(TYPE_IQ1_M)
    return float(int(n) - 1);                 // -1, 0, 1
#elif defined(TYPE_IQ3_XXS)
    return n == 7u ? 62.0 : float(4u + 8u * n); // 4, 12, ..., 52, 62
#elif defined(TYPE_IQ3_S)
    return float(2u * n + 1u);                // 1, 3, ..., 15
#else
    return float(8u + 17u * n + (n >> 1));    // 8, 25, 43
#endif
}

void dequant16(uint rb, uint c, uint k, out float v[16]) {
    uint b = rb + (c >> 4) * BLOCK_BYTES;
    c &= 15u;
    [[unroll]] for (uint h = 0u; h < 2u; h++) {
        IqRun r = iq_run(b, c >> 1, 2u * (c & 1u) + h);
        [[unroll]] for (uint j = 0u; j < 8u; j++) {
            float x = r.scale * (iq_coord((r.codes >> (IQ_CODE_BITS * j)) & ((1u << IQ_CODE_BITS) - 1u)) + r.delta);
            v[8u * h + j] = ((r.signs >> j) & 1u) != 0u ? -x : x;
        }
    }
}

#else
#error "dequant.glsl: define one TYPE_<NAME>"
#endif

// Bytes of a row of k values.
uint row_bytes_of(uint k) { return QK == 1 ? k * BLOCK_BYTES : (k / QK) * BLOCK_BYTES; }
// Chunks of 16 values covering a row of k values.
uint chunks_of(uint k) { return (k + 15u) / 16u; }
