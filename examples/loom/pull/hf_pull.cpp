#include "hf_pull.h"
#include "hf_repo.h"
#include "http_fetch.h"
#include "sha256.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace fs = std::filesystem;

namespace cli {

namespace {

const int k_attempts = 5;   // tries per file when the connection is cut mid-body

std::string env(const char *name) {
    const char *v = std::getenv(name);
    return v ? v : "";
}

std::string endpoint() {
    std::string e = env("HF_ENDPOINT");
    if (e.empty()) e = "https://huggingface.co";
    while (!e.empty() && e.back() == '/') e.pop_back();
    return e;
}

HttpGet hub_get(const std::string &url) { return {url, env("HF_TOKEN")}; }

bool is_sha256(const std::string &s) {
    return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The message for an HTTP error status from the Hub about `what`.
std::string status_message(const std::string &what, long status) {
    const std::string code = " (HTTP " + std::to_string(status) + ")";
    if (status == 401 || status == 403)
        return what + ": access denied" + code +
               (env("HF_TOKEN").empty()
                    ? ": the repository is private or gated, or does not exist; set HF_TOKEN to a token that may read it"
                    : ": HF_TOKEN is not accepted for it (a gated repository may need its terms accepted on the Hub)");
    if (status == 404) return what + ": not found on " + endpoint() + code;
    return what + ": the Hub answered" + code;
}

std::string unreachable(const HttpAnswer &a) {
    return "cannot reach " + endpoint() + ": " + a.error + " (check the network, or HF_ENDPOINT)";
}

bool read_text(const fs::path &p, std::string *out) {
    std::ifstream f(p, std::ios::binary);
    if (!f) return false;
    std::ostringstream s;
    s << f.rdbuf();
    *out = s.str();
    return bool(f) || f.eof();
}

bool make_dirs(const fs::path &dir, std::string *why) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!ec) return true;
    *why = "cannot create the cache folder " + dir.string() + ": " + ec.message() +
           " (set LOOM_CACHE to a writable folder)";
    return false;
}

// Writes `text` to `path` through a temporary file and a rename.
bool write_atomic(const fs::path &path, const std::string &text, std::string *why) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << text;
        f.flush();
        if (!f) return *why = "cannot write " + tmp.string() + " (is the disk full?)", false;
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) return *why = "cannot rename " + tmp.string() + ": " + ec.message(), false;
    return true;
}

long long file_size_or(const fs::path &p, long long fallback) {
    std::error_code ec;
    const auto n = fs::file_size(p, ec);
    return ec ? fallback : (long long)n;
}

bool complete(const fs::path &p, const HfFile &f) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && (f.size < 0 || file_size_or(p, -1) == f.size);
}

// The picked files, when the cached listing names them and all are in the cache.
bool from_cache(const fs::path &repo_dir, const HfSpec &spec, std::vector<HfFile> *picked) {
    std::string json, why;
    std::vector<HfFile> files;
    if (!read_text(repo_dir / "main.json", &json) || !parse_listing(json, &files, &why)) return false;
    *picked = pick_files(files, spec.quant, &why);
    if (picked->empty()) return false;
    for (const HfFile &f : *picked)
        if (!complete(repo_dir / "main" / f.path, f)) return false;
    return true;
}

// The Hub's listing of revision main, saved to the cache, and the files to download.
bool from_hub(const fs::path &repo_dir, const HfSpec &spec, std::vector<HfFile> *picked, std::string *why) {
    std::string json;
    const HttpAnswer a = http_get_text(hub_get(endpoint() + "/api/models/" + spec.repo + "/revision/main?blobs=true"), &json);
    if (a.status >= 400) return *why = status_message(spec.repo, a.status), false;
    if (!a.error.empty()) return *why = unreachable(a), false;
    std::vector<HfFile> files;
    if (!parse_listing(json, &files, why)) return *why = spec.repo + ": " + *why, false;
    *picked = pick_files(files, spec.quant, why);
    if (picked->empty()) return *why = spec.repo + ": " + *why, false;
    for (const HfFile &f : *picked)
        if (!safe_repo_path(f.path)) return *why = spec.repo + ": refusing the file name '" + f.path + "'", false;
    return make_dirs(repo_dir, why) && write_atomic(repo_dir / "main.json", json, why);
}

// Gets `f` into `part`, resuming after a cut connection; the last answer.
bool transfer(const HfSpec &spec, const HfFile &f, const fs::path &part, HttpAnswer *a, std::string *why) {
    const std::string url = endpoint() + "/" + spec.repo + "/resolve/main/" + url_escape_path(f.path);
    for (int attempt = 1;; attempt++) {
        *a = http_get_file(hub_get(url), part.string(), f.path, f.size);
        if (a->write_failed) return *why = "cannot write the download: " + a->error, false;
        if (a->status == 416 && attempt == 1) {   // the .part is not a prefix of this file: start over
            fs::remove(part);
            continue;
        }
        if (a->status >= 400) return *why = status_message(spec.repo + "/" + f.path, a->status), false;
        if (a->error.empty()) return true;
        if (!a->transfer_cut) return *why = unreachable(*a), false;
        if (attempt == k_attempts)
            return *why = f.path + ": the connection was cut " + std::to_string(k_attempts) +
                          " times (" + a->error + "); run the command again to resume", false;
        std::fprintf(stderr, "loom: %s: the connection was cut (%s); resuming\n", f.path.c_str(), a->error.c_str());
    }
}

// Downloads `f` to `final_path`: size and sha256 checked, then renamed into place.
bool download(const HfSpec &spec, const HfFile &f, const fs::path &final_path, std::string *why) {
    if (!make_dirs(final_path.parent_path(), why)) return false;
    const fs::path part = final_path.string() + ".part";
    HttpAnswer a;
    if (!transfer(spec, f, part, &a, why)) return false;
    const long long want = f.size >= 0 ? f.size : a.linked_size;
    const long long got = file_size_or(part, -1);
    if (want >= 0 && got != want) {
        fs::remove(part);
        return *why = f.path + ": got " + std::to_string(got) + " bytes, the Hub says " + std::to_string(want) +
                      "; the download was removed", false;
    }
    const std::string expected = is_sha256(f.sha256) ? f.sha256 : is_sha256(a.linked_etag) ? a.linked_etag : "";
    if (expected.empty()) {
        std::fprintf(stderr, "loom: %s: the Hub gives no sha256 for it; only its size was checked\n", f.path.c_str());
    } else {
        const std::string actual = sha256_file(part.string(), why);
        if (actual.empty()) return false;
        if (actual != expected) {
            fs::remove(part);
            return *why = f.path + ": sha256 " + actual + " is not the Hub's " + expected +
                          "; the download was removed", false;
        }
    }
    std::error_code ec;
    fs::rename(part, final_path, ec);
    if (ec) return *why = "cannot rename " + part.string() + ": " + ec.message(), false;
    return true;
}

} // namespace

std::string cache_root(std::string *why) {
    if (!env("LOOM_CACHE").empty()) return env("LOOM_CACHE");
    if (!env("XDG_CACHE_HOME").empty()) return env("XDG_CACHE_HOME") + "/loom";
    if (!env("HOME").empty()) return env("HOME") + "/.cache/loom";
    *why = "no cache folder: set LOOM_CACHE (or XDG_CACHE_HOME or HOME)";
    return "";
}

std::string hf_pull(const std::string &text, std::string *why) {
    HfSpec spec;
    if (!parse_hf_spec(text, &spec, why)) return "";
    const std::string root = cache_root(why);
    if (root.empty()) return "";
    const fs::path repo_dir = fs::path(root) / "hf" / spec.repo;
    std::vector<HfFile> picked;
    if (!from_cache(repo_dir, spec, &picked)) {
        if (!from_hub(repo_dir, spec, &picked, why)) return "";
        for (const HfFile &f : picked) {
            const fs::path local = repo_dir / "main" / f.path;
            if (!complete(local, f) && !download(spec, f, local, why)) return "";
        }
    }
    return (repo_dir / "main" / picked[0].path).string();
}

} // namespace cli
