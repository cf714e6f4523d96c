// loom_model_quantize and `loom quantize` without the reference: every
// converted tensor holds loom_quantize's encoding of the input rows (the codecs
// are pinned to llama.cpp in tests/quant), the rest is copied, the metadata is
// carried over with general.file_type set, the thread count does not change a
// byte, and a failed or cancelled run leaves no output behind. The per-tensor
// type choices are pinned to llama-quantize by test_quantize_tool_parity.cpp.
#include "gguf_compare.h"
#include "gguf_builder.h"
#include "loom.h"
#include "synthetic_models.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace {

using quant_test::open_gguf;
using quant_test::same_kv;
using loom::GgufKV;

const quant_test::ModelSpec kSmall{"small", 256, 2, 4, 2, 256, 64, false, true};

std::string scratch(const std::string &name) { return testdata::scratch_dir() + "/mq-" + name; }

bool exists(const std::string &path) {
    std::FILE *f = std::fopen(path.c_str(), "rb");
    if (f) std::fclose(f);
    return f != nullptr;
}

std::string small_model(const std::string &name = "small.gguf",
                        const std::function<void(gguf_test::GgufBuilder &)> &extra = {}) {
    std::string path = scratch(name);
    REQUIRE(quant_test::write_model(kSmall, path, 3, extra));
    return path;
}

loom_model_quantize_params params(int32_t ftype) {
    loom_model_quantize_params p;
    REQUIRE(loom_model_quantize_default_params(&p) == LOOM_OK);
    p.file_type = ftype;
    p.n_threads = 2;
    return p;
}

// The bytes loom_quantize makes of tensor `t` (F16 or F32 rows) in `type`.
std::vector<uint8_t> encode(const loom::GgufTensor &t, int32_t type) {
    const int64_t rows = t.n_elements() / t.ne[0];
    std::vector<float> f(size_t(t.n_elements()));
    REQUIRE(loom_dequantize(t.type, t.data, t.nbytes, rows, t.ne[0], f.data()) == LOOM_OK);
    size_t need = 0;
    loom_quantize(type, f.data(), rows, t.ne[0], nullptr, 0, &need);
    std::vector<uint8_t> out(need);
    REQUIRE(loom_quantize(type, f.data(), rows, t.ne[0], out.data(), out.size(), &need) == LOOM_OK);
    return out;
}

std::string loom_cli(const std::string &args, int *status) {
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe != nullptr);
    return testdata::capture(std::string(exe) + " quantize " + args, status);
}

} // namespace

TEST_CASE("converted tensors hold loom_quantize's encoding of the input rows, the rest is copied", "[quantize]") {
    std::string in = small_model(), out = scratch("q4km.gguf");
    loom_model_quantize_params p = params(15); // Q4_K_M
    REQUIRE(loom_model_quantize(in.c_str(), out.c_str(), &p) == LOOM_OK);
    CHECK_FALSE(exists(out + ".tmp"));
    auto src = open_gguf(in), dst = open_gguf(out);
    REQUIRE(dst->tensors().size() == src->tensors().size());
    int converted = 0, copied = 0;
    for (const loom::GgufTensor &t : dst->tensors()) {
        const loom::GgufTensor *s = src->find_tensor(t.name);
        REQUIRE(s != nullptr);
        INFO(t.name << ": " << loom_type_name(s->type) << " -> " << loom_type_name(t.type));
        CHECK(std::memcmp(t.ne, s->ne, sizeof t.ne) == 0);
        std::vector<uint8_t> want = t.type == s->type ? std::vector<uint8_t>(s->data, s->data + s->nbytes)
                                                      : encode(*s, t.type);
        REQUIRE(t.nbytes == want.size());
        CHECK(std::memcmp(t.data, want.data(), want.size()) == 0);
        (t.type == s->type ? copied : converted)++;
    }
    CHECK(converted == 2 * 7 + 2); // every 2-D weight
    CHECK(copied == 2 * 5 + 1);    // norms and biases
    uint32_t ftype = 0, qv = 0;
    REQUIRE(dst->get_u32("general.file_type", &ftype).is_ok());
    REQUIRE(dst->get_u32("general.quantization_version", &qv).is_ok());
    CHECK(ftype == 15);
    CHECK(qv == 2);
}

TEST_CASE("metadata of every value type is carried over in order", "[quantize]") {
    using namespace gguf_test;
    std::string in = small_model("kv.gguf", [](GgufBuilder &b) {
        b.scalar<int8_t>("test.i8", kI8, -5).scalar<uint16_t>("test.u16", kU16, 65000)
            .scalar<int64_t>("test.i64", kI64, -(int64_t(1) << 40)).scalar<double>("test.f64", kF64, 0.1)
            .scalar<uint8_t>("test.bool", kBool, 1).array<int32_t>("test.i32s", kI32, {-1, 2, -3})
            .string_array("test.strings", {"a", "", "c"}).string("split.count", "dropped");
    });
    std::string out = scratch("kv-q8.gguf");
    loom_model_quantize_params p = params(7);
    REQUIRE(loom_model_quantize(in.c_str(), out.c_str(), &p) == LOOM_OK);
    auto src = open_gguf(in), dst = open_gguf(out);
    std::vector<const GgufKV *> kept;
    for (const GgufKV &kv : src->kvs())
        if (kv.key != "general.file_type" && kv.key != "general.quantization_version" && kv.key != "split.count")
            kept.push_back(&kv);
    REQUIRE(dst->kvs().size() == kept.size() + 2);
    for (size_t i = 0; i < kept.size(); ++i) {
        INFO("key " << kept[i]->key);
        CHECK(same_kv(dst->kvs()[i], *kept[i]));
    }
    CHECK(dst->kvs()[kept.size()].key == "general.quantization_version");
    CHECK(dst->kvs()[kept.size() + 1].key == "general.file_type");
}

TEST_CASE("the thread count does not change a byte", "[quantize]") {
    std::string in = small_model(), a = scratch("t1.gguf"), b = scratch("t3.gguf");
    loom_model_quantize_params p = params(11); // Q3_K_S
    p.n_threads = 1;
    REQUIRE(loom_model_quantize(in.c_str(), a.c_str(), &p) == LOOM_OK);
    p.n_threads = 3;
    REQUIRE(loom_model_quantize(in.c_str(), b.c_str(), &p) == LOOM_OK);
    CHECK(testdata::read_file(a) == testdata::read_file(b));
}

TEST_CASE("a cancelled or failed quantization leaves the output path as it was", "[quantize]") {
    std::string in = small_model(), out = scratch("cancel.gguf");
    REQUIRE(testdata::write_file(out, "OLD", 3));
    loom_model_quantize_params p = params(15);
    p.progress = [](void *, int64_t index, int64_t, const char *, int32_t, int32_t) { return index == 3 ? 1 : 0; };
    CHECK(loom_model_quantize(in.c_str(), out.c_str(), &p) == LOOM_ERR_CANCELLED);
    CHECK(testdata::read_file(out) == std::vector<uint8_t>{'O', 'L', 'D'});
    CHECK_FALSE(exists(out + ".tmp"));
    p = params(19); // IQ2_XXS: needs an importance matrix
    CHECK(loom_model_quantize(in.c_str(), out.c_str(), &p) == LOOM_ERR_UNSUPPORTED);
    CHECK(std::string(loom_last_error()).find("importance matrix") != std::string::npos);
    CHECK(testdata::read_file(out) == std::vector<uint8_t>{'O', 'L', 'D'});
    p = params(15);
    p.output_tensor_type = LOOM_TYPE_IQ2_XXS; // an IQ2 output tensor, without a matrix
    CHECK(loom_model_quantize(in.c_str(), out.c_str(), &p) == LOOM_ERR_UNSUPPORTED);
    CHECK(std::string(loom_last_error()).find("needs an importance matrix (--imatrix FILE)") != std::string::npos);
    CHECK(testdata::read_file(out) == std::vector<uint8_t>{'O', 'L', 'D'});
}

TEST_CASE("bad inputs and parameters are errors that say what is wrong", "[quantize]") {
    std::string in = small_model(), out = scratch("bad.gguf");
    loom_model_quantize_params p = params(4); // a removed file type
    CHECK(loom_model_quantize(in.c_str(), out.c_str(), &p) == LOOM_ERR_INVALID_ARGUMENT);
    p = params(15);
    p.output_tensor_type = 99;
    CHECK(loom_model_quantize(in.c_str(), out.c_str(), &p) == LOOM_ERR_INVALID_ARGUMENT);
    p = params(15);
    CHECK(loom_model_quantize(nullptr, out.c_str(), &p) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_model_quantize(scratch("missing.gguf").c_str(), out.c_str(), &p) == LOOM_ERR_IO);
    CHECK(loom_model_quantize(in.c_str(), scratch("no-dir/x.gguf").c_str(), &p) == LOOM_ERR_IO);
    CHECK(std::string(loom_last_error()).find("no-dir/x.gguf.tmp") != std::string::npos);
    gguf_test::GgufBuilder not_model;
    not_model.string("general.name", "no architecture");
    std::vector<uint8_t> bytes = not_model.build();
    std::string nm = scratch("not-model.gguf");
    REQUIRE(testdata::write_file(nm, bytes.data(), bytes.size()));
    CHECK(loom_model_quantize(nm.c_str(), out.c_str(), &p) == LOOM_ERR_FORMAT);
    CHECK_FALSE(exists(out));
}

TEST_CASE("an already quantized input is requantized only when allowed", "[quantize]") {
    std::string in = small_model(), q8 = scratch("rq-q8.gguf"), out = scratch("rq-q4.gguf");
    loom_model_quantize_params p = params(7);
    REQUIRE(loom_model_quantize(in.c_str(), q8.c_str(), &p) == LOOM_OK);
    p = params(2);
    CHECK(loom_model_quantize(q8.c_str(), out.c_str(), &p) == LOOM_ERR_UNSUPPORTED);
    CHECK(std::string(loom_last_error()).find("already Q8_0") != std::string::npos);
    p.allow_requantize = 1;
    CHECK(loom_model_quantize(q8.c_str(), out.c_str(), &p) == LOOM_OK);
}

TEST_CASE("file type names are llama-quantize's", "[quantize]") {
    CHECK(std::string(loom_file_type_name(15)) == "Q4_K_M");
    CHECK(std::string(loom_file_type_name(32)) == "BF16");
    CHECK(loom_file_type_name(4) == nullptr);
    int32_t id = -1;
    CHECK(loom_file_type_from_name("q4_k", &id) == LOOM_OK);
    CHECK(id == 15);
    CHECK(loom_file_type_from_name("Q9", &id) == LOOM_ERR_NOT_FOUND);
    for (int32_t i = 0; i < 64; ++i) {
        const char *n = loom_file_type_name(i);
        if (!n) continue;
        INFO(n);
        REQUIRE(loom_file_type_from_name(n, &id) == LOOM_OK);
        CHECK(id == i);
    }
}

TEST_CASE("loom quantize: help, usage and errors in the user's terms", "[quantize][cli]") {
    int status = -1;
    std::string out = loom_cli("--help", &status);
    CHECK(status == 0);
    CHECK(out.find("--output-tensor-type") != std::string::npos);
    loom_cli("2>/dev/null", &status);
    CHECK(status == 2);
    out = loom_cli("a.gguf b.gguf Q9 2>&1", &status);
    CHECK(status == 2);   // usage errors, from the option table
    CHECK(out.find("loom: error: Q9: not a file type") != std::string::npos);
    out = loom_cli("a.gguf b.gguf Q4_K_M --token-embedding-type q9 2>&1", &status);
    CHECK(status == 2);
    CHECK(out.find("loom: error: --token-embedding-type q9: not a tensor type") != std::string::npos);
    std::string in = small_model(), dst = scratch("cli.gguf");
    out = loom_cli("'" + in + "' '" + dst + "' q4_k_m --pure -t 2 2>&1", &status);
    CHECK(status == 0);
    CHECK(out.find("Q4_K_M") != std::string::npos);
    CHECK(exists(dst));
}
