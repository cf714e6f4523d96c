// The dot product of one weight row with one column of x, strided over
// lanes: the inner loop of the decode matmuls (mul_mat_vec, mul_mat_id).
// The including shader includes dequant.glsl and declares x[] first.

// Weight row at byte rb (k values) against x[xb, xb + k), over the row's
// 16-value chunks lane, lane + step, ...
float row_dot_at(uint rb, uint xb, uint k, uint lane, uint step) {
    float acc = 0.0;
    uint nc = chunks_of(k);
    for (uint c = lane; c < nc; c += step) {
        float v[16];
        dequant16(rb, c, k, v);
        uint xi = xb + 16u * c;
        if (16u * c + 16u <= k) {
            [[unroll]] for (uint j = 0u; j < 16u; j++) acc += v[j] * x[xi + j];
        } else {
            for (uint j = 0u; 16u * c + j < k; j++) acc += v[j] * x[xi + j];
        }
    }
    return acc;
}
