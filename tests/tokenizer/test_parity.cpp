// Tokenizer parity, live against the references in ../shared/ref:
//   hftok  the model's own Hugging Face tokenizer (tokenizer.json, with NFC)
//   llref  llama.cpp's tokenizer (no NFC: compared on NFC-normalized text)
// on llama.cpp's own Qwen2 test strings and on a seeded random corpus.
#include "corpus.h"
#include "tok_support.h"
#include "tokenizer/unicode.h"

#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace toktest;

namespace {

struct Models {
    std::string vocab;      // llama.cpp's vocab-only Qwen2 file
    std::string synthetic;  // mkgguf.py tiny: the real Qwen2.5 vocabulary and specials
};

const Models &models() {
    static Models m = [] {
        REQUIRE_REF_OR_SKIP();
        Models r;
        r.vocab = llama_vocab_path();
        r.synthetic = testdata::synthetic_model("tiny", 1, 0);
        REQUIRE(!r.vocab.empty());
        REQUIRE(!r.synthetic.empty());
        return r;
    }();
    return m;
}

std::vector<std::string> llama_test_strings() {
    std::ifstream f(models().vocab + ".inp", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<std::string> texts = split(all, "\n__ggml_vocab_test__\n");
    if (!texts.empty() && texts.back().empty()) texts.pop_back();
    return texts;
}

// Counts and reports (first few) texts whose ids differ from `want`.
// Returns a report of the (first few) texts whose ids differ from `want`, "" if none.
std::string mismatches(const loom::Tokenizer &t, const std::vector<std::string> &texts,
                       const std::vector<std::vector<int32_t>> &want, bool nfc = true) {
    REQUIRE(want.size() == texts.size());
    size_t bad = 0;
    std::ostringstream report;
    for (size_t i = 0; i < texts.size(); ++i) {
        std::vector<int32_t> got = encode(t, texts[i], true, nfc);
        if (got != want[i] && ++bad <= 5)
            report << "text " << json_string(texts[i]) << "\n  loom: " << ids_str(got) << "\n  want: " << ids_str(want[i]) << "\n";
    }
    if (bad) report << bad << " of " << texts.size() << " texts differ\n";
    return report.str();
}

// llref tokenize over many texts in one run: joined with <|endoftext|>, which
// llama.cpp parses as a special token, then split at its id.
std::vector<std::vector<int32_t>> llref_batch(const std::string &model, const std::vector<std::string> &texts, int32_t sep) {
    std::string joined;
    for (size_t i = 0; i < texts.size(); ++i) joined += (i ? "<|endoftext|>" : "") + texts[i];
    std::string in = testdata::scratch_dir() + "/llref_in_" + std::to_string(::getpid()) + ".txt";
    REQUIRE(testdata::write_file(in, joined.data(), joined.size()));
    int st = -1;
    std::string out = testdata::capture("LLREF_VOCAB_ONLY=1 '" + testdata::ref_dir() + "/llref' tokenize '" + model + "' < '" + in + "'", &st);
    std::remove(in.c_str());
    REQUIRE(st == 0);
    std::vector<std::vector<int32_t>> result(1);
    for (int32_t id : parse_id_array(out)) {
        if (id == sep) result.emplace_back();
        else result.back().push_back(id);
    }
    return result;
}

} // namespace

TEST_CASE("matches_hftok_on_llama_cpp_qwen2_test_strings") {
    std::vector<std::string> texts = llama_test_strings();
    REQUIRE(texts.size() > 30);
    auto want = hftok_batch(texts);
    auto vocab = load(models().vocab);
    auto synth = load(models().synthetic);
    CHECK(mismatches(*vocab, texts, want) == "");
    CHECK(mismatches(*synth, texts, want) == "");
}

TEST_CASE("matches_llama_cpp_expected_ids_for_its_test_strings") {
    // The .out file holds the ids llama.cpp's test expects (made with HF's
    // Python tokenizer): one line per text.
    std::vector<std::string> texts = llama_test_strings();
    std::ifstream f(models().vocab + ".out");
    std::vector<std::vector<int32_t>> want;
    for (std::string line; std::getline(f, line);) want.push_back(parse_id_array(line));
    REQUIRE(want.size() >= texts.size());
    want.resize(texts.size());
    CHECK(mismatches(*load(models().vocab), texts, want) == "");
}

TEST_CASE("matches_hftok_on_random_corpus") {
    CorpusOptions o;
    o.count = 4000;
    std::vector<std::string> texts = random_corpus(o);
    auto want = hftok_batch(texts);
    CHECK(mismatches(*load(models().synthetic), texts, want) == "");
}

TEST_CASE("matches_llama_cpp_on_nfc_normalized_random_corpus") {
    CorpusOptions o;
    o.seed = 99;
    o.count = 1500;
    std::vector<std::string> texts;
    for (const std::string &s : random_corpus(o)) texts.push_back(nfc_text(s));
    auto want = llref_batch(models().synthetic, texts, 151643);
    // <|endoftext|> inside a text splits it too: compare the joined streams.
    auto tok = load(models().synthetic);
    std::vector<std::vector<int32_t>> got(1);
    for (size_t i = 0; i < texts.size(); ++i) {
        if (i) got.emplace_back();
        for (int32_t id : encode(*tok, texts[i], true, false)) {
            if (id == 151643) got.emplace_back();
            else got.back().push_back(id);
        }
    }
    REQUIRE(got.size() == want.size());
    size_t bad = 0;
    for (size_t i = 0; i < got.size(); ++i)
        if (got[i] != want[i] && ++bad <= 5) UNSCOPED_INFO("segment " << i << "\n  loom: " << ids_str(got[i]) << "\n  llref: " << ids_str(want[i]));
    CHECK(bad == 0);
}
