// The attention chunk kernel (attend.h), written once over an Ops policy
// that widens a cache slice to f32 and does the f32 vector work:
//   widen(type, src, dst, d)   axpy(p, x, y, d): y += p*x
//   scale(y, f, d): y *= f        exp_shifted(s, n, m): s[i] = exp(s[i] - m), exp(-inf) = 0
//   weighted_sum(p, v, n, d, ld, y): y += sum over c < n with p[c] != 0 of p[c] * v[c*ld ..]
//     (rows with p[c] == 0, the masked cells, are never read)
//   scores(q, k, n, d, ld, scale, mask, s): s[c] = scale * dot(q, k[c*ld ..]) + mask[c] for c < n
//     (-inf where mask[c] is -inf, whatever k[c] holds); returns the max of s
// An f32 cache (a prompt's widened copy) is read where it lies; other types
// are widened a block of cells at a time into L1.
// Included by attend.cpp (scalar) and attend_x86.cpp (inside its target
// pragma and an anonymous namespace).

template <class Ops>
void attend_chunk(const AttendChunk &a) {
    const int g = a.group, d = a.d;
    float *scores = a.work;                                  // [group][kAttendBlock]
    float *kblk = scores + static_cast<size_t>(kAttendBlock) * g;   // [kAttendBlock][d]
    float *vblk = kblk + static_cast<size_t>(kAttendBlock) * d;     // [kAttendBlock][d]
    const bool direct = a.kv_type == LOOM_TYPE_F32 && a.kv_stride % sizeof(float) == 0;
    const size_t ld = direct ? a.kv_stride / sizeof(float) : static_cast<size_t>(d);
    for (int64_t c0 = 0; c0 < a.n; c0 += kAttendBlock) {
        const int nb = static_cast<int>(a.n - c0 < kAttendBlock ? a.n - c0 : kAttendBlock);
        const float *mask = a.mask + c0;
        const float *kb = kblk, *vb = vblk;
        bool any = false;
        if (direct) {
            kb = reinterpret_cast<const float *>(a.k + static_cast<size_t>(c0) * a.kv_stride);
            vb = reinterpret_cast<const float *>(a.v + static_cast<size_t>(c0) * a.kv_stride);
            for (int c = 0; c < nb && !any; c++) any = mask[c] != -INFINITY;
        } else {
            for (int c = 0; c < nb; c++) {
                if (mask[c] == -INFINITY) continue;
                any = true;
                Ops::widen(a.kv_type, a.k + static_cast<size_t>(c0 + c) * a.kv_stride, kblk + static_cast<size_t>(c) * d, d);
                Ops::widen(a.kv_type, a.v + static_cast<size_t>(c0 + c) * a.kv_stride, vblk + static_cast<size_t>(c) * d, d);
            }
        }
        if (!any) continue;
        for (int h = 0; h < g; h++) {
            float *sh = scores + h * kAttendBlock;
            const float *qh = a.q + static_cast<size_t>(h) * d;
            const float bm = Ops::scores(qh, kb, nb, d, ld, a.scale, mask, sh);
            // New running max; rescale what was absorbed before; weights
            // exp(score - max) (0 for masked cells), then the block's values.
            float *acc = a.acc + static_cast<size_t>(h) * d;
            if (bm > a.m[h]) {
                const float f = a.m[h] == -INFINITY ? 0.0f : std::exp(a.m[h] - bm);
                a.l[h] *= f;
                Ops::scale(acc, f, d);
                a.m[h] = bm;
            }
            Ops::exp_shifted(sh, nb, a.m[h]);
            for (int c = 0; c < nb; c++) a.l[h] += sh[c];
            Ops::weighted_sum(sh, vb, nb, d, ld, acc);
        }
    }
}
