#include "options.h"

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace cli {

namespace {

// "-c, --ctx-size" -> {"-c", "--ctx-size"}
std::vector<std::string> split_names(const char *names) {
    std::vector<std::string> out;
    std::string cur;
    for (const char *p = names;; p++) {
        if (*p == ',' || *p == ' ' || !*p) {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
            if (!*p) break;
        } else {
            cur += *p;
        }
    }
    return out;
}

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string range_text(long long lo, long long hi) {
    return std::to_string(lo) + ".." + std::to_string(hi);
}

} // namespace

size_t edit_distance(const std::string &a, const std::string &b) {
    // Optimal string alignment: Levenshtein plus adjacent transpositions ("--tmep").
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); i++) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); j++) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); i++)
        for (size_t j = 1; j <= b.size(); j++) {
            const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

bool parse_integer_text(const char *s, long long *out, std::string *why) {
    char *end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s, &end, 10);
    if (!*s || *end || end == s) return *why = "not an integer", false;
    if (errno == ERANGE) return *why = "out of range", false;
    *out = v;
    return true;
}

bool parse_real_text(const char *s, double *out, std::string *why) {
    char *end = nullptr;
    errno = 0;
    const double v = std::strtod(s, &end);
    if (!*s || *end || end == s) return *why = "not a number", false;
    if (!std::isfinite(v)) return *why = "not a finite number", false;
    *out = v;
    return true;
}

std::string with_commas(long long n) {
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (size_t i = 0; i < digits.size(); i++) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

Options::Options(std::string synopsis, std::string about) : synopsis_(std::move(synopsis)), about_(std::move(about)) {}

void Options::section(const char *title) { sections_.push_back(title); }

void Options::footer(std::string text) { footer_ += text; }

void Options::flag(const char *names, bool *dst, const char *help) {
    Spec s;
    s.names = split_names(names);
    s.help = help;
    s.flag = dst;
    s.section = sections_.size() - 1;
    specs_.push_back(s);
}

void Options::custom(const char *names, const char *metavar, Parser parse, const char *help,
                     const char *default_text) {
    Spec s;
    s.names = split_names(names);
    s.metavar = metavar;
    s.help = help;
    s.default_text = default_text ? default_text : "";
    s.parse = std::move(parse);
    s.section = sections_.size() - 1;
    specs_.push_back(s);
}

void Options::integer(const char *names, const char *metavar, long long *dst, long long lo, long long hi,
                      const char *help, const char *default_text) {
    const std::string def = default_text ? default_text : std::to_string(*dst);
    custom(names, metavar, [=](const char *v, std::string *why) {
        long long n = 0;
        if (!parse_integer_text(v, &n, why)) return false;
        if (n < lo || n > hi) return *why = "must be " + range_text(lo, hi), false;
        *dst = n;
        return true;
    }, help, def.c_str());
}

void Options::real(const char *names, const char *metavar, double *dst, double lo, double hi, const char *help,
                   bool lo_open) {
    custom(names, metavar, [=](const char *v, std::string *why) {
        double x = 0;
        if (!parse_real_text(v, &x, why)) return false;
        if (std::fabs(x) > FLT_MAX) return *why = "out of range", false;   // the library takes floats
        if (x < lo || x > hi || (lo_open && x == lo)) {
            const std::string from = lo_open ? "above " + number_text(lo) : "at least " + number_text(lo);
            *why = hi < HUGE_VAL ? "must be in " + std::string(lo_open ? "(" : "[") + number_text(lo) + ", " +
                                       number_text(hi) + "]"
                                 : "must be " + from;
            return false;
        }
        *dst = x;
        return true;
    }, help, number_text(*dst).c_str());
}

void Options::text(const char *names, const char *metavar, std::string *dst, const char *help,
                   const char *default_text) {
    custom(names, metavar, [dst](const char *v, std::string *) {
        *dst = v;
        return true;
    }, help, default_text);
}

void Options::known_name(const char *name) { known_names_.push_back(name); }

void Options::positional(const char *metavar, std::string *dst, const char *help, bool required) {
    positionals_.push_back({metavar, help, dst, required});
}

const Options::Spec *Options::find(const std::string &name) const {
    for (const Spec &s : specs_)
        for (const std::string &n : s.names)
            if (n == name) return &s;
    return nullptr;
}

std::string Options::suggestion(const std::string &name) const {
    std::string best;
    size_t best_d = 3;   // at most 2 edits away
    std::vector<std::string> names = known_names_;
    for (const Spec &s : specs_) names.insert(names.end(), s.names.begin(), s.names.end());
    for (const std::string &n : names) {
        const size_t d = edit_distance(name, n);
        if (d < best_d && d * 3 < n.size() + 1) best_d = d, best = n;
    }
    return best;
}

int Options::usage_error(const std::string &message) const {
    std::fprintf(stderr, "loom: error: %s\n", message.c_str());
    std::fprintf(stderr, "usage: %s\n(see '%.*s --help')\n", synopsis_.c_str(),
                 int(synopsis_.find(' ', 5) == std::string::npos ? synopsis_.size() : synopsis_.find(' ', 5)),
                 synopsis_.c_str());
    return 2;
}

int Options::parse(int argc, char **argv) {
    size_t next_positional = 0;
    for (int i = 1; i < argc; i++) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            print_help(stdout);
            return 0;
        }
        const Spec *s = find(a);
        if (!s && a.size() > 1 && a[0] == '-' && !(a.size() > 1 && std::isdigit(static_cast<unsigned char>(a[1])))) {
            const std::string closest = suggestion(a);
            return usage_error(a + ": unknown option" + (closest.empty() ? "" : " (did you mean " + closest + "?)"));
        }
        if (!s) {
            if (next_positional >= positionals_.size()) return usage_error("unexpected argument '" + a + "'");
            *positionals_[next_positional++].dst = a;
            continue;
        }
        if (s->flag) {
            *s->flag = true;
            continue;
        }
        if (i + 1 >= argc) return usage_error(a + ": needs a value (" + s->metavar + ")");
        const char *v = argv[++i];
        std::string why;
        if (!s->parse(v, &why)) return usage_error(a + " " + v + ": " + why);
    }
    for (size_t k = next_positional; k < positionals_.size(); k++)
        if (positionals_[k].required) return usage_error("missing " + positionals_[k].metavar);
    return -1;
}

void Options::print_help(FILE *to) const {
    std::fprintf(to, "usage: %s\n\n%s\n", synopsis_.c_str(), about_.c_str());
    if (!positionals_.empty()) std::fprintf(to, "\narguments:\n");
    for (const Positional &p : positionals_)
        std::fprintf(to, "  %-28s %s%s\n", p.metavar.c_str(), p.help.c_str(), p.required ? "" : " (optional)");
    for (size_t sec = 0; sec < sections_.size(); sec++) {
        bool header = false;
        for (const Spec &s : specs_) {
            if (s.section != sec) continue;
            if (!header) std::fprintf(to, "\n%s:\n", sections_[sec].c_str());
            header = true;
            std::string left;
            for (const std::string &n : s.names) left += (left.empty() ? "" : ", ") + n;
            if (!s.metavar.empty()) left += " " + s.metavar;
            std::string right = s.help;
            if (!s.default_text.empty()) right += " (default: " + s.default_text + ")";
            if (left.size() > 28) std::fprintf(to, "  %s\n  %-28s %s\n", left.c_str(), "", right.c_str());
            else std::fprintf(to, "  %-28s %s\n", left.c_str(), right.c_str());
        }
    }
    if (!footer_.empty()) std::fprintf(to, "%s", footer_.c_str());
}

} // namespace cli
