#version 450
// Router of a mixture of experts, one invocation per row: p = softmax of
// the row's n_expert logits, then the n_used largest p, largest first and
// the lower expert first among equal ones (the order the CPU backend
// picks): ids[i][j] and weights[i][j] = p (not renormalised).
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;

layout(std430, binding = 0) writeonly buffer Ids { int ids[]; };
layout(std430, binding = 1) writeonly buffer W { float weights[]; };
layout(std430, binding = 2) readonly buffer L { float logits[]; };

layout(push_constant) uniform P {
    uint n_expert;
    uint n_used;
    uint rows;
    uint stride;   // floats between logit rows
} p;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.rows) return;
    uint lb = i * p.stride;
    float mx = logits[lb];
    for (uint e = 1u; e < p.n_expert; e++) mx = max(mx, logits[lb + e]);
    float sum = 0.0;
    for (uint e = 0u; e < p.n_expert; e++) sum += exp(logits[lb + e] - mx);
    // Each pick is the largest logit ordered after the previous pick
    // (smaller, or equal with a higher index): k scans, no taken-set.
    int prev = -1;
    float prev_l = 0.0;
    for (uint j = 0u; j < p.n_used; j++) {
        int best = -1;
        float best_l = 0.0;
        for (uint e = 0u; e < p.n_expert; e++) {
            float l = logits[lb + e];
            bool after = prev < 0 || l < prev_l || (l == prev_l && int(e) > prev);
            if (after && (best < 0 || l > best_l)) {
                best = int(e);
                best_l = l;
            }
        }
        ids[i * p.n_used + j] = best;
        weights[i * p.n_used + j] = exp(best_l - mx) / sum;
        prev = best;
        prev_l = best_l;
    }
}
