// Stop strings over streamed text: tells how much generated text is safe to
// show while a stop string may still be forming across token boundaries.
//
// push() appends text; the bytes it releases can never become part of a stop
// string. A tail that is a proper prefix of some stop string is held back
// until later text decides it. When a stop string completes, the text before
// it is released, the stop string and everything after it are dropped, and
// the matcher stays stopped (pushes release nothing) until reset().
//
// Each stop string runs as a Knuth-Morris-Pratt automaton whose state is the
// longest tail of the text seen that is a prefix of it: a push costs
// O(pushed bytes x number of stops), whatever the stops' lengths, and the
// held tail is at most the longest stop string minus one byte.
//
// Owner: lib/chat.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace loom {

class StopMatcher {
public:
    explicit StopMatcher(std::vector<std::string> stops);

    // Appends `text`; *release gets the bytes now safe to emit. Returns true once stopped.
    bool push(std::string_view text, std::string *release);
    // End of generation: releases the held-back tail (empty when stopped).
    void flush(std::string *release);
    void reset();
    bool stopped() const { return stopped_; }

private:
    struct Stop {
        std::string text;
        std::vector<size_t> fail;   // fail[i]: longest proper border of text[0..i]
        size_t state = 0;           // bytes of text matched by the tail of the text seen
    };
    // Advances `s` by byte c; true when the whole stop string has matched.
    static bool step(Stop &s, char c);

    std::vector<Stop> stops_;
    std::string held_;
    bool stopped_ = false;
};

} // namespace loom
