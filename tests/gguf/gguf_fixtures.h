// Shared small GGUF files for the gguf tests.
#pragma once

#include "gguf_builder.h"

#include "gguf/gguf.h"

#include <memory>
#include <string>
#include <vector>

namespace gguf_test {

// Bytes of a Q8_0 block (f16 scale, 32 x i8) and a Q4_0 block (f16 scale, 16 bytes of nibbles).
inline std::vector<uint8_t> q8_0_block(uint16_t scale_f16, int8_t first) {
    std::vector<uint8_t> b(34);
    std::memcpy(b.data(), &scale_f16, 2);
    for (int i = 0; i < 32; ++i) b[2 + i] = static_cast<uint8_t>(static_cast<int8_t>(first + i));
    return b;
}

// A small valid file: every scalar type, a string, arrays of several element
// types, and F32 / F16 / Q8_0 tensors (2-D and 3-D), 64-byte alignment.
inline GgufBuilder valid_builder(uint32_t version = 3) {
    GgufBuilder b;
    b.version = version;
    b.alignment = 64;
    b.scalar<uint32_t>("general.alignment", kU32, 64)
        .string("general.architecture", "qwen2")
        .scalar<uint8_t>("test.u8", kU8, 200)
        .scalar<int8_t>("test.i8", kI8, -100)
        .scalar<uint16_t>("test.u16", kU16, 60000)
        .scalar<int16_t>("test.i16", kI16, -30000)
        .scalar<uint32_t>("test.u32", kU32, 4000000000u)
        .scalar<int32_t>("test.i32", kI32, -2000000000)
        .scalar<float>("test.f32", kF32, 1.5f)
        .scalar<uint8_t>("test.bool", kBool, 1)
        .scalar<uint64_t>("test.u64", kU64, 18000000000000000000ull)
        .scalar<int64_t>("test.i64", kI64, -9000000000000000000ll)
        .scalar<double>("test.f64", kF64, 0.25)
        .string("test.unicode", "h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c")
        .array<int32_t>("test.arr_i32", kI32, {1, -2, 3})
        .array<float>("test.arr_f32", kF32, {0.5f, -1.0f})
        .array<uint8_t>("test.arr_bool", kBool, {1, 0, 1})
        .string_array("test.arr_str", {"a", "", "bc"});
    std::vector<float> w(4 * 3);
    for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i) - 5.5f;
    b.f32("w.f32", w, {4, 3});
    std::vector<uint8_t> h = {0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38, 0x00, 0x00}; // f16 1, -2, 0.5, 0
    b.tensor("w.f16", {4, 1, 1}, 1, h);
    std::vector<uint8_t> q = q8_0_block(0x3c00, -16);
    std::vector<uint8_t> q2 = q8_0_block(0x3800, 3);
    q.insert(q.end(), q2.begin(), q2.end());
    b.tensor("w.q8_0", {32, 2}, 8, q);
    return b;
}

// A file opened from an exact-size heap copy (so ASan sees any read past its end).
struct Opened {
    std::unique_ptr<uint8_t[]> bytes;
    std::unique_ptr<loom::GgufFile> file;
    loom::Status status;
    bool format_error() const { return status.code() == LOOM_ERR_FORMAT; }
};

inline Opened open_bytes(const uint8_t *data, size_t size) {
    Opened o;
    o.bytes.reset(new uint8_t[size ? size : 1]);
    if (size) std::memcpy(o.bytes.get(), data, size);
    o.status = loom::GgufFile::open_memory(o.bytes.get(), size, false, &o.file);
    return o;
}

inline Opened open_bytes(const std::vector<uint8_t> &v) { return open_bytes(v.data(), v.size()); }

} // namespace gguf_test
