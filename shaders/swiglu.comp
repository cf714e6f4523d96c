#version 450
// dst = silu(gate) * up, element-wise over n values (dst may alias an input).
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

layout(std430, binding = 0) buffer D { float dst[]; };
layout(std430, binding = 1) buffer G { float gate[]; };
layout(std430, binding = 2) buffer U { float up[]; };

layout(push_constant) uniform P { uint n; } p;

void main() {
    uint i = gl_GlobalInvocationID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x * WG;
    if (i >= p.n) return;
    float g = gate[i];
    dst[i] = g / (1.0 + exp(-g)) * up[i];
}
