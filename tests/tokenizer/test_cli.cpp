// `loom tokenize` / `loom detokenize` on llama.cpp's vocab-only Qwen2 GGUF
// (exits 77 = skipped without it): ids from the committed hftok vectors,
// the flags, the round trip, and usage / load errors.
#include "tok_support.h"

#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <unistd.h>

using namespace toktest;

namespace {

struct Run {
    int status = -1;
    std::string out;
};

const std::string &vocab_path() {
    static std::string path = [] {
        std::string p = llama_vocab_path();
        if (p.empty()) testdata::exit_missing("the reference vocabulary");
        return p;
    }();
    return path;
}

const loom::Tokenizer &vocab() {
    static std::unique_ptr<loom::Tokenizer> t = load(vocab_path());
    return *t;
}

// Runs `loom ARGS < input` (stderr discarded).
Run loom_cli(const std::string &args, const std::string &input) {
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe != nullptr);
    std::string in = testdata::scratch_dir() + "/tok_cli_in_" + std::to_string(::getpid());
    REQUIRE(testdata::write_file(in, input.data(), input.size()));
    Run r;
    r.out = testdata::capture("'" + std::string(exe) + "' " + args + " < '" + in + "' 2>/dev/null", &r.status);
    std::remove(in.c_str());
    return r;
}

} // namespace

TEST_CASE("cli_tokenize_prints_hftok_ids_one_per_line") {
    // hftok ids of "<|im_start|>user\nnaïve café 123" (specials parsed, NFC).
    Run r = loom_cli("tokenize -m '" + vocab_path() + "'", "<|im_start|>user\nnai\xCC\x88ve caf\xC3\xA9 123");
    CHECK(r.status == 0);
    CHECK(r.out == "151644\n872\n198\n3376\n37572\n586\n51950\n220\n16\n17\n18\n");
}

TEST_CASE("cli_tokenize_flags_turn_off_specials_and_nfc") {
    Run plain = loom_cli("tokenize -m '" + vocab_path() + "' --no-special", "<|im_end|>");
    CHECK(plain.status == 0);
    CHECK(parse_id_array(plain.out) == encode(vocab(), "<|im_end|>", false));
    Run raw = loom_cli("tokenize -m '" + vocab_path() + "' --no-nfc", "e\xCC\x81");
    CHECK(parse_id_array(raw.out) == encode(vocab(), "e\xCC\x81", true, false));
    CHECK(parse_id_array(raw.out) != parse_id_array(loom_cli("tokenize -m '" + vocab_path() + "'", "e\xCC\x81").out));
}

TEST_CASE("cli_detokenize_inverts_tokenize") {
    std::string text = "<|im_start|>system\nYou are helpful.<|im_end|>\n日本語 😀 \t tabs\r\n";
    Run ids = loom_cli("tokenize -m '" + vocab_path() + "'", text);
    REQUIRE(ids.status == 0);
    Run back = loom_cli("detokenize -m '" + vocab_path() + "'", ids.out);
    CHECK(back.status == 0);
    CHECK(back.out == text);
    Run hidden = loom_cli("detokenize -m '" + vocab_path() + "' --no-special", ids.out);
    CHECK(hidden.out == "system\nYou are helpful.\n日本語 😀 \t tabs\r\n");
}

TEST_CASE("cli_reports_usage_and_errors") {
    CHECK(loom_cli("tokenize", "x").status == 2);
    CHECK(loom_cli("tokenize -m '" + vocab_path() + "' --bogus", "x").status == 2);
    CHECK(loom_cli("tokenize -m /nonexistent.gguf", "x").status == 1);
    CHECK(loom_cli("detokenize -m '" + vocab_path() + "'", "12 999999999").status == 1);
    CHECK(loom_cli("detokenize -m '" + vocab_path() + "'", "12 abc").status == 1);
}
