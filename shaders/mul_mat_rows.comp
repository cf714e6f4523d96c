#version 450
// Y[col][row] = dot(W row, X col) with one invocation per weight row and no
// shared memory or barriers: each invocation dequantizes a 16-value chunk
// once per group of 4 columns. The matmul for devices that run workgroups on
// CPU cores (lavapipe), where a barrier is a context switch; GPUs get
// mul_mat_vec / mul_mm.
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : require
#define WEIGHT_BINDING 0
#include "dequant.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };

layout(push_constant) uniform P {
    uint k;
    uint n_rows;
    uint n_cols;
    uint w_stride;
    uint x_stride;
    uint y_stride;
    uint w_row0;
    uint y_row0;
    uint has_bias;
} p;

#define NC 4u

void main() {
    uint row = gl_GlobalInvocationID.x;
    if (row >= p.n_rows) return;
    uint rb = (p.w_row0 + row) * p.w_stride, o = p.y_row0 + row;
    float b = p.has_bias != 0u ? bias[o] : 0.0;
    uint nc = chunks_of(p.k);
    for (uint col0 = 0u; col0 < p.n_cols; col0 += NC) {
        float acc[NC];
        [[unroll]] for (uint j = 0u; j < NC; j++) acc[j] = 0.0;
        uint ncols = min(NC, p.n_cols - col0);
        for (uint c = 0u; c < nc; c++) {
            float v[16];
            dequant16(rb, c, p.k, v);
            uint len = min(16u, p.k - 16u * c);
            [[unroll]] for (uint j = 0u; j < NC; j++) {
                if (j >= ncols) break;
                uint xb = (col0 + j) * p.x_stride + 16u * c;
                float s = 0.0;
                if (len == 16u) {
                    [[unroll]] for (uint t = 0u; t < 16u; t++) s += v[t] * x[xb + t];
                } else {
                    for (uint t = 0u; t < len; t++) s += v[t] * x[xb + t];
                }
                acc[j] += s;
            }
        }
        [[unroll]] for (uint j = 0u; j < NC; j++)
            if (j < ncols) y[(col0 + j) * p.y_stride + o] = acc[j] + b;
    }
}
