// `loom imatrix` against llama.cpp's `llama-imatrix` on the same model (mkgguf's
// tiny preset in F32) and text (tests/parity/perplexity_text.txt, 1050 tokens,
// -c 128: 8 chunks): both files have the same metadata (general.type,
// imatrix.datasets, imatrix.chunk_count, imatrix.chunk_size), the same
// entries in the same order and shapes, equal counts, and sums equal within
// 2e-4 relative. F32 weights keep llama.cpp's matmuls in f32, so the sums
// differ only by the engines' summation order and the f16 KV cache both
// keep: measured 2.9e-5 worst relative (AMD EPYC, 2026-12-05). On the F16
// file llama.cpp rounds each matmul's activations to f16 (2^-11), which
// moves its sums by up to 1.3e-3 on that CPU (less on others): that is the
// reference's error, not the collection's, so the test leaves it out.
// Each tool reads the other's file: loom's reader on llama-imatrix's GGUF and
// legacy .dat (the same weights), llama-quantize --imatrix on loom's.
#include "gguf_compare.h"
#include "quantize/imatrix_file.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

namespace {

using quant_test::open_gguf;

constexpr double kSumTolerance = 2e-4;   // relative, per value

std::string text_path() { return testdata::source_path("parity/perplexity_text.txt"); }

std::string tiny_model() {
    if (!testdata::ref_available()) testdata::exit_missing("the reference (../shared/ref)");
    std::string in = testdata::synthetic_model("tiny", 1, -32);
    REQUIRE(!in.empty());
    return in;
}

void run_ok(const std::string &cmd) {
    int status = -1;
    std::string log = testdata::capture(cmd + " 2>&1", &status);
    INFO(cmd << "\n" << log);
    REQUIRE(status == 0);
}

std::string run_llama_imatrix(const std::string &model, const std::string &out, const std::string &opts) {
    run_ok("'" + testdata::ref_dir() + "/tools' llama-imatrix -m '" + model + "' -f '" + text_path() + "' -o '" + out +
           "' -c 128 -t 2 " + opts);
    return out;
}

std::string run_loom_imatrix(const std::string &model, const std::string &out) {
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe != nullptr);
    run_ok(std::string(exe) + " imatrix -m '" + model + "' -f '" + text_path() + "' -o '" + out + "' -c 128 -t 2");
    return out;
}

loom::Imatrix read_imatrix(const std::string &path) {
    loom::Imatrix m;
    loom::Status s = loom::imatrix_read(path, &m);
    INFO(path << ": " << s.message());
    REQUIRE(s.is_ok());
    return m;
}

// Each tool's files, made once per run.
struct Files {
    std::string model, ref, got;
};
const Files &files() {
    static Files f = [] {
        Files x;
        x.model = tiny_model();
        x.ref = run_llama_imatrix(x.model, testdata::scratch_dir() + "/imatrix-llama.gguf", "");
        x.got = run_loom_imatrix(x.model, testdata::scratch_dir() + "/imatrix-loom.gguf");
        return x;
    }();
    return f;
}

} // namespace

TEST_CASE("loom imatrix writes llama-imatrix's metadata and tensor table", "[imatrix][tools]") {
    auto ref = open_gguf(files().ref), got = open_gguf(files().got);
    REQUIRE(got->kvs().size() == ref->kvs().size());
    for (size_t i = 0; i < ref->kvs().size(); ++i) {
        INFO("key " << ref->kvs()[i].key);
        CHECK(quant_test::same_kv(got->kvs()[i], ref->kvs()[i]));
    }
    REQUIRE(got->tensors().size() == ref->tensors().size());
    for (size_t i = 0; i < ref->tensors().size(); ++i) {
        const loom::GgufTensor &r = ref->tensors()[i], &g = got->tensors()[i];
        INFO("tensor " << i << " " << r.name);
        CHECK(g.name == r.name);
        CHECK(g.type == r.type);
        CHECK(g.n_dims == r.n_dims);
        CHECK(std::memcmp(g.ne, r.ne, sizeof r.ne) == 0);
        CHECK(g.offset == r.offset);
    }
}

TEST_CASE("loom imatrix sums equal llama-imatrix's within float tolerance", "[imatrix][tools]") {
    const loom::Imatrix ref = read_imatrix(files().ref), got = read_imatrix(files().got);
    REQUIRE(got.entries.size() == ref.entries.size());
    REQUIRE(ref.entries.size() == 7 * 2);   // the tiny preset's 2 layers of 7 matrices, no output.weight
    double worst = 0.0;
    for (const auto &[name, r] : ref.entries) {
        INFO("entry " << name);
        auto it = got.entries.find(name);
        REQUIRE(it != got.entries.end());
        const loom::ImatrixEntry &g = it->second;
        CHECK(g.counts == r.counts);
        REQUIRE(g.sums.size() == r.sums.size());
        for (size_t j = 0; j < r.sums.size(); ++j) {
            const double rel = std::fabs(double(g.sums[j]) - r.sums[j]) / std::max(1e-30, std::fabs(double(r.sums[j])));
            worst = std::max(worst, rel);
        }
    }
    INFO("worst relative difference " << worst);
    CHECK(worst <= kSumTolerance);
    CHECK(got.chunk_count == 8);
}

TEST_CASE("llama-imatrix's legacy .dat reads as the same weights as its GGUF", "[imatrix][tools]") {
    const std::string dat =
        run_llama_imatrix(files().model, testdata::scratch_dir() + "/imatrix-llama.dat", "--output-format dat");
    const loom::Imatrix legacy = read_imatrix(dat), gguf = read_imatrix(files().ref);
    CHECK(legacy.legacy);
    CHECK(legacy.chunk_count == 8);
    REQUIRE(legacy.datasets.size() == 1);
    CHECK(legacy.datasets[0] == text_path());
    std::map<std::string, std::vector<float>> wl, wg;
    REQUIRE(loom::imatrix_weights(legacy, &wl).is_ok());
    REQUIRE(loom::imatrix_weights(gguf, &wg).is_ok());
    REQUIRE(wl.size() == wg.size());
    for (const auto &[name, w] : wg) {
        INFO("entry " << name);
        REQUIRE(wl[name].size() == w.size());
        for (size_t j = 0; j < w.size(); ++j) CHECK(std::fabs(wl[name][j] - w[j]) <= 1e-6f * std::fabs(w[j]));
    }
}

TEST_CASE("llama-quantize --imatrix accepts loom's importance matrix", "[imatrix][tools]") {
    const std::string out = testdata::scratch_dir() + "/imatrix-quant-llama.gguf";
    run_ok("'" + testdata::ref_dir() + "/tools' llama-quantize --imatrix '" + files().got + "' '" + files().model +
           "' '" + out + "' Q4_K_M 2");
    auto q = open_gguf(out);
    int64_t entries = 0, chunks = 0;
    REQUIRE(q->get_int("quantize.imatrix.entries_count", &entries).is_ok());
    REQUIRE(q->get_int("quantize.imatrix.chunks_count", &chunks).is_ok());
    CHECK(entries == 14);
    CHECK(chunks == 8);
    std::remove(out.c_str());
}
