// The ternary formats: 256 values in {-1, 0, +1} times an fp16 scale d.
//
//   TQ2_0  [qs 64: 2-bit codes q, 2-bit plane as K-quants][d]    x = (q - 1) * d
//   TQ1_0  [qs 48: 5 trits per byte][qh 4: 4 trits per byte][d]  x = (t - 1) * d
//
// TQ1_0 packs trits base 3, first value most significant, then scales the
// number n < 3^5 to a byte as ceil(n * 256 / 243); trit k of byte b comes
// back as ((b * 3^k mod 256) * 3) >> 8. Byte runs and value order:
//   qs[0..31]:  value 32k + m  is trit k of qs[m]
//   qs[32..47]: value 160 + 16k + m  is trit k of qs[32+m]
//   qh[0..3]:   value 240 + 4k + m  is trit k of qh[m] (4 trits, shifted up one)
#include "quant/fp_exact.h"
#include "quant/block_io.h"
#include "quant/code_planes.h"
#include "quant/codecs.h"
#include "quant/scale_search.h"

#include <algorithm>
#include <cmath>

namespace loom {
namespace {

constexpr int kQK = 256;

struct TritRun {
    int first_value, first_byte, bytes, trits;
};
constexpr TritRun kTq1Runs[] = {{0, 0, 32, 5}, {160, 32, 16, 5}, {240, 48, 4, 4}};

int trit(uint8_t byte, int k) {
    static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
    const uint8_t q = uint8_t(byte * kPow3[k]);
    return (int(q) * 3) >> 8;
}

void tq1_0_block_to_float(const uint8_t *b, float *y) {
    const float d = load_fp16(b + 52);
    for (const TritRun &r : kTq1Runs)
        for (int k = 0; k < r.trits; ++k)
            for (int m = 0; m < r.bytes; ++m) y[r.first_value + r.bytes * k + m] = float(trit(b[r.first_byte + m], k) - 1) * d;
}

void tq2_0_block_to_float(const uint8_t *b, float *y) {
    const float d = load_fp16(b + 64);
    for (int v = 0; v < kQK; ++v) y[v] = float(crumb(b, v) - 1) * d;
}

// d = max |x|; each x becomes round(x / d) + 1 in {0, 1, 2}.
float ternary_scale(const float *x, float *id) {
    float amax = 0.0f;
    for (int v = 0; v < kQK; ++v) amax = std::max(amax, std::fabs(x[v]));
    *id = amax != 0.0f ? 1.0f / amax : 0.0f;
    return amax;
}

int ternary_code(float x, float id) { return truncate_clamped(std::round(x * id), -1, 1) + 1; }

void tq1_0_block_from_float(const float *x, uint8_t *b) {
    float id;
    store_fp16(b + 52, ternary_scale(x, &id));
    for (const TritRun &r : kTq1Runs) {
        for (int m = 0; m < r.bytes; ++m) {
            int n = 0;
            for (int k = 0; k < r.trits; ++k) n = n * 3 + ternary_code(x[r.first_value + r.bytes * k + m], id);
            for (int k = r.trits; k < 5; ++k) n *= 3;
            b[r.first_byte + m] = uint8_t((n * 256 + 242) / 243);
        }
    }
}

void tq2_0_block_from_float(const float *x, uint8_t *b) {
    float id;
    std::memset(b, 0, 64);
    store_fp16(b + 64, ternary_scale(x, &id));
    for (int v = 0; v < kQK; ++v) put_crumb(b, v, ternary_code(x[v], id));
}

} // namespace

void tq1_0_to_float(const void *src, float *dst, int64_t n) { for_each_block<kQK, 54>(src, dst, n, tq1_0_block_to_float); }
void tq2_0_to_float(const void *src, float *dst, int64_t n) { for_each_block<kQK, 66>(src, dst, n, tq2_0_block_to_float); }
void tq1_0_from_float(const float *src, void *dst, int64_t n) { for_each_block<kQK, 54>(src, dst, n, tq1_0_block_from_float); }
void tq2_0_from_float(const float *src, void *dst, int64_t n) { for_each_block<kQK, 66>(src, dst, n, tq2_0_block_from_float); }

} // namespace loom
