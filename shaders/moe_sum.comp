#version 450
// dst[i][c] = sum_j weights[i][j] * src[i*n_used + j][c]: the weighted sum
// of a row's chosen experts, one invocation per output value.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

layout(std430, binding = 0) writeonly buffer D { float dst[]; };
layout(std430, binding = 1) readonly buffer S { float src[]; };
layout(std430, binding = 2) readonly buffer W { float weights[]; };

layout(push_constant) uniform P {
    uint n;        // values per row
    uint n_used;   // slots per row
    uint total;    // rows * n
} p;

void main() {
    uint idx = gl_GlobalInvocationID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x * WG;
    if (idx >= p.total) return;
    uint i = idx / p.n, c = idx % p.n;
    float acc = 0.0;
    for (uint j = 0u; j < p.n_used; j++) {
        uint s = i * p.n_used + j;
        acc += weights[s] * src[s * p.n + c];
    }
    dst[idx] = acc;
}
