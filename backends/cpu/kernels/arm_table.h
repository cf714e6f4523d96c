// The ARM level's table (included inside the level's anonymous namespace
// after the kernel types). kTileR x kTileC and LOOM_ARM_I8MM come from the
// including level.

#if LOOM_ARM_I8MM // several activation rows go through smmla (arm_mmla.h)
#define LOOM_L(T) matmul_mmla<T, LegacyMmla>
#define LOOM_K(T) matmul_mmla<T, KQuantMmla>
#else
#define LOOM_L(T) matmul_tiled<T, kTileR, kTileC>
#define LOOM_K(T) matmul_tiled<T, kTileR, kTileC>
#endif
const MatmulKernels kArmF32 = {LOOM_TYPE_F32, convert_f32_arm, matmul_float<F32W, kTileR, kTileC>};
const MatmulKernels kArmF16 = {LOOM_TYPE_F32, convert_f32_arm, matmul_float<F16W, kTileR, kTileC>};
const MatmulKernels kArmBF16 = {LOOM_TYPE_F32, convert_f32_arm, matmul_float<BF16W, kTileR, kTileC>};
const MatmulKernels kArmQ4_0 = {LOOM_TYPE_Q8_0, quantize_q8_0_arm, LOOM_L(KQ4_0)};
const MatmulKernels kArmQ5_0 = {LOOM_TYPE_Q8_0, quantize_q8_0_arm, LOOM_L(KQ5_0)};
const MatmulKernels kArmQ8_0 = {LOOM_TYPE_Q8_0, quantize_q8_0_arm, LOOM_L(KQ8_0)};
const MatmulKernels kArmIQ4_NL = {LOOM_TYPE_Q8_0, quantize_q8_0_arm, LOOM_L(KIQ4_NL)};
const MatmulKernels kArmQ4_1 = {LOOM_TYPE_Q8_1, quantize_q8_1_arm, LOOM_L(KQ4_1)};
const MatmulKernels kArmQ5_1 = {LOOM_TYPE_Q8_1, quantize_q8_1_arm, LOOM_L(KQ5_1)};
const MatmulKernels kArmQ2_K = {LOOM_TYPE_Q8_K, quantize_q8_k_arm, LOOM_K(KQ2_K)};
const MatmulKernels kArmQ3_K = {LOOM_TYPE_Q8_K, quantize_q8_k_arm, LOOM_K(KQ3_K)};
const MatmulKernels kArmQ4_K = {LOOM_TYPE_Q8_K, quantize_q8_k_arm, LOOM_K(KQ4_K)};
const MatmulKernels kArmQ5_K = {LOOM_TYPE_Q8_K, quantize_q8_k_arm, LOOM_K(KQ5_K)};
const MatmulKernels kArmQ6_K = {LOOM_TYPE_Q8_K, quantize_q8_k_arm, LOOM_K(KQ6_K)};
const MatmulKernels kArmIQ4_XS = {LOOM_TYPE_Q8_K, quantize_q8_k_arm, LOOM_K(KIQ4_XS)};
#undef LOOM_K
#undef LOOM_L

const MatmulKernels *arm_table(loom_type t) {
    switch (t) {
    case LOOM_TYPE_F32: return &kArmF32;
    case LOOM_TYPE_F16: return &kArmF16;
    case LOOM_TYPE_BF16: return &kArmBF16;
    case LOOM_TYPE_Q4_0: return &kArmQ4_0;
    case LOOM_TYPE_Q5_0: return &kArmQ5_0;
    case LOOM_TYPE_Q8_0: return &kArmQ8_0;
    case LOOM_TYPE_IQ4_NL: return &kArmIQ4_NL;
    case LOOM_TYPE_Q4_1: return &kArmQ4_1;
    case LOOM_TYPE_Q5_1: return &kArmQ5_1;
    case LOOM_TYPE_Q2_K: return &kArmQ2_K;
    case LOOM_TYPE_Q3_K: return &kArmQ3_K;
    case LOOM_TYPE_Q4_K: return &kArmQ4_K;
    case LOOM_TYPE_Q5_K: return &kArmQ5_K;
    case LOOM_TYPE_Q6_K: return &kArmQ6_K;
    case LOOM_TYPE_IQ4_XS: return &kArmIQ4_XS;
    default: return nullptr;
    }
}
