#version 450
// y[col][row] = dot(W row `row`, x[col]) for a quantized W (decode path).
// One workgroup per (row, column); its threads stride over the row's
// 16-value chunks and reduce in shared memory. With -DUSE_SUBGROUP each
// subgroup owns a row instead and reduces with subgroupAdd: no barrier, and
// a workgroup covers WG / subgroup-size rows.
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : require
#if defined(USE_SUBGROUP)
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
#define WEIGHT_BINDING 0
#include "dequant.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };

layout(push_constant) uniform P {
    uint k;          // row length
    uint n_rows;
    uint n_cols;
    uint w_stride;   // bytes between weight rows
    uint x_stride;   // floats between x columns
    uint y_stride;   // floats between y columns
    uint w_row0;     // first weight row of this dispatch (within the bound range)
    uint y_row0;     // where that row's output goes (and its bias index)
    uint has_bias;
} p;

#include "mat_vec_dot.glsl"

// The dot of one row with column `col`, strided over `step` lanes.
float row_dot(uint row, uint col, uint lane, uint step) {
    return row_dot_at((p.w_row0 + row) * p.w_stride, col * p.x_stride, p.k, lane, step);
}

void store(uint row, uint col, float acc) {
    uint o = p.y_row0 + row;
    y[col * p.y_stride + o] = acc + (p.has_bias != 0u ? bias[o] : 0.0);
}

#if defined(USE_SUBGROUP)
layout(constant_id = 1) const uint ROWS = 8; // rows per workgroup (WG / the expected subgroup size)

void main() {
    // Looping over the workgroup's rows keeps it right whatever subgroup size the driver picks.
    for (uint rr = gl_SubgroupID; rr < ROWS; rr += gl_NumSubgroups) {
        uint row = gl_WorkGroupID.x * ROWS + rr;
        if (row >= p.n_rows) break;
        float acc = subgroupAdd(row_dot(row, gl_WorkGroupID.y, gl_SubgroupInvocationID, gl_SubgroupSize));
        if (subgroupElect()) store(row, gl_WorkGroupID.y, acc);
    }
}
#else
shared float partial[WG];

void main() {
    uint row = gl_WorkGroupID.x, col = gl_WorkGroupID.y, tid = gl_LocalInvocationID.x;
    if (row >= p.n_rows) return; // uniform across the workgroup
    partial[tid] = row_dot(row, col, tid, WG);
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (tid < s) partial[tid] += partial[tid + s];
        barrier();
    }
    if (tid == 0u) store(row, col, partial[0]);
}
#endif
