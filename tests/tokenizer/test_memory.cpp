// Peak heap memory of loom_tokenize against the bound loom.h states: the
// work space is a constant plus 12 bytes per output token, plus, for a
// pre-tokenizer word longer than a block, kLongWordBytesPerByte bytes per
// byte of that word. Counted by replacing the global operator new/delete in
// this executable (the library's containers allocate through them).
#include "corpus.h"
#include "loom.h"
#include "testdata.h"
#include "tok_support.h"

#include <catch2/catch.hpp>

#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

namespace {

// The allocator's own size of a block (glibc: malloc_usable_size; MSVCRT: _msize).
size_t block_size(void *p) {
#ifdef _WIN32
    return _msize(p);
#else
    return malloc_usable_size(p);
#endif
}

std::atomic<size_t> g_now{0}, g_peak{0};

void *counted_alloc(size_t n) {
    void *p = std::malloc(n ? n : 1);
    if (!p) throw std::bad_alloc();
    size_t now = g_now += block_size(p);
    for (size_t peak = g_peak.load(); now > peak && !g_peak.compare_exchange_weak(peak, now);) {}
    return p;
}

void counted_free(void *p) {
    if (!p) return;
    g_now -= block_size(p);
    std::free(p);
}

} // namespace

void *operator new(size_t n) { return counted_alloc(n); }
void *operator new[](size_t n) { return counted_alloc(n); }
void *operator new(size_t n, const std::nothrow_t &) noexcept {
    try { return counted_alloc(n); } catch (...) { return nullptr; }
}
void *operator new[](size_t n, const std::nothrow_t &) noexcept {
    try { return counted_alloc(n); } catch (...) { return nullptr; }
}
void operator delete(void *p) noexcept { counted_free(p); }
void operator delete[](void *p) noexcept { counted_free(p); }
void operator delete(void *p, size_t) noexcept { counted_free(p); }
void operator delete[](void *p, size_t) noexcept { counted_free(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { counted_free(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { counted_free(p); }

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kScale = 4;  // the ASan suite: a fifth of the text, the same bound per byte
#else
constexpr size_t kScale = 20;
#endif

// The bound's constants, as loom.h states them.
constexpr size_t kWorkBytes = size_t(8) << 20;
constexpr size_t kBytesPerToken = 12;
constexpr size_t kLongWordBytesPerByte = 32;

const loom_model *model() { return toktest::vocab_model(); }

struct Measured {
    size_t tokens, peak_growth;
    double seconds;
};

// loom_tokenize sizing call (capacity 0): the library holds every id itself.
Measured measure(const std::string &text, int32_t flags) {
    model();
    size_t base = g_now.load();
    g_peak = base;
    size_t n = 0;
    auto t0 = std::chrono::steady_clock::now();
    loom_status st = loom_tokenize(model(), text.data(), text.size(), flags, nullptr, 0, &n);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE((st == LOOM_OK || st == LOOM_ERR_BUFFER_TOO_SMALL));
    return {n, g_peak.load() - base, secs};
}

std::string varied_text(size_t bytes) {
    toktest::CorpusOptions o;
    o.seed = 99;
    o.count = 20000;
    std::vector<std::string> corpus = toktest::random_corpus(o);
    std::string text;
    text.reserve(bytes + 4096);
    for (size_t i = 0; text.size() < bytes; ++i) text += corpus[i % corpus.size()];
    return text;
}

} // namespace

TEST_CASE("tokenize_work_space_is_constant_plus_ids_on_20_mib_of_text") {
    std::string text = varied_text(kScale << 20);
    for (int32_t flags : {0, LOOM_TOKENIZE_PARSE_SPECIAL | LOOM_TOKENIZE_NO_NFC}) {
        Measured m = measure(text, flags);
        INFO("flags " << flags << ": " << text.size() << " bytes, " << m.tokens << " tokens, peak growth " << m.peak_growth
                      << " bytes (" << double(m.peak_growth) / double(text.size()) << " per input byte), " << m.seconds << " s");
        CHECK(m.tokens > text.size() / 8);
        CHECK(m.peak_growth <= kWorkBytes + kBytesPerToken * m.tokens);
        WARN("flags " << flags << ": peak growth " << double(m.peak_growth) / double(text.size()) << " bytes per input byte, "
                      << double(text.size()) / m.seconds / 1e6 << " MB/s");
    }
}

TEST_CASE("tokenize_work_space_on_long_runs_of_one_character") {
    // One pre-tokenizer word each (letters, punctuation, whitespace), and
    // half a million one-digit words.
    const size_t len = kScale << 18;  // 5 MiB (1 MiB under ASan)
    for (char c : {'a', '!', ' ', '7'}) {
        std::string text(len, c);
        Measured m = measure(text, 0);
        INFO("run of '" << c << "': " << m.tokens << " tokens, peak growth " << m.peak_growth << " bytes ("
                        << double(m.peak_growth) / double(len) << " per byte), " << m.seconds << " s");
        CHECK(m.tokens > 0);
        CHECK(m.peak_growth <= kWorkBytes + kBytesPerToken * m.tokens + kLongWordBytesPerByte * len);
        WARN("run of '" << c << "': peak growth " << double(m.peak_growth) / double(len) << " bytes per byte, "
                        << double(len) / m.seconds / 1e6 << " MB/s");
    }
}
