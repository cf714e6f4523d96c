// A subcommand's options, declared once: the table parses argv (with errors
// that name the flag and what is wrong), and prints `COMMAND --help` with
// every option and its default. Numbers are range-checked as written, never
// narrowed: the range of each option is what the library accepts.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace cli {

class Options {
public:
    // `synopsis`: "loom run -m MODEL [options]"; `about`: one paragraph.
    Options(std::string synopsis, std::string about);

    // A switch without a value.
    void flag(const char *names, bool *dst, const char *help);
    // An integer in [lo, hi]; the default shown is *dst unless `default_text` is given.
    void integer(const char *names, const char *metavar, long long *dst, long long lo, long long hi,
                 const char *help, const char *default_text = nullptr);
    // A finite number in [lo, hi] (lo_open: lo itself excluded).
    void real(const char *names, const char *metavar, double *dst, double lo, double hi, const char *help,
              bool lo_open = false);
    // A string; `default_text` nullptr: no default shown (required or unset).
    void text(const char *names, const char *metavar, std::string *dst, const char *help,
              const char *default_text = nullptr);
    // Any other value: `parse` returns false with *why set ("expected ...").
    using Parser = std::function<bool(const char *value, std::string *why)>;
    void custom(const char *names, const char *metavar, Parser parse, const char *help, const char *default_text);
    // Options declared after this call are listed under `title` in --help.
    void section(const char *title);
    // Lines added to the end of --help (options parsed elsewhere, notes).
    void footer(std::string text);
    // A name parsed elsewhere (main's --backend): offered by "did you mean".
    void known_name(const char *name);
    // Positional arguments, in order (required ones first).
    void positional(const char *metavar, std::string *dst, const char *help, bool required = true);

    // Parses argv[1..argc). Returns -1 to go on, or the exit status to return
    // now: 0 after --help (printed to stdout), 2 after a usage error (printed
    // to stderr as "loom: error: ..." and a pointer to --help).
    int parse(int argc, char **argv);

    void print_help(FILE *to) const;

    // A usage error found after parse ("-m MODEL is required"): printed like
    // parse's own; returns 2.
    int usage_error(const std::string &message) const;

private:
    struct Spec {
        std::vector<std::string> names;
        std::string metavar, help, default_text;
        Parser parse;   // empty for a flag
        bool *flag = nullptr;
        size_t section = 0;
    };
    struct Positional {
        std::string metavar, help;
        std::string *dst;
        bool required;
    };
    const Spec *find(const std::string &name) const;
    std::string suggestion(const std::string &name) const;

    std::string synopsis_, about_, footer_;
    std::vector<std::string> sections_{"options"};
    std::vector<Spec> specs_;
    std::vector<Positional> positionals_;
    std::vector<std::string> known_names_;
};

// Edit distance (insertions, deletions, substitutions, adjacent swaps).
size_t edit_distance(const std::string &a, const std::string &b);

// Parses a whole decimal integer; false with *why ("not an integer", "out of
// range") for anything else, including values past the range of long long.
bool parse_integer_text(const char *s, long long *out, std::string *why);
// Parses a whole finite decimal number; false with *why for "abc", "nan", "inf".
bool parse_real_text(const char *s, double *out, std::string *why);

// 4096 -> "4,096".
std::string with_commas(long long n);

} // namespace cli
