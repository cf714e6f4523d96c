#version 450
// Rotary embedding in place: x [rows][n_head*head_dim], pos I32 [rows].
// Pair j of a head rotates by pos * base^(-2j/head_dim); the pair is
// (j, j + head_dim/2) in neox mode, (2j, 2j+1) in normal mode.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Pos { int pos[]; };

layout(push_constant) uniform P {
    uint n_head;
    uint head_dim;
    uint rows;
    uint x_stride;   // floats between rows
    uint neox;       // 1: neox pairing
    float freq_base;
} p;

void main() {
    uint half_dim = p.head_dim / 2u;
    uint j = gl_GlobalInvocationID.x, r = gl_WorkGroupID.y;
    if (j >= p.n_head * half_dim || r >= p.rows) return;
    uint h = j / half_dim;
    j -= h * half_dim;
    float theta = float(pos[r]) * pow(p.freq_base, -2.0 * float(j) / float(p.head_dim));
    float c = cos(theta), s = sin(theta);
    uint base = r * p.x_stride + h * p.head_dim;
    uint i0 = p.neox != 0u ? base + j : base + 2u * j;
    uint i1 = p.neox != 0u ? i0 + half_dim : i0 + 1u;
    float a = x[i0], b = x[i1];
    x[i0] = a * c - b * s;
    x[i1] = a * s + b * c;
}
