// Whole-input readers for the subcommands, on stdio: a directory, a device
// that fails to read (/proc/self/mem) or an endless stream (/dev/zero) is an
// error message, never an exception out of main.
#include "cli.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

namespace cli {

namespace {

constexpr size_t kMaxInput = size_t(1) << 28;   // text inputs past 256 MiB are refused

bool read_all(FILE *f, std::string *out, std::string *why) {
    out->clear();
    char chunk[1 << 16];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (out->size() + n > kMaxInput) {
            *why = "input larger than 256 MiB";
            return false;
        }
        out->append(chunk, n);
    }
    if (std::ferror(f)) {
        *why = std::strerror(errno ? errno : EIO);
        return false;
    }
    return true;
}

bool is_terminal(int fd) {
#ifdef _WIN32
    return _isatty(fd) != 0;
#else
    return isatty(fd) != 0;
#endif
}

} // namespace

bool read_stdin(std::string *out, std::string *why) { return read_all(stdin, out, why); }

bool read_file(const std::string &path, std::string *out, std::string *why) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        *why = "it is a directory";
        return false;
    }
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) {
        *why = std::strerror(errno);
        return false;
    }
    errno = 0;
    const bool ok = read_all(f, out, why);
    std::fclose(f);
    return ok;
}

bool stdin_is_terminal() { return is_terminal(0); }
bool stderr_is_terminal() { return is_terminal(2); }

} // namespace cli
