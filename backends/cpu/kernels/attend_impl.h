// The attention chunk kernel (attend.h), written once over an Ops policy
// that widens a cache slice to f32 and does the f32 vector work:
//   widen(type, src, dst, d)   dot(a, b, d)   axpy(p, x, y, d): y += p*x
//   scale(y, f, d): y *= f        exp_shifted(s, n, m): s[i] = exp(s[i] - m), exp(-inf) = 0
// Included by attend.cpp (scalar) and attend_x86.cpp (inside its target
// pragma and an anonymous namespace).

template <class Ops>
void attend_chunk(const AttendChunk &a) {
    const int g = a.group, d = a.d;
    float *scores = a.work;                                  // [group][kAttendBlock]
    float *kbuf = scores + static_cast<size_t>(kAttendBlock) * g;
    float *vbuf = kbuf + d;
    for (int64_t c0 = 0; c0 < a.n; c0 += kAttendBlock) {
        const int nb = static_cast<int>(a.n - c0 < kAttendBlock ? a.n - c0 : kAttendBlock);
        bool any = false;
        for (int c = 0; c < nb; c++) {
            if (a.mask[c0 + c] == -INFINITY) {
                for (int h = 0; h < g; h++) scores[h * kAttendBlock + c] = -INFINITY;
                continue;
            }
            any = true;
            Ops::widen(a.kv_type, a.k + static_cast<size_t>(c0 + c) * a.kv_stride, kbuf, d);
            for (int h = 0; h < g; h++)
                scores[h * kAttendBlock + c] = a.scale * Ops::dot(a.q + static_cast<size_t>(h) * d, kbuf, d) + a.mask[c0 + c];
        }
        if (!any) continue;
        // New running max per head; rescale what was absorbed before; weights
        // exp(score - max) (0 for masked cells).
        for (int h = 0; h < g; h++) {
            float *sh = scores + h * kAttendBlock;
            float bm = -INFINITY;
            for (int c = 0; c < nb; c++) bm = sh[c] > bm ? sh[c] : bm;
            if (bm > a.m[h]) {
                const float f = a.m[h] == -INFINITY ? 0.0f : std::exp(a.m[h] - bm);
                a.l[h] *= f;
                Ops::scale(a.acc + static_cast<size_t>(h) * d, f, d);
                a.m[h] = bm;
            }
            Ops::exp_shifted(sh, nb, a.m[h]);
        }
        for (int c = 0; c < nb; c++) {
            if (a.mask[c0 + c] == -INFINITY) continue;
            Ops::widen(a.kv_type, a.v + static_cast<size_t>(c0 + c) * a.kv_stride, vbuf, d);
            for (int h = 0; h < g; h++) {
                const float p = scores[h * kAttendBlock + c];
                a.l[h] += p;
                Ops::axpy(p, vbuf, a.acc + static_cast<size_t>(h) * d, d);
            }
        }
    }
}
