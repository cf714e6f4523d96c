// The state format's guards (lib/context/state.cpp): a state carries and
// checks everything that sizes it (embeddings included), a checksum over its
// body rejects corruption, and nothing may follow it. Every rejected load
// leaves the context as it was.
#include "model_fixture.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include "common/xxhash_inline.h"

namespace {

using fixture::decode;

fixture::Model &model() {
    static std::unique_ptr<fixture::Model> m = fixture::load(tinymodel::Spec{});
    REQUIRE(m->m != nullptr);
    return *m;
}

std::unique_ptr<fixture::Context> context(const fixture::Model &m, int32_t embeddings) {
    auto c = std::make_unique<fixture::Context>();
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = 32;
    p.n_batch = 32;
    p.embeddings = embeddings;
    p.n_threads = 1;
    REQUIRE(loom_context_new(m.m, &p, &c->c) == LOOM_OK);
    REQUIRE(loom_batch_new(32, &c->b) == LOOM_OK);
    return c;
}

std::vector<uint8_t> save(const fixture::Context &c) {
    size_t size = 0;
    REQUIRE(loom_state_save(c.c, nullptr, 0, &size) == LOOM_ERR_BUFFER_TOO_SMALL);
    std::vector<uint8_t> s(size);
    REQUIRE(loom_state_save(c.c, s.data(), s.size(), &size) == LOOM_OK);
    return s;
}

// A state after decoding 5 tokens with logits for every one.
std::vector<uint8_t> saved_state(int32_t embeddings) {
    fixture::Model &m = model();
    auto c = context(m, embeddings);
    REQUIRE(!decode(*c, m, fixture::tokens(5, m.n_vocab(), 3)).empty());
    return save(*c);
}

int32_t pos_max(const fixture::Context &c) {
    int32_t p = -2;
    REQUIRE(loom_kv_seq_pos_max(c.c, 0, &p) == LOOM_OK);
    return p;
}

// Header layout: magic[8], u32 version, u64 body size, u64 XXH3-64 of the body.
constexpr size_t kSizeAt = 12, kSumAt = 20, kBodyAt = 28;

// Rewrites the body size and checksum so only the content check can catch a crafted change.
void reseal(std::vector<uint8_t> &s) {
    const uint64_t body = s.size() - kBodyAt, sum = XXH3_64bits(s.data() + kBodyAt, body);
    std::memcpy(s.data() + kSizeAt, &body, 8);
    std::memcpy(s.data() + kSumAt, &sum, 8);
}

std::string last_error() { return loom_last_error(); }

} // namespace

TEST_CASE("state_with_embeddings_round_trips_them", "[state]") {
    fixture::Model &m = model();
    auto a = context(m, 1);
    REQUIRE(!decode(*a, m, {4, 5, 6}).empty());
    const float *ea = nullptr;
    REQUIRE(loom_get_embeddings(a->c, 2, &ea) == LOOM_OK);
    const std::vector<float> want(ea, ea + loom_model_n_embd(m.m));
    auto b = context(m, 1);
    const std::vector<uint8_t> s = save(*a);
    REQUIRE(loom_state_load(b->c, s.data(), s.size()) == LOOM_OK);
    const float *eb = nullptr;
    REQUIRE(loom_get_embeddings(b->c, 2, &eb) == LOOM_OK);
    CHECK(std::vector<float>(eb, eb + want.size()) == want);
}

TEST_CASE("state_saved_without_embeddings_is_rejected_by_a_context_with_embeddings", "[state]") {
    fixture::Model &m = model();
    for (int32_t saved = 0; saved < 2; saved++) {
        const std::vector<uint8_t> s = saved_state(saved);
        auto c = context(m, 1 - saved);
        CHECK(loom_state_load(c->c, s.data(), s.size()) == LOOM_ERR_FORMAT);
        CHECK(last_error().find("embeddings") != std::string::npos);
        const float *e = nullptr;
        CHECK(loom_get_embeddings(c->c, -1, &e) != LOOM_OK);   // no outputs came with the failed load
        CHECK(pos_max(*c) == -1);
    }
}

TEST_CASE("state_with_a_short_embeddings_array_is_rejected", "[state]") {
    fixture::Model &m = model();
    std::vector<uint8_t> s = saved_state(1);
    s.resize(s.size() - 4 * size_t(loom_model_n_embd(m.m)));   // one output row's embeddings short
    reseal(s);
    auto c = context(m, 1);
    CHECK(loom_state_load(c->c, s.data(), s.size()) == LOOM_ERR_FORMAT);
    CHECK(last_error().find("embeddings") != std::string::npos);
    CHECK(pos_max(*c) == -1);
}

TEST_CASE("state_with_output_rows_out_of_order_is_rejected", "[state]") {
    fixture::Model &m = model();
    std::vector<uint8_t> s = saved_state(0);
    auto c = context(m, 0);
    REQUIRE(loom_state_load(c->c, s.data(), s.size()) == LOOM_OK);
    // Outputs: u32 n_entries (5), i32 entry_row[5], i32 last, u32 n_out, logits.
    const size_t logits_bytes = 5 * size_t(m.n_vocab()) * 4, rows_at = s.size() - logits_bytes - 4 - 4 - 5 * 4;
    int32_t row = 0;
    std::memcpy(&row, s.data() + rows_at + 4, 4);
    REQUIRE(row == 1);
    row = 4;   // entry 1 claims the last row
    std::memcpy(s.data() + rows_at + 4, &row, 4);
    reseal(s);
    auto d = context(m, 0);
    CHECK(loom_state_load(d->c, s.data(), s.size()) == LOOM_ERR_FORMAT);
    CHECK(pos_max(*d) == -1);
}

TEST_CASE("state_with_trailing_bytes_is_rejected", "[state]") {
    fixture::Model &m = model();
    std::vector<uint8_t> s = saved_state(0);
    s.push_back(0);
    auto c = context(m, 0);
    CHECK(loom_state_load(c->c, s.data(), s.size()) == LOOM_ERR_FORMAT);
    CHECK(last_error().find("after the end") != std::string::npos);
    reseal(s);   // the byte counted in the body: the body must end with the outputs
    CHECK(loom_state_load(c->c, s.data(), s.size()) == LOOM_ERR_FORMAT);
    CHECK(pos_max(*c) == -1);
}

TEST_CASE("state_with_any_flipped_bit_is_rejected", "[state]") {
    fixture::Model &m = model();
    const std::vector<uint8_t> s = saved_state(0);
    auto c = context(m, 0);
    std::mt19937_64 rng(15);
    int accepted = 0;
    for (int i = 0; i < 2000; i++) {
        std::vector<uint8_t> bad = s;
        const size_t bit = size_t(rng() % (bad.size() * 8));
        bad[bit / 8] ^= uint8_t(1u << (bit % 8));
        if (loom_state_load(c->c, bad.data(), bad.size()) != LOOM_ERR_FORMAT) accepted++;
    }
    CHECK(accepted == 0);
    CHECK(pos_max(*c) == -1);
    REQUIRE(loom_state_load(c->c, s.data(), s.size()) == LOOM_OK);   // the intact state still loads
    CHECK(pos_max(*c) == 4);
}
