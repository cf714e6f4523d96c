// The portable f32 dot product of the CPU backend (attention scores, the
// dequantizing matmul fallback, the scalar attention kernel).
//
// Owner: backends/cpu.
#pragma once

#include <cstdint>

namespace loom::cpu {

// Eight partial sums (one vector register's worth), summed pairwise.
inline float dot_f32(const float *a, const float *b, int64_t n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) acc[l] += a[i + l] * b[i + l];
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

} // namespace loom::cpu
