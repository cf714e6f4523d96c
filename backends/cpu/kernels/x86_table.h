// The x86 level's table (included inside the level's anonymous namespace
// after the kernel types). kTileR x kTileC come from the including level.

#define LOOM_K(T) matmul_tiled<T, kTileR, kTileC>
// LOOM_PACKED_<type>: repack + matmul_packed where the level has them
// (x86_packed512.h at avx512), else none.
#ifndef LOOM_PACKED_Q4_0
#define LOOM_PACKED_Q4_0 nullptr, nullptr
#endif
#ifndef LOOM_PACKED_IQ4_NL
#define LOOM_PACKED_IQ4_NL nullptr, nullptr
#endif
#ifndef LOOM_PACKED_Q5_0
#define LOOM_PACKED_Q5_0 nullptr, nullptr
#endif
#ifndef LOOM_PACKED_Q5_1
#define LOOM_PACKED_Q5_1 nullptr, nullptr
#endif
#ifndef LOOM_PACKED_IQ4_XS
#define LOOM_PACKED_IQ4_XS nullptr, nullptr
#endif
#ifndef LOOM_PACKED_Q4_K
#define LOOM_PACKED_Q4_K nullptr, nullptr
#endif
// LOOM_LEGACY(T, G), LOOM_KQ(T, Z): the legacy / K-quant matmul of the level
// (x86_avx2.cpp / x86_avx512.cpp).
const MatmulKernels kX86F32 = {LOOM_TYPE_F32, convert_f32_x86, matmul_float<F32W, kTileR, kTileC>};
const MatmulKernels kX86F16 = {LOOM_TYPE_F32, convert_f32_x86, matmul_float<F16W, kTileR, kTileC>};
const MatmulKernels kX86BF16 = {LOOM_TYPE_F32, convert_f32_x86, matmul_float<BF16W, kTileR, kTileC>};
const MatmulKernels kX86Q4_0 = {LOOM_TYPE_Q8_0, quantize_q8_0_x86, LOOM_LEGACY(KQ4_0, G4_0), LOOM_PACKED_Q4_0};
const MatmulKernels kX86Q5_0 = {LOOM_TYPE_Q8_0, quantize_q8_0_x86, LOOM_LEGACY(KQ5_0, G5_0), LOOM_PACKED_Q5_0};
const MatmulKernels kX86Q8_0 = {LOOM_TYPE_Q8_0, quantize_q8_0_x86, LOOM_LEGACY(KQ8_0, G8_0)};
const MatmulKernels kX86IQ4_NL = {LOOM_TYPE_Q8_0, quantize_q8_0_x86, LOOM_LEGACY(KIQ4_NL, GIQ4_NL),
                                 LOOM_PACKED_IQ4_NL};
const MatmulKernels kX86Q4_1 = {LOOM_TYPE_Q8_1, quantize_q8_1_x86, LOOM_LEGACY(KQ4_1, G4_1)};
const MatmulKernels kX86Q5_1 = {LOOM_TYPE_Q8_1, quantize_q8_1_x86, LOOM_LEGACY(KQ5_1, G5_1), LOOM_PACKED_Q5_1};
const MatmulKernels kX86Q2_K = {LOOM_TYPE_Q8_K, quantize_q8_k_x86, LOOM_K(KQ2_K)};
const MatmulKernels kX86Q3_K = {LOOM_TYPE_Q8_K, quantize_q8_k_x86, LOOM_K(KQ3_K)};
const MatmulKernels kX86Q4_K = {LOOM_TYPE_Q8_K, quantize_q8_k_x86, LOOM_KQ(KQ4_K, Z4_K), LOOM_PACKED_Q4_K};
const MatmulKernels kX86Q5_K = {LOOM_TYPE_Q8_K, quantize_q8_k_x86, LOOM_KQ(KQ5_K, Z5_K)};
const MatmulKernels kX86Q6_K = {LOOM_TYPE_Q8_K, quantize_q8_k_x86, LOOM_KQ(KQ6_K, Z6_K)};
const MatmulKernels kX86IQ4_XS = {LOOM_TYPE_Q8_K, quantize_q8_k_x86, LOOM_KQ(KIQ4_XS, ZIQ4_XS),
                                 LOOM_PACKED_IQ4_XS};
#undef LOOM_K
#undef LOOM_LEGACY
#undef LOOM_KQ
#undef LOOM_PACKED_Q4_0
#undef LOOM_PACKED_IQ4_NL
#undef LOOM_PACKED_IQ4_XS
#undef LOOM_PACKED_Q4_K
#undef LOOM_PACKED_Q5_0
#undef LOOM_PACKED_Q5_1

const MatmulKernels *x86_table(loom_type t) {
    switch (t) {
    case LOOM_TYPE_F32: return &kX86F32;
    case LOOM_TYPE_F16: return &kX86F16;
    case LOOM_TYPE_BF16: return &kX86BF16;
    case LOOM_TYPE_Q4_0: return &kX86Q4_0;
    case LOOM_TYPE_Q5_0: return &kX86Q5_0;
    case LOOM_TYPE_Q8_0: return &kX86Q8_0;
    case LOOM_TYPE_IQ4_NL: return &kX86IQ4_NL;
    case LOOM_TYPE_Q4_1: return &kX86Q4_1;
    case LOOM_TYPE_Q5_1: return &kX86Q5_1;
    case LOOM_TYPE_Q2_K: return &kX86Q2_K;
    case LOOM_TYPE_Q3_K: return &kX86Q3_K;
    case LOOM_TYPE_Q4_K: return &kX86Q4_K;
    case LOOM_TYPE_Q5_K: return &kX86Q5_K;
    case LOOM_TYPE_Q6_K: return &kX86Q6_K;
    case LOOM_TYPE_IQ4_XS: return &kX86IQ4_XS;
    default: return nullptr;
    }
}
