// loom: command-line front end. `loom help` lists the subcommands.
#include "backend_args.h"
#include "cli.h"
#include "options.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#endif

namespace cli {

static std::vector<Command> &commands() {
    static std::vector<Command> table;
    return table;
}

bool register_command(const Command &cmd) {
    commands().push_back(cmd);
    return true;
}

int fail(const char *fmt, ...) {
    std::fputs("loom: error: ", stderr);
    va_list args;
    va_start(args, fmt);
    std::vfprintf(stderr, fmt, args);
    va_end(args);
    std::fputc('\n', stderr);
    return 1;
}

int fail_status(loom_status st, const char *what) {
    const char *msg = loom_last_error();
    return fail("%s: %s", what, msg[0] ? msg : loom_status_string(st));
}

const Command *find_command(const char *name) {
    for (const Command &c : commands())
        if (!std::strcmp(c.name, name)) return &c;
    return nullptr;
}

int unknown_command(const char *name) {
    std::string closest;
    size_t best = 3;
    for (const Command &c : commands()) {
        const size_t d = edit_distance(name, c.name);
        if (d < best) best = d, closest = c.name;
    }
    std::fprintf(stderr, "loom: error: unknown command '%s' (%s)\n", name,
                 closest.empty() ? "see 'loom help'" : ("did you mean '" + closest + "'?").c_str());
    return 2;
}

int help_for(const char *name) {
    const Command *c = find_command(name);
    if (!c) return unknown_command(name);
    char help[] = "--help";
    char *args[] = {const_cast<char *>(c->name), help, nullptr};
    return c->fn(2, args);
}

int usage(const char *text) {
    std::fprintf(stderr, "loom: usage: %s\n", text);
    return 2;
}

} // namespace cli

static int print_help(FILE *to) {
    std::fprintf(to, "loom %s: run GGUF language models\n\nusage: loom COMMAND [ARGS...]\n\n",
                 loom_version_string());
    for (const cli::Command &c : cli::commands()) std::fprintf(to, "  %-14s %s\n", c.name, c.summary);
    return 0;
}

// Windows: stdin and stdout carry the model's bytes unchanged (no CR LF
// translation) and a console shows them as UTF-8; argv and narrow paths are
// UTF-8 through the manifest (loom.manifest).
static void setup_console() {
#ifdef _WIN32
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
    SetConsoleOutputCP(CP_UTF8);
#endif
}

int main(int argc, char **argv) {
    setup_console();
    if (!cli::take_backend_args(&argc, argv)) return 2; // --backend/--device for every subcommand
    if (argc < 2) {
        print_help(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!std::strcmp(name, "help") && argc > 2) return cli::help_for(argv[2]);   // loom help COMMAND
    if (!std::strcmp(name, "help") || !std::strcmp(name, "--help") || !std::strcmp(name, "-h"))
        return print_help(stdout);
    if (!std::strcmp(name, "--version")) {
        std::printf("loom %s\n", loom_version_string());
        return 0;
    }
    if (const cli::Command *c = cli::find_command(name)) return c->fn(argc - 1, argv + 1);
    return cli::unknown_command(name);
}
