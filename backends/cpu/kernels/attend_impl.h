// The attention chunk kernel (attend.h), written once over an Ops policy
// that widens a cache slice to f32 and does the f32 vector work for all the
// heads of the group against one block of cells (s, p: [g][kAttendBlock]):
//   widen(type, src, dst, d)   scale(y, f, d): y *= f
//   scores(q, g, k, kt, n, d, ld, kt_ld, scale, mask, s, best): for each head h
//     and c < n, s[h][c] = scale * dot(q[h], k[c*ld ..]) + mask[c] (-inf where mask[c]
//     is -inf, whatever k[c] holds), best[h] = the max of s[h][0..n); kt: nullptr, or
//     the keys packed (value i of cell c at kt[i*kt_ld + c]; k is then nullptr)
//   exp_sum(s, n, m): s[i] = exp(s[i] - m) for i < n, exp(-inf) = 0; returns their sum
//   weighted_sum(p, g, v, n, d, ld, mask, y): y[h] += sum over c < n of p[h][c] * v[c*ld ..]
//     (rows with mask[c] == -inf, where p is 0, are never read)
//   kPacksKeys: scores wants packed keys (kt) always; then, for a block the op did
//   not pack, pack_keys(type, k, stride, n, mask, d, spare) packs the cache rows
//   (live cells only) into spare (kAttendBlock * d + 16 floats, the keys' rows
//   otherwise) and returns them (kt_ld kAttendBlock), and the keys are never
//   widened as rows.
// Ops that work one head at a time derive from PerHead, which loops over the
// heads with head_scores (returns best) and head_weighted_sum (rows with
// p[c] == 0 unread), and reads keys as rows.
// An f32 cache (a prompt's widened copy) is read where it lies; other types
// are widened a block of cells at a time into L1.
// Included by attend.cpp (scalar), attend_x86.cpp and attend_avx512.cpp
// (inside their target pragma and an anonymous namespace).

template <class Ops>
struct PerHead {
    static constexpr bool kPacksKeys = false;
    static const float *pack_keys(loom_type, const uint8_t *, size_t, int, const float *, int, float *) { return nullptr; }
    static void scores(const float *q, int g, const float *k, const float * /*kt*/, int n, int d, size_t ld,
                       size_t /*kt_ld*/, float scale, const float *mask, float *s, float *best) {
        for (int h = 0; h < g; h++)
            best[h] = Ops::head_scores(q + static_cast<size_t>(h) * d, k, n, d, ld, scale, mask, s + h * kAttendBlock);
    }
    static void weighted_sum(const float *p, int g, const float *v, int n, int d, size_t ld, const float * /*mask*/,
                             float *y) {
        for (int h = 0; h < g; h++) Ops::head_weighted_sum(p + h * kAttendBlock, v, n, d, ld, y + static_cast<size_t>(h) * d);
    }
};

// Asks for the key and value slices of cell c a block ahead of its use: a
// decode's cache comes from L3 or memory (the model's other layers pass
// between two reads of a layer's cells), and one block's work is long
// enough to hide the next block's loads. One cell's lines per cell widened
// (not the whole next block at the block's start), into L2 (prefetcht1,
// not t0): 0.5B Q4_0, f16 cache, depth 4096, 2 threads, op_profile:
// attention 7.4-8.6 -> 4.1-5.5 ms a token (a block at a time into L2:
// 5.3-5.5; a cell at a time into L1: 6.2-6.7; docs/performance.md,
// 2026-12-06 (3)).
inline void prefetch_cell(const AttendChunk &a, int64_t c, size_t slice_bytes) {
    const size_t at = static_cast<size_t>(c) * a.kv_stride;
    for (size_t off = 0; off < slice_bytes; off += 64) {
        __builtin_prefetch(a.k + at + off, 0, 2);
        __builtin_prefetch(a.v + at + off, 0, 2);
    }
}

template <class Ops>
void attend_chunk(const AttendChunk &a) {
    const int g = a.group, d = a.d;
    float *scores = a.work;                                         // [group][kAttendBlock]
    float *best = scores + static_cast<size_t>(kAttendBlock) * g;   // [group]
    float *kblk = best + g;                                         // [kAttendBlock][d]
    float *vblk = kblk + static_cast<size_t>(kAttendBlock) * d + 16;   // [kAttendBlock][d]
    const bool direct = a.kv_type == LOOM_TYPE_F32 && a.kv_stride % sizeof(float) == 0;
    const size_t ld = direct ? a.kv_stride / sizeof(float) : static_cast<size_t>(d);
    const size_t slice_bytes = a.kv_type == LOOM_TYPE_Q8_0 ? static_cast<size_t>(d / kQK) * sizeof(BlockQ8_0)
                               : static_cast<size_t>(d) * (a.kv_type == LOOM_TYPE_F16 ? 2 : 4);
    for (int64_t c0 = 0; c0 < a.n; c0 += kAttendBlock) {
        const int nb = static_cast<int>(a.n - c0 < kAttendBlock ? a.n - c0 : kAttendBlock);
        const int64_t next = c0 + kAttendBlock;
        const float *mask = a.mask + c0;
        const float *kb = kblk, *vb = vblk, *ktb = a.kt ? a.kt + c0 : nullptr;
        bool any = false;
        if (direct) {
            kb = ktb ? nullptr : reinterpret_cast<const float *>(a.k + static_cast<size_t>(c0) * a.kv_stride);
            vb = reinterpret_cast<const float *>(a.v + static_cast<size_t>(c0) * a.kv_stride);
            for (int c = 0; c < nb && !any; c++) any = mask[c] != -INFINITY;
        } else {
            for (int c = 0; c < nb; c++) {
                if (next + c < a.n) prefetch_cell(a, next + c, slice_bytes);
                if (mask[c] == -INFINITY) continue;
                any = true;
                if (!Ops::kPacksKeys)
                    Ops::widen(a.kv_type, a.k + static_cast<size_t>(c0 + c) * a.kv_stride, kblk + static_cast<size_t>(c) * d, d);
                Ops::widen(a.kv_type, a.v + static_cast<size_t>(c0 + c) * a.kv_stride, vblk + static_cast<size_t>(c) * d, d);
            }
        }
        if (!any) continue;
        size_t kt_ld = a.kt_ld;
        if (Ops::kPacksKeys && !ktb) {
            ktb = Ops::pack_keys(a.kv_type, a.k + static_cast<size_t>(c0) * a.kv_stride, a.kv_stride, nb, mask, d, kblk);
            kt_ld = kAttendBlock;
        }
        Ops::scores(a.q, g, kb, ktb, nb, d, ld, kt_ld, a.scale, mask, scores, best);
        for (int h = 0; h < g; h++) {
            // New running max; rescale what was absorbed before; weights
            // exp(score - max) (0 for masked cells).
            float *acc = a.acc + static_cast<size_t>(h) * d;
            if (best[h] > a.m[h]) {
                const float f = a.m[h] == -INFINITY ? 0.0f : std::exp(a.m[h] - best[h]);
                a.l[h] *= f;
                Ops::scale(acc, f, d);
                a.m[h] = best[h];
            }
            a.l[h] += Ops::exp_sum(scores + h * kAttendBlock, nb, a.m[h]);
        }
        // Then the block's values, into every head's output.
        Ops::weighted_sum(scores, g, vb, nb, d, ld, mask, a.acc);
    }
}
