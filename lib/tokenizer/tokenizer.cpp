// Tokenizer: accessors and encode (special tokens -> UTF-8 decode -> NFC ->
// pre-tokenizer -> BPE per word), streamed in blocks of code points so the
// work space does not grow with the text.
#include "common/xxhash_inline.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"
#include "tokenizer/word_cache.h"

#include <algorithm>
#include <cstring>

namespace loom {

namespace {

// Per-call scratch, reused across the blocks and words of one encode; its
// size is bounded by the block (plus the longest word, held whole).
struct EncodeScratch {
    std::vector<uint32_t> raw;      // decoded code points not yet normalized (an NFC carry)
    std::vector<uint32_t> part;     // the part of raw being normalized
    std::vector<uint32_t> pending;  // normalized code points not yet cut into words
    std::vector<int32_t> ids;
    std::string bytes;
    WordCache cache;
};

void encode_word(const Tokenizer::Impl &t, const uint32_t *cps, size_t n, EncodeScratch *s, std::vector<int32_t> *out) {
    std::string &bytes = s->bytes;
    bytes.clear();
    if (n > WordCache::kMaxWordBytes) {  // too long to cache: straight to byte tokens
        s->ids.clear();
        size_t n_bytes = 0;
        for (size_t k = 0; k < n; ++k) n_bytes += cps[k] < 0x80 ? 1 : cps[k] < 0x800 ? 2 : cps[k] < 0x10000 ? 3 : 4;
        s->ids.reserve(n_bytes);
        for (size_t k = 0; k < n; ++k) {
            unicode::append_utf8(cps[k], &bytes);
            for (char c : bytes) s->ids.push_back(t.byte_token[uint8_t(c)]);
            bytes.clear();
        }
        bpe_merge(t.merges, &s->ids);
        out->insert(out->end(), s->ids.begin(), s->ids.end());
        if (s->ids.capacity() > (size_t(1) << 16)) std::vector<int32_t>().swap(s->ids);  // give a long word's space back
        return;
    }
    for (size_t k = 0; k < n; ++k) unicode::append_utf8(cps[k], &bytes);
    if (bytes.size() == 1) {
        out->push_back(t.byte_token[uint8_t(bytes[0])]);
        return;
    }
    bool cacheable = bytes.size() <= WordCache::kMaxWordBytes;
    uint64_t hash = cacheable ? XXH3_64bits(bytes.data(), bytes.size()) : 0;
    size_t count = 0;
    const int32_t *hit = cacheable ? s->cache.find(bytes, hash, &count) : nullptr;
    if (hit) {
        out->insert(out->end(), hit, hit + count);
        return;
    }
    s->ids.clear();
    for (char c : bytes) s->ids.push_back(t.byte_token[uint8_t(c)]);
    bpe_merge(t.merges, &s->ids);
    if (cacheable) s->cache.insert(bytes, hash, s->ids.data(), s->ids.size());
    out->insert(out->end(), s->ids.begin(), s->ids.end());
}

// Decodes up to `max_cps` code points of text[*at..] onto *out.
void decode_block(std::string_view text, size_t *at, size_t max_cps, std::vector<uint32_t> *out) {
    const uint8_t *p = reinterpret_cast<const uint8_t *>(text.data()), *end = p + text.size();
    size_t i = *at;
    for (size_t k = 0; k < max_cps && i < text.size(); ++k) {
        size_t len = 1;
        out->push_back(p[i] < 0x80 ? p[i] : unicode::decode_utf8(p + i, end, &len));
        i += len;
    }
    *at = i;
}

// Moves the normalized prefix of s->raw that later text cannot change onto
// s->pending: everything at the end of text, else up to the last code point
// before which NFC always has a boundary (a starter that never composes with
// what precedes it); the rest waits for more text.
void normalize_block(bool nfc, bool at_end, EncodeScratch *s) {
    std::vector<uint32_t> &raw = s->raw;
    size_t cut = raw.size();
    if (nfc && !at_end)
        while (cut > 0 && (unicode::flags(raw[cut - 1]) & unicode::kNfcCheck)) --cut;
    if (nfc && !at_end && cut > 0) --cut;  // raw[cut] is a boundary: it may still compose with what follows
    if (cut == 0) return;
    if (!nfc) {
        s->pending.insert(s->pending.end(), raw.begin(), raw.begin() + long(cut));
    } else {
        s->part.assign(raw.begin(), raw.begin() + long(cut));
        unicode::nfc(&s->part);
        s->pending.insert(s->pending.end(), s->part.begin(), s->part.end());
    }
    raw.erase(raw.begin(), raw.begin() + long(cut));
    if (raw.empty() && raw.capacity() > (size_t(1) << 16)) std::vector<uint32_t>().swap(raw);  // after a long word's step
    if (s->part.capacity() > (size_t(1) << 16)) std::vector<uint32_t>().swap(s->part);
}

// True when the pre-tokenizer's word [i, i + len) of pending[0..n) is the
// same whatever follows n: it ends 2 code points before n (the matchers look
// at most 2 past a word's start or 1 past its end), and a whitespace word's
// whole run ends before n (its match depends on the run's last CR/LF).
bool word_is_final(const uint32_t *c, size_t i, size_t len, size_t n) {
    if (i + len + 2 >= n) return false;
    if (!(unicode::flags(c[i]) & unicode::kSpace)) return true;
    size_t j = i;
    while (j < n && (unicode::flags(c[j]) & unicode::kSpace)) ++j;
    return j < n;
}

// Cuts s->pending into words and encodes those that are final (all of them
// at the end of text); the rest stays pending.
void encode_pending(const Tokenizer::Impl &t, bool at_end, EncodeScratch *s, std::vector<int32_t> *out) {
    const uint32_t *c = s->pending.data();
    size_t n = s->pending.size(), i = 0;
    while (i < n) {
        size_t len = qwen2_match(c, i, n);
        if (!at_end && !word_is_final(c, i, len, n)) break;
        encode_word(t, c + i, len, s, out);
        i += len;
    }
    s->pending.erase(s->pending.begin(), s->pending.begin() + long(i));
}

// Plain text, no special tokens looked for, in blocks of `block` code points:
// work space is O(block) plus the longest word, whatever the text's length.
void encode_text(const Tokenizer::Impl &t, std::string_view text, const EncodeOptions &o, EncodeScratch *s,
                 std::vector<int32_t> *out) {
    size_t at = 0;
    while (at < text.size()) {
        // A word (or an NFC run) longer than a block stays pending; growing
        // the step with it keeps the rescans of its start linear in total.
        size_t held = s->pending.size() + s->raw.size();
        decode_block(text, &at, std::max(o.block, held), &s->raw);
        bool at_end = at == text.size();
        normalize_block(o.nfc, at_end, s);
        encode_pending(t, at_end && s->raw.empty(), s, out);
    }
    if (s->pending.capacity() > 4 * o.block) std::vector<uint32_t>().swap(s->pending);
}

// The longest special token whose text starts at text[pos], or -1.
int32_t match_special(const Tokenizer::Impl &t, std::string_view text, size_t pos) {
    for (int32_t id : t.specials_by_first_byte[uint8_t(text[pos])]) {
        const std::string &sp = t.texts[id];
        if (sp.size() <= text.size() - pos && std::memcmp(text.data() + pos, sp.data(), sp.size()) == 0) return id;
    }
    return -1;
}

} // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

int32_t Tokenizer::n_vocab() const { return int32_t(impl_->pieces.size()); }
const std::string &Tokenizer::token_text(int32_t id) const { return impl_->texts[size_t(id)]; }
const std::string &Tokenizer::token_piece(int32_t id) const { return impl_->pieces[size_t(id)]; }
TokenType Tokenizer::token_type(int32_t id) const { return valid_id(id) ? impl_->types[size_t(id)] : TokenType::Undefined; }

bool Tokenizer::is_special(int32_t id) const {
    TokenType ty = token_type(id);
    return ty == TokenType::Control || ty == TokenType::UserDefined;
}

int32_t Tokenizer::find_token(std::string_view text) const {
    return impl_->text_to_id.find(text);
}

int32_t Tokenizer::bos_id() const { return impl_->bos; }
int32_t Tokenizer::eos_id() const { return impl_->eos; }
int32_t Tokenizer::pad_id() const { return impl_->pad; }
const std::string &Tokenizer::pre() const { return impl_->pre_name; }

Status Tokenizer::encode(std::string_view text, const EncodeOptions &opts, std::vector<int32_t> *out) const {
    const Impl &t = *impl_;
    EncodeScratch s;
    if (!opts.parse_special || t.specials.empty()) {
        encode_text(t, text, opts, &s, out);
        return Status::ok();
    }
    size_t start = 0;  // start of the pending plain-text segment
    for (size_t pos = 0; pos < text.size();) {
        int32_t id = match_special(t, text, pos);
        if (id < 0) {
            ++pos;
            continue;
        }
        encode_text(t, text.substr(start, pos - start), opts, &s, out);
        out->push_back(id);
        pos += t.texts[id].size();
        start = pos;
    }
    encode_text(t, text.substr(start), opts, &s, out);
    return Status::ok();
}

} // namespace loom
