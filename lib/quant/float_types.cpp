// F32, F16, BF16 and the fp16/bf16 scalar conversions every block codec uses
// for its scales. Rounding is to nearest even, as IEEE 754 and ggml do.
#include "quant/fp_exact.h"
#include "quant/block_io.h"
#include "quant/codecs.h"

namespace loom {

float fp16_to_fp32(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    if (exp == 0x1f) // Inf, or NaN made quiet with its payload kept (as a float multiply does)
        return bits_float(sign | 0x7f800000u | (mant ? 0x00400000u | (mant << 13) : 0u));
    if (exp != 0) return bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
    // zero or subnormal: mant * 2^-24 is exact in float
    return bits_float(sign | float_bits(float(mant) * 0x1p-24f));
}

namespace {

// Rounds `m >> shift` to nearest, ties to even.
uint32_t shift_round_even(uint32_t m, uint32_t shift) {
    const uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1u);
    const uint32_t half = 1u << (shift - 1u);
    return (rem > half || (rem == half && (r & 1u))) ? r + 1u : r;
}

} // namespace

uint16_t fp32_to_fp16(float f) {
    const uint32_t x = float_bits(f);
    const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return sign | 0x7e00u; // NaN: ggml's canonical quiet NaN
    const uint32_t exp = ax >> 23;
    const uint32_t mant = ax & 0x7fffffu;
    if (exp >= 143) return sign | 0x7c00u; // >= 2^16 overflows (Inf stays Inf)
    if (exp >= 113) {                     // normal half; a rounding carry may reach Inf
        const uint32_t h = ((exp - 112u) << 10) | (mant >> 13);
        const uint32_t rem = mant & 0x1fffu;
        return uint16_t(sign | ((rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ? h + 1u : h));
    }
    if (exp < 102) return sign; // below half the smallest subnormal: rounds to zero
    // subnormal half: the value in units of 2^-24 is (mant | implicit bit) >> (126 - exp)
    return uint16_t(sign | shift_round_even(mant | 0x800000u, 126u - exp));
}

float bf16_to_fp32(uint16_t h) { return bits_float(uint32_t(h) << 16); }

uint16_t fp32_to_bf16(float f) {
    const uint32_t x = float_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40u); // NaN: force quiet
    return uint16_t((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

namespace {

// One value per "block": the element codecs are the block skeleton with a
// 2- or 4-byte block.
template <typename Elem, float (*ToFloat)(Elem)>
void elements_to_float(const void *src, float *dst, int64_t n) {
    for_each_block<1, sizeof(Elem)>(src, dst, n, [](const uint8_t *b, float *y) {
        Elem e;
        std::memcpy(&e, b, sizeof e);
        *y = ToFloat(e);
    });
}

template <typename Elem, Elem (*FromFloat)(float)>
void elements_from_float(const float *src, void *dst, int64_t n) {
    for_each_block<1, sizeof(Elem)>(src, dst, n, [](const float *x, uint8_t *b) {
        const Elem e = FromFloat(*x);
        std::memcpy(b, &e, sizeof e);
    });
}

float f32_identity(float f) { return f; }

} // namespace

void f32_to_float(const void *src, float *dst, int64_t n) { elements_to_float<float, f32_identity>(src, dst, n); }
void f32_from_float(const float *src, void *dst, int64_t n) { elements_from_float<float, f32_identity>(src, dst, n); }
void f16_to_float(const void *src, float *dst, int64_t n) { elements_to_float<uint16_t, fp16_to_fp32>(src, dst, n); }
void f16_from_float(const float *src, void *dst, int64_t n) { elements_from_float<uint16_t, fp32_to_fp16>(src, dst, n); }
void bf16_to_float(const void *src, float *dst, int64_t n) { elements_to_float<uint16_t, bf16_to_fp32>(src, dst, n); }
void bf16_from_float(const float *src, void *dst, int64_t n) { elements_from_float<uint16_t, fp32_to_bf16>(src, dst, n); }

} // namespace loom
