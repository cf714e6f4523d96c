#version 450
// The expert matmul (mixture of experts): for slot s (row i, choice j of
// ids [rows][n_used]) and output r < n, with e = ids[s],
//   y[s][r] = dot(W row e*n + r, x[src_per_slot ? s : s / n_used])
// where W stacks the experts' [n][k] matrices. One workgroup per (r, s)
// reduces in shared memory as mul_mat_vec does: only the chosen experts'
// rows are read. A weight split into parts (buffer ranges) is dispatched
// once per part; a workgroup whose row lies in another part returns.
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : require
#define WEIGHT_BINDING 0
#include "dequant.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 32;

layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
layout(std430, binding = 3) readonly buffer Ids { int ids[]; };

layout(push_constant) uniform P {
    uint k;            // row length
    uint n;            // rows per expert
    uint w_stride;     // bytes between weight rows
    uint x_stride;     // floats between x rows
    uint y_stride;     // floats between y rows
    uint part_row0;    // first stacked row of the bound part
    uint part_rows;    // its rows
    uint n_used;       // slots per input row
    uint src_per_slot; // x has a row per slot (else per input row)
    uint row0;         // first output row of this dispatch
    uint slot0;        // first slot of this dispatch
} p;

#include "mat_vec_dot.glsl"

shared float partial[WG];

void main() {
    uint r = p.row0 + gl_WorkGroupID.x, s = p.slot0 + gl_WorkGroupID.y, tid = gl_LocalInvocationID.x;
    if (r >= p.n) return;
    uint wrow = uint(ids[s]) * p.n + r;
    if (wrow < p.part_row0 || wrow - p.part_row0 >= p.part_rows) return; // uniform across the workgroup
    uint src = p.src_per_slot != 0u ? s : s / p.n_used;
    partial[tid] = row_dot_at((wrow - p.part_row0) * p.w_stride, src * p.x_stride, p.k, tid, WG);
    barrier();
    for (uint h = WG / 2u; h > 0u; h >>= 1) {
        if (tid < h) partial[tid] += partial[tid + h];
        barrier();
    }
    if (tid == 0u) y[s * p.y_stride + r] = partial[0];
}
