// xoshiro256** (Blackman & Vigna, 2018) seeded through splitmix64: a fully
// specified generator, so a seed gives the same draws on every platform. The
// uniform double is built here from the top 53 bits, not with
// std::uniform_real_distribution (whose output is implementation-defined).
// Owner: lib/sample.
#pragma once

#include <cstdint>

namespace loom {

class Xoshiro256 {
public:
    explicit Xoshiro256(uint64_t seed) { reseed(seed); }

    void reseed(uint64_t seed) {
        for (uint64_t &w : s_) w = splitmix64(&seed);
    }

    uint64_t next() {
        const uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // Uniform in [0, 1): the top 53 bits times 2^-53.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static uint64_t splitmix64(uint64_t *x) {
        uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    uint64_t s_[4];
};

} // namespace loom
