#version 450
// The expert matmul (mixture of experts): for slot s (row i, choice j of
// ids [rows][n_used]) and output r < n, with e = ids[s],
//   y[s][r] = dot(W row e*n + r, x[src_per_slot ? s : s / n_used])
// where W stacks the experts' [n][k] matrices. Only the chosen experts'
// rows are read. A weight split into parts (buffer ranges) is dispatched
// once per part; a workgroup whose row lies in another part returns.
//
// Two forms (threads stride over a weight row's chunks and reduce in shared
// memory, as mul_mat_vec does):
//   default   one workgroup per (r, s): decode, where every slot has its own expert.
//   GROUPED   one workgroup per (r, e), over the slots that chose e, NS at a
//             time: the row is read once per NS slots (batches). The slots
//             come grouped by expert from moe_group.comp.
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : require
#define WEIGHT_BINDING 0
#include "dequant.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 32;

layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
// Default: the ids [rows][n_used]. GROUPED: moe_group.comp's start[n_expert + 1], cursors, order[slots].
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
    uint slot0;        // first slot (GROUPED: first expert) of this dispatch
    uint n_expert;
} p;

#if defined(GROUPED)
#define NS 4
#define DOT_COLS NS
#endif
#include "mat_vec_dot.glsl"

#if !defined(GROUPED)
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
#else
shared float partial[NS][WG];

void main() {
    uint r = p.row0 + gl_WorkGroupID.x, e = p.slot0 + gl_WorkGroupID.y, tid = gl_LocalInvocationID.x;
    if (r >= p.n) return;
    uint wrow = e * p.n + r;
    if (wrow < p.part_row0 || wrow - p.part_row0 >= p.part_rows) return; // uniform across the workgroup
    uint g0 = uint(ids[e]), g1 = uint(ids[e + 1u]), order = 2u * p.n_expert + 1u;
    uint rb = (wrow - p.part_row0) * p.w_stride;
    for (uint g = g0; g < g1; g += uint(NS)) {
        uint cnt = min(uint(NS), g1 - g);
        uint xb[NS], slot[NS];
        [[unroll]] for (uint j = 0u; j < uint(NS); j++) {
            slot[j] = uint(ids[order + g + min(j, cnt - 1u)]); // past cnt: repeats the last (not stored)
            xb[j] = (p.src_per_slot != 0u ? slot[j] : slot[j] / p.n_used) * p.x_stride;
        }
        float acc[NS];
        rows_dot_at(rb, xb, p.k, tid, WG, acc);
        [[unroll]] for (uint j = 0u; j < uint(NS); j++) partial[j][tid] = acc[j];
        barrier();
        for (uint h = WG / 2u; h > 0u; h >>= 1) {
            if (tid < h)
                [[unroll]] for (uint j = 0u; j < uint(NS); j++) partial[j][tid] += partial[j][tid + h];
            barrier();
        }
        if (tid == 0u)
            for (uint j = 0u; j < cnt; j++) y[slot[j] * p.y_stride + r] = partial[j][0];
        barrier(); // partial is reused by the next group
    }
}
#endif
