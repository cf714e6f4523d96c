// A context's memory: what it needs is compared with what the machine can
// give before anything is allocated (OUT_OF_MEMORY naming the numbers, never
// the OOM killer); the KV cache is not touched before it is used, and the
// mask grows with the decodes instead of being n_batch x n_ctx up front.
#include "model_fixture.h"
#include "reference_forward.h"

#include "context/kv_cache.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#ifndef _WIN32
#include <unistd.h>
#endif

namespace {

std::unique_ptr<fixture::Model> &model() {
    static std::unique_ptr<fixture::Model> m = fixture::load(tinymodel::Spec{});
    REQUIRE(m->m != nullptr);
    return m;
}

loom_context_params params(uint32_t n_ctx, uint32_t n_batch) {
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = n_ctx;
    p.n_batch = n_batch;
    p.n_threads = 1;
    p.kv_type = LOOM_TYPE_F32;
    p.matmul_precision = LOOM_MATMUL_EXACT;
    return p;
}

// Resident set size in bytes (Linux /proc), 0 if unknown (then the
// residency check is not made: Windows).
uint64_t rss_bytes() {
#ifdef _WIN32
    return 0;
#else
    FILE *f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long long size = 0, resident = 0;
    const int n = std::fscanf(f, "%llu %llu", &size, &resident);
    std::fclose(f);
    return n == 2 ? resident * uint64_t(sysconf(_SC_PAGESIZE)) : 0;
#endif
}

} // namespace

TEST_CASE("context_larger_than_the_machine_fails_with_out_of_memory_naming_the_sizes", "[context][memory]") {
    tinymodel::Spec s;
    s.n_layer = 64;   // KV: 2 x 64 layers x 2^24 cells x 32 f32 = 256 GiB
    auto m = fixture::load(s);
    REQUIRE(m->m != nullptr);
    loom_context_params p = params(1u << 24, 1u << 24);
    loom_context *c = nullptr;
    CHECK(loom_context_new(m->m, &p, &c) == LOOM_ERR_OUT_OF_MEMORY);
    CHECK(c == nullptr);
    const std::string msg = loom_last_error();
    CHECK(msg.find("KV cache 2") != std::string::npos);   // 262144 MiB of rows + the tags
    CHECK(msg.find("this machine can give") != std::string::npos);
}

TEST_CASE("long_context_takes_memory_as_it_fills_not_up_front", "[context][memory]") {
    fixture::Model &m = *model();
    // 2^22 cells: 1 GiB of f32 K/V and, as one n_batch x n_ctx mask, 8 GiB more.
    loom_context_params p = params(1u << 22, 512);
    const uint64_t before = rss_bytes();
    loom_context *c = nullptr;
    REQUIRE(loom_context_new(m.m, &p, &c) == LOOM_OK);
    loom_batch *b = nullptr;
    REQUIRE(loom_batch_new(8, &b) == LOOM_OK);
    for (int32_t i = 0; i < 8; i++) REQUIRE(loom_batch_add(b, i, i, 0, i == 7) == LOOM_OK);
    REQUIRE(loom_decode(c, b) == LOOM_OK);
    const uint64_t after = rss_bytes();
    // The cells' tags (bookkeeping, written at creation) plus a little.
    if (before && after) CHECK(after - before < (uint64_t(1) << 22) * sizeof(loom::KvCell) + (uint64_t(64) << 20));
    loom_batch_free(b);
    loom_context_free(c);
}

TEST_CASE("mask_growing_across_decodes_keeps_the_logits_exact", "[context][memory]") {
    fixture::Model &m = *model();
    const std::vector<int32_t> toks = fixture::tokens(300, m.n_vocab(), 21);
    const std::vector<float> want = fixture::reference(m, toks);
    REQUIRE(!want.empty());
    loom_context_params p = params(1024, 128);
    loom_context *c = nullptr;
    REQUIRE(loom_context_new(m.m, &p, &c) == LOOM_OK);
    loom_batch *b = nullptr;
    REQUIRE(loom_batch_new(128, &b) == LOOM_OK);
    std::vector<float> got;
    // Batches of 5, 128, 1, 100, then single tokens: the mask grows in rows and
    // columns (past its first 256) between decodes.
    size_t i = 0;
    for (size_t n : {size_t(5), size_t(128), size_t(1), size_t(100)}) {
        loom_batch_clear(b);
        for (size_t j = 0; j < n; j++, i++) REQUIRE(loom_batch_add(b, toks[i], int32_t(i), 0, 1) == LOOM_OK);
        REQUIRE(loom_decode(c, b) == LOOM_OK);
        for (size_t j = 0; j < n; j++) {
            const float *row = nullptr;
            REQUIRE(loom_get_logits(c, int32_t(j), &row) == LOOM_OK);
            got.insert(got.end(), row, row + m.n_vocab());
        }
    }
    for (; i < toks.size(); i++) {
        loom_batch_clear(b);
        REQUIRE(loom_batch_add(b, toks[i], int32_t(i), 0, 1) == LOOM_OK);
        REQUIRE(loom_decode(c, b) == LOOM_OK);
        const float *row = nullptr;
        REQUIRE(loom_get_logits(c, 0, &row) == LOOM_OK);
        got.insert(got.end(), row, row + m.n_vocab());
    }
    REQUIRE(got.size() == want.size());
    CHECK(reftest::rel_rms(got, want) < 1e-5);
    loom_batch_free(b);
    loom_context_free(c);
}

TEST_CASE("cli_logits_decodes_many_ids_in_bounded_batches", "[context][memory][cli]") {
    fixture::Model &m = *model();
    const std::string dir = testdata::scratch_dir(), gguf = dir + "/memory-tiny.gguf", ids = dir + "/memory-ids.txt",
                      out = dir + "/memory-logits.f32";
    REQUIRE(testdata::write_file(gguf, m.bytes.data(), m.bytes.size()));
    const std::vector<int32_t> toks = fixture::tokens(1100, m.n_vocab(), 5);   // three batches of <= 512
    std::string text;
    for (int32_t t : toks) text += std::to_string(t) + " ";
    REQUIRE(testdata::write_file(ids, text.data(), text.size()));
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe != nullptr);
    REQUIRE(testdata::run(std::string("'") + exe + "' logits --precision exact -t 2 -m '" + gguf + "' -o '" + out +
                          "' < '" + ids + "'") == 0);
    const std::vector<float> got = testdata::read_f32(out), want = fixture::reference(m, toks);
    REQUIRE(got.size() == want.size());
    CHECK(reftest::rel_rms(got, want) < 1e-4);   // f16 KV cache (the CLI's default)
}
