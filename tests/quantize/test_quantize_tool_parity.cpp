// `loom quantize` against llama.cpp's `llama-quantize` on the same input:
// for every file type loom can encode, and for --pure and the two type
// options (the *_L files), both tools' outputs have the same metadata (keys,
// order, types, values), the same tensor table (names, order, types, shapes,
// offsets) and bit-identical tensor data; in fact the files are identical
// byte for byte. No key is allowed to differ (llama-quantize writes no
// general.quantized_by or date; quantize.imatrix.* keys come only with an
// importance matrix).
//
// Inputs (tests/quantize/synthetic_models.cpp), chosen to reach the rules:
// - deep24: 24 layers (Qwen2-0.5B's count: the layer-dependent choices of
//   ffn_down and attn_v), n_gqa 2, untied output, F32 weights;
// - wide896: Qwen2-0.5B's 896-wide rows (not a multiple of 256: the
//   fallbacks Q4_K -> Q5_0, Q6_K -> Q8_0, IQ4_XS -> IQ4_NL, ... and the
//   Q8_0 output), n_gqa 7 (the n_gqa >= 4 rules), tied embeddings, F16;
// - moe8: qwen2moe with 8 experts (3-D expert stacks of 128-wide rows,
//   the n_expert == 8 rules, the router kept), 6 mixes;
// - mkgguf.py's tiny preset (the real vocabulary size) for two mixes.
#include "gguf_compare.h"
#include "quantize/imatrix_file.h"
#include "synthetic_models.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <set>

namespace {

using quant_test::open_gguf;
using quant_test::same_kv;

const quant_test::ModelSpec kDeep{"deep24", 256, 24, 4, 2, 256, 512, false, false};
const quant_test::ModelSpec kWide{"wide896", 896, 2, 14, 2, 512, 1000, true, true};
const quant_test::ModelSpec kMoe{"moe8", 256, 4, 4, 2, 256, 256, false, true, 8, 128};

// The mixes whose rules change with 8 experts (attn_v and attn_k to Q8_0,
// attn_output to Q5_K, layers read from the names).
const char *const kMoeFileTypes[] = {"Q2_K", "Q3_K_S", "Q4_K_M", "Q5_K_M", "IQ4_NL", "Q8_0"};

const char *const kFileTypes[] = {"Q4_0",   "Q4_1",   "Q5_0",   "Q5_1",   "Q8_0",   "Q2_K",   "Q3_K_S",
                                  "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K",
                                  "IQ4_NL", "IQ4_XS", "TQ1_0",  "TQ2_0",  "F16",    "BF16",   "F32",
                                  "IQ3_S",  "IQ3_M"};

// Options runs: --pure, the _L variants, another type for one of the two.
const char *const kOptionRuns[][2] = {
    {"Q4_K_M", "--pure"},
    {"Q3_K_M", "--token-embedding-type q8_0 --output-tensor-type q8_0"},
    {"Q5_K_S", "--output-tensor-type f16"},
    {"IQ4_XS", "--token-embedding-type q4_0"},
};

void require_reference() {
    if (testdata::ref_available()) return;
    testdata::exit_missing("the reference (../shared/ref)");
}

// Written once per run (Catch2 enters a test case once per section).
std::string model_path(const quant_test::ModelSpec &spec) {
    static std::set<std::string> written;
    std::string path = testdata::scratch_dir() + "/quant-" + spec.name + ".gguf";
    if (written.insert(path).second) REQUIRE(quant_test::write_model(spec, path, 7));
    return path;
}

std::string run_llama(const std::string &in, const std::string &out, const std::string &type,
                      const std::string &opts) {
    int status = -1;
    std::string log = testdata::capture("'" + testdata::ref_dir() + "/tools' llama-quantize " + opts + " '" + in +
                                            "' '" + out + "' " + type + " 2 2>&1",
                                        &status);
    INFO(log);
    REQUIRE(status == 0);
    return out;
}

std::string run_loom(const std::string &in, const std::string &out, const std::string &type,
                     const std::string &opts) {
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe != nullptr);
    int status = -1;
    std::string log = testdata::capture(std::string(exe) + " quantize '" + in + "' '" + out + "' " + type + " " +
                                            opts + " -t 2 2>&1",
                                        &status);
    INFO(log);
    REQUIRE(status == 0);
    return out;
}

// Metadata, tensor table and data of loom's file against llama.cpp's.
void compare(const std::string &ref_path, const std::string &loom_path) {
    auto ref = open_gguf(ref_path), got = open_gguf(loom_path);
    REQUIRE(got->kvs().size() == ref->kvs().size());
    for (size_t i = 0; i < ref->kvs().size(); ++i) {
        INFO("metadata key " << i << ": llama.cpp '" << ref->kvs()[i].key << "', loom '" << got->kvs()[i].key << "'");
        CHECK(same_kv(got->kvs()[i], ref->kvs()[i]));
    }
    REQUIRE(got->tensors().size() == ref->tensors().size());
    for (size_t i = 0; i < ref->tensors().size(); ++i) {
        const loom::GgufTensor &r = ref->tensors()[i], &g = got->tensors()[i];
        INFO("tensor " << i << " " << r.name << " (llama.cpp " << loom_type_name(r.type) << ", loom "
                       << loom_type_name(g.type) << ")");
        REQUIRE(g.name == r.name);
        REQUIRE(g.type == r.type);
        CHECK(g.n_dims == r.n_dims);
        CHECK(std::memcmp(g.ne, r.ne, sizeof r.ne) == 0);
        CHECK(g.offset == r.offset);
        REQUIRE(g.nbytes == r.nbytes);
        CHECK(std::memcmp(g.data, r.data, r.nbytes) == 0);
    }
    CHECK(got->alignment() == ref->alignment());
    CHECK(testdata::read_file(loom_path) == testdata::read_file(ref_path));
}

void check_pair(const std::string &in, const std::string &tag, const std::string &type, const std::string &opts) {
    std::string base = testdata::scratch_dir() + "/quant-" + tag + "-" + type;
    for (char &c : base)
        if (c == ' ') c = '_';
    INFO("input " << in << ", llama-quantize/loom quantize " << type << " " << opts);
    std::string ref = run_llama(in, base + "-llama.gguf", type, opts);
    std::string got = run_loom(in, base + "-loom.gguf", type, opts);
    compare(ref, got);
    std::remove(ref.c_str());
    std::remove(got.c_str());
}

} // namespace

TEST_CASE("loom quantize writes llama-quantize's files for every file type", "[quantize][tools]") {
    require_reference();
    for (const quant_test::ModelSpec *spec : {&kDeep, &kWide}) {
        std::string in = model_path(*spec);
        for (const char *type : kFileTypes) {
            SECTION(std::string(spec->name) + " " + type) { check_pair(in, spec->name, type, ""); }
        }
    }
}

TEST_CASE("loom quantize writes llama-quantize's files for a mixture-of-experts model", "[quantize][tools]") {
    require_reference();
    std::string in = model_path(kMoe);
    for (const char *type : kMoeFileTypes) {
        SECTION(std::string("moe8 ") + type) { check_pair(in, "moe8", type, ""); }
    }
}

TEST_CASE("loom quantize matches llama-quantize's --pure and tensor type options", "[quantize][tools]") {
    require_reference();
    for (const quant_test::ModelSpec *spec : {&kDeep, &kWide}) {
        std::string in = model_path(*spec);
        for (const auto &run : kOptionRuns) {
            SECTION(std::string(spec->name) + " " + run[0] + " " + run[1]) {
                check_pair(in, std::string(spec->name) + "-opt", run[0], run[1]);
            }
        }
    }
}

TEST_CASE("loom quantize matches llama-quantize on mkgguf's tiny preset", "[quantize][tools]") {
    require_reference();
    std::string in = testdata::synthetic_model("tiny", 1, 0);
    REQUIRE(!in.empty());
    check_pair(in, "tiny", "Q4_K_M", "");
    check_pair(in, "tiny-L", "Q5_K_M", "--token-embedding-type q8_0 --output-tensor-type q8_0");
}

// With an importance matrix, every file type llama.cpp quantizes
// deterministically with one (all but the IQ1-IQ3 ones) gives
// llama-quantize's bytes, quantize.imatrix.* keys included:
// - on deep24 and wide896 (the 896-wide rows' fallbacks Q4_K -> Q5_0,
//   IQ4_XS -> IQ4_NL, ... are weighted too) and moe8 (one weight vector per
//   expert), with a seeded random matrix written by loom's imatrix writer:
//   values over four orders of magnitude, as real ones spread;
// - on the tiny preset with llama-imatrix's own matrix, GGUF and legacy .dat.
namespace {

const char *const kImatrixFileTypes[] = {"Q4_0",   "Q4_1",   "Q5_0",   "Q5_1",   "Q8_0",   "Q2_K",   "Q3_K_S", "Q3_K_M",
                                         "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K",   "IQ4_NL", "IQ4_XS"};
// On wide896 and moe8, the mixes whose rules or fallbacks differ from deep24's.
const char *const kImatrixFileTypesWide[] = {"Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_S", "Q6_K", "IQ4_XS"};
const char *const kImatrixFileTypesMoe[] = {"Q3_K_S", "Q4_K_M", "IQ4_NL"};

// Every weight a matrix multiplication reads (all but token_embd), as
// llama-imatrix collects them: sums [n_mat][n] and counts [n_mat].
std::string synthetic_imatrix(const std::string &model, const std::string &tag) {
    auto f = open_gguf(model);
    loom::Imatrix m;
    m.datasets = {"synthetic"};
    m.chunk_count = 4;
    m.chunk_size = 128;
    m.has_metadata = true;
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> exponent(-2.0f, 2.0f);
    for (const loom::GgufTensor &t : f->tensors()) {
        if (t.n_dims < 2 || t.name == "token_embd.weight") continue;
        loom::ImatrixEntry &e = m.entries[t.name];
        e.counts.assign(size_t(t.ne[2]), 512);
        e.sums.resize(size_t(t.ne[0] * t.ne[2]));
        for (float &v : e.sums) v = 512.0f * std::pow(10.0f, exponent(rng));
    }
    const std::string path = testdata::scratch_dir() + "/quant-imatrix-" + tag + ".gguf";
    loom::Status s = loom::imatrix_write_gguf(m, path);
    INFO(s.message());
    REQUIRE(s.is_ok());
    return path;
}

std::string reference_imatrix(const std::string &model, const std::string &ext, const std::string &opts) {
    std::string out = testdata::scratch_dir() + "/quant-imatrix-llama." + ext;
    int status = -1;
    std::string log = testdata::capture("'" + testdata::ref_dir() + "/tools' llama-imatrix -m '" + model + "' -f '" +
                                            testdata::source_path("parity/perplexity_text.txt") + "' -o '" + out +
                                            "' -c 128 -t 2 " + opts + " 2>&1",
                                        &status);
    INFO(log);
    REQUIRE(status == 0);
    return out;
}

// llama-imatrix's GGUF matrix of the tiny model, made once per run.
const std::string &tiny_imatrix(const std::string &model) {
    static const std::string path = reference_imatrix(model, "gguf", "");
    return path;
}
} // namespace

TEST_CASE("loom quantize --imatrix matches llama-quantize --imatrix for every file type", "[quantize][tools][imatrix]") {
    require_reference();
    const std::string deep = model_path(kDeep), wide = model_path(kWide), moe = model_path(kMoe);
    static const std::string im_deep = synthetic_imatrix(deep, "deep24"), im_wide = synthetic_imatrix(wide, "wide896"),
                             im_moe = synthetic_imatrix(moe, "moe8");
    for (const char *type : kImatrixFileTypes)
        SECTION(std::string("deep24 ") + type) { check_pair(deep, "deep24-im", type, "--imatrix '" + im_deep + "'"); }
    for (const char *type : kImatrixFileTypesWide)
        SECTION(std::string("wide896 ") + type) { check_pair(wide, "wide896-im", type, "--imatrix '" + im_wide + "'"); }
    for (const char *type : kImatrixFileTypesMoe)
        SECTION(std::string("moe8 ") + type) { check_pair(moe, "moe8-im", type, "--imatrix '" + im_moe + "'"); }
    SECTION("deep24 Q4_K_M --pure") { check_pair(deep, "deep24-im-pure", "Q4_K_M", "--pure --imatrix '" + im_deep + "'"); }
    SECTION("deep24 Q3_K_L with the _L options") {
        check_pair(deep, "deep24-im-L", "Q3_K_L",
                   "--token-embedding-type q8_0 --output-tensor-type q8_0 --imatrix '" + im_deep + "'");
    }
}

TEST_CASE("loom quantize --imatrix matches llama-quantize with llama-imatrix's matrix", "[quantize][tools][imatrix]") {
    require_reference();
    std::string in = testdata::synthetic_model("tiny", 1, 0);
    REQUIRE(!in.empty());
    const std::string gguf = tiny_imatrix(in);
    static const std::string dat = reference_imatrix(in, "dat", "--output-format dat");
    SECTION("Q4_0 --pure") { check_pair(in, "tiny-im", "Q4_0", "--pure --imatrix '" + gguf + "'"); }
    SECTION("Q8_0") { check_pair(in, "tiny-im", "Q8_0", "--imatrix '" + gguf + "'"); }
    SECTION("Q4_K_M") { check_pair(in, "tiny-im", "Q4_K_M", "--imatrix '" + gguf + "'"); }
    SECTION("IQ4_XS") { check_pair(in, "tiny-im", "IQ4_XS", "--imatrix '" + gguf + "'"); }
    SECTION("Q2_K from the legacy .dat") { check_pair(in, "tiny-imdat", "Q2_K", "--imatrix '" + dat + "'"); }
}

// The IQ1/IQ2/IQ3 lattice types need an imatrix (IQ3_S does not, but takes one):
// every weight in the type (--pure), token_embd and output in Q8_0 (with no
// imatrix entry llama-quantize's IQ2 encoders assert), byte-identical files.
TEST_CASE("loom quantize --imatrix matches llama-quantize for the IQ1, IQ2 and IQ3 types", "[quantize][tools][imatrix]") {
    require_reference();
    std::string in = testdata::synthetic_model("tiny", 1, 0);
    REQUIRE(!in.empty());
    const std::string opts = "--pure --token-embedding-type q8_0 --output-tensor-type q8_0 --imatrix '" + tiny_imatrix(in) + "'";
    for (const char *type : {"IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_M", "IQ3_XXS", "IQ3_S"}) {
        SECTION(type) { check_pair(in, "tiny-im-pure", type, opts); }
    }
    // An IQ2 output tensor: the tiny model's is token_embd (tied), which no
    // imatrix covers; llama-quantize aborts there (GGML_ASSERT imatrix != NULL),
    // loom refuses with a message and leaves no output file.
    SECTION("Q4_K_M with an IQ2_XXS output tensor and no matrix entry for it") {
        const std::string out = testdata::scratch_dir() + "/quant-tiny-im-out-loom.gguf";
        std::filesystem::remove(out);
        int status = -1;
        const std::string log = testdata::capture(std::string(std::getenv("LOOM_EXE")) + " quantize '" + in + "' '" +
                                                      out + "' Q4_K_M --output-tensor-type iq2_xxs --imatrix '" +
                                                      tiny_imatrix(in) + "' 2>&1",
                                                  &status);
        INFO(log);
        CHECK(status != 0);
        CHECK(log.find("tensor 'token_embd.weight': type IQ2_XXS needs importance weights, and the matrix has none") !=
              std::string::npos);
        CHECK(!std::filesystem::exists(out));
    }
}

// The whole IQ1/IQ2/IQ3 mixes with llama-imatrix's matrix (their K-quant
// tensors through the weighted K-quant encoders), and Q2_K_S.
TEST_CASE("loom quantize --imatrix writes llama-quantize's IQ1-IQ3 mixes", "[quantize][tools][imatrix]") {
    require_reference();
    std::string in = testdata::synthetic_model("tiny", 1, 0);
    REQUIRE(!in.empty());
    const std::string opts = "--imatrix '" + tiny_imatrix(in) + "'";
    for (const char *type : {"IQ1_M", "IQ2_XS", "IQ2_M", "IQ3_XXS", "IQ3_XS", "Q2_K_S"}) {
        SECTION(type) { check_pair(in, "tiny-im-mix", type, opts); }
    }
}
