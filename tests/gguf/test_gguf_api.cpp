// SECTION gguf of loom.h: handles, getters, type checks, buffers, NULLs.
#include "gguf_fixtures.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <string>

using namespace gguf_test;

namespace {

// An open handle over a valid file (the bytes are kept alive beside it).
struct Handle {
    std::vector<uint8_t> bytes = valid_builder().build();
    loom_gguf *g = nullptr;
    Handle() { REQUIRE(loom_gguf_open_memory(bytes.data(), bytes.size(), 0, &g) == LOOM_OK); }
    ~Handle() { loom_gguf_close(g); }
};

std::string last_error() { return loom_last_error(); }

} // namespace

TEST_CASE("c_api_open_close_and_file_facts", "[gguf][api]") {
    Handle h;
    CHECK(loom_gguf_version(h.g) == 3);
    CHECK(loom_gguf_alignment(h.g) == 64);
    CHECK(loom_gguf_data_offset(h.g) % 64 == 0);
    CHECK(loom_gguf_kv_count(h.g) == 18);
    CHECK(loom_gguf_tensor_count(h.g) == 3);
    CHECK(loom_gguf_version(nullptr) == 0);
    CHECK(loom_gguf_kv_count(nullptr) == 0);
    CHECK(loom_gguf_tensor_count(nullptr) == 0);
    loom_gguf_close(nullptr);
}

TEST_CASE("c_api_exact_type_getters_read_every_scalar_type", "[gguf][api]") {
    Handle h;
    uint8_t u8 = 0;
    int8_t i8 = 0;
    uint16_t u16 = 0;
    int16_t i16 = 0;
    uint32_t u32 = 0;
    int32_t i32 = 0, b = 0;
    uint64_t u64 = 0;
    int64_t i64 = 0, any = 0;
    float f32 = 0;
    double f64 = 0;
    CHECK(loom_gguf_get_u8(h.g, "test.u8", &u8) == LOOM_OK);
    CHECK(u8 == 200);
    CHECK(loom_gguf_get_i8(h.g, "test.i8", &i8) == LOOM_OK);
    CHECK(i8 == -100);
    CHECK(loom_gguf_get_u16(h.g, "test.u16", &u16) == LOOM_OK);
    CHECK(u16 == 60000);
    CHECK(loom_gguf_get_i16(h.g, "test.i16", &i16) == LOOM_OK);
    CHECK(i16 == -30000);
    CHECK(loom_gguf_get_u32(h.g, "test.u32", &u32) == LOOM_OK);
    CHECK(u32 == 4000000000u);
    CHECK(loom_gguf_get_i32(h.g, "test.i32", &i32) == LOOM_OK);
    CHECK(i32 == -2000000000);
    CHECK(loom_gguf_get_u64(h.g, "test.u64", &u64) == LOOM_OK);
    CHECK(u64 == 18000000000000000000ull);
    CHECK(loom_gguf_get_i64(h.g, "test.i64", &i64) == LOOM_OK);
    CHECK(i64 == -9000000000000000000ll);
    CHECK(loom_gguf_get_f32(h.g, "test.f32", &f32) == LOOM_OK);
    CHECK(f32 == 1.5f);
    CHECK(loom_gguf_get_f64(h.g, "test.f64", &f64) == LOOM_OK);
    CHECK(f64 == 0.25);
    CHECK(loom_gguf_get_bool(h.g, "test.bool", &b) == LOOM_OK);
    CHECK(b == 1);
    CHECK(loom_gguf_get_int(h.g, "test.u16", &any) == LOOM_OK);
    CHECK(any == 60000);
    CHECK(loom_gguf_get_int(h.g, "test.i8", &any) == LOOM_OK);
    CHECK(any == -100);
    const char *s = nullptr;
    size_t len = 0;
    CHECK(loom_gguf_get_string(h.g, "general.architecture", &s, &len) == LOOM_OK);
    CHECK(std::string(s) == "qwen2");
    CHECK(len == 5);
    CHECK(loom_gguf_get_string(h.g, "test.unicode", &s, nullptr) == LOOM_OK);
    CHECK(std::string(s) == "h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c");
}

TEST_CASE("c_api_wrong_type_is_type_mismatch_and_leaves_output_untouched", "[gguf][api]") {
    Handle h;
    uint32_t u32 = 77;
    CHECK(loom_gguf_get_u32(h.g, "test.u8", &u32) == LOOM_ERR_TYPE_MISMATCH);
    CHECK(u32 == 77);
    CHECK(last_error().find("test.u8") != std::string::npos);
    CHECK(last_error().find("u8") != std::string::npos);
    int32_t i32 = 0;
    CHECK(loom_gguf_get_i32(h.g, "test.u32", &i32) == LOOM_ERR_TYPE_MISMATCH);
    float f = 0;
    CHECK(loom_gguf_get_f32(h.g, "test.f64", &f) == LOOM_ERR_TYPE_MISMATCH);
    int32_t b = 0;
    CHECK(loom_gguf_get_bool(h.g, "test.u8", &b) == LOOM_ERR_TYPE_MISMATCH);
    const char *s = nullptr;
    CHECK(loom_gguf_get_string(h.g, "test.arr_str", &s, nullptr) == LOOM_ERR_TYPE_MISMATCH);
    CHECK(s == nullptr);
    int64_t any = 5;
    CHECK(loom_gguf_get_int(h.g, "test.f32", &any) == LOOM_ERR_TYPE_MISMATCH);
    CHECK(loom_gguf_get_int(h.g, "test.u64", &any) == LOOM_ERR_TYPE_MISMATCH); // above INT64_MAX
    CHECK(any == 5);
}

TEST_CASE("c_api_missing_key_is_not_found", "[gguf][api]") {
    Handle h;
    uint8_t u8 = 0;
    CHECK(loom_gguf_get_u8(h.g, "no.such.key", &u8) == LOOM_ERR_NOT_FOUND);
    CHECK(last_error().find("no.such.key") != std::string::npos);
    int64_t index = -5;
    CHECK(loom_gguf_find_key(h.g, "no.such.key", &index) == LOOM_ERR_NOT_FOUND);
    CHECK(index == -5);
    CHECK(loom_gguf_find_tensor(h.g, "no.such.tensor", &index) == LOOM_ERR_NOT_FOUND);
    uint64_t count = 0;
    CHECK(loom_gguf_get_array_info(h.g, "no.such.key", nullptr, &count) == LOOM_ERR_NOT_FOUND);
}

TEST_CASE("c_api_null_arguments_are_invalid_argument", "[gguf][api]") {
    Handle h;
    uint8_t u8 = 0;
    int64_t index = 0;
    const char *s = nullptr;
    size_t size = 0;
    CHECK(loom_gguf_get_u8(nullptr, "test.u8", &u8) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_get_u8(h.g, nullptr, &u8) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_get_u8(h.g, "test.u8", nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_get_int(h.g, "test.u8", nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_get_string(h.g, "general.architecture", nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_find_key(h.g, "test.u8", nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_find_key(nullptr, "test.u8", &index) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_find_tensor(h.g, nullptr, &index) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_get_array_string(h.g, "test.arr_str", 0, nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_get_array_data(h.g, "test.arr_i32", LOOM_GGUF_TYPE_I32, 0, 1, nullptr, 0, nullptr) ==
          LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_get_kv_info(h.g, 0, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_get_tensor_info(nullptr, 0, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    loom_gguf *g = reinterpret_cast<loom_gguf *>(&u8);
    CHECK(loom_gguf_open(nullptr, nullptr, &g) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_open("x", nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_open_memory(nullptr, 4, 0, &g) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_open_memory(h.bytes.data(), h.bytes.size(), 0, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(g == reinterpret_cast<loom_gguf *>(&u8)); // untouched on failure
    (void)s;
    (void)size;
}

TEST_CASE("c_api_enumerates_keys_with_types_and_array_shapes", "[gguf][api]") {
    Handle h;
    int64_t index = -1;
    REQUIRE(loom_gguf_find_key(h.g, "test.arr_str", &index) == LOOM_OK);
    loom_gguf_kv_info kv{};
    kv.struct_size = sizeof kv;
    REQUIRE(loom_gguf_get_kv_info(h.g, index, &kv) == LOOM_OK);
    CHECK(std::string(kv.key) == "test.arr_str");
    CHECK(kv.type == LOOM_GGUF_TYPE_ARRAY);
    CHECK(kv.array_type == LOOM_GGUF_TYPE_STRING);
    CHECK(kv.array_count == 3);
    REQUIRE(loom_gguf_find_key(h.g, "test.f64", &index) == LOOM_OK);
    REQUIRE(loom_gguf_get_kv_info(h.g, index, &kv) == LOOM_OK);
    CHECK(kv.type == LOOM_GGUF_TYPE_F64);
    CHECK(kv.array_type == -1);
    CHECK(kv.array_count == 0);
    for (int64_t i = 0; i < loom_gguf_kv_count(h.g); ++i) {
        REQUIRE(loom_gguf_get_kv_info(h.g, i, &kv) == LOOM_OK);
        int64_t back = -1;
        CHECK(loom_gguf_find_key(h.g, kv.key, &back) == LOOM_OK);
        CHECK(back == i);
        CHECK(loom_gguf_type_name(kv.type) != nullptr);
    }
    CHECK(loom_gguf_get_kv_info(h.g, -1, &kv) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_get_kv_info(h.g, loom_gguf_kv_count(h.g), &kv) == LOOM_ERR_INVALID_ARGUMENT);
}

TEST_CASE("c_api_info_structs_honour_struct_size", "[gguf][api]") {
    Handle h;
    // An older caller knowing only struct_size and key: the rest stays as it was.
    loom_gguf_kv_info kv;
    std::memset(&kv, 0xAB, sizeof kv);
    kv.struct_size = offsetof(loom_gguf_kv_info, type);
    REQUIRE(loom_gguf_get_kv_info(h.g, 0, &kv) == LOOM_OK);
    CHECK(kv.struct_size == offsetof(loom_gguf_kv_info, type));
    CHECK(std::string(kv.key) == "general.alignment");
    CHECK(kv.type == static_cast<int32_t>(0xABABABABu));
    kv.struct_size = 4;
    CHECK(loom_gguf_get_kv_info(h.g, 0, &kv) == LOOM_ERR_INVALID_ARGUMENT);
    loom_gguf_tensor_info t{};
    t.struct_size = 0;
    CHECK(loom_gguf_get_tensor_info(h.g, 0, &t) == LOOM_ERR_INVALID_ARGUMENT);
}

TEST_CASE("c_api_arrays_copy_ranges_with_type_and_size_checks", "[gguf][api]") {
    Handle h;
    int32_t elem = -1;
    uint64_t count = 0;
    REQUIRE(loom_gguf_get_array_info(h.g, "test.arr_i32", &elem, &count) == LOOM_OK);
    CHECK(elem == LOOM_GGUF_TYPE_I32);
    CHECK(count == 3);
    CHECK(loom_gguf_get_array_info(h.g, "test.u8", &elem, &count) == LOOM_ERR_TYPE_MISMATCH);

    int32_t vals[3] = {0, 0, 0};
    size_t size = 0;
    CHECK(loom_gguf_get_array_data(h.g, "test.arr_i32", LOOM_GGUF_TYPE_I32, 1, 2, vals, sizeof vals, &size) ==
          LOOM_OK);
    CHECK(size == 8);
    CHECK(vals[0] == -2);
    CHECK(vals[1] == 3);
    CHECK(vals[2] == 0);
    // Too small: BUFFER_TOO_SMALL, needed size reported, nothing written.
    vals[0] = 99;
    CHECK(loom_gguf_get_array_data(h.g, "test.arr_i32", LOOM_GGUF_TYPE_I32, 0, 3, vals, 8, &size) ==
          LOOM_ERR_BUFFER_TOO_SMALL);
    CHECK(size == 12);
    CHECK(vals[0] == 99);
    CHECK(loom_gguf_get_array_data(h.g, "test.arr_i32", LOOM_GGUF_TYPE_I32, 0, 0, nullptr, 0, &size) == LOOM_OK);
    CHECK(size == 0);
    // Wrong element type, out-of-range spans (including wrap-around), strings.
    CHECK(loom_gguf_get_array_data(h.g, "test.arr_i32", LOOM_GGUF_TYPE_U32, 0, 1, vals, sizeof vals, &size) ==
          LOOM_ERR_TYPE_MISMATCH);
    CHECK(loom_gguf_get_array_data(h.g, "test.arr_i32", LOOM_GGUF_TYPE_I32, 2, 2, vals, sizeof vals, &size) ==
          LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_get_array_data(h.g, "test.arr_i32", LOOM_GGUF_TYPE_I32, 4, 0, vals, sizeof vals, &size) ==
          LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_get_array_data(h.g, "test.arr_i32", LOOM_GGUF_TYPE_I32, 1, ~uint64_t(0), vals, sizeof vals,
                                   &size) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_get_array_data(h.g, "test.arr_str", LOOM_GGUF_TYPE_STRING, 0, 1, vals, sizeof vals, &size) ==
          LOOM_ERR_TYPE_MISMATCH);
    CHECK(loom_gguf_get_array_data(h.g, "test.u8", LOOM_GGUF_TYPE_U8, 0, 1, vals, sizeof vals, &size) ==
          LOOM_ERR_TYPE_MISMATCH);
    uint8_t bools[3];
    CHECK(loom_gguf_get_array_data(h.g, "test.arr_bool", LOOM_GGUF_TYPE_BOOL, 0, 3, bools, 3, &size) == LOOM_OK);
    CHECK((bools[0] == 1 && bools[1] == 0 && bools[2] == 1));

    const char *s = nullptr;
    size_t len = 9;
    CHECK(loom_gguf_get_array_string(h.g, "test.arr_str", 2, &s, &len) == LOOM_OK);
    CHECK(std::string(s, len) == "bc");
    CHECK(loom_gguf_get_array_string(h.g, "test.arr_str", 1, &s, &len) == LOOM_OK);
    CHECK(len == 0);
    CHECK(loom_gguf_get_array_string(h.g, "test.arr_str", 3, &s, &len) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_get_array_string(h.g, "test.arr_i32", 0, &s, &len) == LOOM_ERR_TYPE_MISMATCH);
}

TEST_CASE("c_api_tensor_info_is_zero_copy", "[gguf][api]") {
    Handle h;
    int64_t index = -1;
    REQUIRE(loom_gguf_find_tensor(h.g, "w.q8_0", &index) == LOOM_OK);
    CHECK(index == 2);
    loom_gguf_tensor_info t{};
    t.struct_size = sizeof t;
    REQUIRE(loom_gguf_get_tensor_info(h.g, index, &t) == LOOM_OK);
    CHECK(std::string(t.name) == "w.q8_0");
    CHECK(t.type == LOOM_TYPE_Q8_0);
    CHECK(t.n_dims == 2);
    CHECK((t.ne[0] == 32 && t.ne[1] == 2 && t.ne[2] == 1 && t.ne[3] == 1));
    CHECK(t.nbytes == 68);
    CHECK(t.data == h.bytes.data() + loom_gguf_data_offset(h.g) + t.offset);
    CHECK(std::memcmp(t.data, q8_0_block(0x3c00, -16).data(), 34) == 0);
    CHECK(loom_gguf_get_tensor_info(h.g, 3, &t) == LOOM_ERR_INVALID_ARGUMENT);
}

TEST_CASE("c_api_open_reports_io_format_and_cancel", "[gguf][api]") {
    loom_gguf *g = nullptr;
    CHECK(loom_gguf_open("/nonexistent/dir/x.gguf", nullptr, &g) == LOOM_ERR_IO);
    CHECK(last_error().find("/nonexistent/dir/x.gguf") != std::string::npos);
    std::vector<uint8_t> bytes = valid_builder().build();
    std::string path = testdata::scratch_dir() + "/gguf_api_valid.gguf";
    REQUIRE(testdata::write_file(path, bytes.data(), bytes.size()));
    loom_gguf_params p;
    loom_gguf_default_params(&p);
    CHECK(p.use_mmap == 1);
    p.use_mmap = 0;
    int calls = 0;
    p.progress = [](void *ud, uint64_t, uint64_t) -> int { return ++*static_cast<int *>(ud) > 0; };
    p.progress_user_data = &calls;
    CHECK(loom_gguf_open(path.c_str(), &p, &g) == LOOM_ERR_CANCELLED);
    CHECK(calls == 1);
    CHECK(g == nullptr);
    p.progress = nullptr;
    REQUIRE(loom_gguf_open(path.c_str(), &p, &g) == LOOM_OK);
    CHECK(loom_gguf_tensor_count(g) == 3);
    loom_gguf_close(g);
    p.struct_size = 2;
    CHECK(loom_gguf_open(path.c_str(), &p, &g) == LOOM_ERR_INVALID_ARGUMENT);
    bytes[0] = 'g';
    CHECK(loom_gguf_open_memory(bytes.data(), bytes.size(), 1, &g) == LOOM_ERR_FORMAT);
    CHECK(last_error().find("magic") != std::string::npos);
}

TEST_CASE("c_api_value_type_names_and_sizes", "[gguf][api]") {
    CHECK(std::string(loom_gguf_type_name(LOOM_GGUF_TYPE_STRING)) == "string");
    CHECK(std::string(loom_gguf_type_name(LOOM_GGUF_TYPE_F64)) == "f64");
    CHECK(loom_gguf_type_name(13) == nullptr);
    CHECK(loom_gguf_type_name(-1) == nullptr);
    CHECK(loom_gguf_type_size(LOOM_GGUF_TYPE_U16) == 2);
    CHECK(loom_gguf_type_size(LOOM_GGUF_TYPE_I64) == 8);
    CHECK(loom_gguf_type_size(LOOM_GGUF_TYPE_BOOL) == 1);
    CHECK(loom_gguf_type_size(LOOM_GGUF_TYPE_STRING) == 0);
    CHECK(loom_gguf_type_size(99) == 0);
}
