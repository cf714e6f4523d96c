#version 450
// Y[col][row] = dot(W row, X col) for many columns (prompt path): each
// workgroup computes a BM x BN tile, staging BK-wide slices of dequantized
// W and of X in shared memory; each of the 128 threads owns a 4 x 4 block
// of outputs. Dequantization happens once per tile instead of once per
// column as in mul_mat_vec.
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : require
#define WEIGHT_BINDING 0
#include "dequant.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 128; // the thread mapping below needs 128

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

#define BM 64u
#define BN 32u
#define BK 32u

shared float As[BK * BM];       // [kk][row]
shared float Bs[BN * (BK + 1u)]; // [col][kk], padded against bank conflicts

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint row0 = gl_WorkGroupID.x * BM, col0 = gl_WorkGroupID.y * BN;
    uint tr = tid % 16u, tc = tid / 16u; // 16 x 8 threads, 4 x 4 outputs each
    float acc[4][4];
    [[unroll]] for (uint i = 0u; i < 4u; i++) [[unroll]] for (uint j = 0u; j < 4u; j++) acc[i][j] = 0.0;

    for (uint k0 = 0u; k0 < p.k; k0 += BK) {
        { // A: one 16-value chunk per thread (64 rows x 2 chunks)
            uint r = tid / 2u, h = tid % 2u;
            uint row = row0 + r, c = k0 / 16u + h;
            float v[16];
            if (row < p.n_rows && 16u * c < p.k) {
                dequant16((p.w_row0 + row) * p.w_stride, c, p.k, v);
            } else {
                [[unroll]] for (uint j = 0u; j < 16u; j++) v[j] = 0.0;
            }
            [[unroll]] for (uint j = 0u; j < 16u; j++) As[(16u * h + j) * BM + r] = v[j];
        }
        // B: 32 columns x 32 k values, 8 per thread
        [[unroll]] for (uint e = 0u; e < 8u; e++) {
            uint idx = tid + e * 128u;
            uint col = idx / BK, kk = idx % BK;
            uint gc = col0 + col, gk = k0 + kk;
            Bs[col * (BK + 1u) + kk] = (gc < p.n_cols && gk < p.k) ? x[gc * p.x_stride + gk] : 0.0;
        }
        barrier();
        [[unroll]] for (uint kk = 0u; kk < BK; kk++) {
            float a[4], b[4];
            [[unroll]] for (uint i = 0u; i < 4u; i++) a[i] = As[kk * BM + tr * 4u + i];
            [[unroll]] for (uint j = 0u; j < 4u; j++) b[j] = Bs[(tc * 4u + j) * (BK + 1u) + kk];
            [[unroll]] for (uint i = 0u; i < 4u; i++) [[unroll]] for (uint j = 0u; j < 4u; j++) acc[i][j] += a[i] * b[j];
        }
        barrier();
    }
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        uint row = row0 + tr * 4u + i;
        if (row >= p.n_rows) continue;
        uint o = p.y_row0 + row;
        float b = p.has_bias != 0u ? bias[o] : 0.0;
        [[unroll]] for (uint j = 0u; j < 4u; j++) {
            uint col = col0 + tc * 4u + j;
            if (col < p.n_cols) y[col * p.y_stride + o] = acc[i][j] + b;
        }
    }
}
