// IQ format constants (definitions in iq_tables.cpp, from ggml-common.h).
#pragma once

#include <cstdint>

namespace loom {
extern const uint8_t kIq2Signs[128];  // ksigns_iq2xs
extern const uint64_t kIq2xxsGrid[256];  // iq2xxs_grid
extern const uint64_t kIq2xsGrid[512];  // iq2xs_grid
extern const uint64_t kIq2sGrid[1024];  // iq2s_grid
extern const uint32_t kIq3xxsGrid[256];  // iq3xxs_grid
extern const uint32_t kIq3sGrid[512];  // iq3s_grid
extern const uint64_t kIq1sGrid[2048];  // iq1s_grid
extern const int8_t kIq4nlValues[16];  // kvalues_iq4nl

constexpr float kIq1Delta = 0.125f;  // IQ1S_DELTA, IQ1M_DELTA

} // namespace loom
