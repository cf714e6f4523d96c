#version 450
// cache[cells[i]][:] = src[i][:] in the cache's type (-DTYPE_F16: two halves
// packed per uint, so n must be even; -DTYPE_F32).
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

layout(std430, binding = 0) writeonly buffer Cache { uint cache[]; };
layout(std430, binding = 1) readonly buffer Src { float src[]; };
layout(std430, binding = 2) readonly buffer Cells { int cells[]; };

layout(push_constant) uniform P {
    uint n;          // values per row
    uint rows;
    uint src_stride; // floats between src rows
} p;

void main() {
    uint i = gl_GlobalInvocationID.x, r = gl_WorkGroupID.y;
    uint s = r * p.src_stride;
    uint cell = uint(cells[r]);
#if defined(TYPE_F16)
    if (2u * i >= p.n) return;
    cache[cell * (p.n / 2u) + i] = packHalf2x16(vec2(src[s + 2u * i], src[s + 2u * i + 1u]));
#else
    if (i >= p.n) return;
    cache[cell * p.n + i] = floatBitsToUint(src[s + i]);
#endif
}
