// SHA-256 (FIPS 180-4), streaming: what `loom pull` checks a downloaded file
// against (the Hub's LFS object id). Small and dependency-free; checked
// against sha256sum in tests/pull.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cli {

class Sha256 {
public:
    Sha256();
    void update(const void *data, size_t n);
    // The digest as 64 lowercase hex digits; the object is spent afterwards.
    std::string hex();

private:
    void block(const uint8_t *p);
    uint32_t h_[8];
    uint8_t buf_[64];
    size_t used_ = 0;
    uint64_t total_ = 0;
};

// The SHA-256 of a whole file in lowercase hex; "" with *why set when it cannot be read.
std::string sha256_file(const std::string &path, std::string *why);

} // namespace cli
