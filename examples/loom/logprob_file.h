// The base-model log-probability file of `loom perplexity
// --kl-divergence-base FILE`, in llama-perplexity's format (so either tool
// reads the other's): "_logits_", int32 n_ctx, int32 n_vocab, int32 n_chunk,
// the n_chunk * n_ctx int32 token ids, then for every scored position of
// every chunk (n_ctx - 1 - n_ctx/2 per chunk, in order) one row of
// nv = 2 * ((n_vocab + 1) / 2) + 4 uint16: a float scale and a float offset,
// then n_vocab 16-bit codes with log p[i] = scale * code[i] + offset (log
// probabilities within 16 of the largest are kept; smaller ones clamp to the
// offset). Little-endian, as the platform writes it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace cli {

struct LogProbHeader {
    int32_t n_ctx = 0, n_vocab = 0, n_chunk = 0;
    std::vector<int32_t> tokens; // n_chunk * n_ctx
};

// Row width in uint16 for n_vocab.
size_t logprob_row_width(int32_t n_vocab);

// Encodes the log-softmax of `logits` into `row` (logprob_row_width entries).
void logprob_encode(const float *logits, int32_t n_vocab, uint16_t *row);

// Decodes row's log-probability of token i.
inline float logprob_at(const uint16_t *row, int32_t i) {
    float scale, offset;
    std::memcpy(&scale, row, sizeof scale);
    std::memcpy(&offset, row + 2, sizeof offset);
    return scale * float(row[4 + i]) + offset;
}

// Writes / reads the header. Read errors name what is wrong in *error.
bool logprob_write_header(FILE *f, const LogProbHeader &h);
bool logprob_read_header(FILE *f, LogProbHeader *h, std::string *error);

} // namespace cli
