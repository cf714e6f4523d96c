// A 16 x 16 transpose of 32-bit lanes in 16 zmm registers (included inside
// the anonymous namespace of an AVX-512 file, after its target pragma): only
// shuffles, so float and integer lanes (bitcast) move bit for bit. Used by
// attend_avx512.cpp (keys into columns) and x86_amx.cpp (bf16 pairs of 16
// weight rows into AMX B tiles).

// In place: r[i] lane j <- r[j] lane i. Unpacks of floats then of pairs
// leave r[4b + j] lane-quarter L holding column 4L + j of rows 4b..4b+3; two
// rounds of 128-bit shuffles then gather each column's four quarters.
inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        const __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 1]);
        const __m512d c = _mm512_castps_pd(t[i + 2]), e = _mm512_castps_pd(t[i + 3]);
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, e));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, e));
    }
    for (int j = 0; j < 4; j++) {
        const __m512 p = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88), q = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);
        const __m512 s = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88), u = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);
        t[j] = _mm512_shuffle_f32x4(p, s, 0x88);        // column j
        t[4 + j] = _mm512_shuffle_f32x4(q, u, 0x88);    // column 4 + j
        t[8 + j] = _mm512_shuffle_f32x4(p, s, 0xDD);    // column 8 + j
        t[12 + j] = _mm512_shuffle_f32x4(q, u, 0xDD);   // column 12 + j
    }
    for (int i = 0; i < 16; i++) r[i] = t[i];
}
