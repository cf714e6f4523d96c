#version 450
// out[i][h] = sum_{lo <= c < hi} softmax_c(scale * q[i][h].k[c][h/g] + mask[i][c - lo]) v[c][h/g]
// with [lo, hi) = ranges[i], row i's own cells (its sequence's): nothing
// outside it is read. One workgroup per (query row, head). Cells are taken in tiles of TILE:
// scores go to shared memory, and a running max/sum rescales the output
// (online softmax), so any n_kv fits. All math in f32; K/V are F16 (two
// halves per uint, -DTYPE_F16), F32 (-DTYPE_F32) or Q8_0 (-DTYPE_Q8_0).
#extension GL_EXT_control_flow_attributes : enable
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
#define TILE 256u
#define NEG_INF uintBitsToFloat(0xff800000u)
#define MAX_DIMS_PER_THREAD 8u   // head_dim <= 8 * WG

layout(std430, binding = 0) writeonly buffer Out { float dst[]; };
layout(std430, binding = 1) readonly buffer Q { float q[]; };
layout(std430, binding = 2) readonly buffer K { uint kc[]; };
layout(std430, binding = 3) readonly buffer V { uint vc[]; };
layout(std430, binding = 4) readonly buffer Ranges { int ranges[]; };
layout(std430, binding = 5) readonly buffer Mask { float mask[]; };

layout(push_constant) uniform P {
    uint n_head;
    uint n_head_kv;
    uint head_dim;
    uint width;       // the widest range (mask columns used)
    uint n_cells;     // cache rows
    uint q_stride;    // floats between q rows (and out rows)
    uint kv_stride;   // values between cache rows
    uint mask_stride; // floats between mask rows
    float scale;
} p;

shared float sc[TILE];
shared float red[WG];
shared float qs[8u * WG];

// Value j of cache row `cell` (kv_stride values a row).
#if defined(TYPE_F16)
float kval(uint cell, uint j) { uint i = cell * p.kv_stride + j; vec2 t = unpackHalf2x16(kc[i >> 1]); return (i & 1u) == 0u ? t.x : t.y; }
float vval(uint cell, uint j) { uint i = cell * p.kv_stride + j; vec2 t = unpackHalf2x16(vc[i >> 1]); return (i & 1u) == 0u ? t.x : t.y; }
#elif defined(TYPE_Q8_0)
// Rows of kv_stride / 32 blocks of 34 bytes (fp16 d, 32 int8), blocks at even bytes.
#define Q8_VAL(buf, cell, j) \
    uint b = (cell) * (p.kv_stride / 32u) * 34u + ((j) >> 5) * 34u;                        \
    float d = unpackHalf2x16(buf[b >> 2] >> ((b & 2u) * 8u)).x;                             \
    uint qo = b + 2u + ((j) & 31u);                                                          \
    return d * float(int(buf[qo >> 2] << (24u - (qo & 3u) * 8u)) >> 24);
float kval(uint cell, uint j) { Q8_VAL(kc, cell, j) }
float vval(uint cell, uint j) { Q8_VAL(vc, cell, j) }
#else
float kval(uint cell, uint j) { return uintBitsToFloat(kc[cell * p.kv_stride + j]); }
float vval(uint cell, uint j) { return uintBitsToFloat(vc[cell * p.kv_stride + j]); }
#endif

float reduce_max(float v) {
    uint t = gl_LocalInvocationID.x;
    red[t] = v;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (t < s) red[t] = max(red[t], red[t + s]);
        barrier();
    }
    float r = red[0];
    barrier();
    return r;
}

float reduce_sum(float v) {
    uint t = gl_LocalInvocationID.x;
    red[t] = v;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (t < s) red[t] += red[t + s];
        barrier();
    }
    float r = red[0];
    barrier();
    return r;
}

void main() {
    uint i = gl_WorkGroupID.x, h = gl_WorkGroupID.y, t = gl_LocalInvocationID.x;
    uint hk = h / (p.n_head / p.n_head_kv);
    uint qb = i * p.q_stride + h * p.head_dim;
    for (uint d = t; d < p.head_dim; d += WG) qs[d] = q[qb + d] * p.scale;
    barrier();

    float acc[MAX_DIMS_PER_THREAD];
    [[unroll]] for (uint e = 0u; e < MAX_DIMS_PER_THREAD; e++) acc[e] = 0.0;
    float m = NEG_INF, l = 0.0;
    // The range, clamped to the cache and the mask.
    uint lo = min(uint(max(ranges[2u * i], 0)), p.n_cells);
    uint hi = clamp(uint(max(ranges[2u * i + 1u], 0)), lo, min(p.n_cells, lo + p.width));
    for (uint c0 = lo; c0 < hi; c0 += TILE) {
        uint nt = min(TILE, hi - c0);
        float tmax = NEG_INF;
        for (uint c = t; c < nt; c += WG) {
            uint kb = hk * p.head_dim;
            float s = 0.0;
            for (uint d = 0u; d < p.head_dim; d++) s += qs[d] * kval(c0 + c, kb + d);
            s += mask[i * p.mask_stride + c0 - lo + c];
            sc[c] = s;
            tmax = max(tmax, s);
        }
        tmax = reduce_max(tmax);
        float m_new = max(m, tmax);
        // A fully masked tile so far leaves m at -inf: nothing to rescale.
        float alpha = m_new == NEG_INF ? 1.0 : exp(m - m_new);
        float part = 0.0;
        for (uint c = t; c < nt; c += WG) {
            float e = m_new == NEG_INF ? 0.0 : exp(sc[c] - m_new);
            sc[c] = e;
            part += e;
        }
        part = reduce_sum(part); // its barriers also publish sc[]
        l = l * alpha + part;
        [[unroll]] for (uint e = 0u; e < MAX_DIMS_PER_THREAD; e++) {
            uint d = t + e * WG;
            if (d >= p.head_dim) break;
            float a = acc[e] * alpha;
            for (uint c = 0u; c < nt; c++) a += sc[c] * vval(c0 + c, hk * p.head_dim + d);
            acc[e] = a;
        }
        m = m_new;
        barrier();
    }
    float inv = l > 0.0 ? 1.0 / l : 0.0;
    [[unroll]] for (uint e = 0u; e < MAX_DIMS_PER_THREAD; e++) {
        uint d = t + e * WG;
        if (d >= p.head_dim) break;
        dst[qb + d] = acc[e] * inv;
    }
}
