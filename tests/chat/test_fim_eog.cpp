// Fill-in-the-middle prompts and end-of-generation sets over a small vocabulary.
#include "chat/eog.h"
#include "chat/fim.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

loom::TokenLookup lookup(const std::vector<std::string> &vocab) {
    return [vocab](std::string_view text, int32_t *id) {
        for (size_t i = 0; i < vocab.size(); ++i)
            if (vocab[i] == text) return *id = static_cast<int32_t>(i), true;
        return false;
    };
}

const std::vector<std::string> kCoderVocab = {"a", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|fim_prefix|>",
                                              "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>",
                                              "<|file_sep|>"};

} // namespace

TEST_CASE("fim_prompt_wraps_prefix_and_suffix", "[chat]") {
    std::string out;
    REQUIRE(loom::fim_prompt(lookup(kCoderVocab), "def f(x):\n    ", "\n    return y\n", &out).is_ok());
    CHECK(out == "<|fim_prefix|>def f(x):\n    <|fim_suffix|>\n    return y\n<|fim_middle|>");
}

TEST_CASE("fim_repo_prompt_lists_files_before_the_infill", "[chat]") {
    std::string out;
    std::vector<loom::FimFile> files = {{"lib.py", "X = 1\n"}, {"util/b.py", "Y = 2\n"}};
    REQUIRE(loom::fim_repo_prompt(lookup(kCoderVocab), "proj", files, "main.py", "import lib\n", "\n", &out).is_ok());
    CHECK(out == "<|repo_name|>proj\n<|file_sep|>lib.py\nX = 1\n<|file_sep|>util/b.py\nY = 2\n"
                 "<|file_sep|>main.py\n<|fim_prefix|>import lib\n<|fim_suffix|>\n<|fim_middle|>");
}

TEST_CASE("fim_names_the_missing_token", "[chat]") {
    std::vector<std::string> chat_only = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|fim_prefix|>"};
    std::string out;
    loom::Status s = loom::fim_prompt(lookup(chat_only), "a", "b", &out);
    CHECK(s.code() == LOOM_ERR_NOT_FOUND);
    CHECK(s.message().find("<|fim_suffix|>") != std::string::npos);
    std::vector<std::string> no_repo(kCoderVocab.begin(), kCoderVocab.begin() + 8);
    s = loom::fim_repo_prompt(lookup(no_repo), "r", {}, "p", "a", "b", &out);
    CHECK(s.code() == LOOM_ERR_NOT_FOUND);
    CHECK(s.message().find("<|repo_name|>") != std::string::npos);
}

TEST_CASE("eog_set_is_eos_plus_turn_and_infill_ends", "[chat]") {
    // eos = <|endoftext|> (1), no eot: the set is every kEogTexts token present.
    CHECK(loom::eog_tokens(lookup(kCoderVocab), 1, -1) == std::vector<int32_t>{1, 3, 7, 8, 9});
    // An eos outside the texts is kept; an eot too; duplicates collapse.
    CHECK(loom::eog_tokens(lookup({"x", "<|im_end|>"}), 0, 1) == std::vector<int32_t>{0, 1});
    for (int32_t id = 0; id < static_cast<int32_t>(kCoderVocab.size()); ++id) {
        bool in_set = id == 1 || id == 3 || id == 7 || id == 8 || id == 9;
        CHECK(loom::is_eog_token(id, kCoderVocab[static_cast<size_t>(id)], 1, -1) == in_set);
    }
    CHECK(loom::is_eog_token(0, "a", 0, -1));
    CHECK_FALSE(loom::is_eog_token(-1, "<|im_end|>", -1, -1));
}
