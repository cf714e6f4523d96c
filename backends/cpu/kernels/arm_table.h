// The ARM level's table (included inside the level's anonymous namespace
// after the kernel types). kTileR x kTileC and LOOM_ARM_I8MM come from the
// including level.

#if LOOM_ARM_I8MM // several activation rows go through smmla (arm_mmla.h)
#define LOOM_L(T) matmul_mmla<T, LegacyPairs<T>>
#define LOOM_K(T) matmul_mmla<T, KQuantPairs<T>>
#else
#define LOOM_L(T) matmul_tiled<T, kTileR, kTileC>
#define LOOM_K(T) matmul_tiled<T, kTileR, kTileC>
#endif
struct ArmEntry {
    loom_type weight;
    MatmulKernels kernels;
};
const ArmEntry kArmTable[] = {
    {LOOM_TYPE_F32, {LOOM_TYPE_F32, convert_f32_arm, matmul_float<F32W, kTileR, kTileC>}},
    {LOOM_TYPE_F16, {LOOM_TYPE_F32, convert_f32_arm, matmul_float<F16W, kTileR, kTileC>}},
    {LOOM_TYPE_BF16, {LOOM_TYPE_F32, convert_f32_arm, matmul_float<BF16W, kTileR, kTileC>}},
    {LOOM_TYPE_Q4_0, {LOOM_TYPE_Q8_0, quantize_q8_0_arm, LOOM_L(KQ4_0)}},
    {LOOM_TYPE_Q5_0, {LOOM_TYPE_Q8_0, quantize_q8_0_arm, LOOM_L(KQ5_0)}},
    {LOOM_TYPE_Q8_0, {LOOM_TYPE_Q8_0, quantize_q8_0_arm, LOOM_L(KQ8_0)}},
    {LOOM_TYPE_IQ4_NL, {LOOM_TYPE_Q8_0, quantize_q8_0_arm, LOOM_L(KIQ4_NL)}},
    {LOOM_TYPE_Q4_1, {LOOM_TYPE_Q8_1, quantize_q8_1_arm, LOOM_L(KQ4_1)}},
    {LOOM_TYPE_Q5_1, {LOOM_TYPE_Q8_1, quantize_q8_1_arm, LOOM_L(KQ5_1)}},
    {LOOM_TYPE_Q2_K, {LOOM_TYPE_Q8_K, quantize_q8_k_arm, LOOM_K(KQuant<FQ2_K>)}},
    {LOOM_TYPE_Q3_K, {LOOM_TYPE_Q8_K, quantize_q8_k_arm, LOOM_K(KQuant<FQ3_K>)}},
    {LOOM_TYPE_Q4_K, {LOOM_TYPE_Q8_K, quantize_q8_k_arm, LOOM_K(KQuant<FQ4_K>)}},
    {LOOM_TYPE_Q5_K, {LOOM_TYPE_Q8_K, quantize_q8_k_arm, LOOM_K(KQuant<FQ5_K>)}},
    {LOOM_TYPE_Q6_K, {LOOM_TYPE_Q8_K, quantize_q8_k_arm, LOOM_K(KQuant<FQ6_K>)}},
    {LOOM_TYPE_IQ4_XS, {LOOM_TYPE_Q8_K, quantize_q8_k_arm, LOOM_K(KQuant<FIQ4_XS>)}},
};
#undef LOOM_K
#undef LOOM_L

const MatmulKernels *arm_table(loom_type t) {
    for (const ArmEntry &e : kArmTable)
        if (e.weight == t) return &e.kernels;
    return nullptr;
}
