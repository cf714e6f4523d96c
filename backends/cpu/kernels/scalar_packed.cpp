// Scalar reference of the packed weight layout (packed.h): the repack, its
// inverse, and matmul_packed as "unpack a chunk of a group back to GGUF rows
// and run the scalar matmul on it".
#include "cpu/kernels/packed.h"

#include "cpu/kernels/blocks.h"
#include "cpu/kernels/skeleton.h"

#include <cstddef>
#include <cstring>
#include <type_traits>

namespace loom::cpu {
namespace {

constexpr int64_t kRows = kPackRows;
constexpr size_t kBlock = sizeof(BlockQ4_0); // 18, also IQ4_NL's
static_assert(sizeof(BlockIQ4_NL) == kBlock && kRows * kBlock == kPackBlockBytes, "nibble blocks");

// Block b of row r (GGUF bytes at `row`) -> its place in the group.
void put_block(const uint8_t *row, int64_t r, int64_t b, int64_t nb, uint8_t *group) {
    const uint8_t *blk = row + b * kBlock;
    std::memcpy(group + pack_scale_offset(b, nb) + 2 * r, blk, 2);
    uint8_t *nib = group + pack_nib_offset(b);
    for (int p = 0; p < 4; ++p) std::memcpy(nib + 64 * p + 4 * r, blk + 2 + 4 * p, 4);
}

// The inverse of put_block.
void get_block(const uint8_t *group, int64_t r, int64_t b, int64_t nb, uint8_t *blk) {
    std::memcpy(blk, group + pack_scale_offset(b, nb) + 2 * r, 2);
    const uint8_t *nib = group + pack_nib_offset(b);
    for (int p = 0; p < 4; ++p) std::memcpy(blk + 2 + 4 * p, nib + 64 * p + 4 * r, 4);
}

// Blocks [b0, b0 + nbc) of the group's 16 rows -> rows of nbc blocks.
void unpack_blocks(const uint8_t *group, int64_t nb, int64_t b0, int64_t nbc, uint8_t *rows) {
    for (int64_t r = 0; r < kRows; ++r)
        for (int64_t b = 0; b < nbc; ++b) get_block(group, r, b0 + b, nb, rows + (r * nbc + b) * kBlock);
}

// IQ4_XS super-block b of row r <-> its place in the group (packed.h).
constexpr size_t kXsBlock = sizeof(BlockIQ4_XS);
static_assert(kXsBlock * kRows == kPackXsBytes, "IQ4_XS group");
void put_xs(const uint8_t *row, int64_t r, int64_t b, uint8_t *group) {
    const uint8_t *blk = row + b * kXsBlock;
    uint8_t *g = group + b * kPackXsBytes;
    std::memcpy(g + 2048 + 2 * r, blk + offsetof(BlockIQ4_XS, d), 2);
    std::memcpy(g + 2080 + 4 * r, blk + offsetof(BlockIQ4_XS, scales_l), 4);
    std::memcpy(g + 2144 + 2 * r, blk + offsetof(BlockIQ4_XS, scales_h), 2);
    const uint8_t *qs = blk + offsetof(BlockIQ4_XS, qs);
    for (int j = 0; j < 8; ++j)
        for (int p = 0; p < 4; ++p) std::memcpy(g + 256 * j + 64 * p + 4 * r, qs + 16 * j + 4 * p, 4);
}
void get_xs(const uint8_t *group, int64_t r, int64_t b, uint8_t *blk) {
    const uint8_t *g = group + b * kPackXsBytes;
    std::memcpy(blk + offsetof(BlockIQ4_XS, d), g + 2048 + 2 * r, 2);
    std::memcpy(blk + offsetof(BlockIQ4_XS, scales_l), g + 2080 + 4 * r, 4);
    std::memcpy(blk + offsetof(BlockIQ4_XS, scales_h), g + 2144 + 2 * r, 2);
    uint8_t *qs = blk + offsetof(BlockIQ4_XS, qs);
    for (int j = 0; j < 8; ++j)
        for (int p = 0; p < 4; ++p) std::memcpy(qs + 16 * j + 4 * p, g + 256 * j + 64 * p + 4 * r, 4);
}

// Q4_K super-block b of row r <-> its place in the group (packed.h).
constexpr size_t kQ4KBlock = sizeof(BlockQ4_K);
static_assert(kQ4KBlock * kRows == kPackQ4KBytes, "Q4_K group");
void put_q4k(const uint8_t *row, int64_t r, int64_t b, uint8_t *group) {
    const uint8_t *blk = row + b * kQ4KBlock;
    uint8_t *g = group + b * kPackQ4KBytes;
    for (int w = 0; w < 3; ++w) std::memcpy(g + 2048 + 64 * w + 4 * r, blk + offsetof(BlockQ4_K, scales) + 4 * w, 4);
    std::memcpy(g + 2240 + 2 * r, blk + offsetof(BlockQ4_K, d), 2);
    std::memcpy(g + 2272 + 2 * r, blk + offsetof(BlockQ4_K, dmin), 2);
    const uint8_t *qs = blk + offsetof(BlockQ4_K, qs);
    for (int c = 0; c < 4; ++c)
        for (int p = 0; p < 8; ++p) std::memcpy(g + 512 * c + 64 * p + 4 * r, qs + 32 * c + 4 * p, 4);
}
void get_q4k(const uint8_t *group, int64_t r, int64_t b, uint8_t *blk) {
    const uint8_t *g = group + b * kPackQ4KBytes;
    for (int w = 0; w < 3; ++w) std::memcpy(blk + offsetof(BlockQ4_K, scales) + 4 * w, g + 2048 + 64 * w + 4 * r, 4);
    std::memcpy(blk + offsetof(BlockQ4_K, d), g + 2240 + 2 * r, 2);
    std::memcpy(blk + offsetof(BlockQ4_K, dmin), g + 2272 + 2 * r, 2);
    uint8_t *qs = blk + offsetof(BlockQ4_K, qs);
    for (int c = 0; c < 4; ++c)
        for (int p = 0; p < 8; ++p) std::memcpy(qs + 32 * c + 4 * p, g + 512 * c + 64 * p + 4 * r, 4);
}

// A packed type's block: its bytes and the group unpacker of blocks [b0, b0 + nbc).
struct Nib16 {
    static constexpr int kValues = kQK;
    static constexpr size_t kBytes = kBlock, kActBytes = sizeof(BlockQ8_0);
    static void unpack(const uint8_t *group, int64_t nb, int64_t b0, int64_t nbc, uint8_t *rows) {
        unpack_blocks(group, nb, b0, nbc, rows);
    }
};
// The super-block types (IQ4_XS, Q4_K): super-block b of row r <-> its
// place in the group by Put / Get; a whole matrix repacked at once.
template <size_t kBlk, void (*Put)(const uint8_t *, int64_t, int64_t, uint8_t *),
          void (*Get)(const uint8_t *, int64_t, int64_t, uint8_t *)>
struct SuperGroups {
    static constexpr int kValues = kQKK;
    static constexpr size_t kBytes = kBlk, kActBytes = sizeof(BlockQ8_K);
    static void unpack(const uint8_t *group, int64_t, int64_t b0, int64_t nbc, uint8_t *rows) {
        for (int64_t r = 0; r < kRows; ++r)
            for (int64_t b = 0; b < nbc; ++b) Get(group, r, b0 + b, rows + (r * nbc + b) * kBlk);
    }
    static void repack_all(const void *src, void *dst, int64_t n_rows, int64_t k) {
        const int64_t nb = k / kQKK;
        const size_t row = size_t(nb) * kBlk;
        const auto *s = static_cast<const uint8_t *>(src);
        auto *d = static_cast<uint8_t *>(dst);
        for (int64_t g = 0; g < n_rows; g += kRows)
            for (int64_t r = 0; r < kRows; ++r)
                for (int64_t b = 0; b < nb; ++b) Put(s + (g + r) * row, r, b, d + g * row);
    }
};
using Xs = SuperGroups<kXsBlock, put_xs, get_xs>;
using Q4k = SuperGroups<kQ4KBlock, put_q4k, get_q4k>;

// Q5_0 / Q5_1 (packed.h): block b of the 16 rows at `rows` (GGUF rows of
// `row` bytes) <-> its place in the group.
template <bool kMin>
struct Q5 {
    using W = typename std::conditional<kMin, BlockQ5_1, BlockQ5_0>::type;
    static constexpr int kValues = kQK;
    static constexpr size_t kBytes = sizeof(W);
    static constexpr size_t kActBytes = kMin ? sizeof(BlockQ8_1) : sizeof(BlockQ8_0);
    static void put(const uint8_t *rows, size_t row, int64_t b, int64_t nb, uint8_t *group) {
        const Q5Offsets o = q5_offsets(kMin, b, nb);
        uint64_t mask[8] = {};
        for (int64_t r = 0; r < kRows; ++r) {
            W blk;
            std::memcpy(&blk, rows + r * row + b * kBytes, kBytes);
            std::memcpy(group + o.d + 2 * r, &blk.d, 2);
            if constexpr (kMin) std::memcpy(group + o.m + 2 * r, &blk.m, 2);
            for (int p = 0; p < 4; ++p) std::memcpy(group + o.nib + 64 * p + 4 * r, blk.qs + 4 * p, 4);
            const uint32_t qh = uint32_t(blk.qh[0]) | uint32_t(blk.qh[1]) << 8 | uint32_t(blk.qh[2]) << 16 |
                                uint32_t(blk.qh[3]) << 24;
            for (int t = 0; t < 8; ++t) mask[t] |= uint64_t((qh >> q5_vec_first(t)) & 0xFu) << (4 * r);
        }
        for (int t = 0; t < 8; ++t)
            for (int i = 0; i < 8; ++i) group[o.qh + 8 * t + i] = uint8_t(mask[t] >> (8 * i));
    }
    static void get(const uint8_t *group, int64_t r, int64_t b, int64_t nb, uint8_t *dst) {
        const Q5Offsets o = q5_offsets(kMin, b, nb);
        W blk;
        std::memcpy(&blk.d, group + o.d + 2 * r, 2);
        if constexpr (kMin) std::memcpy(&blk.m, group + o.m + 2 * r, 2);
        for (int p = 0; p < 4; ++p) std::memcpy(blk.qs + 4 * p, group + o.nib + 64 * p + 4 * r, 4);
        uint32_t qh = 0;
        for (int t = 0; t < 8; ++t) // bits 4r..4r+3 of qword t: one nibble of byte r/2
            qh |= uint32_t((group[o.qh + 8 * t + r / 2] >> (4 * (r & 1))) & 0xF) << q5_vec_first(t);
        for (int i = 0; i < 4; ++i) blk.qh[i] = uint8_t(qh >> (8 * i));
        std::memcpy(dst, &blk, kBytes);
    }
    static void unpack(const uint8_t *group, int64_t nb, int64_t b0, int64_t nbc, uint8_t *rows) {
        for (int64_t r = 0; r < kRows; ++r)
            for (int64_t b = 0; b < nbc; ++b) get(group, r, b0 + b, nb, rows + (r * nbc + b) * kBytes);
    }
    static void repack(const void *src, void *dst, int64_t n_rows, int64_t k) {
        const int64_t nb = k / kQK;
        const size_t row = size_t(nb) * kBytes;
        const auto *s = static_cast<const uint8_t *>(src);
        auto *d = static_cast<uint8_t *>(dst);
        for (int64_t g = 0; g < n_rows; g += kRows)
            for (int64_t b = 0; b < nb; ++b) put(s + g * row, row, b, nb, d + g * row);
    }
};

// A whole matrix of F's groups back to GGUF rows (the inverse of its repack).
template <class F>
void unpack_groups(const void *src, void *dst, int64_t n_rows, int64_t k) {
    const int64_t nb = k / F::kValues;
    const size_t row = size_t(nb) * F::kBytes;
    const auto *s = static_cast<const uint8_t *>(src);
    auto *d = static_cast<uint8_t *>(dst);
    for (int64_t g = 0; g < n_rows; g += kRows) F::unpack(s + g * row, nb, 0, nb, d + g * row);
}

constexpr size_t kUnpackBytes = 9216; // a chunk of 16 unpacked rows on the stack

template <class F>
void matmul_packed_ref(const MatmulKernels *ref, int64_t k, const void *w, size_t w_stride, int64_t n_rows,
                       const void *act, size_t act_stride, int64_t n_act, float *out, size_t out_stride) {
    constexpr int64_t kChunk = int64_t(kUnpackBytes / (kRows * F::kBytes));
    const int64_t nb = k / F::kValues;
    const auto *wb = static_cast<const uint8_t *>(w);
    const auto *ab = static_cast<const uint8_t *>(act);
    uint8_t rows[kUnpackBytes];
    float part[kRows];
    for (int64_t g = 0; g < n_rows; g += kRows) {
        const uint8_t *group = wb + g * w_stride;
        for (int64_t b0 = 0; b0 < nb; b0 += kChunk) {
            const int64_t nbc = nb - b0 < kChunk ? nb - b0 : kChunk;
            F::unpack(group, nb, b0, nbc, rows);
            for (int64_t j = 0; j < n_act; ++j) {
                ref->matmul(nbc * F::kValues, rows, size_t(nbc) * F::kBytes, kRows,
                            ab + j * act_stride + b0 * F::kActBytes, act_stride, 1, part, kRows);
                float *o = out + j * out_stride + g;
                for (int64_t r = 0; r < kRows; ++r) o[r] = b0 == 0 ? part[r] : o[r] + part[r];
            }
        }
    }
}

} // namespace

void repack_nib16(const void *src, void *dst, int64_t n_rows, int64_t k) {
    const int64_t nb = k / kQK;
    const size_t row = size_t(nb) * kBlock;
    const auto *s = static_cast<const uint8_t *>(src);
    auto *d = static_cast<uint8_t *>(dst);
    for (int64_t g = 0; g < n_rows; g += kRows)
        for (int64_t r = 0; r < kRows; ++r)
            for (int64_t b = 0; b < nb; ++b) put_block(s + (g + r) * row, r, b, nb, d + g * row);
}

void unpack_nib16(const void *src, void *dst, int64_t n_rows, int64_t k) { unpack_groups<Nib16>(src, dst, n_rows, k); }

void matmul_packed_q4_0_ref(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                            size_t act_stride, int64_t n_act, float *out, size_t out_stride) {
    matmul_packed_ref<Nib16>(scalar_legacy_kernels(LOOM_TYPE_Q4_0), k, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride);
}

void matmul_packed_iq4_nl_ref(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                              size_t act_stride, int64_t n_act, float *out, size_t out_stride) {
    matmul_packed_ref<Nib16>(scalar_legacy_kernels(LOOM_TYPE_IQ4_NL), k, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride);
}

void matmul_packed_iq4_xs_ref(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                              size_t act_stride, int64_t n_act, float *out, size_t out_stride) {
    matmul_packed_ref<Xs>(scalar_kquant_kernels(LOOM_TYPE_IQ4_XS), k, w, w_stride, n_rows, act, act_stride, n_act,
                          out, out_stride);
}

void matmul_packed_q4_k_ref(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                            size_t act_stride, int64_t n_act, float *out, size_t out_stride) {
    matmul_packed_ref<Q4k>(scalar_kquant_kernels(LOOM_TYPE_Q4_K), k, w, w_stride, n_rows, act, act_stride, n_act, out,
                           out_stride);
}

void matmul_packed_q5_0_ref(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                            size_t act_stride, int64_t n_act, float *out, size_t out_stride) {
    matmul_packed_ref<Q5<false>>(scalar_legacy_kernels(LOOM_TYPE_Q5_0), k, w, w_stride, n_rows, act, act_stride,
                                 n_act, out, out_stride);
}

void matmul_packed_q5_1_ref(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                            size_t act_stride, int64_t n_act, float *out, size_t out_stride) {
    matmul_packed_ref<Q5<true>>(scalar_legacy_kernels(LOOM_TYPE_Q5_1), k, w, w_stride, n_rows, act, act_stride,
                                n_act, out, out_stride);
}

void repack_q5_0(const void *src, void *dst, int64_t n_rows, int64_t k) { Q5<false>::repack(src, dst, n_rows, k); }
void repack_q5_1(const void *src, void *dst, int64_t n_rows, int64_t k) { Q5<true>::repack(src, dst, n_rows, k); }

void repack_iq4_xs(const void *src, void *dst, int64_t n_rows, int64_t k) { Xs::repack_all(src, dst, n_rows, k); }
void unpack_iq4_xs(const void *src, void *dst, int64_t n_rows, int64_t k) { unpack_groups<Xs>(src, dst, n_rows, k); }
void repack_q4_k(const void *src, void *dst, int64_t n_rows, int64_t k) { Q4k::repack_all(src, dst, n_rows, k); }
void unpack_q4_k(const void *src, void *dst, int64_t n_rows, int64_t k) { unpack_groups<Q4k>(src, dst, n_rows, k); }

bool unpack_rows(loom_type t, const void *src, void *dst, int64_t n_rows, int64_t k) {
    switch (t) {
    case LOOM_TYPE_Q4_0:
    case LOOM_TYPE_IQ4_NL: unpack_nib16(src, dst, n_rows, k); return true;
    case LOOM_TYPE_IQ4_XS: unpack_iq4_xs(src, dst, n_rows, k); return true;
    case LOOM_TYPE_Q4_K: unpack_q4_k(src, dst, n_rows, k); return true;
    case LOOM_TYPE_Q5_0: unpack_groups<Q5<false>>(src, dst, n_rows, k); return true;
    case LOOM_TYPE_Q5_1: unpack_groups<Q5<true>>(src, dst, n_rows, k); return true;
    default: return false;
    }
}

} // namespace loom::cpu
