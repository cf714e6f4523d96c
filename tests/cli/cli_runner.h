// Runs the built `loom` (LOOM_EXE) as a user would: arguments through the
// shell, text on stdin, stdout and stderr captured apart.
#pragma once

#include <string>

namespace clitest {

struct Run {
    int status = -1;   // -1: did not exit normally (a signal)
    std::string out, err;
};

// `loom ARGS < stdin_text` (ARGS as shell words: quote paths yourself).
Run loom(const std::string &args, const std::string &stdin_text = "");

// The tiny synthetic Qwen2 (f16, real Qwen2.5 vocabulary and ChatML
// template), made once; skips the test executable without ../shared/ref.
const std::string &tiny_model();

// 'path' quoted for the shell.
std::string q(const std::string &path);

// A fresh path in the scratch folder.
std::string scratch(const std::string &name);

} // namespace clitest
