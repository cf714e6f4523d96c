// Tokenizer: accessors and encode (special tokens -> UTF-8 decode -> NFC ->
// pre-tokenizer -> BPE per word).
#include "common/xxhash_inline.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"
#include "tokenizer/word_cache.h"

#include <cstring>

namespace loom {

namespace {

// Per-call scratch buffers, reused across the words of one encode.
struct EncodeScratch {
    std::vector<uint32_t> cps;
    std::vector<WordSpan> words;
    std::vector<int32_t> ids;
    std::string bytes;
    WordCache cache;
};

void encode_word(const Tokenizer::Impl &t, const uint32_t *cps, size_t n, EncodeScratch *s, std::vector<int32_t> *out) {
    std::string &bytes = s->bytes;
    bytes.clear();
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

// Plain text: no special tokens are looked for.
void encode_text(const Tokenizer::Impl &t, std::string_view text, bool nfc, EncodeScratch *s, std::vector<int32_t> *out) {
    if (text.empty()) return;
    unicode::decode_utf8(text, &s->cps);
    if (nfc) unicode::nfc(&s->cps);
    pre_tokenize(t.pre, s->cps.data(), s->cps.size(), &s->words);
    for (const WordSpan &w : s->words) encode_word(t, s->cps.data() + w.begin, w.end - w.begin, s, out);
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
        encode_text(t, text, opts.nfc, &s, out);
        return Status::ok();
    }
    size_t start = 0;  // start of the pending plain-text segment
    for (size_t pos = 0; pos < text.size();) {
        int32_t id = match_special(t, text, pos);
        if (id < 0) {
            ++pos;
            continue;
        }
        encode_text(t, text.substr(start, pos - start), opts.nfc, &s, out);
        out->push_back(id);
        pos += t.texts[id].size();
        start = pos;
    }
    encode_text(t, text.substr(start), opts.nfc, &s, out);
    return Status::ok();
}

} // namespace loom
