// The reader against the reference: files written by llama.cpp (a vocab-only
// file from its tree, synthetic models made by its quantizer) must read the
// same as ../shared/ref/ggufinfo.py reads them, and `loom gguf dequant` must
// equal llama.cpp's own dequantizer (quantref.py) on the same bytes.
#include "testdata.h"

#include "gguf/gguf.h"
#include "quant/quant.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>

namespace {

std::string llref_home() {
    if (const char *env = std::getenv("LLREF_HOME")) return env;
    const char *home = std::getenv("HOME");
    return std::string(home ? home : "/root") + "/.cache/llref";
}

std::string py_list(const loom::GgufTensor &t) {
    std::string s = "[";
    for (uint32_t d = 0; d < t.n_dims; ++d) s += (d ? ", " : "") + std::to_string(t.ne[d]);
    return s + "]";
}

std::string padded(const std::string &s, size_t width) { return s.size() >= width ? s : s + std::string(width - s.size(), ' '); }

// The line ggufinfo.py prints for a key's value: the start we can predict exactly.
std::string expected_value_prefix(const loom::GgufKV &kv) {
    using T = loom::GgufValueType;
    switch (kv.type) {
    case T::Array: return "[" + std::to_string(kv.array_count) + " x type " + std::to_string(int(kv.array_type)) + "]";
    case T::Bool: return kv.u64 ? "True" : "False";
    case T::U8: case T::U16: case T::U32: case T::U64: return std::to_string(kv.u64);
    case T::I8: case T::I16: case T::I32: case T::I64: return std::to_string(kv.i64);
    case T::String: // ASCII one-liners only: the script prints lines, decoding UTF-8 with replacement
        for (char c : kv.str)
            if (c == '\n' || static_cast<unsigned char>(c) >= 0x80) return "";
        return kv.str.substr(0, 60);
    default: return ""; // floats: Python's repr, not worth re-deriving
    }
}

// Opens `path` and checks it against `ggufinfo.py path -t`: header counts,
// every key in order with its value's start, every tensor line in order.
void check_against_ggufinfo(const std::string &path, std::unique_ptr<loom::GgufFile> *out) {
    loom::GgufOpenOptions opts;
    std::unique_ptr<loom::GgufFile> f;
    loom::Status s = loom::GgufFile::open_file(path, opts, &f);
    INFO(s.message());
    REQUIRE(s.is_ok());
    int st = -1;
    std::string info = testdata::capture("/usr/bin/python3 '" + testdata::ref_dir() + "/ggufinfo.py' '" + path + "' -t", &st);
    REQUIRE(st == 0);
    std::string head = "GGUF v" + std::to_string(f->version()) + ": " + std::to_string(f->tensors().size()) +
                       " tensors, " + std::to_string(f->kvs().size()) + " keys\n";
    REQUIRE(info.rfind(head, 0) == 0);
    size_t pos = 0;
    for (const loom::GgufKV &kv : f->kvs()) {
        std::string line = "\n  " + kv.key + " = " + expected_value_prefix(kv);
        size_t at = info.find(line, pos);
        INFO("key " << kv.key << " expected as: " << line);
        REQUIRE(at != std::string::npos);
        pos = at + 1;
    }
    for (const loom::GgufTensor &t : f->tensors()) {
        std::string line = "\n  " + padded(t.name, 32) + " " + padded(loom::type_traits(t.type) ? loom::type_traits(t.type)->name : "?", 8) +
                           " " + py_list(t) + "\n";
        size_t at = info.find(line, pos);
        INFO("tensor line expected: " << line);
        REQUIRE(at != std::string::npos);
        pos = at + 1;
    }
    *out = std::move(f);
}

// `loom gguf dequant` of the smallest matrix of `type` == quantref.py dequant of
// the same bytes, located by ref_tensor_bytes.py (independently of loom).
void check_dequant(const std::string &path, const loom::GgufFile &f, loom_type type, const char *tag) {
    const loom::GgufTensor *t = nullptr;
    for (const loom::GgufTensor &x : f.tensors()) // the smallest matrix: keeps the test fast
        if (x.type == type && x.n_dims == 2 && (!t || x.nbytes < t->nbytes)) t = &x;
    REQUIRE(t);
    INFO("tensor " << t->name);
    std::string dir = testdata::scratch_dir(), ref = testdata::ref_dir();
    std::string raw = dir + "/gguf_parity_" + tag + ".bin", want = raw + ".ref.f32", got = raw + ".loom.f32";
    REQUIRE(testdata::run("/usr/bin/python3 '" + testdata::source_path("gguf/ref_tensor_bytes.py") + "' '" + ref +
                          "' '" + path + "' '" + t->name + "' '" + raw + "'") == 0);
    std::vector<uint8_t> ref_bytes = testdata::read_file(raw);
    REQUIRE(ref_bytes.size() == t->nbytes);
    CHECK(std::memcmp(ref_bytes.data(), t->data, t->nbytes) == 0);
    REQUIRE(testdata::run("/usr/bin/python3 '" + ref + "/quantref.py' dequant " + tag + " '" + raw + "' '" + want +
                          "'") == 0);
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe);
    REQUIRE(testdata::run("'" + std::string(exe) + "' gguf dequant '" + path + "' '" + t->name + "' '" + got + "'") == 0);
    std::vector<uint8_t> a = testdata::read_file(want), b = testdata::read_file(got);
    REQUIRE(a.size() == size_t(t->n_elements()) * 4);
    REQUIRE(b.size() == a.size());
    CHECK(std::memcmp(a.data(), b.data(), a.size()) == 0); // bit-exact
}

} // namespace

TEST_CASE("reads_llama_cpp_vocab_file_like_ggufinfo", "[gguf][parity]") {
    REQUIRE_REF_OR_SKIP();
    std::string path = llref_home() + "/src/models/ggml-vocab-qwen2.gguf";
    std::unique_ptr<loom::GgufFile> f;
    check_against_ggufinfo(path, &f);
    const std::vector<std::string> *tokens = nullptr;
    REQUIRE(f->get_string_array("tokenizer.ggml.tokens", &tokens).is_ok());
    CHECK(tokens->size() > 150000);
}

TEST_CASE("reads_llama_cpp_quantized_model_like_ggufinfo", "[gguf][parity]") {
    REQUIRE_REF_OR_SKIP();
    std::string path = testdata::synthetic_model("tiny", 1, 15);
    REQUIRE(!path.empty());
    std::unique_ptr<loom::GgufFile> f;
    check_against_ggufinfo(path, &f);
    CHECK(f->tensors().size() > 20);
}

TEST_CASE("dequant_of_q8_0_and_q5_0_tensors_matches_llama_cpp", "[gguf][parity]") {
    REQUIRE_REF_OR_SKIP();
    struct Case { int ftype; loom_type type; const char *tag; };
    for (Case c : {Case{7, LOOM_TYPE_Q8_0, "q8_0"}, Case{8, LOOM_TYPE_Q5_0, "q5_0"}}) {
        std::string path = testdata::synthetic_model("tiny", 1, c.ftype);
        REQUIRE(!path.empty());
        std::unique_ptr<loom::GgufFile> f;
        REQUIRE(loom::GgufFile::open_file(path, loom::GgufOpenOptions(), &f).is_ok());
        check_dequant(path, *f, c.type, c.tag);
    }
}
