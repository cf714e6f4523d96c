// Tokenizer: byte-level BPE (tokenizer.ggml.model = "gpt2") read entirely
// from GGUF metadata, with the pre-tokenizer selected by tokenizer.ggml.pre
// (only "qwen2" so far; others are UNSUPPORTED rather than guessed), optional
// NFC normalization, special-token matching and a streaming detokenizer.
//
// A Tokenizer is immutable after create(): every const method may be called
// from any number of threads at once. A Detokenizer is per-stream state, one
// thread at a time.
//
// Text handling, in order (encode):
//   1. special tokens (types Control and UserDefined) are cut out of the raw
//      bytes when parse_special is set (longest match first), else the text
//      is plain text throughout;
//   2. each remaining segment is decoded from UTF-8; ill-formed input is
//      replaced by U+FFFD per maximal subpart (the Unicode / WHATWG rule
//      node's TextDecoder applies, so hftok fed the same bytes agrees). UTF-8
//      encoded surrogates (ED A0..BF xx) are ill-formed and become U+FFFD too;
//   3. NFC normalization of each segment (when nfc is set);
//   4. the pre-tokenizer splits the code points into words;
//   5. each word's UTF-8 bytes are merged by BPE rank.
// So detokenize(encode(x)) == NFC(x) for well-formed x (with nfc), and
// == x with nfc off; ill-formed bytes come back as U+FFFD (EF BF BD).
//
// Owner: lib/tokenizer.
#pragma once

#include "common/status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace loom {

class GgufFile;

// tokenizer.ggml.token_type values (llama.cpp's numbering, stored in GGUF).
enum class TokenType : int32_t {
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,      // <|endoftext|>, <|im_start|>, <|im_end|>, ...
    UserDefined = 4,  // <tool_call>, <|fim_prefix|>, ...
    Unused = 5,
    Byte = 6,
};

struct EncodeOptions {
    bool parse_special = true; // match Control/UserDefined token texts in the input
    bool nfc = true;           // NFC-normalize text between special tokens
    size_t block = size_t(1) << 14;  // code points decoded per step (tests shrink it; any >= 1 gives the same ids)
};

class Tokenizer {
public:
    // Reads tokenizer.ggml.{model,pre,tokens,token_type,merges,*_token_id}.
    // Errors: NOT_FOUND (no tokenizer.ggml.tokens), UNSUPPORTED (model other
    // than "gpt2", unknown pre), FORMAT (bad merges, ids out of range, sizes).
    static Status create(const GgufFile &gguf, std::unique_ptr<Tokenizer> *out);
    ~Tokenizer();

    int32_t n_vocab() const;
    bool valid_id(int32_t id) const { return id >= 0 && id < n_vocab(); }

    // The token's bytes as it appears in text: byte-level decoded for normal
    // tokens ("Ġhello" -> " hello"), verbatim for special tokens. id must be valid.
    const std::string &token_text(int32_t id) const;
    // The token exactly as stored in tokenizer.ggml.tokens. id must be valid.
    const std::string &token_piece(int32_t id) const;
    TokenType token_type(int32_t id) const;     // Undefined for an invalid id
    bool is_special(int32_t id) const;          // Control or UserDefined

    // The id whose token_text() equals `text` (special tokens preferred), or -1.
    int32_t find_token(std::string_view text) const;

    int32_t bos_id() const;   // -1 when the metadata has none
    int32_t eos_id() const;
    int32_t pad_id() const;
    const std::string &pre() const;  // tokenizer.ggml.pre as read ("qwen2")

    // Appends the ids of `text` to *out. Never fails on any byte content
    // (see the file comment); errors only for allocation failure.
    Status encode(std::string_view text, const EncodeOptions &opts, std::vector<int32_t> *out) const;

    struct Impl;
    const Impl &impl() const { return *impl_; }  // for tokenizer_impl.h users (tests, detokenizer)

private:
    explicit Tokenizer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Streaming detokenizer: feed ids one at a time; each push appends only
// complete UTF-8 sequences to *out. A token ending in the middle of a
// character is held back until the next push completes it; bytes that can
// never become well-formed are passed through unchanged at once. The
// concatenation of every push and the final flush is exactly the
// concatenation of the tokens' bytes (special tokens skipped when
// render_special is false).
class Detokenizer {
public:
    Detokenizer(const Tokenizer &tok, bool render_special) : tok_(&tok), render_special_(render_special) {}

    // Errors: INVALID_ARGUMENT for an id outside the vocabulary (state unchanged).
    Status push(int32_t id, std::string *out);
    // Appends whatever is held back (an incomplete sequence, as raw bytes) and resets.
    void flush(std::string *out);
    size_t pending() const { return held_.size(); }

private:
    const Tokenizer *tok_;
    bool render_special_;
    std::string held_;
};

} // namespace loom
