// Q4_0_4_4 / Q4_0_4_8 / Q4_0_8_8 -> plain Q4_0 rows. The interleaved layout
// (GGML's block_q4_0x4 / block_q4_0x8, ggml-cpu/repack.cpp): per group of G
// rows and per block column, G fp16 scales then 16*G bytes of nibbles where
// chunk c of `il` bytes comes from row c % G at byte (c / G) * il, XOR 0x88
// (nibbles stored as signed two's complement instead of offset by 8).
#include "cpu/kernels.h"
#include "cpu/kernels/blocks.h"

#include <cstring>

namespace loom::cpu {
namespace {

struct Layout {
    int group; // rows per group
    int il;    // interleave chunk, bytes
};

bool layout_of(loom_type t, Layout *l) {
    switch (t) {
    case LOOM_TYPE_Q4_0_4_4: *l = {4, 4}; return true;
    case LOOM_TYPE_Q4_0_4_8: *l = {4, 8}; return true;
    case LOOM_TYPE_Q4_0_8_8: *l = {8, 8}; return true;
    default: return false;
    }
}

// One interleaved block column (G scales + 16*G bytes) -> G Q4_0 blocks.
void split_column(const uint8_t *src, const Layout &l, BlockQ4_0 *const *rows) {
    const int G = l.group;
    for (int g = 0; g < G; ++g) std::memcpy(&rows[g]->d, src + 2 * g, 2);
    const uint8_t *qs = src + 2 * G;
    for (int c = 0; c < 16 * G / l.il; ++c) {
        uint8_t *dst = rows[c % G]->qs + (c / G) * l.il;
        for (int b = 0; b < l.il; ++b) dst[b] = qs[c * l.il + b] ^ 0x88;
    }
}

} // namespace

bool interleaved_to_q4_0(loom_type type, const void *src, void *dst, int64_t n_rows, int64_t k) {
    Layout l;
    if (!layout_of(type, &l) || n_rows < 0 || k < 0 || n_rows % l.group != 0 || k % kQK != 0) return false;
    const int64_t nb = k / kQK;
    const size_t column_bytes = static_cast<size_t>(l.group) * sizeof(BlockQ4_0);
    const auto *s = static_cast<const uint8_t *>(src);
    auto *d = static_cast<BlockQ4_0 *>(dst);
    BlockQ4_0 *rows[8];
    for (int64_t r0 = 0; r0 < n_rows; r0 += l.group)
        for (int64_t b = 0; b < nb; ++b) {
            for (int g = 0; g < l.group; ++g) rows[g] = d + (r0 + g) * nb + b;
            split_column(s + (r0 / l.group * nb + b) * column_bytes, l, rows);
        }
    return true;
}

} // namespace loom::cpu
