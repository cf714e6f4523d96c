#version 450
// dst[r][:] = x[r][:] / sqrt(mean(x[r]^2) + eps) * w[:] (one workgroup per row).
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer W { float w[]; };
layout(std430, binding = 2) writeonly buffer D { float dst[]; };

layout(push_constant) uniform P {
    uint n;          // row length
    uint n_rows;
    uint x_stride;   // floats between rows
    uint dst_stride;
    float eps;
} p;

shared float partial[WG];

void main() {
    uint r = gl_WorkGroupID.x, tid = gl_LocalInvocationID.x;
    uint xb = r * p.x_stride;
    float acc = 0.0;
    for (uint i = tid; i < p.n; i += WG) acc += x[xb + i] * x[xb + i];
    partial[tid] = acc;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (tid < s) partial[tid] += partial[tid + s];
        barrier();
    }
    float scale = 1.0 / sqrt(partial[0] / float(p.n) + p.eps);
    for (uint i = tid; i < p.n; i += WG) dst[r * p.dst_stride + i] = x[xb + i] * scale * w[i];
}
