// Shared pieces of the `loom` command-line tool. The tool uses only the public
// API (include/loom.h). Each subcommand lives in its own file and registers
// itself with LOOM_COMMAND; main.cpp dispatches.
#pragma once

#include "loom.h"

#include <string>
#include <vector>

namespace cli {

// Returns the exit status of the subcommand: 0 ok, 1 error, 2 bad usage.
using CommandFn = int (*)(int argc, char **argv);

struct Command {
    const char *name;
    const char *summary;
    CommandFn fn;
};

// Adds a subcommand to the table main() dispatches on (called by LOOM_COMMAND).
bool register_command(const Command &cmd);

// The registered subcommand called `name`, or nullptr.
const Command *find_command(const char *name);
// "loom: error: unknown command 'X' (did you mean 'Y'?)"; returns 2.
int unknown_command(const char *name);
// `loom help COMMAND`: the command's --help.
int help_for(const char *name);

// Prints "loom: error: <message>" to stderr; returns 1 (the error exit status).
#if defined(__MINGW32__) // msvcrt's printf archetype knows no %zu; libstdc++ uses MinGW's C99 printf
int fail(const char *fmt, ...) __attribute__((format(gnu_printf, 1, 2)));
#else
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif

// Prints "loom: error: <what>: <loom_last_error()>"; returns 1.
int fail_status(loom_status st, const char *what);

// Prints "loom: usage: <usage>" to stderr; returns 2 (the usage exit status).
int usage(const char *text);

// Reads all of stdin / a whole file (read_input.cpp); false with *why set on
// a read error, a directory, or more than 256 MiB.
bool read_stdin(std::string *out, std::string *why);
bool read_file(const std::string &path, std::string *out, std::string *why);

// Whether stdin / stderr is a terminal (progress lines only on one; a prompt
// read from stdin only when it is not). POSIX isatty, _isatty on Windows.
bool stdin_is_terminal();
bool stderr_is_terminal();

} // namespace cli

#define LOOM_CLI_CAT_(a, b) a##b
#define LOOM_CLI_CAT(a, b) LOOM_CLI_CAT_(a, b)
#define LOOM_COMMAND(name, summary, fn)                                                            \
    static const bool LOOM_CLI_CAT(registered_, __LINE__) = ::cli::register_command({name, summary, fn})
