// The dot products of one weight row with DOT_COLS columns of x, strided
// over lanes: the inner loop of the decode matmuls (mul_mat_vec,
// mul_mat_id). The row is dequantized once for all the columns. The
// including shader includes dequant.glsl, declares x[] and may define
// DOT_COLS (default 1) first.
#ifndef DOT_COLS
#define DOT_COLS 1
#endif

// Weight row at byte rb (k values) against x[xb[j], xb[j] + k) for each
// column j, over the row's 16-value chunks lane, lane + step, ...
void rows_dot_at(uint rb, uint xb[DOT_COLS], uint k, uint lane, uint step, out float acc[DOT_COLS]) {
    [[unroll]] for (uint j = 0u; j < uint(DOT_COLS); j++) acc[j] = 0.0;
    uint nc = chunks_of(k);
    for (uint c = lane; c < nc; c += step) {
        float v[16];
        dequant16(rb, c, k, v);
        [[unroll]] for (uint j = 0u; j < uint(DOT_COLS); j++) {
            uint xi = xb[j] + 16u * c;
            if (16u * c + 16u <= k) {
                [[unroll]] for (uint t = 0u; t < 16u; t++) acc[j] += v[t] * x[xi + t];
            } else {
                for (uint t = 0u; 16u * c + t < k; t++) acc[j] += v[t] * x[xi + t];
            }
        }
    }
}

#if DOT_COLS == 1
// One column: the weight row at byte rb against x[xb, xb + k).
float row_dot_at(uint rb, uint xb, uint k, uint lane, uint step) {
    uint xbs[1] = uint[1](xb);
    float acc[1];
    rows_dot_at(rb, xbs, k, lane, step, acc);
    return acc[0];
}
#endif
