#include "testdata.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#ifndef _WIN32
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace testdata {

std::string source_path(const std::string &rel) { return std::string(LOOM_SOURCE_ROOT) + "/tests/" + rel; }

std::string scratch_dir() {
    std::string dir = std::string(LOOM_BUILD_ROOT) + "/testdata";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    return dir;
}

std::string ref_dir() {
    if (const char *env = std::getenv("LOOM_REF_DIR")) return env;
    return std::string(LOOM_SOURCE_ROOT) + "/../shared/ref";
}

int missing(const std::string &what) {
    const char *ci = std::getenv("CI");
    const bool in_ci = ci && std::string(ci) == "true";
    std::fprintf(stderr, "%s is missing: %s\n", what.c_str(),
                 in_ci ? "a failure under CI=true (nothing may pass by skipping)" : "skipped (exit 77)");
    return in_ci ? 1 : 77;
}

void exit_missing(const std::string &what) { std::exit(missing(what)); }

#ifdef _WIN32
// The commands are POSIX shell lines; under Windows (wine) they run through
// cmd.exe, which only the plain ones survive. ref_available() is false there.
int run(const std::string &command) { return std::system(command.c_str()); }

static FILE *open_pipe(const char *command) { return ::_popen(command, "rb"); }
static int close_pipe(FILE *p) { return ::_pclose(p); }
#else
int run(const std::string &command) {
    int st = std::system(command.c_str());
    if (st == -1) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static FILE *open_pipe(const char *command) { return ::popen(command, "r"); }
static int close_pipe(FILE *p) {
    int st = ::pclose(p);
    return (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
}
#endif

std::string capture(const std::string &command, int *status) {
    std::string out;
    FILE *p = open_pipe(command.c_str());
    if (!p) {
        if (status) *status = -1;
        return out;
    }
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int st = close_pipe(p);
    if (status) *status = st;
    return out;
}

bool ref_available() {
    static int cached = -1;
    if (cached < 0) {
#ifdef _WIN32
        cached = 0; // the reference tools are Linux programs
#else
        std::string setup = ref_dir() + "/setup";
        cached = (::access(setup.c_str(), X_OK) == 0 && run("'" + setup + "' >/dev/null 2>&1") == 0) ? 1 : 0;
#endif
    }
    return cached == 1;
}

std::string synthetic_model(const std::string &preset, int seed, int ftype) {
    std::string dir = scratch_dir();
    std::string base = dir + "/" + preset + "-s" + std::to_string(seed);
    std::string f16 = base + (ftype == -32 ? "-f32.gguf" : "-f16.gguf");
    std::string out = ftype > 0 ? base + "-t" + std::to_string(ftype) + ".gguf" : f16;
    if (std::filesystem::exists(out)) return out;
    std::string ref = ref_dir();
    // flock serialises parallel tests; the mv makes a finished file appear atomically.
    std::string cmd = "flock '" + dir + "/.lock' sh -c '"
                      "set -e; if [ ! -f " + f16 + " ]; then /usr/bin/python3 " + ref + "/mkgguf.py " + f16 +
                      ".tmp --preset " + preset + " --seed " + std::to_string(seed) +
                      (ftype == -32 ? " --dtype f32" : "") + " >/dev/null; mv " + f16 + ".tmp " + f16 + "; fi; ";
    if (ftype > 0)
        cmd += "if [ ! -f " + out + " ]; then " + ref + "/llref quantize " + f16 + " " + out + ".tmp " +
               std::to_string(ftype) + " >/dev/null 2>&1; mv " + out + ".tmp " + out + "; fi; ";
    cmd += "'";
    if (run(cmd) != 0) return "";
    return std::filesystem::exists(out) ? out : "";
}

std::vector<uint8_t> read_file(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

bool write_file(const std::string &path, const void *data, size_t size) {
    std::ofstream f(path, std::ios::binary);
    f.write(static_cast<const char *>(data), static_cast<std::streamsize>(size));
    return static_cast<bool>(f);
}

std::vector<float> read_f32(const std::string &path) {
    std::vector<uint8_t> raw = read_file(path);
    std::vector<float> out(raw.size() / sizeof(float));
    if (!out.empty()) std::memcpy(out.data(), raw.data(), out.size() * sizeof(float));
    return out;
}

} // namespace testdata
