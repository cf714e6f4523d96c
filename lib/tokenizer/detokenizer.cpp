// Streaming detokenizer: emits only complete UTF-8 sequences.
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace loom {

namespace {

// Bytes at the end of `s` that form a proper prefix of a well-formed UTF-8
// sequence (which a later token may complete): 0..3.
size_t incomplete_tail(const std::string &s) {
    size_t n = s.size();
    for (size_t back = 1; back <= 3 && back <= n; ++back) {
        uint8_t b = uint8_t(s[n - back]);
        if ((b & 0xC0) == 0x80) continue;  // continuation: keep looking for the lead
        size_t need = unicode::utf8_sequence_length(b);
        if (need <= back) return 0;        // ASCII, invalid lead, or complete
        // A lead with `back - 1` continuations after it: held only if they are
        // a valid start of its sequence.
        const uint8_t *p = reinterpret_cast<const uint8_t *>(s.data()) + n - back;
        size_t len;
        unicode::decode_utf8(p, p + back, &len);
        return len == back ? back : 0;
    }
    return 0;
}

} // namespace

Status Detokenizer::push(int32_t id, std::string *out) {
    if (!tok_->valid_id(id))
        return error(LOOM_ERR_INVALID_ARGUMENT, "detokenizer: token %d is outside the vocabulary (%d tokens)", id,
                     tok_->n_vocab());
    if (!render_special_ && tok_->is_special(id)) return Status::ok();
    held_ += tok_->token_text(id);
    size_t keep = incomplete_tail(held_);
    out->append(held_, 0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
    return Status::ok();
}

void Detokenizer::flush(std::string *out) {
    out->append(held_);
    held_.clear();
}

} // namespace loom
