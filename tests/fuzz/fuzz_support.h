// Shared pieces of the libFuzzer targets (tests/fuzz/README.md): a byte
// reader over the fuzz input, and the models the targets run on, built once
// per process (a tiny random-weight model from tests/model/tiny_model, and the
// Qwen2 vocabulary of ../shared/ref when LOOM_FUZZ_VOCAB names it).
// A target's only failure is a crash or a sanitizer report; FUZZ_ASSERT turns
// a broken contract into one.
#pragma once

#include "loom.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) __builtin_trap();                                                             \
    } while (0)

namespace fuzz {

// Takes values off the front of the input; zeros once it runs out.
class Bytes {
public:
    Bytes(const uint8_t *data, size_t size) : p_(data), end_(data + size) {}
    size_t left() const { return size_t(end_ - p_); }
    template <typename T> T take() {
        T v{};
        size_t n = left() < sizeof v ? left() : sizeof v;
        if (n) std::memcpy(&v, p_, n);   // p_ may be NULL for an empty input
        p_ += n;
        return v;
    }
    std::string take_string(size_t max) {
        size_t n = take<uint8_t>() % (max + 1);
        if (n > left()) n = left();
        std::string s(reinterpret_cast<const char *>(p_), n);
        p_ += n;
        return s;
    }
    std::string rest() {
        std::string s(reinterpret_cast<const char *>(p_), left());
        p_ = end_;
        return s;
    }

private:
    const uint8_t *p_, *end_;
};

// The tiny random-weight qwen2 model (no tokenizer), loaded on the CPU backend.
const loom_model *tiny_model();
// A model with the real Qwen2 vocabulary (vocab-only), or the byte-level
// tiny vocabulary when LOOM_FUZZ_VOCAB is unset or unreadable.
const loom_model *vocab_model();

} // namespace fuzz
