#version 450
// out[i][:] = dequant(table row ids[i]) : the embedding lookup.
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : require
#define WEIGHT_BINDING 0
#include "dequant.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

layout(std430, binding = 1) readonly buffer Ids { int ids[]; };
layout(std430, binding = 2) writeonly buffer Out { float dst[]; };

layout(push_constant) uniform P {
    uint k;          // row length
    uint n_ids;
    uint w_stride;   // bytes between table rows
    uint dst_stride; // floats between output rows
    uint row0;       // table rows [row0, row0 + n_table_rows) are bound
    uint n_table_rows;
} p;

void main() {
    uint c = gl_GlobalInvocationID.x, i = gl_WorkGroupID.y;
    if (c >= chunks_of(p.k) || i >= p.n_ids) return;
    uint id = uint(ids[i]);
    if (id < p.row0 || id - p.row0 >= p.n_table_rows) return; // another dispatch's rows
    float v[16];
    dequant16((id - p.row0) * p.w_stride, c, p.k, v);
    uint o = i * p.dst_stride + 16u * c;
    for (uint j = 0u; j < 16u && 16u * c + j < p.k; j++) dst[o + j] = v[j];
}
