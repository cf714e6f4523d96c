// Stop strings over streamed text: what is released, what is held back.
#include "chat/stop_matcher.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <string>
#include <vector>

namespace {

// The reference: the output a whole-text search gives (text before the first stop string).
std::string cut_at_first_stop(const std::string &text, const std::vector<std::string> &stops, bool *stopped) {
    size_t first = std::string::npos;
    for (const auto &s : stops) first = std::min(first, text.find(s));
    *stopped = first != std::string::npos;
    return text.substr(0, first);
}

} // namespace

TEST_CASE("stop_matcher_holds_back_a_possible_stop_prefix", "[chat]") {
    loom::StopMatcher m({"\nUser:", "###"});
    std::string out;
    CHECK_FALSE(m.push("Hello", &out));
    CHECK(out == "Hello");
    CHECK_FALSE(m.push(" world\nUs", &out));
    CHECK(out == " world");          // "\nUs" may start "\nUser:"
    CHECK_FALSE(m.push("ually", &out));
    CHECK(out == "\nUsually");       // it did not
    CHECK_FALSE(m.push(" #", &out));
    CHECK(out == " ");
    CHECK(m.push("## tail", &out));
    CHECK(out == "");                // "###" completed: nothing after it
    CHECK(m.push("more", &out));
    CHECK(out == "");
    m.flush(&out);
    CHECK(out == "");
    m.reset();
    CHECK_FALSE(m.push("#", &out));
    m.flush(&out);
    CHECK(out == "#");
}

TEST_CASE("stop_matcher_equals_whole_text_search_on_random_streams", "[chat]") {
    std::mt19937_64 rng(7);
    const std::string alphabet = "ab\n#";
    std::vector<std::string> stops = {"ab#", "\n\n", "bbb"};
    for (int trial = 0; trial < 2000; ++trial) {
        std::string text;
        for (int n = static_cast<int>(rng() % 20); n > 0; --n) text += alphabet[rng() % alphabet.size()];
        loom::StopMatcher m(stops);
        std::string emitted, piece;
        bool stopped = false;
        for (size_t at = 0; at < text.size() && !stopped;) {
            size_t len = 1 + rng() % 4;
            stopped = m.push(text.substr(at, len), &piece);
            emitted += piece;
            at += len;
        }
        if (!stopped) m.flush(&piece), emitted += piece;
        bool ref_stopped = false;
        INFO("text '" << text << "'");
        CHECK(emitted == cut_at_first_stop(text, stops, &ref_stopped));
        CHECK(stopped == ref_stopped);
    }
}

TEST_CASE("stop_matcher_push_is_linear_in_a_long_stop_string", "[chat]") {
    // A 256 KiB stop string whose near-matches made the tail search quadratic
    // (1.4 s per push before). Linear: the whole run is milliseconds; the bound
    // leaves room for sanitizer and valgrind builds.
    const size_t n = 256 * 1024;
    std::string stop(n, 'a');
    stop[n - 1] = 'b';
    loom::StopMatcher m({stop});
    const std::string almost(n - 1, 'a');
    std::string out;
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE_FALSE(m.push(almost, &out));
    CHECK(out.empty());   // all of it may still become the stop string
    for (int i = 0; i < 10; i++) {
        REQUIRE_FALSE(m.push("c", &out));
        CHECK(out.size() == almost.size() + 1);   // "c" broke the candidate: everything released
        REQUIRE_FALSE(m.push(almost, &out));
        CHECK(out.empty());
    }
    CHECK(m.push("b", &out));
    CHECK(out.empty());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(seconds < 2.0);
}
