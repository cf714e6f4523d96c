// Tokenizer unit tests on a real vocabulary: llama.cpp's vocab-only Qwen2
// GGUF (installed with ../shared/ref; the executable exits 77 = skipped
// without it). Ids are checked against committed hftok vectors
// (golden/hftok_qwen2.jsonl, made by make_golden.py).
#include "corpus.h"
#include "tok_support.h"
#include "tokenizer/bpe.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

#include "testdata.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

using namespace toktest;

namespace {

const loom::Tokenizer &vocab() {
    static std::unique_ptr<loom::Tokenizer> t = [] {
        std::string path = llama_vocab_path();
        if (path.empty()) testdata::exit_missing("the reference vocabulary");
        return load(path);
    }();
    return *t;
}

struct Golden {
    std::string text;
    bool is_bytes;
    std::vector<int32_t> ids;
};

std::string from_hex(const std::string &hex) {
    std::string out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) out += char(std::stoi(hex.substr(i, 2), nullptr, 16));
    return out;
}

std::vector<Golden> golden() {
    std::ifstream f(testdata::source_path("tokenizer/golden/hftok_qwen2.jsonl"), std::ios::binary);
    std::vector<Golden> out;
    for (std::string line; std::getline(f, line);) {
        Golden g;
        size_t at = line.find("\"text\": ");
        g.is_bytes = at == std::string::npos;
        if (g.is_bytes) at = line.find("\"hex\": ");
        size_t pos = line.find('"', line.find(':', at));
        g.text = parse_json_string(line, &pos);
        if (g.is_bytes) g.text = from_hex(g.text);
        g.ids = parse_id_array(line.substr(line.find("\"ids\": ")));
        out.push_back(std::move(g));
    }
    return out;
}

bool valid_utf8(const std::string &s) {
    const uint8_t *p = reinterpret_cast<const uint8_t *>(s.data()), *end = p + s.size();
    while (p < end) {
        size_t len;
        uint32_t cp = loom::unicode::decode_utf8(p, end, &len);
        if (cp == loom::unicode::kReplacement && !(len == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] == 0xBD)) return false;
        p += len;
    }
    return true;
}

} // namespace

TEST_CASE("golden_ids_match_hftok_vectors") {
    std::vector<Golden> g = golden();
    REQUIRE(g.size() >= 80);
    size_t bytes_cases = 0;
    for (const Golden &x : g) {
        INFO("text " << json_string(x.text));
        CHECK(ids_str(encode(vocab(), x.text)) == ids_str(x.ids));
        bytes_cases += x.is_bytes;
    }
    CHECK(bytes_cases >= 10);
}

TEST_CASE("golden_ids_hold_in_one_long_call_with_warm_word_cache") {
    // All golden texts in one encode call, separated by <|endoftext|>, three
    // times over: later words come from the per-call word cache.
    std::string text;
    std::vector<int32_t> want;
    for (int round = 0; round < 3; ++round) {
        for (const Golden &x : golden()) {
            text += x.text + "<|endoftext|>";
            want.insert(want.end(), x.ids.begin(), x.ids.end());
            want.push_back(151643);
        }
    }
    CHECK(encode(vocab(), text) == want);
}

TEST_CASE("empty_text_gives_no_tokens") {
    CHECK(encode(vocab(), "").empty());
    CHECK(encode(vocab(), "", false, false).empty());
}

TEST_CASE("ill_formed_utf8_reads_as_replacement_characters") {
    // Per maximal subpart: ED A0 80 (an encoded surrogate) is three U+FFFD,
    // a truncated F0 9F 98 is one.
    CHECK(encode(vocab(), "a\xED\xA0\x80" "b") == encode(vocab(), "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b"));
    CHECK(encode(vocab(), "x\xF0\x9F\x98 y") == encode(vocab(), "x\xEF\xBF\xBD y"));
    CHECK(detokenize(vocab(), encode(vocab(), "\xFF")) == "\xEF\xBF\xBD");
    // No NFC across a replacement: e + U+FFFD + combining acute stays uncomposed.
    CHECK(detokenize(vocab(), encode(vocab(), "e\xFF\xCC\x81")) == "e\xEF\xBF\xBD\xCC\x81");
}

TEST_CASE("random_bytes_never_fail_and_round_trip_to_replaced_nfc_text") {
    // Any byte string: encode succeeds, and detokenizing gives the text with
    // ill-formed parts replaced by U+FFFD, NFC-normalized.
    std::mt19937 rng(5);
    for (int i = 0; i < 3000; ++i) {
        std::string s(rng() % 40, '\0');
        for (char &c : s) c = char(rng() % 4 ? 0x80 + rng() % 0x80 : rng() % 0x80);  // mostly high bytes
        INFO("bytes " << ids_str(std::vector<int32_t>(s.begin(), s.end())));
        CHECK(detokenize(vocab(), encode(vocab(), s)) == nfc_text(s));
        CHECK(detokenize(vocab(), encode(vocab(), s, false, false)) == replaced_text(s));
    }
}

TEST_CASE("concurrent_encodes_on_one_tokenizer_agree") {
    // The Tokenizer is immutable: threads share it; each call has its own scratch and cache.
    CorpusOptions o;
    o.seed = 11;
    o.count = 300;
    o.qwen25_specials = false;
    std::vector<std::string> texts = random_corpus(o);
    std::vector<std::vector<int32_t>> want;
    for (const std::string &s : texts) want.push_back(encode(vocab(), s));
    std::vector<int> bad(4, 0);
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k)
        threads.emplace_back([&, k] {
            for (int round = 0; round < 5; ++round)
                for (size_t i = 0; i < texts.size(); ++i) {
                    std::vector<int32_t> got;
                    if (!vocab().encode(texts[i], loom::EncodeOptions{}, &got).is_ok() || got != want[i]) ++bad[k];
                }
        });
    for (std::thread &t : threads) t.join();
    CHECK(bad == std::vector<int>(4, 0));
}

TEST_CASE("control_characters_and_nul_round_trip") {
    std::string s;
    for (int c = 0; c < 0x20; ++c) s += char(c);
    s += "\x7F\xC2\x80\xC2\x9F";
    CHECK(detokenize(vocab(), encode(vocab(), s)) == s);
}

TEST_CASE("special_tokens_are_matched_only_when_asked") {
    std::string text = "<|im_start|>user\nhi<|im_end|><|endoftext|>";
    std::vector<int32_t> with = encode(vocab(), text, true);
    CHECK(with == std::vector<int32_t>{151644, 872, 198, 6023, 151645, 151643});
    std::vector<int32_t> without = encode(vocab(), text, false);
    for (int32_t id : without) CHECK_FALSE(vocab().is_special(id));
    CHECK(detokenize(vocab(), without) == text);
    // Without specials, "<|im_end|>" is plain text: the words "<|", "im", "_end", "|>".
    std::vector<int32_t> words;
    for (const char *w : {"<|", "im", "_end", "|>"})
        for (int32_t id : encode(vocab(), w, false)) words.push_back(id);
    CHECK(encode(vocab(), "<|im_end|>", false) == words);
}

TEST_CASE("nfc_option_controls_normalization") {
    std::string decomposed = "cafe\xCC\x81";  // e + U+0301
    CHECK(encode(vocab(), decomposed) == encode(vocab(), "caf\xC3\xA9"));
    std::vector<int32_t> raw = encode(vocab(), decomposed, true, false);
    CHECK(raw != encode(vocab(), "caf\xC3\xA9"));
    CHECK(detokenize(vocab(), raw) == decomposed);
}

TEST_CASE("round_trip_gives_nfc_of_random_text") {
    CorpusOptions o;
    o.seed = 7;
    o.count = 2000;
    o.qwen25_specials = false;
    size_t bad = 0;
    for (const std::string &s : random_corpus(o)) {
        if (detokenize(vocab(), encode(vocab(), s)) != nfc_text(s) && ++bad <= 3) UNSCOPED_INFO("text " << json_string(s));
        if (detokenize(vocab(), encode(vocab(), s, true, false)) != s && ++bad <= 3) UNSCOPED_INFO("no-nfc text " << json_string(s));
    }
    CHECK(bad == 0);
}

TEST_CASE("huge_inputs_round_trip_in_linear_time") {
    std::string words;
    while (words.size() < (1u << 20)) words += "The quick brown fox jumps over 13 lazy dogs.\n\tnaïve café 😀 ";
    std::string one_word(1u << 19, 'a');        // a single pre-token of 512 KiB: BPE on a long word
    std::string spaces(1u << 19, ' ');          // one whitespace run
    std::string digits(1u << 19, '7');          // half a million single-digit words
    for (const std::string *s : {&words, &one_word, &spaces, &digits}) {
        auto t0 = std::chrono::steady_clock::now();
        std::vector<int32_t> ids = encode(vocab(), *s);
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        CHECK(detokenize(vocab(), ids) == *s);
        CHECK(secs < 20.0);  // a quadratic merge would take hours here
    }
}

namespace {

std::vector<int32_t> encode_in_blocks(const std::string &text, bool special, bool nfc, size_t block) {
    loom::EncodeOptions o;
    o.parse_special = special;
    o.nfc = nfc;
    o.block = block;
    std::vector<int32_t> ids;
    REQUIRE(vocab().encode(text, o, &ids));
    return ids;
}

// Texts whose words, whitespace runs and NFC runs straddle small blocks.
std::vector<std::string> block_edge_texts() {
    std::vector<std::string> out;
    CorpusOptions o;
    o.seed = 11;
    o.count = 600;
    std::vector<std::string> corpus = random_corpus(o);
    for (size_t i = 0; i + 6 <= corpus.size(); i += 6) {
        std::string s;
        for (size_t k = i; k < i + 6; ++k) s += corpus[k];
        out.push_back(s);
    }
    std::mt19937 rng(17);
    const char *atoms[] = {" ", "\n", "\r\n", "\t", "a", "Z", "7", "'s", "'LL", "!", "..", "e\xCC\x81", "\xCC\x81",
                           "\xCC\xA3", "\xE1\x84\x80", "\xE1\x85\xA1", "\xEA\xB0\x80", "\xE5\xAD\x97", "\xF0\x9F\x98\x80",
                           "\xC2\xA0", "\xE2\x80\x83", "<|endoftext|>", "\xFF", "\xE0\xA4\x95\xE0\xA5\x8D"};
    for (int i = 0; i < 400; ++i) {
        std::string s;
        size_t n = rng() % 60;
        for (size_t k = 0; k < n; ++k) {
            const char *a = atoms[rng() % (sizeof atoms / sizeof *atoms)];
            for (size_t r = rng() % 4 ? 1 : 1 + rng() % 9; r > 0; --r) s += a;  // runs of one atom
        }
        out.push_back(s);
    }
    return out;
}

} // namespace

TEST_CASE("any_block_size_gives_the_same_ids") {
    // The encoder decodes, normalizes and pre-tokenizes in blocks; words,
    // whitespace runs and combining sequences cut by a block boundary must
    // come out as if the text were one block.
    size_t checked = 0;
    for (const std::string &s : block_edge_texts()) {
        for (int flags = 0; flags < 4; ++flags) {
            bool special = flags & 1, nfc = flags & 2;
            std::vector<int32_t> whole = encode_in_blocks(s, special, nfc, size_t(1) << 30);
            for (size_t block : {1, 2, 3, 5, 16}) {
                INFO("text " << ids_str(std::vector<int32_t>(s.begin(), s.end())) << " flags " << flags << " block " << block);
                CHECK(ids_str(encode_in_blocks(s, special, nfc, block)) == ids_str(whole));
                ++checked;
            }
        }
    }
    CHECK(checked == 500 * 4 * 5);
}

TEST_CASE("golden_ids_hold_with_one_code_point_blocks") {
    for (const Golden &x : golden()) {
        INFO("text " << json_string(x.text));
        CHECK(ids_str(encode_in_blocks(x.text, true, true, 1)) == ids_str(x.ids));
    }
}

TEST_CASE("heap_merge_equals_scan_merge") {
    const loom::Tokenizer::Impl &impl = vocab().impl();
    CorpusOptions o;
    o.seed = 3;
    o.count = 500;
    size_t words = 0;
    for (const std::string &s : random_corpus(o)) {
        std::string w = s + s + s;  // longer words: both paths see > kBpeScanMax symbols too
        std::vector<int32_t> a, b;
        for (char c : w) a.push_back(impl.byte_token[uint8_t(c)]);
        b = a;
        loom::bpe_merge(impl.merges, &a, 0);                   // heap only
        loom::bpe_merge(impl.merges, &b, loom::kBpeScanMax);   // scan when short
        CHECK(a == b);
        ++words;
    }
    CHECK(words == 500);
}

namespace {

// BPE by definition, O(n^2): merge the lowest-rank pair, leftmost on ties.
std::vector<int32_t> naive_bpe(const loom::MergeTable &m, std::vector<int32_t> ids) {
    for (;;) {
        size_t best = ids.size();
        int32_t best_rank = INT32_MAX, merged = 0;
        for (size_t k = 0; k + 1 < ids.size(); ++k) {
            const loom::Merge *x = m.find(ids[k], ids[k + 1]);
            if (x && x->rank < best_rank) best = k, best_rank = x->rank, merged = x->merged;
        }
        if (best == ids.size()) return ids;
        ids[best] = merged;
        ids.erase(ids.begin() + long(best) + 1);
    }
}

} // namespace

TEST_CASE("long_word_merge_equals_naive_bpe") {
    // Long words take the queue path (sorted run + heap, folded as it fills);
    // it must merge exactly as the definition does.
    const loom::Tokenizer::Impl &impl = vocab().impl();
    std::mt19937 rng(23);
    std::vector<std::string> words = {std::string(3001, 'a'), std::string(2048, ' '), std::string(1999, '!'),
                                      std::string(1500, '\n')};
    for (int i = 0; i < 6; ++i) {
        std::string w;
        const char *alphabet[] = {"ab", "aeiou", "xyzq", "th", "\xC3\xA9\xC3\xA8" "e", "\xE4\xB8\xAD\xE6\x96\x87"};
        std::string al = alphabet[i];
        while (w.size() < 2500) w += al[rng() % al.size()];
        words.push_back(w);
    }
    for (const std::string &w : words) {
        std::vector<int32_t> ids;
        for (char c : w) ids.push_back(impl.byte_token[uint8_t(c)]);
        std::vector<int32_t> want = naive_bpe(impl.merges, ids);
        loom::bpe_merge(impl.merges, &ids);
        INFO("word of " << w.size() << " bytes starting " << json_string(w.substr(0, 8)));
        CHECK(ids == want);
    }
}

TEST_CASE("token_lookup_and_types") {
    const loom::Tokenizer &t = vocab();
    CHECK(t.n_vocab() == 151936);
    CHECK(t.find_token("<|im_start|>") == 151644);
    CHECK(t.find_token(" hello") == 23811);
    CHECK(t.find_token("no such token text") == -1);
    CHECK(t.token_text(23811) == " hello");
    CHECK(t.token_piece(23811) == "\xC4\xA0hello");  // "Ġhello"
    CHECK(t.token_type(151644) == loom::TokenType::Control);
    CHECK(t.token_type(23811) == loom::TokenType::Normal);
    CHECK(t.token_type(-1) == loom::TokenType::Undefined);
    CHECK(t.token_type(t.n_vocab()) == loom::TokenType::Undefined);
    CHECK(t.is_special(151645));
    CHECK_FALSE(t.is_special(23811));
    CHECK(t.eos_id() == 151643);
    CHECK(t.bos_id() == 151643);
    CHECK(t.pad_id() == 151643);
    CHECK(t.pre() == "qwen2");
}

TEST_CASE("streaming_decoder_emits_only_complete_characters") {
    const loom::Tokenizer &t = vocab();
    std::string text = "日本語のテキスト 😀👨‍👩‍👧 ✅ Ωμέγα";
    std::vector<int32_t> ids = encode(t, text);
    loom::Detokenizer d(t, true);
    std::string all;
    size_t held_sometime = 0;
    for (int32_t id : ids) {
        std::string chunk;
        REQUIRE(d.push(id, &chunk).is_ok());
        CHECK(valid_utf8(chunk));
        held_sometime += d.pending() > 0;
        all += chunk;
    }
    CHECK(held_sometime > 0);  // these byte-level tokens do split characters
    d.flush(&all);
    CHECK(all == text);
}

TEST_CASE("streaming_decoder_hides_or_renders_special_tokens") {
    const loom::Tokenizer &t = vocab();
    std::vector<int32_t> ids = encode(t, "<|im_start|>assistant\nOK<|im_end|>");
    for (bool render : {true, false}) {
        loom::Detokenizer d(t, render);
        std::string out;
        for (int32_t id : ids) REQUIRE(d.push(id, &out).is_ok());
        d.flush(&out);
        CHECK(out == (render ? "<|im_start|>assistant\nOK<|im_end|>" : "assistant\nOK"));
    }
}

TEST_CASE("streaming_decoder_holds_partial_and_passes_invalid_bytes") {
    const loom::Tokenizer &t = vocab();
    int32_t e6 = t.find_token("\xE6"), e6_97 = t.find_token("\xE6\x97"), ff = t.find_token("\xFF");
    int32_t b5 = t.find_token("\xA5");
    REQUIRE(e6 >= 0);
    REQUIRE(ff >= 0);
    REQUIRE(b5 >= 0);
    loom::Detokenizer d(t, true);
    std::string out;
    REQUIRE(d.push(e6, &out).is_ok());
    CHECK(out.empty());
    CHECK(d.pending() == 1);
    REQUIRE(d.push(t.find_token("\x97"), &out).is_ok());
    CHECK(out.empty());
    REQUIRE(d.push(b5, &out).is_ok());
    CHECK(out == "\xE6\x97\xA5");  // 日
    out.clear();
    REQUIRE(d.push(ff, &out).is_ok());  // can never be valid: passed through at once
    CHECK(out == "\xFF");
    CHECK(d.push(-1, &out).code() == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(d.push(t.n_vocab(), &out).code() == LOOM_ERR_INVALID_ARGUMENT);
    out.clear();
    if (e6_97 >= 0) REQUIRE(d.push(e6_97, &out).is_ok());
    else REQUIRE(d.push(e6, &out).is_ok());
    CHECK(out.empty());
    d.flush(&out);  // an unfinished character at the end comes out as it is
    CHECK(out == (e6_97 >= 0 ? "\xE6\x97" : "\xE6"));
    CHECK(d.pending() == 0);
}
