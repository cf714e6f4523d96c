#include "corpus.h"

#include "tokenizer/unicode.h"

#include <random>

namespace toktest {

namespace {

void put(uint32_t cp, std::string *out) { loom::unicode::append_utf8(cp, out); }

// Ranges of long-assigned code points (Unicode <= 6), letters, marks,
// numbers, punctuation and symbols of many scripts.
const uint32_t kRanges[][2] = {
    {0x20, 0x7E},     {0xA0, 0x17F},    {0x180, 0x24F},   {0x250, 0x2FF},   {0x300, 0x36F},   {0x370, 0x3FF},
    {0x400, 0x4FF},   {0x531, 0x556},   {0x5D0, 0x5EA},   {0x591, 0x5C7},   {0x600, 0x6FF},   {0x900, 0x97F},
    {0x980, 0x9FB},   {0xE01, 0xE5B},   {0x10A0, 0x10FF}, {0x1100, 0x11FF}, {0x1E00, 0x1EFF}, {0x1F00, 0x1FFE},
    {0x2000, 0x206F}, {0x2070, 0x209C}, {0x20A0, 0x20B9}, {0x2100, 0x218F}, {0x2190, 0x23F3}, {0x2460, 0x24FF},
    {0x2500, 0x27BF}, {0x3000, 0x303F}, {0x3041, 0x3096}, {0x30A0, 0x30FF}, {0x3131, 0x318E}, {0x4E00, 0x4FFF},
    {0xAC00, 0xAD00}, {0xFB00, 0xFB06}, {0xFE30, 0xFE4F}, {0xFF01, 0xFFEE}, {0x1D400, 0x1D7FF}, {0x1F300, 0x1F5FF},
    {0x1F600, 0x1F64F}, {0x1F680, 0x1F6C5}, {0x10400, 0x1044F}, {0x20000, 0x2A6D6},
};

const char *kWords[] = {
    "hello", "World", "the", "QUICK", "brown", "fox", "naïve", "café", "Ünïcödé", "straße", "don't", "I'm",
    "WE'LL", "they've", "you'RE", "it's", "'s", "'T", "'d", "''", "Привет", "мир", "Γειά", "σου", "こんにちは",
    "世界", "你好", "안녕하세요", "مرحبا", "שלום", "नमस्ते", "สวัสดี", "ქართული", "Ελληνικά", "İstanbul",
    "ǅungla", "ﬁne", "Ⅻ", "½", "²³", "٣٤٥", "१२३", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𠀀𠀁", "x²", "e\xCC\x81", "a\xCC\x8A",
    "\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8", "o\xCC\x88\xCC\x81", "n\xCC\x83", "A\xCC\x8A" "ngstr\xC3\xB6m",
    "\xE2\x84\xAB", "\xCE\xA9", "\xE2\x84\xA6",
};

const char *kSymbols[] = {
    " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n", "\n ", "  \n\n  ", "\r", "\r\r\n", "\t\t", " \t ",
    "\xC2\xA0", "\xE3\x80\x80", "\xE2\x80\x83", "\xEF\xBB\xBF", "\xC2\x85", "\xE2\x80\xA8", "\x0B", "\x0C",
    ".", ",", "!", "?", "...", "!!!", "--", "->", "=>", "::", "();", "{}", "[]", "<", ">", "</", "/>", "#", "@",
    "$", "%", "^&*", "\"", "'", "`", "~", "\\", "|", "_", "__init__", "«", "»", "“", "”", "—", "…", "€", "£",
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇺🇸", "❤️", "✅", "🚀", "\xE2\x80\x8B", "\xE2\x80\x8D", "\x01", "\x1F", "\x7F",
};

const char *kCode[] = {
    "def f(x):\n    return x**2\n", "int main() {\n\treturn 0;\n}\n", "for (int i = 0; i < n; ++i) {", "    ",
    "        if x == 1:\r\n            pass", "#include <stdio.h>", "console.log(`${a}`);", "SELECT * FROM t;",
    "x = [1, 2, 3]", "// comment", "/* block */", "    \n    \n", "a=b+c", "0x1F", "3.14159", "1,000,000",
    "2024-01-01", "12:30:45", "$100.00", "-42", "1e-10", "\"key\": \"value\"", "<div class=\"x\">",
};

const char *kSpecialsQwen2[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|im_start|>user\n", "<|im_", "<|endoftext", "<|", "|>"};
const char *kSpecialsQwen25[] = {"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|repo_name|>", "<|file_sep|>",
                                 "<tool_call>", "</tool_call>", "<|vision_start|>", "<|fim_pad|>"};

template <size_t N>
const char *pick(std::mt19937 &rng, const char *const (&arr)[N]) {
    return arr[std::uniform_int_distribution<size_t>(0, N - 1)(rng)];
}

void random_code_points(std::mt19937 &rng, std::string *out) {
    size_t n = std::uniform_int_distribution<size_t>(1, 6)(rng);
    const auto &r = kRanges[std::uniform_int_distribution<size_t>(0, sizeof kRanges / sizeof kRanges[0] - 1)(rng)];
    for (size_t k = 0; k < n; ++k) put(std::uniform_int_distribution<uint32_t>(r[0], r[1])(rng), out);
}

void random_digits(std::mt19937 &rng, std::string *out) {
    size_t n = std::uniform_int_distribution<size_t>(1, 12)(rng);
    for (size_t k = 0; k < n; ++k) *out += char('0' + rng() % 10);
}

} // namespace

std::vector<std::string> random_corpus(const CorpusOptions &opts) {
    std::mt19937 rng(opts.seed);
    std::vector<std::string> out;
    out.reserve(opts.count);
    for (size_t i = 0; i < opts.count; ++i) {
        std::string s;
        size_t pieces = std::uniform_int_distribution<size_t>(1, 10)(rng);
        for (size_t p = 0; p < pieces; ++p) {
            switch (rng() % 9) {
            case 0: case 1: s += pick(rng, kWords); break;
            case 2: case 3: s += pick(rng, kSymbols); break;
            case 4: s += pick(rng, kCode); break;
            case 5: random_code_points(rng, &s); break;
            case 6: random_digits(rng, &s); break;
            case 7: s += (opts.qwen25_specials && rng() % 2) ? pick(rng, kSpecialsQwen25) : pick(rng, kSpecialsQwen2); break;
            default: s += ' '; s += pick(rng, kWords); break;
            }
        }
        out.push_back(std::move(s));
    }
    return out;
}

} // namespace toktest
