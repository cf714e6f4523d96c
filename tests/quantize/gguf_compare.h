// Opening a GGUF file with the reader and comparing metadata values, for the
// quantization tests.
#pragma once

#include "gguf/gguf.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

namespace quant_test {

inline std::unique_ptr<loom::GgufFile> open_gguf(const std::string &path) {
    std::unique_ptr<loom::GgufFile> f;
    loom::Status s = loom::GgufFile::open_file(path, loom::GgufOpenOptions{}, &f);
    INFO(path << ": " << s.message());
    REQUIRE(s.is_ok());
    return f;
}

// Same key, type and value (widened scalars, strings, array elements).
inline bool same_kv(const loom::GgufKV &a, const loom::GgufKV &b) {
    return a.key == b.key && a.type == b.type && a.u64 == b.u64 && a.f64 == b.f64 && a.str == b.str &&
           a.array_type == b.array_type && a.array_count == b.array_count && a.array_raw == b.array_raw &&
           a.array_strings == b.array_strings;
}

} // namespace quant_test
