#include "http_fetch.h"
#include "transfer_progress.h"

#include "loom.h"

#include <curl/curl.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <strings.h>
#include <unistd.h>

namespace cli {

namespace {

using Curl = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using Headers = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

Curl new_curl() {
    static const bool inited = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    return Curl(inited ? curl_easy_init() : nullptr, curl_easy_cleanup);
}

// "X-Linked-Etag: "abc"\r\n" -> abc, when the header line is `name`.
bool header_value(const std::string &line, const char *name, std::string *value) {
    const size_t n = std::strlen(name);
    if (line.size() <= n || strncasecmp(line.c_str(), name, n) != 0 || line[n] != ':') return false;
    std::string v = line.substr(n + 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
    size_t b = v.find_first_not_of(' ');
    v = b == std::string::npos ? "" : v.substr(b);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    *value = v;
    return true;
}

size_t on_header(char *data, size_t size, size_t n, void *user) {
    auto *a = static_cast<HttpAnswer *>(user);
    const std::string line(data, size * n);
    std::string v;
    if (header_value(line, "X-Linked-Etag", &v) && !v.empty()) a->linked_etag = v;
    if (header_value(line, "X-Linked-Size", &v) && !v.empty()) a->linked_size = std::atoll(v.c_str());
    return size * n;
}

size_t on_text(char *data, size_t size, size_t n, void *user) {
    auto *body = static_cast<std::string *>(user);
    if (body->size() + size * n > (64u << 20)) return 0;
    body->append(data, size * n);
    return size * n;
}

struct FileSink {
    CURL *curl;
    FILE *f;
    long long have;            // bytes in the file before this response's body
    long long written = 0;     // bytes of this response's body written
    bool checked = false, keep = false;
    int error = 0;             // errno of a failed write
    TransferProgress *progress;
};

size_t on_file(char *data, size_t size, size_t n, void *user) {
    auto *s = static_cast<FileSink *>(user);
    const size_t len = size * n;
    if (!s->checked) {
        s->checked = true;
        long code = 0;
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
        s->keep = code == 200 || code == 206;
        if (code == 200 && s->have > 0) {   // the server ignored Range: start over
            std::fflush(s->f);
            if (ftruncate(fileno(s->f), 0) != 0) return s->error = errno, 0;
            s->have = 0;
        }
    }
    if (!s->keep) return len;   // an error page: not part of the file
    if (std::fwrite(data, 1, len, s->f) != len || std::fflush(s->f) != 0) return s->error = errno ? errno : EIO, 0;
    s->written += (long long)len;
    return len;
}

int on_progress(void *user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto *s = static_cast<FileSink *>(user);
    if (s->keep) s->progress->update(s->have + s->written);
    return 0;
}

// Options common to both GETs. `headers` must outlive the transfer.
void common_setup(CURL *c, const HttpGet &get, Headers *headers, char *errbuf, HttpAnswer *a) {
    curl_easy_setopt(c, CURLOPT_URL, get.url.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    // A stalled transfer (under 1 byte/s for 60 s) ends; a resume picks it up.
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    const std::string agent = std::string("loom/") + loom_version_string();
    curl_easy_setopt(c, CURLOPT_USERAGENT, agent.c_str());   // copied by libcurl
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
    if (!get.bearer.empty()) {
        headers->reset(curl_slist_append(nullptr, ("Authorization: Bearer " + get.bearer).c_str()));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers->get());
    }
}

void finish(CURL *c, CURLcode rc, const char *errbuf, HttpAnswer *a) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
    if (rc == CURLE_OK) return;
    a->error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    a->transfer_cut = rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_OPERATION_TIMEDOUT ||
                      rc == CURLE_GOT_NOTHING || rc == CURLE_HTTP2_STREAM;
}

} // namespace

HttpAnswer http_get_text(const HttpGet &get, std::string *body) {
    HttpAnswer a;
    Curl c = new_curl();
    if (!c) return a.error = "libcurl could not start", a;
    Headers headers(nullptr, curl_slist_free_all);
    char errbuf[CURL_ERROR_SIZE] = "";
    common_setup(c.get(), get, &headers, errbuf, &a);
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, on_text);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 120L);
    finish(c.get(), curl_easy_perform(c.get()), errbuf, &a);
    return a;
}

HttpAnswer http_get_file(const HttpGet &get, const std::string &part_path, const std::string &label, long long total) {
    HttpAnswer a;
    FILE *f = std::fopen(part_path.c_str(), "ab");
    if (!f) return a.write_failed = true, a.error = part_path + ": " + std::strerror(errno), a;
    std::fseek(f, 0, SEEK_END);
    const long long have = (long long)std::ftell(f);
    Curl c = new_curl();
    if (!c) return std::fclose(f), a.error = "libcurl could not start", a;
    TransferProgress progress(label, total, have);
    FileSink sink{c.get(), f, have, 0, false, false, 0, &progress};
    Headers headers(nullptr, curl_slist_free_all);
    char errbuf[CURL_ERROR_SIZE] = "";
    common_setup(c.get(), get, &headers, errbuf, &a);
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, on_file);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c.get(), CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c.get(), CURLOPT_XFERINFODATA, &sink);
    // CURLOPT_RANGE, not RESUME_FROM: libcurl then leaves a 200 (Range ignored) to on_file.
    const std::string range = std::to_string(have) + "-";
    if (have > 0) curl_easy_setopt(c.get(), CURLOPT_RANGE, range.c_str());
    finish(c.get(), curl_easy_perform(c.get()), errbuf, &a);
    if (std::fclose(f) != 0 && !sink.error) sink.error = errno;
    if (sink.error) a.write_failed = true, a.error = part_path + ": " + std::strerror(sink.error);
    if (sink.keep && a.error.empty()) progress.finish(sink.have + sink.written);
    else if (sink.keep) progress.cut();
    return a;
}

} // namespace cli

namespace cli {

std::string url_escape_path(const std::string &path) {
    std::string out;
    size_t start = 0;
    while (true) {
        const size_t slash = path.find('/', start);
        const std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        char *e = curl_easy_escape(nullptr, part.c_str(), int(part.size()));
        out += e ? e : part;
        curl_free(e);
        if (slash == std::string::npos) return out;
        out += '/';
        start = slash + 1;
    }
}

} // namespace cli
