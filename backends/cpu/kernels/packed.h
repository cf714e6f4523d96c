// The load-time weight layouts of MatmulKernels::repack / matmul_packed
// (kernels.h): the 18-byte nibble blocks (Q4_0, IQ4_NL: fp16 d + 16
// bytes qs, qs[i] low nibble = value i, high nibble = value i+16).
//
// A tensor is a sequence of groups of kPackRows = 16 rows; group g starts
// at byte g * 16 * row_bytes (row_bytes = nb * 18, nb = k/32 blocks), so a
// group is exactly as big as its 16 GGUF rows. Inside a group, block b of
// the 16 rows is 256 bytes of nibbles and 32 bytes of scales:
//   nibbles: byte 64p + 4r + j = qs[4p + j] of row r (p, j in 0..3), i.e.
//            64-byte vector p holds dword p of every row's qs in int32
//            lane r: its low nibbles are values 4p..4p+3 of the 16 rows,
//            its high nibbles values 16+4p..16+4p+3.
//   scales:  bytes 2r, 2r+1 = the fp16 d of row r.
// Blocks go in pairs so that every 64-byte vector stays 64-byte aligned
// when the group is (576 = 9 x 64): pair (2i, 2i+1) is
//   [nibbles 2i | nibbles 2i+1 | scales 2i | scales 2i+1]
// and a last lone block (nb odd) is [nibbles | scales]. IQ4_XS below.
#pragma once

#include "cpu/kernels.h"

#include <cstddef>
#include <cstdint>

namespace loom::cpu {

constexpr size_t kPackNibBytes = 256;  // one block of 16 rows: nibbles
constexpr size_t kPackScaleBytes = 32; // one block of 16 rows: fp16 scales
constexpr size_t kPackBlockBytes = kPackNibBytes + kPackScaleBytes;

// Offset of block b's nibbles inside a group of rows of nb blocks.
inline size_t pack_nib_offset(int64_t b) {
    return static_cast<size_t>(b / 2) * 2 * kPackBlockBytes + static_cast<size_t>(b & 1) * kPackNibBytes;
}
// Offset of block b's 16 fp16 scales inside a group of rows of nb blocks.
inline size_t pack_scale_offset(int64_t b, int64_t nb) {
    const size_t pair = static_cast<size_t>(b / 2) * 2 * kPackBlockBytes;
    if ((b | 1) >= nb) return pair + kPackNibBytes; // the lone last block
    return pair + 2 * kPackNibBytes + static_cast<size_t>(b & 1) * kPackScaleBytes;
}

// GGUF rows -> the packed layout (n_rows a multiple of 16, k of 32; no
// overlap). The same bytes for Q4_0 and IQ4_NL.
void repack_nib16(const void *src, void *dst, int64_t n_rows, int64_t k);
// The inverse: packed layout -> GGUF rows.
void unpack_nib16(const void *src, void *dst, int64_t n_rows, int64_t k);

// IQ4_XS (blocks of 256 values in 8 groups of 32, 136 bytes): a group of
// 16 rows keeps its size per super-block (2176 = 34 x 64 bytes):
//   bytes 256j + 64p + 4r + i: qs[16j + 4p + i] of row r (group j of 32
//            values: as one nibble block above);
//   2048 + 2r: the fp16 d of row r; 2080 + 4r: its 4 scales_l bytes;
//   2144 + 2r: its scales_h.
constexpr size_t kPackXsBytes = 16 * 136;
void repack_iq4_xs(const void *src, void *dst, int64_t n_rows, int64_t k);
void unpack_iq4_xs(const void *src, void *dst, int64_t n_rows, int64_t k);

// Q4_K (blocks of 256 values in 8 groups of 32, 144 bytes: fp16 d, dmin,
// 12 bytes of 6-bit scales and mins, 128 bytes qs where byte i of chunk c
// (qs[32c + i]) holds value i of group 2c (low nibble) and of group 2c+1
// (high nibble)): a group of 16 rows keeps its size per super-block
// (2304 = 36 x 64 bytes):
//   bytes 512c + 64p + 4r + i: qs[32c + 4p + i] of row r (c 0..3, p 0..7):
//            64-byte vector p of chunk c holds values 4p..4p+3 of groups
//            2c (low nibbles) and 2c+1 (high) of the 16 rows in int32 lanes;
//   2048 + 4r, 2112 + 4r, 2176 + 4r: bytes 0-3, 4-7, 8-11 of row r's scales;
//   2240 + 2r: its fp16 d; 2272 + 2r: its fp16 dmin.
constexpr size_t kPackQ4KBytes = 16 * 144;
void repack_q4_k(const void *src, void *dst, int64_t n_rows, int64_t k);
void unpack_q4_k(const void *src, void *dst, int64_t n_rows, int64_t k);

// Q5_0 / Q5_1 (22 / 24-byte blocks: fp16 d [, fp16 m], 4 bytes qh, 16 bytes
// qs): the nibbles as above, and per block of 16 rows 64 bytes of fifth
// bits, arranged as the masks of the 8 byte vectors of the nibble decode
// (x86_packed512.h): qword t (t < 4: values 4t..4t+3, t >= 4: values
// 16+4(t-4)..) has bit 4r+j = bit (value 4t+j, resp. 16+4(t-4)+j) of row r's
// qh. A block of 16 rows is then
//   Q5_0: [nibbles 256 | qh 64 | d 32] = 352 bytes; blocks in pairs
//         [nib 2i | nib 2i+1 | qh 2i | qh 2i+1 | d 2i | d 2i+1] (704 = 11 x
//         64), a last lone block [nib | qh | d];
//   Q5_1: [nibbles 256 | qh 64 | d 32 | m 32] = 384 = 6 x 64 bytes.
// Same size as the 16 GGUF rows; every 64-byte part stays 64-byte aligned
// when the group is.
struct Q5Offsets {
    size_t nib, qh, d, m; // m: Q5_1 only
};
inline Q5Offsets q5_offsets(bool with_min, int64_t b, int64_t nb) {
    if (with_min) {
        const size_t base = static_cast<size_t>(b) * 384;
        return {base, base + 256, base + 320, base + 352};
    }
    const size_t pair = static_cast<size_t>(b / 2) * 704, odd = static_cast<size_t>(b & 1);
    if ((b | 1) >= nb) return {pair, pair + 256, pair + 320, 0}; // the lone last block
    return {pair + 256 * odd, pair + 512 + 64 * odd, pair + 640 + 32 * odd, 0};
}
// First value of the 4 in byte vector t (0..7) of a block.
constexpr int q5_vec_first(int t) { return t < 4 ? 4 * t : 16 + 4 * (t - 4); }
void repack_q5_0(const void *src, void *dst, int64_t n_rows, int64_t k);
void repack_q5_1(const void *src, void *dst, int64_t n_rows, int64_t k);

// The inverse of the repack of type t (false: t has no packed layout).
bool unpack_rows(loom_type t, const void *src, void *dst, int64_t n_rows, int64_t k);

// Scalar references of matmul_packed (unpack a group, scalar matmul).
void matmul_packed_q4_0_ref(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                            size_t act_stride, int64_t n_act, float *out, size_t out_stride);
void matmul_packed_iq4_nl_ref(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                              size_t act_stride, int64_t n_act, float *out, size_t out_stride);
void matmul_packed_q5_0_ref(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                            size_t act_stride, int64_t n_act, float *out, size_t out_stride);
void matmul_packed_q5_1_ref(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                            size_t act_stride, int64_t n_act, float *out, size_t out_stride);
void matmul_packed_q4_k_ref(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                            size_t act_stride, int64_t n_act, float *out, size_t out_stride);
void matmul_packed_iq4_xs_ref(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                              size_t act_stride, int64_t n_act, float *out, size_t out_stride);

} // namespace loom::cpu
