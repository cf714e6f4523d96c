// Valid GGUF files: every value type, arrays, tensors, alignment, storage modes.
#include "gguf_fixtures.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>

using namespace gguf_test;
using loom::GgufFile;
using loom::GgufValueType;

namespace {

void check_valid_contents(const GgufFile &f) {
    CHECK(f.alignment() == 64);
    CHECK(f.kvs().size() == 18);
    int64_t i = 0;
    CHECK(f.get_int("test.u8", &i).is_ok());
    CHECK(i == 200);
    CHECK(f.get_int("test.i8", &i).is_ok());
    CHECK(i == -100);
    CHECK(f.get_int("test.u16", &i).is_ok());
    CHECK(i == 60000);
    CHECK(f.get_int("test.i16", &i).is_ok());
    CHECK(i == -30000);
    CHECK(f.get_int("test.u32", &i).is_ok());
    CHECK(i == 4000000000ll);
    CHECK(f.get_int("test.i32", &i).is_ok());
    CHECK(i == -2000000000);
    CHECK(f.get_int("test.i64", &i).is_ok());
    CHECK(i == -9000000000000000000ll);
    CHECK(f.find_kv("test.u64")->u64 == 18000000000000000000ull);
    float x = 0;
    CHECK(f.get_float("test.f32", &x).is_ok());
    CHECK(x == 1.5f);
    CHECK(f.get_float("test.f64", &x).is_ok());
    CHECK(x == 0.25f);
    bool b = false;
    CHECK(f.get_bool("test.bool", &b).is_ok());
    CHECK(b);
    std::string s;
    CHECK(f.get_string("general.architecture", &s).is_ok());
    CHECK(s == "qwen2");
    CHECK(f.get_string("test.unicode", &s).is_ok());
    CHECK(s == "h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c");
}

void check_valid_tensors(const GgufFile &f) {
    REQUIRE(f.tensors().size() == 3);
    const loom::GgufTensor *w = f.find_tensor("w.f32");
    REQUIRE(w);
    CHECK(w->type == LOOM_TYPE_F32);
    CHECK(w->n_dims == 2);
    CHECK(w->ne[0] == 4);
    CHECK(w->ne[1] == 3);
    CHECK(w->ne[2] == 1);
    CHECK(w->nbytes == 48);
    float v[12];
    std::memcpy(v, w->data, sizeof v);
    for (int k = 0; k < 12; ++k) CHECK(v[k] == static_cast<float>(k) - 5.5f);
    const loom::GgufTensor *h = f.find_tensor("w.f16");
    REQUIRE(h);
    CHECK(h->n_dims == 3);
    CHECK(h->nbytes == 8);
    const loom::GgufTensor *q = f.find_tensor("w.q8_0");
    REQUIRE(q);
    CHECK(q->type == LOOM_TYPE_Q8_0);
    CHECK(q->nbytes == 68);
    CHECK(q->n_elements() == 64);
    for (const loom::GgufTensor &t : f.tensors()) {
        CHECK(t.offset % 64 == 0);
        CHECK((f.data_offset() + t.offset) % 64 == 0);
        CHECK(t.data == f.bytes() + f.data_offset() + t.offset);
    }
    CHECK(f.find_tensor("missing") == nullptr);
}

std::string write_scratch(const std::string &name, const std::vector<uint8_t> &bytes) {
    std::string path = testdata::scratch_dir() + "/" + name;
    REQUIRE(testdata::write_file(path, bytes.data(), bytes.size()));
    return path;
}

} // namespace

TEST_CASE("parses_v3_file_with_every_value_type", "[gguf]") {
    Opened o = open_bytes(valid_builder(3).build());
    REQUIRE(o.status.is_ok());
    CHECK(o.file->version() == 3);
    check_valid_contents(*o.file);
    check_valid_tensors(*o.file);
}

TEST_CASE("parses_v2_file", "[gguf]") {
    Opened o = open_bytes(valid_builder(2).build());
    REQUIRE(o.status.is_ok());
    CHECK(o.file->version() == 2);
    check_valid_contents(*o.file);
    check_valid_tensors(*o.file);
}

TEST_CASE("parses_arrays_of_every_element_type", "[gguf]") {
    Opened o = open_bytes(valid_builder().build());
    REQUIRE(o.status.is_ok());
    const GgufFile &f = *o.file;
    std::vector<int64_t> ints;
    CHECK(f.get_int_array("test.arr_i32", &ints).is_ok());
    CHECK(ints == std::vector<int64_t>{1, -2, 3});
    const loom::GgufKV *kv = f.find_kv("test.arr_f32");
    REQUIRE(kv);
    CHECK(kv->type == GgufValueType::Array);
    CHECK(kv->array_type == GgufValueType::F32);
    CHECK(kv->array_count == 2);
    float fl[2];
    REQUIRE(kv->array_raw.size() == sizeof fl);
    std::memcpy(fl, kv->array_raw.data(), sizeof fl);
    CHECK(fl[0] == 0.5f);
    CHECK(fl[1] == -1.0f);
    kv = f.find_kv("test.arr_bool");
    REQUIRE(kv);
    CHECK(kv->array_raw == std::vector<uint8_t>{1, 0, 1});
    const std::vector<std::string> *strs = nullptr;
    CHECK(f.get_string_array("test.arr_str", &strs).is_ok());
    CHECK(*strs == std::vector<std::string>{"a", "", "bc"});

    // Every numeric element type round-trips through an array.
    GgufBuilder b;
    b.array<uint8_t>("u8", kU8, {0, 255}).array<int8_t>("i8", kI8, {-128, 127});
    b.array<uint16_t>("u16", kU16, {65535}).array<int16_t>("i16", kI16, {-32768});
    b.array<uint32_t>("u32", kU32, {4294967295u}).array<int32_t>("i32", kI32, {-5});
    b.array<uint64_t>("u64", kU64, {7}).array<int64_t>("i64", kI64, {-7});
    b.array<double>("f64", kF64, {2.5}).array<int32_t>("empty", kI32, {});
    Opened all = open_bytes(b.build());
    REQUIRE(all.status.is_ok());
    std::vector<std::pair<const char *, std::vector<int64_t>>> want = {
        {"u8", {0, 255}}, {"i8", {-128, 127}}, {"u16", {65535}}, {"i16", {-32768}}, {"u32", {4294967295ll}},
        {"i32", {-5}}, {"u64", {7}}, {"i64", {-7}}, {"empty", {}}};
    for (const auto &w : want) {
        CAPTURE(w.first);
        CHECK(all.file->get_int_array(w.first, &ints).is_ok());
        CHECK(ints == w.second);
    }
    CHECK(all.file->find_kv("f64")->array_count == 1);
}

TEST_CASE("typed_getters_report_not_found_and_type_mismatch", "[gguf]") {
    Opened o = open_bytes(valid_builder().build());
    REQUIRE(o.status.is_ok());
    const GgufFile &f = *o.file;
    std::string s;
    int64_t i = 0;
    uint32_t u = 0;
    float x = 0;
    bool b = false;
    CHECK(f.get_string("nope", &s).code() == LOOM_ERR_NOT_FOUND);
    CHECK(f.get_string("test.u8", &s).code() == LOOM_ERR_TYPE_MISMATCH);
    CHECK(f.get_int("test.f32", &i).code() == LOOM_ERR_TYPE_MISMATCH);
    CHECK(f.get_int("test.u64", &i).code() == LOOM_ERR_TYPE_MISMATCH); // 1.8e19 does not fit int64
    CHECK(f.get_u32("test.u32", &u).is_ok());
    CHECK(u == 4000000000u);
    CHECK(f.get_u32("test.i8", &u).code() == LOOM_ERR_TYPE_MISMATCH); // negative
    CHECK(f.get_u32("test.u64", &u).code() == LOOM_ERR_TYPE_MISMATCH); // too large
    CHECK(f.get_u32("test.u16", &u).is_ok());
    CHECK(u == 60000);
    CHECK(f.get_float("test.i32", &x).code() == LOOM_ERR_TYPE_MISMATCH);
    CHECK(f.get_bool("test.u8", &b).code() == LOOM_ERR_TYPE_MISMATCH);
    const std::vector<std::string> *strs = nullptr;
    CHECK(f.get_string_array("test.arr_i32", &strs).code() == LOOM_ERR_TYPE_MISMATCH);
    std::vector<int64_t> ints;
    CHECK(f.get_int_array("test.arr_str", &ints).code() == LOOM_ERR_TYPE_MISMATCH);
    CHECK(f.get_int_array("test.arr_f32", &ints).code() == LOOM_ERR_TYPE_MISMATCH);
    loom::Status mismatch = f.get_int("test.arr_f32", &i);
    CHECK(mismatch.message().find("test.arr_f32") != std::string::npos);
    CHECK(mismatch.message().find("array of f32") != std::string::npos);
}

TEST_CASE("default_alignment_is_32_without_general_alignment", "[gguf]") {
    GgufBuilder b;
    b.alignment = 32;
    b.string("general.name", "x").f32("a", {1, 2, 3}).f32("b", {4});
    Opened o = open_bytes(b.build());
    REQUIRE(o.status.is_ok());
    CHECK(o.file->alignment() == 32);
    CHECK(o.file->data_offset() % 32 == 0);
    CHECK(o.file->find_tensor("b")->offset == 32);
}

TEST_CASE("file_without_tensors_may_end_right_after_metadata", "[gguf]") {
    GgufBuilder b;
    b.pad_when_no_tensors = false;
    b.string_array("tokenizer.ggml.tokens", {"a", "b"});
    Opened o = open_bytes(b.build());
    REQUIRE(o.status.is_ok());
    CHECK(o.file->tensors().empty());
}

TEST_CASE("tensor_data_is_zero_copy_into_borrowed_buffer_and_copy_owns_its_bytes", "[gguf]") {
    std::vector<uint8_t> bytes = valid_builder().build();
    std::unique_ptr<GgufFile> borrowed, copied;
    REQUIRE(GgufFile::open_memory(bytes.data(), bytes.size(), false, &borrowed).is_ok());
    REQUIRE(GgufFile::open_memory(bytes.data(), bytes.size(), true, &copied).is_ok());
    CHECK(borrowed->bytes() == bytes.data());
    CHECK(borrowed->find_tensor("w.f32")->data == bytes.data() + borrowed->data_offset() + 0);
    CHECK(copied->bytes() != bytes.data());
    CHECK(reinterpret_cast<uintptr_t>(copied->bytes()) % 4096 == 0);
    std::fill(bytes.begin(), bytes.end(), 0); // the copy must not notice
    check_valid_tensors(*copied);
    CHECK_FALSE(copied->is_mapped());
}

TEST_CASE("opens_file_by_mmap_and_by_reading", "[gguf]") {
    std::string path = write_scratch("gguf_reader_valid.gguf", valid_builder().build());
    for (bool use_mmap : {true, false}) {
        CAPTURE(use_mmap);
        loom::GgufOpenOptions opts;
        opts.use_mmap = use_mmap;
        std::unique_ptr<GgufFile> f;
        REQUIRE(GgufFile::open_file(path, opts, &f).is_ok());
        CHECK(f->is_mapped() == use_mmap);
        check_valid_contents(*f);
        check_valid_tensors(*f);
    }
}

TEST_CASE("progress_callback_reports_bytes_and_can_cancel", "[gguf]") {
    std::vector<uint8_t> bytes = valid_builder().build();
    std::string path = write_scratch("gguf_reader_progress.gguf", bytes);
    for (bool use_mmap : {true, false}) {
        CAPTURE(use_mmap);
        std::vector<std::pair<uint64_t, uint64_t>> calls;
        loom::GgufOpenOptions opts;
        opts.use_mmap = use_mmap;
        opts.progress = [&](uint64_t done, uint64_t total) {
            calls.emplace_back(done, total);
            return true;
        };
        std::unique_ptr<GgufFile> f;
        REQUIRE(GgufFile::open_file(path, opts, &f).is_ok());
        REQUIRE(!calls.empty());
        CHECK(calls.back() == std::make_pair<uint64_t, uint64_t>(bytes.size(), bytes.size()));
        opts.progress = [](uint64_t, uint64_t) { return false; };
        std::unique_ptr<GgufFile> g;
        CHECK(GgufFile::open_file(path, opts, &g).code() == LOOM_ERR_CANCELLED);
        CHECK(g == nullptr);
    }
}

TEST_CASE("missing_file_directory_and_empty_file_fail_cleanly", "[gguf]") {
    loom::GgufOpenOptions opts;
    std::unique_ptr<GgufFile> f;
    loom::Status s = GgufFile::open_file(testdata::scratch_dir() + "/does-not-exist.gguf", opts, &f);
    CHECK(s.code() == LOOM_ERR_IO);
    CHECK(s.message().find("does-not-exist.gguf") != std::string::npos);
    CHECK(GgufFile::open_file(testdata::scratch_dir(), opts, &f).code() == LOOM_ERR_IO);
    std::string empty = write_scratch("gguf_reader_empty.gguf", {});
    CHECK(GgufFile::open_file(empty, opts, &f).code() == LOOM_ERR_FORMAT);
    CHECK(GgufFile::open_memory(nullptr, 0, false, &f).code() == LOOM_ERR_FORMAT);
    CHECK(GgufFile::open_memory(nullptr, 10, false, &f).code() == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(f == nullptr);
}

namespace {

// Resident kB of this process's mappings that overlap [lo, hi), from /proc/self/smaps.
long resident_kb(uintptr_t lo, uintptr_t hi) {
    std::FILE *f = std::fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    char line[512];
    bool in = false;
    long kb = 0;
    while (std::fgets(line, sizeof line, f)) {
        unsigned long a = 0, b = 0;
        if (std::sscanf(line, "%lx-%lx ", &a, &b) == 2 && std::strchr(line, '-') < std::strchr(line, ' ')) {
            in = a < hi && b > lo;
            continue;
        }
        long v = 0;
        if (in && std::sscanf(line, "Rss: %ld kB", &v) == 1) kb += v;
    }
    std::fclose(f);
    return kb;
}

} // namespace

TEST_CASE("release_pages_keeps_the_bytes_and_drops_mapped_pages_only", "[gguf]") {
    // An f32 tensor of 1 MiB of varied values: many whole pages.
    std::vector<float> values(size_t(1) << 18);
    for (size_t i = 0; i < values.size(); ++i) values[i] = float(i % 1009) - 0.25f * float(i >> 12);
    std::vector<uint8_t> payload(values.size() * sizeof(float));
    std::memcpy(payload.data(), values.data(), payload.size());
    GgufBuilder b = valid_builder();
    b.f32("big", values);
    const std::string path = write_scratch("gguf_reader_release.gguf", b.build());
    for (bool use_mmap : {true, false}) {
        CAPTURE(use_mmap);
        loom::GgufOpenOptions opts;
        opts.use_mmap = use_mmap;
        std::unique_ptr<GgufFile> f;
        REQUIRE(GgufFile::open_file(path, opts, &f).is_ok());
        const loom::GgufTensor *t = f->find_tensor("big");
        REQUIRE(t != nullptr);
        REQUIRE(t->nbytes == payload.size());
        REQUIRE(std::memcmp(t->data, payload.data(), payload.size()) == 0);   // all pages touched
        const auto lo = reinterpret_cast<uintptr_t>(t->data), hi = lo + t->nbytes;
        const long before = resident_kb(lo, hi);
        f->release_pages(t->data, t->nbytes);
        const long after = resident_kb(lo, hi);
#ifndef _WIN32 // residency is read from Linux's /proc/self/smaps; on Windows only the bytes are checked
        if (use_mmap) {
            CHECK(after <= before - 1000);   // ~1 MiB left the resident set
        } else {
            CHECK(after == before);          // a heap copy is never dropped
        }
#else
        (void)before;
        (void)after;
#endif
        // Out-of-file ranges are ignored; the bytes read back unchanged either way.
        f->release_pages(payload.data(), payload.size());
        CHECK(std::memcmp(t->data, payload.data(), payload.size()) == 0);
        check_valid_contents(*f);
    }
}
