#include "tok_support.h"

#include "testdata.h"
#include "tokenizer/unicode.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>
#include <unistd.h>

namespace toktest {

std::string llama_vocab_path() {
    const char *home = std::getenv("LLREF_HOME");
    std::string base = home ? home : std::string(std::getenv("HOME") ? std::getenv("HOME") : "") + "/.cache/llref";
    std::string path = base + "/src/models/ggml-vocab-qwen2.gguf";
    return ::access(path.c_str(), R_OK) == 0 ? path : "";
}

const loom_model *vocab_model() {
    static loom_model *m = [] {
        std::string path = llama_vocab_path();
        if (path.empty()) testdata::exit_missing("the reference vocabulary");
        loom_model_params p;
        loom_model_default_params(&p);
        p.vocab_only = 1;
        loom_model *out = nullptr;
        loom_status st = loom_model_load(path.c_str(), &p, &out);
        INFO(loom_last_error());
        REQUIRE(st == LOOM_OK);
        return out;
    }();
    return m;
}

std::unique_ptr<loom::Tokenizer> load(const std::string &path) {
    std::unique_ptr<loom::GgufFile> file;
    loom::Status s = loom::GgufFile::open_file(path, loom::GgufOpenOptions{}, &file);
    INFO(path << ": " << s.message());
    REQUIRE(s.is_ok());
    std::unique_ptr<loom::Tokenizer> tok;
    s = loom::Tokenizer::create(*file, &tok);
    INFO(s.message());
    REQUIRE(s.is_ok());
    return tok;
}

std::vector<int32_t> encode(const loom::Tokenizer &t, const std::string &text, bool special, bool nfc) {
    std::vector<int32_t> ids;
    loom::EncodeOptions o;
    o.parse_special = special;
    o.nfc = nfc;
    REQUIRE(t.encode(text, o, &ids).is_ok());
    return ids;
}

std::string detokenize(const loom::Tokenizer &t, const std::vector<int32_t> &ids) {
    std::string out;
    for (int32_t id : ids) out += t.token_text(id);
    return out;
}

std::string json_string(const std::string &s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20 || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += char(c);
        }
    }
    return out + "\"";
}

std::string parse_json_string(const std::string &s, size_t *pos) {
    std::string out;
    size_t i = *pos;
    REQUIRE(i < s.size());
    REQUIRE(s[i] == '"');
    ++i;
    while (i < s.size() && s[i] != '"') {
        char c = s[i++];
        if (c != '\\') {
            out += c;
            continue;
        }
        char e = s[i++];
        switch (e) {
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
            uint32_t cp = uint32_t(std::stoul(s.substr(i, 4), nullptr, 16));
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && s.compare(i, 2, "\\u") == 0) {
                uint32_t lo = uint32_t(std::stoul(s.substr(i + 2, 4), nullptr, 16));
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            loom::unicode::append_utf8(cp, &out);
            break;
        }
        default: out += e;
        }
    }
    *pos = i + 1;
    return out;
}

std::vector<int32_t> parse_id_array(const std::string &line) {
    std::vector<int32_t> ids;
    std::string digits;
    for (char c : line) {
        if ((c >= '0' && c <= '9') || c == '-') digits += c;
        else if (!digits.empty()) ids.push_back(std::stoi(digits)), digits.clear();
    }
    if (!digits.empty()) ids.push_back(std::stoi(digits));
    return ids;
}

std::vector<std::vector<int32_t>> hftok_batch(const std::vector<std::string> &texts) {
    std::string in = testdata::scratch_dir() + "/hftok_in_" + std::to_string(::getpid()) + ".jsonl";
    std::string body;
    for (const std::string &t : texts) body += json_string(t) + "\n";
    REQUIRE(testdata::write_file(in, body.data(), body.size()));
    int st = -1;
    std::string out = testdata::capture("'" + testdata::ref_dir() + "/hftok' --jsonl < '" + in + "'", &st);
    std::remove(in.c_str());
    REQUIRE(st == 0);
    std::vector<std::vector<int32_t>> result;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) result.push_back(parse_id_array(line));
    return result;
}

std::vector<std::string> split(const std::string &s, const std::string &sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t p; (p = s.find(sep, start)) != std::string::npos; start = p + sep.size()) out.push_back(s.substr(start, p - start));
    out.push_back(s.substr(start));
    return out;
}

std::string replaced_text(const std::string &s) {
    std::vector<uint32_t> cps;
    loom::unicode::decode_utf8(s, &cps);
    std::string out;
    for (uint32_t cp : cps) loom::unicode::append_utf8(cp, &out);
    return out;
}

std::string nfc_text(const std::string &s) {
    std::vector<uint32_t> cps;
    loom::unicode::decode_utf8(s, &cps);
    loom::unicode::nfc(&cps);
    std::string out;
    for (uint32_t cp : cps) loom::unicode::append_utf8(cp, &out);
    return out;
}

std::string ids_str(const std::vector<int32_t> &ids) {
    std::ostringstream o;
    for (int32_t id : ids) o << id << ' ';
    return o.str();
}

} // namespace toktest
