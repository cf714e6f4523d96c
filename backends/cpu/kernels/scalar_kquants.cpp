// Scalar reference: the 256-value super-block types (Q2_K, Q3_K, Q4_K, Q5_K,
// Q6_K, IQ4_XS) x Q8_K activations, and the Q8_K quantizer.
// Every block is decoded to 256 small integers q and 16 integer group scales
// sc (and mins mn), one per 16 values: w = d*sc[g]*q - dmin*mn[g]. The block
// dot is then da * (d * sum_g sc[g]*sum(q*qa) - dmin * sum_g mn[g]*bsums[g]),
// every sum an exact integer.
#include "cpu/kernels/blocks.h"
#include "cpu/kernels/packed.h"
#include "cpu/kernels/skeleton.h"

#include "quant/quant.h"

#include <cmath>

namespace loom::cpu {
namespace {

struct Decoded {
    int8_t q[kQKK];
    int16_t sc[16];
    int16_t mn[16];
    float d;
    float dmin;
};

void decode(const BlockQ2_K &b, Decoded &o) {
    // 2 halves of 128: 4 shifts x 32 bytes; groups of 16 follow the output order.
    for (int h = 0; h < 2; ++h)
        for (int s = 0; s < 4; ++s)
            for (int l = 0; l < 32; ++l) o.q[128 * h + 32 * s + l] = (b.qs[32 * h + l] >> (2 * s)) & 3;
    for (int g = 0; g < 16; ++g) {
        o.sc[g] = b.scales[g] & 0xF;
        o.mn[g] = b.scales[g] >> 4;
    }
    o.d = fp16_to_fp32(b.d);
    o.dmin = fp16_to_fp32(b.dmin);
}
void decode(const BlockQ3_K &b, Decoded &o) {
    for (int h = 0; h < 2; ++h)
        for (int s = 0; s < 4; ++s)
            for (int l = 0; l < 32; ++l) {
                const int i = 128 * h + 32 * s + l;
                const int low = (b.qs[32 * h + l] >> (2 * s)) & 3;
                const bool high = (b.hmask[l] >> (4 * h + s)) & 1;
                o.q[i] = static_cast<int8_t>(low - (high ? 0 : 4));
            }
    int8_t sc[16];
    q3_k_scales(b.scales, sc);
    for (int g = 0; g < 16; ++g) {
        o.sc[g] = sc[g];
        o.mn[g] = 0;
    }
    o.d = fp16_to_fp32(b.d);
    o.dmin = 0.0f;
}
// Q4_K / Q5_K: 4 chunks of 64 values, low nibbles then high nibbles of 32 bytes.
template <class B>
void decode_k45(const B &b, Decoded &o, const uint8_t *qh) {
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) {
            int lo = b.qs[32 * c + l] & 0xF, hi = b.qs[32 * c + l] >> 4;
            if (qh) {
                lo |= ((qh[l] >> (2 * c)) & 1) << 4;
                hi |= ((qh[l] >> (2 * c + 1)) & 1) << 4;
            }
            o.q[64 * c + l] = static_cast<int8_t>(lo);
            o.q[64 * c + 32 + l] = static_cast<int8_t>(hi);
        }
    for (int j = 0; j < 8; ++j) {
        uint8_t sc, m;
        k4_scale_min(b.scales, j, &sc, &m);
        o.sc[2 * j] = o.sc[2 * j + 1] = sc;
        o.mn[2 * j] = o.mn[2 * j + 1] = m;
    }
    o.d = fp16_to_fp32(b.d);
    o.dmin = fp16_to_fp32(b.dmin);
}
void decode(const BlockQ4_K &b, Decoded &o) { decode_k45(b, o, nullptr); }
void decode(const BlockQ5_K &b, Decoded &o) { decode_k45(b, o, b.qh); }
void decode(const BlockQ6_K &b, Decoded &o) {
    for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 32; ++l) {
            const uint8_t *ql = b.ql + 64 * h, *qh = b.qh + 32 * h;
            int8_t *q = o.q + 128 * h;
            q[l] = static_cast<int8_t>(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
            q[l + 32] = static_cast<int8_t>(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
            q[l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            q[l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
    for (int g = 0; g < 16; ++g) {
        o.sc[g] = b.scales[g];
        o.mn[g] = 0;
    }
    o.d = fp16_to_fp32(b.d);
    o.dmin = 0.0f;
}
void decode(const BlockIQ4_XS &b, Decoded &o) {
    for (int j = 0; j < 8; ++j) {
        for (int l = 0; l < 16; ++l) {
            o.q[32 * j + l] = kIq4nlValues[b.qs[16 * j + l] & 0xF];
            o.q[32 * j + 16 + l] = kIq4nlValues[b.qs[16 * j + l] >> 4];
        }
        o.sc[2 * j] = o.sc[2 * j + 1] = static_cast<int16_t>(iq4_xs_scale(b, j));
        o.mn[2 * j] = o.mn[2 * j + 1] = 0;
    }
    o.d = fp16_to_fp32(b.d);
    o.dmin = 0.0f;
}

template <class W>
float dot_q8_k(int64_t k, const void *w, const void *act) {
    const auto *wb = static_cast<const W *>(w);
    const auto *ab = static_cast<const BlockQ8_K *>(act);
    float sum = 0.0f;
    Decoded o;
    for (int64_t i = 0; i < k / kQKK; ++i) {
        decode(wb[i], o);
        int32_t isc = 0, imn = 0;
        for (int g = 0; g < 16; ++g) {
            int32_t s = 0;
            for (int l = 0; l < 16; ++l) s += int32_t(o.q[16 * g + l]) * ab[i].qs[16 * g + l];
            isc += o.sc[g] * s;
            imn += o.mn[g] * ab[i].bsums[g];
        }
        sum += ab[i].d * (o.d * static_cast<float>(isc) - o.dmin * static_cast<float>(imn));
    }
    return sum;
}

#define KQUANT(name, W) const MatmulKernels name = {LOOM_TYPE_Q8_K, quantize_q8_k, matmul_rows<dot_q8_k<W>>};
KQUANT(kQ2_K, BlockQ2_K)
KQUANT(kQ3_K, BlockQ3_K)
KQUANT(kQ5_K, BlockQ5_K)
KQUANT(kQ6_K, BlockQ6_K)
#undef KQUANT
// With the load-time layout (packed.h, scalar_packed.cpp).
const MatmulKernels kQ4_K = {LOOM_TYPE_Q8_K, quantize_q8_k, matmul_rows<dot_q8_k<BlockQ4_K>>, repack_q4_k,
                             matmul_packed_q4_k_ref};
const MatmulKernels kIQ4_XS = {LOOM_TYPE_Q8_K, quantize_q8_k, matmul_rows<dot_q8_k<BlockIQ4_XS>>, repack_iq4_xs,
                               matmul_packed_iq4_xs_ref};

} // namespace

// d = amax/127, q = nearest-even(x * 127/amax), bsums per 16.
void quantize_q8_k(const float *x, void *dst, int64_t k) {
    auto *y = static_cast<BlockQ8_K *>(dst);
    for (int64_t i = 0; i < k / kQKK; ++i) {
        const float *xb = x + i * kQKK;
        float amax = 0.0f;
        for (int l = 0; l < kQKK; ++l) amax = std::fmax(amax, std::fabs(xb[l]));
        const float id = amax > 0.0f ? 127.0f / amax : 0.0f;
        for (int g = 0; g < 16; ++g) {
            int s = 0;
            for (int l = 16 * g; l < 16 * g + 16; ++l) {
                y[i].qs[l] = static_cast<int8_t>(std::nearbyint(xb[l] * id));
                s += y[i].qs[l];
            }
            y[i].bsums[g] = static_cast<int16_t>(s);
        }
        y[i].d = amax / 127.0f;
    }
}

const MatmulKernels *scalar_kquant_kernels(loom_type t) {
    switch (t) {
    case LOOM_TYPE_Q2_K: return &kQ2_K;
    case LOOM_TYPE_Q3_K: return &kQ3_K;
    case LOOM_TYPE_Q4_K: return &kQ4_K;
    case LOOM_TYPE_Q5_K: return &kQ5_K;
    case LOOM_TYPE_Q6_K: return &kQ6_K;
    case LOOM_TYPE_IQ4_XS: return &kIQ4_XS;
    default: return nullptr;
    }
}

} // namespace loom::cpu
