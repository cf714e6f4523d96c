#include "logprob_file.h"

#include <cmath>

namespace cli {

size_t logprob_row_width(int32_t n_vocab) { return 2 * ((size_t(n_vocab) + 1) / 2) + 4; }

void logprob_encode(const float *logits, int32_t n_vocab, uint16_t *row) {
    float max = logits[0], min = logits[0];
    for (int32_t i = 1; i < n_vocab; i++) {
        max = logits[i] > max ? logits[i] : max;
        min = logits[i] < min ? logits[i] : min;
    }
    if (min < max - 16.0f) min = max - 16.0f;
    double sum = 0.0;
    for (int32_t i = 0; i < n_vocab; i++) sum += std::exp(double(logits[i]) - double(max));
    const float offset = min - max - float(std::log(sum));
    const float scale = (max - min) / 65535.0f;
    std::memcpy(row, &scale, sizeof scale);
    std::memcpy(row + 2, &offset, sizeof offset);
    uint16_t *code = row + 4;
    const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
    for (int32_t i = 0; i < n_vocab; i++) {
        const long q = logits[i] > min ? std::lround(inv * (logits[i] - min)) : 0;
        code[i] = uint16_t(q < 0 ? 0 : q > 65535 ? 65535 : q);
    }
    if (logprob_row_width(n_vocab) - 4 > size_t(n_vocab)) code[n_vocab] = 0;
}

bool logprob_write_header(FILE *f, const LogProbHeader &h) {
    const int32_t dims[3] = {h.n_ctx, h.n_vocab, h.n_chunk};
    return std::fwrite("_logits_", 1, 8, f) == 8 && std::fwrite(dims, sizeof dims[0], 3, f) == 3 &&
           std::fwrite(h.tokens.data(), sizeof(int32_t), h.tokens.size(), f) == h.tokens.size();
}

bool logprob_read_header(FILE *f, LogProbHeader *h, std::string *error) {
    char magic[8];
    int32_t dims[3];
    if (std::fread(magic, 1, 8, f) != 8 || std::memcmp(magic, "_logits_", 8) != 0)
        return *error = "not a log-probability file (no _logits_ magic)", false;
    if (std::fread(dims, sizeof dims[0], 3, f) != 3) return *error = "truncated header", false;
    if (dims[0] < 4 || dims[1] < 1 || dims[2] < 1)
        return *error = "bad header (n_ctx " + std::to_string(dims[0]) + ", n_vocab " + std::to_string(dims[1]) +
                        ", chunks " + std::to_string(dims[2]) + ")", false;
    h->n_ctx = dims[0];
    h->n_vocab = dims[1];
    h->n_chunk = dims[2];
    const size_t n = size_t(dims[0]) * size_t(dims[2]);
    h->tokens.resize(n);
    if (std::fread(h->tokens.data(), sizeof(int32_t), n, f) != n) return *error = "truncated token list", false;
    return true;
}

} // namespace cli
