// The C ABI's global pieces: version, status strings, last error, logging.
#include "api/guard.h"
#include "common/log.h"

#include <catch2/catch.hpp>

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
