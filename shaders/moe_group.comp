#version 450
// The slots of an expert matmul grouped by expert (a counting sort, stable,
// in one invocation: slots and experts are few): for ids [slots] in
// [0, n_expert), writes start[n_expert + 1] (expert e's slots are
// order[start[e], start[e+1])), n_expert cursors (scratch) and order[slots]
// into one int buffer, for mul_mat_id.comp's GROUPED form.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 1;

layout(std430, binding = 0) buffer Groups { int grp[]; };
layout(std430, binding = 1) readonly buffer Ids { int ids[]; };

layout(push_constant) uniform P {
    uint n_expert;
    uint slots;
} p;

void main() {
    if (gl_GlobalInvocationID.x != 0u) return;
    uint cursor = p.n_expert + 1u, order = 2u * p.n_expert + 1u;
    for (uint e = 0u; e <= p.n_expert; e++) grp[e] = 0;
    for (uint s = 0u; s < p.slots; s++)
        if (uint(ids[s]) < p.n_expert) grp[uint(ids[s]) + 1u]++; // (an id out of range is left out)
    for (uint e = 0u; e < p.n_expert; e++) {
        grp[e + 1u] += grp[e];
        grp[cursor + e] = grp[e];
    }
    for (uint s = 0u; s < p.slots; s++) {
        uint e = uint(ids[s]);
        if (e >= p.n_expert) continue;
        grp[order + uint(grp[cursor + e])] = int(s);
        grp[cursor + e]++;
    }
}
