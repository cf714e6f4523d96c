// Q4_0_4_4, Q4_0_4_8, Q4_0_8_8: legacy row-interleaved Q4_0, still found in
// older published GGUF files (llama.cpp removed them in favour of repacking
// Q4_0 at load time). Q4_0_<R>_<B> is a Q4_0 tensor whose rows are stored in
// groups of R, with the quant bytes of the R rows interleaved B bytes at a
// time. The layout, from the old ggml/src/ggml-aarch64.c (block_q4_0x4 /
// block_q4_0x8, make_block_q4_0x4/x8, quantize_q4_0_nr_bl):
//
//   for each group of R rows, for each block column x (32 values):
//     one super-block of R * 18 bytes:
//       d[R]        the fp16 scales of block x of rows 0..R-1
//       qs[R * 16]  byte i = qs[k] ^ 0x88 of row r's block x, where
//                   r = (i % (R*B)) / B and k = (i / (R*B)) * B + i % B
//   The xor with 0x88 stores each nibble q as the signed value q - 8.
//
// So the row size is the Q4_0 row size and a row can only be decoded with
// its whole group: decoding undoes the interleave into Q4_0 blocks and runs
// the Q4_0 decoder.
#include "quant/fp_exact.h"
#include "quant/block_io.h"
#include "quant/codecs.h"

namespace loom {
namespace {

constexpr int kQ4Bytes = 18;

// Row r's Q4_0 block out of an R-row super-block.
template <int R, int B>
void extract_q4_0(const uint8_t *super, int r, uint8_t *block) {
    std::memcpy(block, super + 2 * r, 2);
    const uint8_t *qs = super + 2 * R;
    for (int k = 0; k < 16; ++k) block[2 + k] = uint8_t(qs[(k / B) * (R * B) + r * B + k % B] ^ 0x88);
}

template <int R, int B>
void rows_to_float(const void *src, float *dst, int64_t n_rows, int64_t row_len) {
    const uint8_t *p = static_cast<const uint8_t *>(src);
    const int64_t nb = row_len / 32;
    for (int64_t g = 0; g < n_rows / R; ++g) {
        for (int64_t x = 0; x < nb; ++x) {
            const uint8_t *super = p + (g * nb + x) * R * kQ4Bytes;
            for (int r = 0; r < R; ++r) {
                uint8_t block[kQ4Bytes];
                extract_q4_0<R, B>(super, r, block);
                q4_0_to_float(block, dst + (g * R + r) * row_len + x * 32, 32);
            }
        }
    }
}

} // namespace

void q4_0_4_4_rows_to_float(const void *src, float *dst, int64_t n_rows, int64_t row_len) {
    rows_to_float<4, 4>(src, dst, n_rows, row_len);
}
void q4_0_4_8_rows_to_float(const void *src, float *dst, int64_t n_rows, int64_t row_len) {
    rows_to_float<4, 8>(src, dst, n_rows, row_len);
}
void q4_0_8_8_rows_to_float(const void *src, float *dst, int64_t n_rows, int64_t row_len) {
    rows_to_float<8, 8>(src, dst, n_rows, row_len);
}

} // namespace loom
