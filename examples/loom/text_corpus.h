// A text file as llama.cpp's corpus tools (llama-perplexity, llama-imatrix)
// read and tokenize it: the file less one trailing newline, no NFC
// normalization, special-token texts not parsed, a BOS at each chunk's start
// only when the model asks for one.
#pragma once

#include "loom.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cli {

// The file's bytes less one trailing newline (what llama.cpp's -f reads); false on a read error.
bool read_corpus_text(const std::string &path, std::string *out);

// Whether the model's tokenizer starts a text with BOS: tokenizer.ggml.add_bos_token,
// or when absent, llama.cpp's default (yes for SentencePiece "llama" vocabularies only).
bool model_wants_bos(const loom_model *m);

// The text's tokens as llama.cpp's corpus tools get them.
loom_status tokenize_corpus(const loom_model *m, const std::string &text, std::vector<int32_t> *out);

// The file at `path` read and tokenized as above and cut into chunks of
// n_ctx tokens: at least two, at most `n_chunks` (< 0: all). 0 with `tokens`
// and `n_chunk` set; else the exit status, after an error naming `what`
// ("perplexity", "an importance matrix") and the tokens it would need.
int corpus_chunks(const loom_model *m, const std::string &path, int32_t n_ctx, long long n_chunks, const char *what,
                  std::vector<int32_t> *tokens, long long *n_chunk);

} // namespace cli
