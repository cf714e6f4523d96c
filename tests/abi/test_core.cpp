// The C ABI's global pieces: version, status strings, last error, logging.
#include "api/guard.h"
#include "common/log.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

TEST_CASE("version_macro_matches_linked_library", "[abi]") {
    CHECK(loom_version() == LOOM_VERSION);
    CHECK(std::string(loom_version_string()) ==
          std::to_string(LOOM_VERSION_MAJOR) + "." + std::to_string(LOOM_VERSION_MINOR) + "." +
              std::to_string(LOOM_VERSION_PATCH));
}

TEST_CASE("every_status_has_a_distinct_name", "[abi]") {
    std::vector<std::string> seen;
    for (loom_status s = LOOM_OK; s >= LOOM_ERR_INTERNAL; --s) {
        std::string name = loom_status_string(s);
        CHECK(name != "unknown status");
        for (const auto &other : seen) CHECK(name != other);
        seen.push_back(name);
    }
    CHECK(std::string(loom_status_string(-999)) == "unknown status");
}

TEST_CASE("api_call_turns_exceptions_into_statuses", "[abi]") {
    CHECK(loom::api_call([] { return loom::Status::ok(); }) == LOOM_OK);
    CHECK(loom::api_call([]() -> loom::Status { throw std::bad_alloc(); }) == LOOM_ERR_OUT_OF_MEMORY);
    CHECK(std::string(loom_last_error()) == "out of memory");
    CHECK(loom::api_call([]() -> loom::Status { throw 42; }) == LOOM_ERR_INTERNAL);
    CHECK(loom::api_call([] { return loom::error(LOOM_ERR_NOT_FOUND, "key '%s' missing", "x"); }) ==
          LOOM_ERR_NOT_FOUND);
    CHECK(std::string(loom_last_error()) == "key 'x' missing");
}

TEST_CASE("copy_out_reports_needed_size", "[abi]") {
    char buf[4];
    size_t needed = 0;
    CHECK(loom::copy_out("hello", 5, buf, sizeof buf, &needed).code() == LOOM_ERR_BUFFER_TOO_SMALL);
    CHECK(needed == 5);
    CHECK(loom::copy_out("hey", 3, buf, sizeof buf, &needed).is_ok());
    CHECK(std::string(buf, 3) == "hey");
}

static void collect(void *ud, loom_log_level level, const char *msg) {
    static_cast<std::vector<std::string> *>(ud)->push_back(std::to_string(level) + ":" + msg);
}

TEST_CASE("log_goes_to_instance_sink_before_global", "[abi]") {
    std::vector<std::string> global, local;
    loom_set_log_callback(collect, &global);
    loom::LogSink sink{collect, &local};
    loom::log(&sink, LOOM_LOG_WARN, "a %d", 1);
    loom::log(nullptr, LOOM_LOG_INFO, "b");
    loom_set_log_callback(nullptr, nullptr);
    loom::log(nullptr, LOOM_LOG_INFO, "dropped");
    CHECK(local == std::vector<std::string>{"2:a 1"});
    CHECK(global == std::vector<std::string>{"1:b"});
}

// The 0.1.0 entry points (loom.h now spells these names as macros).
extern "C" void(loom_context_default_params)(loom_context_params *params);
extern "C" void(loom_model_default_params)(loom_model_params *params);

TEST_CASE("default_params_sized_rejects_null_and_absurd_sizes", "[abi]") {
    loom_context_params p;
    CHECK(loom_context_default_params_sized(nullptr, sizeof p) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("NULL") != std::string::npos);
    CHECK(loom_context_default_params_sized(&p, 4) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("struct_size = 4") != std::string::npos);
    CHECK(loom_model_default_params_sized(nullptr, 64) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_gguf_default_params_sized(nullptr, 32) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_vulkan_default_params_sized(nullptr, 32) == LOOM_ERR_INVALID_ARGUMENT);
}

TEST_CASE("default_params_sized_writes_only_the_callers_bytes", "[abi]") {
    unsigned char buf[128];
    std::memset(buf, 0xA5, sizeof buf);
    auto *p = reinterpret_cast<loom_context_params *>(buf);
    REQUIRE(loom_context_default_params_sized(p, 24) == LOOM_OK);
    CHECK(p->struct_size == 24);
    CHECK(p->n_batch == 512);
    for (size_t i = 24; i < sizeof buf; i++) CHECK(buf[i] == 0xA5);
    // A newer caller's larger struct: the tail the library does not know is zeroed.
    std::memset(buf, 0xA5, sizeof buf);
    REQUIRE(loom_context_default_params_sized(p, 96) == LOOM_OK);
    CHECK(p->struct_size == 96);
    for (size_t i = sizeof(loom_context_params); i < 96; i++) CHECK(buf[i] == 0);
    for (size_t i = 96; i < sizeof buf; i++) CHECK(buf[i] == 0xA5);
}

TEST_CASE("legacy_default_params_fill_the_0_1_0_sizes", "[abi]") {
    unsigned char buf[128];
    std::memset(buf, 0xA5, sizeof buf);
    (loom_context_default_params)(reinterpret_cast<loom_context_params *>(buf));
    CHECK(reinterpret_cast<loom_context_params *>(buf)->struct_size == 56);
    for (size_t i = 56; i < sizeof buf; i++) CHECK(buf[i] == 0xA5);
    std::memset(buf, 0xA5, sizeof buf);
    (loom_model_default_params)(reinterpret_cast<loom_model_params *>(buf));
    CHECK(reinterpret_cast<loom_model_params *>(buf)->struct_size == 64);
    CHECK(reinterpret_cast<loom_model_params *>(buf)->device_index == -1);
    for (size_t i = 64; i < sizeof buf; i++) CHECK(buf[i] == 0xA5);
    (loom_context_default_params)(nullptr); // ignored, as in 0.1.0
}

TEST_CASE("garbage_struct_size_is_refused", "[abi]") {
    loom_model_params p;
    loom_model_default_params_sized(&p, sizeof p);
    p.struct_size = 1u << 30;
    loom_model *m = nullptr;
    CHECK(loom_model_load("/nonexistent.gguf", &p, &m) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("default_params") != std::string::npos);
    CHECK(m == nullptr);
}
