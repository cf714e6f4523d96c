#version 450
// Y[col][row] = dot(W row, X col) with one invocation per weight row and no
// shared memory or barriers. The matmul for devices that run workgroups on
// CPU cores (lavapipe), where a barrier is a context switch; GPUs get
// mul_mat_vec / mul_mm.
//
// Shaped for such devices: there a storage-buffer load whose address differs
// across the SIMD lanes is a scalar loop over the lanes, whatever its width,
// so the number of load instructions is what costs. Each invocation copies a
// whole block (a unit: QK values, or 16 values of a float type) into
// registers with 16-byte loads, realigned by shifts, and dequantizes it from
// there (WQ below: dequant.glsl's byte reads become register reads with
// constant indices); X is read 4 floats per load; the unit is reused for NC
// columns. Subgroup operations are avoided: on lavapipe they cost more than loads.
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : require
#define WEIGHT_BINDING 0

// The current units (one per row) as words: largest Q6_K, 210 bytes, + 1 word read past by ld_u32.
#define BLK_MAX 64u
// Rows per invocation (they share each X load).
layout(constant_id = 3) const uint RPI = 2;
uint blk[RPI][BLK_MAX];
uint cur; // which row's unit the decoder reads
#define WQ(i) blk[cur][i]
#include "dequant.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

layout(std430, binding = 0) readonly buffer Weights4 { uvec4 wq4[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer X4 { vec4 x4[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };

layout(push_constant) uniform P {
    uint k;
    uint n_rows;
    uint n_cols;
    uint w_stride;
    uint x_stride;
    uint y_stride;
    uint w_row0;
    uint y_row0;
    uint has_bias;
} p;

// Columns per pass over the weights (the host sets it to the column count
// for decode): lavapipe runs both sides of every branch under a lane mask,
// so columns past the end would cost as much as real ones.
layout(constant_id = 1) const uint NC = 4;
// Set when k % 16 == 0 and x_stride % 4 == 0: X is read 4 floats per load
// and every chunk is whole; else one float per load with bounds checks.
layout(constant_id = 2) const bool X_VEC = true;
// Set for types whose decoders index tables (IQ*, TQ1_0): the chunks of a
// unit then run as a loop instead of unrolled. Unrolled, every table read is
// a branch ladder and the driver's JIT takes minutes; looped, blk[] is indexed
// at run time (slower, but compiled in about a second).
layout(constant_id = 4) const bool LOOP_CHUNKS = false;
// A unit: 128 values of a 32-value block type (4 blocks), one block of a
// 256-value type, or 128 bytes of a float type; 72-210 bytes. 128 divides
// the common widths (896, 4864) so no partial unit runs masked. The span
// read may pass the row's end: the backend pads weight buffers (kWeightPad).
#define UNIT_VALUES (QK == 1 ? 128u / uint(BLOCK_BYTES) : QK == 32 ? 128u : uint(QK))
#define UNIT_BYTES (UNIT_VALUES / uint(QK) * uint(BLOCK_BYTES))
#define UNIT_CHUNKS (UNIT_VALUES / 16u)
#define UW (UNIT_BYTES / 4u + 1u)        // words kept
#define NR ((UW + 4u + 3u) / 4u)         // 16-byte loads: UW + 1 words from any 4-byte start

// Raw word j of the loaded span.
#define RAW(j) rv[(j) >> 2][(j) & 3u]

// Copies the unit starting at byte b (even) into blk[0, UW).
void load_unit(uint b) {
    uvec4 rv[NR];
    uint base = b >> 4;
    [[unroll]] for (uint j = 0u; j < NR; j++) rv[j] = wq4[base + j];
    uint q = (b >> 2) & 3u;
    bool odd = (b & 2u) != 0u;
    uint prev = q == 0u ? RAW(0u) : q == 1u ? RAW(1u) : q == 2u ? RAW(2u) : RAW(3u);
    [[unroll]] for (uint i = 0u; i < UW; i++) {
        uint next = q == 0u ? RAW(i + 1u) : q == 1u ? RAW(i + 2u) : q == 2u ? RAW(i + 3u) : RAW(i + 4u);
        blk[cur][i] = odd ? (prev >> 16) | (next << 16) : prev;
        prev = next;
    }
}

float acc[RPI][NC];

// Chunk cc (16 values) of unit u of every row, against NC columns from col0.
void chunk(uint u, uint cc, uint col0) {
    uint i0 = u * UNIT_VALUES + 16u * cc; // first value of the chunk
    float xs[NC][16];
    [[unroll]] for (uint j = 0u; j < NC; j++) {
        uint xb = min(col0 + j, p.n_cols - 1u) * p.x_stride + i0;
        if (X_VEC) {
            [[unroll]] for (uint t = 0u; t < 16u; t += 4u) {
                vec4 xv = x4[(xb + t) >> 2];
                xs[j][t] = xv.x; xs[j][t + 1u] = xv.y; xs[j][t + 2u] = xv.z; xs[j][t + 3u] = xv.w;
            }
        } else {
            [[unroll]] for (uint t = 0u; t < 16u; t++) xs[j][t] = i0 + t < p.k ? x[xb + t] : 0.0;
        }
    }
    [[unroll]] for (uint r = 0u; r < RPI; r++) {
        cur = r;
        float v[16];
        dequant16(0u, cc, p.k - u * UNIT_VALUES, v); // k matters only for float types
        [[unroll]] for (uint j = 0u; j < NC; j++) {
            float s = 0.0;
            [[unroll]] for (uint t = 0u; t < 16u; t++) s += v[t] * xs[j][t];
            acc[r][j] += s;
        }
    }
}

void main() {
    // RPI consecutive rows per invocation share each X load; rows past the
    // end repeat the last row (lavapipe would run a skipped one anyway) and are not stored.
    uint row0 = gl_GlobalInvocationID.x * RPI;
    if (row0 >= p.n_rows) return;
    uint rb[RPI];
    [[unroll]] for (uint r = 0u; r < RPI; r++) rb[r] = (p.w_row0 + min(row0 + r, p.n_rows - 1u)) * p.w_stride;
    uint n_units = (p.k + UNIT_VALUES - 1u) / UNIT_VALUES;
    for (uint col0 = 0u; col0 < p.n_cols; col0 += NC) {
        [[unroll]] for (uint r = 0u; r < RPI; r++)
            [[unroll]] for (uint j = 0u; j < NC; j++) acc[r][j] = 0.0;
        for (uint u = 0u; u < n_units; u++) {
            [[unroll]] for (uint r = 0u; r < RPI; r++) {
                cur = r;
                load_unit(rb[r] + u * UNIT_BYTES);
            }
            if (LOOP_CHUNKS) {
                [[dont_unroll]] for (uint cc = 0u; cc < UNIT_CHUNKS; cc++) {
                    if (u * UNIT_VALUES + 16u * cc >= p.k) break; // a partial last unit
                    chunk(u, cc, col0);
                }
            } else {
                [[unroll]] for (uint cc = 0u; cc < UNIT_CHUNKS; cc++) {
                    if (u * UNIT_VALUES + 16u * cc >= p.k) break;
                    chunk(u, cc, col0);
                }
            }
        }
        [[unroll]] for (uint r = 0u; r < RPI; r++) {
            uint o = p.y_row0 + row0 + r;
            float b = p.has_bias != 0u ? bias[min(o, p.y_row0 + p.n_rows - 1u)] : 0.0;
            [[unroll]] for (uint j = 0u; j < NC; j++)
                if (row0 + r < p.n_rows && col0 + j < p.n_cols) y[(col0 + j) * p.y_stride + o] = acc[r][j] + b;
        }
    }
}
