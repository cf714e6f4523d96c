// Hostile GGUF files: every one must fail with LOOM_ERR_FORMAT and a message
// naming what and where, never crash, hang or allocate without bound. Run
// under ASan/UBSan in CI (the buffers are exact-size heap copies).
#include "gguf_fixtures.h"

#include <catch2/catch.hpp>

#include <random>

using namespace gguf_test;

namespace {

// Opens `bytes`; requires FORMAT and every `needle` in the message.
void expect_format(const std::vector<uint8_t> &bytes, std::initializer_list<const char *> needles) {
    Opened o = open_bytes(bytes);
    INFO("message: " << o.status.message());
    REQUIRE(o.status.code() == LOOM_ERR_FORMAT);
    CHECK(o.file == nullptr);
    for (const char *n : needles) CHECK(o.status.message().find(n) != std::string::npos);
}

std::string offset_text(size_t at) { return "offset " + std::to_string(at); }

// A file with one F32 tensor whose fields the test then edits.
GgufBuilder one_tensor() {
    GgufBuilder b;
    b.string("general.name", "t").f32("w", {1, 2, 3, 4, 5, 6, 7, 8});
    return b;
}

} // namespace

TEST_CASE("rejects_every_prefix_of_a_valid_file", "[gguf][malformed]") {
    for (uint32_t version : {2u, 3u}) {
        std::vector<uint8_t> file = valid_builder(version).build();
        REQUIRE(open_bytes(file).status.is_ok());
        for (size_t n = 0; n < file.size(); ++n) {
            Opened o = open_bytes(file.data(), n);
            if (o.status.code() != LOOM_ERR_FORMAT) FAIL("prefix of " << n << " bytes: " << o.status.message());
        }
    }
}

TEST_CASE("random_byte_flips_never_crash_and_accepted_files_stay_in_bounds", "[gguf][malformed]") {
    std::vector<uint8_t> file = valid_builder().build();
    std::mt19937 rng(20261122);
    size_t accepted = 0;
    for (int iter = 0; iter < 10000; ++iter) {
        std::vector<uint8_t> m = file;
        int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k) {
            size_t at = rng() % m.size();
            m[at] = (rng() % 2) ? static_cast<uint8_t>(rng()) : static_cast<uint8_t>(m[at] ^ (1u << (rng() % 8)));
        }
        Opened o = open_bytes(m);
        if (!o.status.is_ok()) {
            if (o.status.code() != LOOM_ERR_FORMAT) FAIL("iteration " << iter << ": " << o.status.message());
            continue;
        }
        ++accepted;
        const uint8_t *begin = o.file->bytes(), *end = begin + o.file->size();
        for (const loom::GgufTensor &t : o.file->tensors()) {
            REQUIRE(t.data >= begin);
            REQUIRE(t.nbytes <= static_cast<size_t>(end - t.data));
        }
    }
    CHECK(accepted > 0); // flips inside tensor data or values leave valid files
}

TEST_CASE("rejects_bad_magic", "[gguf][malformed]") {
    std::vector<uint8_t> f = one_tensor().build();
    f[0] = 'X';
    expect_format(f, {"magic", "offset 0"});
}

TEST_CASE("rejects_version_1_with_clear_message", "[gguf][malformed]") {
    GgufBuilder b = one_tensor();
    b.version = 1;
    expect_format(b.build(), {"version 1", "not supported"});
}

TEST_CASE("rejects_unknown_versions", "[gguf][malformed]") {
    for (uint32_t v : {0u, 4u, 0xFFFFFFFFu}) {
        GgufBuilder b = one_tensor();
        b.version = v;
        expect_format(b.build(), {"version", "offset 4"});
    }
}

TEST_CASE("rejects_big_endian_file", "[gguf][malformed]") {
    GgufBuilder b = one_tensor();
    b.version = __builtin_bswap32(3u);
    expect_format(b.build(), {"big-endian"});
}

TEST_CASE("rejects_tensor_count_overflow", "[gguf][malformed]") {
    for (uint64_t n : {~uint64_t(0), uint64_t(1) << 62, uint64_t(1) << 20 | 1, uint64_t(1000)}) {
        GgufBuilder b = one_tensor();
        b.n_tensors_override = n;
        expect_format(b.build(), {"tensor count", "offset 8"});
    }
}

TEST_CASE("rejects_kv_count_overflow", "[gguf][malformed]") {
    for (uint64_t n : {~uint64_t(0), uint64_t(1) << 60, uint64_t(1) << 20 | 1, uint64_t(100)}) {
        GgufBuilder b = one_tensor();
        b.n_kv_override = n;
        expect_format(b.build(), {"key count", "offset 16"});
    }
}

TEST_CASE("rejects_string_length_overflow", "[gguf][malformed]") {
    Layout lay;
    std::vector<uint8_t> f = one_tensor().build(&lay);
    for (uint64_t len : {~uint64_t(0), uint64_t(1) << 63, uint64_t(1000)}) {
        std::vector<uint8_t> key = f, value = f, name = f;
        poke<uint64_t>(key, lay.kv_at[0], len);
        expect_format(key, {"metadata key", offset_text(lay.kv_at[0]).c_str()});
        poke<uint64_t>(value, lay.kv_type_at[0] + 4, len); // the string value's length
        expect_format(value, {"string value", offset_text(lay.kv_type_at[0] + 4).c_str()});
        poke<uint64_t>(name, lay.tensor_at[0], len);
        expect_format(name, {"tensor name", offset_text(lay.tensor_at[0]).c_str()});
    }
}

TEST_CASE("rejects_key_longer_than_the_spec_limit", "[gguf][malformed]") {
    GgufBuilder b;
    b.string(std::string(65536, 'k'), "v");
    expect_format(b.build(), {"limit of 65535"});
}

TEST_CASE("rejects_array_count_overflow", "[gguf][malformed]") {
    // 2^61 + 1 u64 elements: count * 8 wraps to 8 in 64 bits.
    for (uint64_t count : {~uint64_t(0), (uint64_t(1) << 61) + 1, uint64_t(1) << 24 | 1, uint64_t(3)}) {
        GgufBuilder b;
        b.pad_when_no_tensors = false; // no zero padding for the bad count to feed on
        b.array<uint64_t>("a", kU64, {1, 2});
        Layout lay;
        std::vector<uint8_t> f = b.build(&lay);
        poke<uint64_t>(f, lay.kv_type_at[0] + 8, count);
        expect_format(f, {"key 'a'", "array count"});
    }
    GgufBuilder s; // strings: each element needs at least its 8-byte length
    s.pad_when_no_tensors = false;
    s.string_array("s", {"x"});
    Layout lay;
    std::vector<uint8_t> f = s.build(&lay);
    poke<uint64_t>(f, lay.kv_type_at[0] + 8, 3);
    expect_format(f, {"key 's'", "array count 3"});
}

TEST_CASE("rejects_nested_arrays", "[gguf][malformed]") {
    GgufBuilder b;
    Bytes inner;
    inner.put<uint32_t>(kArray);
    inner.put<uint64_t>(1);
    inner.put<uint32_t>(kU8);
    inner.put<uint64_t>(1);
    inner.put<uint8_t>(7);
    b.raw("nested", kArray, inner.v);
    expect_format(b.build(), {"key 'nested'", "array of arrays"});
}

TEST_CASE("rejects_unknown_value_types", "[gguf][malformed]") {
    GgufBuilder b;
    b.raw("weird", 13, {0, 0, 0, 0});
    Layout lay;
    std::vector<uint8_t> f = b.build(&lay);
    expect_format(f, {"key 'weird'", "unknown value type 13", offset_text(lay.kv_type_at[0]).c_str()});
    GgufBuilder a;
    Bytes arr;
    arr.put<uint32_t>(0xFFFFFFFFu);
    arr.put<uint64_t>(0);
    a.raw("weird_array", kArray, arr.v);
    expect_format(a.build(), {"key 'weird_array'", "unknown array element type 4294967295"});
}

TEST_CASE("rejects_bool_values_other_than_0_and_1", "[gguf][malformed]") {
    GgufBuilder b;
    b.scalar<uint8_t>("flag", kBool, 2);
    expect_format(b.build(), {"key 'flag'", "bool value 2"});
    GgufBuilder a;
    a.array<uint8_t>("flags", kBool, {0, 1, 7});
    expect_format(a.build(), {"key 'flags'", "element 2"});
}

TEST_CASE("rejects_empty_invalid_utf8_and_nul_keys", "[gguf][malformed]") {
    const std::string bad[] = {"", "ab\xff", "\xc0\xaf", "\xed\xa0\x80", std::string("a\0b", 3), "\xe4\xb8"};
    for (const std::string &key : bad) {
        GgufBuilder b;
        b.scalar<uint32_t>(key, kU32, 1);
        expect_format(b.build(), {"key", "offset 24"});
    }
}

TEST_CASE("rejects_duplicate_keys", "[gguf][malformed]") {
    GgufBuilder b;
    b.scalar<uint32_t>("general.x", kU32, 1).string("general.y", "a").scalar<uint32_t>("general.x", kU32, 2);
    Layout lay;
    std::vector<uint8_t> f = b.build(&lay);
    expect_format(f, {"duplicate metadata key 'general.x'", offset_text(lay.kv_at[2]).c_str()});
}

TEST_CASE("rejects_bad_general_alignment", "[gguf][malformed]") {
    for (uint32_t a : {0u, 3u, 48u, 1u << 21, 0x80000000u}) {
        GgufBuilder b = one_tensor();
        b.scalar<uint32_t>("general.alignment", kU32, a);
        expect_format(b.build(), {("general.alignment is " + std::to_string(a)).c_str(), "power of two"});
    }
    GgufBuilder wrong_type = one_tensor();
    wrong_type.scalar<uint64_t>("general.alignment", kU64, 32);
    expect_format(wrong_type.build(), {"general.alignment has type u64", "must be u32"});
}

TEST_CASE("rejects_n_dims_outside_1_to_4", "[gguf][malformed]") {
    for (uint32_t nd : {0u, 5u, 0xFFFFFFFFu}) {
        GgufBuilder b = one_tensor();
        b.tensors[0].n_dims = nd;
        Layout lay;
        std::vector<uint8_t> f = b.build(&lay);
        expect_format(f, {"tensor 'w'", "n_dims", offset_text(lay.tensor_ndims_at[0]).c_str()});
    }
}

TEST_CASE("rejects_zero_and_negative_extents", "[gguf][malformed]") {
    for (uint64_t ne : {uint64_t(0), uint64_t(1) << 63, ~uint64_t(0)}) {
        GgufBuilder b = one_tensor();
        b.tensors[0].ne = {8, ne};
        Layout lay;
        std::vector<uint8_t> f = b.build(&lay);
        expect_format(f, {"tensor 'w'", "ne[1]", offset_text(lay.tensor_ne_at[0] + 8).c_str()});
    }
}

TEST_CASE("rejects_element_count_overflow", "[gguf][malformed]") {
    GgufBuilder b = one_tensor();
    b.tensors[0].ne = {uint64_t(1) << 32, uint64_t(1) << 32};
    expect_format(b.build(), {"tensor 'w'", "element count overflows"});
    GgufBuilder c = one_tensor();
    c.tensors[0].ne = {2, 2, uint64_t(1) << 31, uint64_t(1) << 31};
    expect_format(c.build(), {"tensor 'w'", "ne[3]"});
}

TEST_CASE("rejects_tensor_byte_size_overflow", "[gguf][malformed]") {
    // 4 x 2^60 f32 values: 2^62 elements fit int64, 2^64 bytes do not fit size_t.
    GgufBuilder b = one_tensor();
    b.tensors[0].ne = {4, uint64_t(1) << 60};
    expect_format(b.build(), {"tensor 'w'", "overflows"});
    // One row too large on its own.
    GgufBuilder r = one_tensor();
    r.tensors[0].ne = {uint64_t(1) << 62};
    expect_format(r.build(), {"tensor 'w'"});
}

TEST_CASE("rejects_row_length_not_a_multiple_of_the_block_size", "[gguf][malformed]") {
    GgufBuilder b;
    b.tensor("q", {33, 1}, LOOM_TYPE_Q8_0, std::vector<uint8_t>(68));
    expect_format(b.build(), {"tensor 'q'", "Q8_0", "ne[0] = 33"});
}

TEST_CASE("rejects_interleaved_tensor_with_a_partial_row_group", "[gguf][malformed]") {
    GgufBuilder b;
    b.tensor("q", {32, 3}, LOOM_TYPE_Q4_0_4_4, std::vector<uint8_t>(3 * 18));
    expect_format(b.build(), {"tensor 'q'", "3 rows", "row group 4"});
    GgufBuilder ok;
    ok.tensor("q", {32, 4}, LOOM_TYPE_Q4_0_4_4, std::vector<uint8_t>(4 * 18));
    CHECK(open_bytes(ok.build()).status.is_ok());
}

TEST_CASE("rejects_unknown_tensor_types", "[gguf][malformed]") {
    for (uint32_t type : {4u, 5u, 36u, 1000u, 0x80000000u, 0xFFFFFFFFu}) {
        GgufBuilder b = one_tensor();
        b.tensors[0].type = type;
        Layout lay;
        std::vector<uint8_t> f = b.build(&lay);
        expect_format(f, {"tensor 'w'", ("unknown tensor type " + std::to_string(type)).c_str(),
                          offset_text(lay.tensor_type_at[0]).c_str()});
    }
}

TEST_CASE("rejects_tensor_offset_past_end", "[gguf][malformed]") {
    for (uint64_t off : {uint64_t(1) << 40, ~uint64_t(0) - 31, uint64_t(4096)}) {
        GgufBuilder b = one_tensor();
        b.tensors[0].offset = off;
        Layout lay;
        std::vector<uint8_t> f = b.build(&lay);
        f.resize(lay.data_offset + 32); // the tensor's 32 bytes somewhere, not at `off`
        expect_format(f, {"tensor 'w'", "past the end", offset_text(lay.tensor_at[0]).c_str()});
    }
}

TEST_CASE("rejects_tensor_data_running_past_end", "[gguf][malformed]") {
    std::vector<uint8_t> f = one_tensor().build();
    f.pop_back();
    expect_format(f, {"tensor 'w'", "past the end"});
}

TEST_CASE("rejects_data_section_starting_past_end", "[gguf][malformed]") {
    Layout lay;
    std::vector<uint8_t> f = one_tensor().build(&lay);
    size_t table_end = lay.tensor_offset_at[0] + 8;
    REQUIRE(table_end % 32 != 0);
    f.resize(table_end); // ends right after the tensor table, before the padding
    expect_format(f, {"data section starts at", "past the end"});
}

TEST_CASE("rejects_misaligned_tensor_offsets", "[gguf][malformed]") {
    GgufBuilder b = one_tensor();
    b.f32("v", {1, 2});
    b.tensors[1].offset = 36; // after w's 32 bytes, but not a multiple of 32
    expect_format(b.build(), {"tensor 'v'", "not a multiple of the alignment 32"});
}

TEST_CASE("rejects_overlapping_tensors", "[gguf][malformed]") {
    GgufBuilder b = one_tensor();
    b.f32("v", std::vector<float>(16, 1.0f));
    b.f32("u", {1, 2});
    b.tensors[1].offset = 64;
    b.tensors[2].offset = 96; // inside v's [64, 128)
    expect_format(b.build(), {"tensor 'v'", "overlaps tensor 'u'"});
    GgufBuilder same = one_tensor();
    same.f32("v", {1});
    same.tensors[1].offset = 0;
    expect_format(same.build(), {"overlaps"});
}

TEST_CASE("rejects_duplicate_tensor_names", "[gguf][malformed]") {
    GgufBuilder b = one_tensor();
    b.f32("w", {1, 2});
    Layout lay;
    std::vector<uint8_t> f = b.build(&lay);
    expect_format(f, {"duplicate tensor name 'w'", offset_text(lay.tensor_at[1]).c_str()});
}

TEST_CASE("rejects_empty_and_invalid_utf8_tensor_names", "[gguf][malformed]") {
    for (const std::string &name : {std::string(), std::string("w\xfe"), std::string("a\0b", 3)}) {
        GgufBuilder b = one_tensor();
        b.tensors[0].name = name;
        expect_format(b.build(), {"tensor name"});
    }
    GgufBuilder b = one_tensor();
    b.tensors[0].name = std::string(1025, 'n');
    expect_format(b.build(), {"tensor name", "limit of 1024"});
}
