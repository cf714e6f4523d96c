// The stop matcher over any stop strings and any chunking, against a
// whole-text search: what it releases before stopping is the text before the
// first stop string, and it stops exactly when one occurs.
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::Bytes in(data, size);
    std::vector<std::string> stops;
    const size_t n_stops = in.take<uint8_t>() % 4;
    for (size_t i = 0; i < n_stops; i++) {
        std::string s = in.take_string(64);
        if (!s.empty()) stops.push_back(s);
    }
    std::vector<const char *> ptrs;
    for (const std::string &s : stops) ptrs.push_back(s.c_str());   // stops end at their first NUL
    std::vector<std::string> cstops(ptrs.begin(), ptrs.end());
    loom_stop_matcher *m = nullptr;
    if (loom_stop_matcher_new(ptrs.data(), ptrs.size(), &m) != LOOM_OK) return 0;
    std::string text, released;
    int32_t stopped = 0;
    while (in.left() && !stopped) {
        std::string chunk = in.take_string(16);
        text += chunk;
        const char *rel = nullptr;
        size_t len = 0;
        FUZZ_ASSERT(loom_stop_matcher_push(m, chunk.data(), chunk.size(), &rel, &len, &stopped) == LOOM_OK);
        released.append(rel, len);
    }
    if (!stopped) {
        const char *rel = nullptr;
        size_t len = 0;
        FUZZ_ASSERT(loom_stop_matcher_flush(m, &rel, &len) == LOOM_OK);
        released.append(rel, len);
    }
    size_t first = std::string::npos;
    for (const std::string &s : cstops)
        if (!s.empty()) first = std::min(first, text.find(s));
    FUZZ_ASSERT((first != std::string::npos) == (stopped != 0));
    FUZZ_ASSERT(released == text.substr(0, first));
    loom_stop_matcher_free(m);
    return 0;
}
