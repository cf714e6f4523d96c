#version 450
// x[i][c] *= sigmoid(g[i]) (the shared expert's gate), one invocation per value.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer G { float g[]; };

layout(push_constant) uniform P {
    uint n;        // values per row
    uint total;    // rows * n
} p;

void main() {
    uint idx = gl_GlobalInvocationID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x * WG;
    if (idx >= p.total) return;
    x[idx] *= 1.0 / (1.0 + exp(-g[idx / p.n]));
}
