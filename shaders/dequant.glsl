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
float ld_elem(uint off) { return uintBitsToFloat(wq[off >> 2]); }
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

#else
#error "dequant.glsl: define one TYPE_<NAME>"
#endif

// Bytes of a row of k values.
uint row_bytes_of(uint k) { return QK == 1 ? k * BLOCK_BYTES : (k / QK) * BLOCK_BYTES; }
// Chunks of 16 values covering a row of k values.
uint chunks_of(uint k) { return (k + 15u) / 16u; }
