// One chunk of attention for one KV head, flash-attention style: the cells
// are read once, straight from the cache (f32, f16 or q8_0 rows), in blocks
// of kAttendBlock widened to f32 in L1; every query head of the group (GQA)
// is scored against the block's keys, and a running max / sum /
// unnormalised output per head (online softmax) absorbs the block's values.
// Chunks of the same head merge with attend_merge, so threads can split long
// caches (decode) as well as heads and query rows (prompts).
//
// Levels (attend_kernel): the scalar level is the reference; the AVX2 level
// (AVX2 + FMA + F16C, attend_x86.cpp) widens and dots with 8-lane vectors,
// one head at a time; the AVX-512 level (attend_avx512.cpp) works on all the
// group's heads per load of a block: it transposes the block's keys once so
// each head's 32 scores are two 16-lane accumulators, and adds every head's
// weighted values per load of a value row. All differ only by f32 rounding.
// The SIMD levels need d % 8 == 0 (the op falls back to scalar otherwise).
//
// Owner: backends/cpu (the attention op).
#pragma once

#include "cpu/kernels.h"

#include <cstddef>
#include <cstdint>

namespace loom::cpu {

constexpr int kAttendBlock = 32;

struct AttendChunk {
    const float *q;          // [group][d] queries of the heads sharing this KV head
    const uint8_t *k, *v;    // this KV head's slice of the chunk's first cell
    size_t kv_stride;        // bytes from one cell to the next
    loom_type kv_type;       // F32, F16 or Q8_0 (then d is a multiple of 32)
    const float *kt;         // nullptr, or (kv_type F32 only) the keys packed by attend_key_packer:
    size_t kt_ld;            //   value i of cell c at kt[i*kt_ld + c]; then k is not read
    const float *mask;       // [n]: 0 or -INFINITY per cell
    int64_t n;               // cells in the chunk
    int group, d;
    float scale;
    float *m, *l, *acc;      // per head: running max, sum of weights, [group][d] output (in/out)
    float *work;             // attend_work_floats(group, d) floats
};

// Scratch floats one AttendChunk needs: scores [group][kAttendBlock], each
// head's block max [group], widened keys (or, at the AVX-512 level,
// transposed keys [d][kAttendBlock] with 16 floats to align them to 64
// bytes) and values [kAttendBlock][d].
inline size_t attend_work_floats(int group, int d) {
    return static_cast<size_t>(kAttendBlock) * (static_cast<size_t>(group) + 2 * static_cast<size_t>(d)) +
           static_cast<size_t>(group) + 16;
}

// Starts a chunk's state: m = -inf, l = 0, acc = 0.
void attend_reset(int group, int d, float *m, float *l, float *acc);

using AttendFn = void (*)(const AttendChunk &);

// The chunk kernel for `isa` (Neon: the scalar level).
AttendFn attend_kernel(Isa isa);

// Packs n <= 16 cells of f32 keys (rows of w floats, ld apart; w a multiple
// of 8) into columns: kt[j*ldt + c] = k[c*ld + j] for c < n, j < w; writes
// nothing else.
using AttendPackFn = void (*)(const float *k, int n, int w, size_t ld, float *kt, size_t ldt);

// The packer of the level whose kernel reads packed keys (AttendChunk::kt),
// nullptr for the others. A prompt's rows share one widened copy of the
// cells; packing it once saves each row's chunk transposing every block.
AttendPackFn attend_key_packer(Isa isa);

// out = the softmax output of one head from `n` chunk states: chunk i has
// max m[i*stride], sum l[i*stride] and output acc[i*acc_stride .. +d].
// Writes zeros if no cell was visible.
void attend_merge(int n, const float *m, const float *l, size_t stride, const float *acc, size_t acc_stride, int d,
                  float *out);

} // namespace loom::cpu
