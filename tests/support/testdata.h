// Test data: paths into the source tree, the reference tools in ../shared/ref,
// and synthetic models made with them (cached under the build dir, made once
// even when tests run in parallel).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace testdata {

// <source root>/tests/<rel>
std::string source_path(const std::string &rel);

// A scratch directory under the build dir, created on first use.
std::string scratch_dir();

// ../shared/ref beside the source root (LOOM_REF_DIR overrides).
std::string ref_dir();

// True when the reference tools are installed or can install themselves
// (runs ref/setup once). Parity tests exit with missing() when this is false.
bool ref_available();

// The exit status of a test executable that cannot run because `what` (a
// reference, a driver, a package) is missing, after saying so on stderr: 77
// (meson's "skipped") on a developer's machine, 1 (failed) when the
// environment has CI=true, where a run that compared nothing must not pass.
int missing(const std::string &what);
[[noreturn]] void exit_missing(const std::string &what);

// Runs a shell command; returns its exit status (-1 if it could not run).
int run(const std::string &command);

// Runs a shell command and returns its stdout; *status gets the exit status.
std::string capture(const std::string &command, int *status = nullptr);

// A synthetic Qwen2 GGUF: ref/mkgguf.py --preset `preset` --seed `seed`,
// quantized with `llref quantize` to `ftype` (llama.cpp ftype number; 0 or
// negative: the f16 file as written by mkgguf.py, -32: --dtype f32).
// Cached in the build dir; concurrent callers wait on a lock. "" on failure.
std::string synthetic_model(const std::string &preset, int seed, int ftype);

// Whole-file helpers.
std::vector<uint8_t> read_file(const std::string &path);
bool write_file(const std::string &path, const void *data, size_t size);
std::vector<float> read_f32(const std::string &path);

} // namespace testdata

// In a parity test's first lines: skip the whole executable without the reference.
#define REQUIRE_REF_OR_SKIP()                                                                      \
    do {                                                                                           \
        if (!::testdata::ref_available()) ::testdata::exit_missing("the reference (../shared/ref)");\
    } while (0)
