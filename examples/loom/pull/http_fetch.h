// HTTP GETs for `loom pull`, on libcurl: a small text answer (the Hub's
// listing), and a file body appended to a .part file with resume (Range) and
// a progress display on stderr. Redirects are followed; an Authorization
// header (HF_TOKEN) goes to the first host only (libcurl's rule), not to the
// CDN a redirect names.
#pragma once

#include <string>

namespace cli {

struct HttpAnswer {
    long status = 0;            // the final response's HTTP status; 0 when none came
    std::string error;          // transport error ("" when a response came): cannot connect, cut off, ...
    bool transfer_cut = false;  // the connection ended before the body did (worth resuming)
    bool write_failed = false;  // the local file could not be written (error says why)
    std::string linked_etag;    // X-Linked-Etag of any response on the way (the Hub: the LFS sha256), unquoted
    long long linked_size = -1; // X-Linked-Size, likewise
};

struct HttpGet {
    std::string url;
    std::string bearer;         // "" for none
};

// GETs a text answer of at most 64 MiB into *body.
HttpAnswer http_get_text(const HttpGet &get, std::string *body);

// GETs a file body into `part_path`, resuming after the bytes it already has
// (Range: bytes=N-); a server that answers 200 to a Range restarts the file.
// `label` and `total` (-1: unknown) are for the progress display.
HttpAnswer http_get_file(const HttpGet &get, const std::string &part_path, const std::string &label, long long total);

} // namespace cli

namespace cli {

// "a b/c.gguf" -> "a%20b/c.gguf": each '/'-separated part percent-encoded.
std::string url_escape_path(const std::string &path);

} // namespace cli
