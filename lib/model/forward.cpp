// The forward graph of a qwen2 / llama decoder, written once against the
// backend interface. Per layer (pre-norm residual blocks):
//   xn = rmsnorm(x) * attn_norm
//   q, k, v = xn Wq + bq, xn Wk + bk, xn Wv + bv;  rope(q), rope(k)
//   cache[cells] = k, v;  attn = attention(q, cache[ranges], mask)
//   x += attn Wo
//   xn = rmsnorm(x) * ffn_norm;  x += (silu(xn Wgate) * (xn Wup)) Wdown
// qwen2moe replaces that FFN with routed experts plus a gated shared one:
//   p = softmax(xn Wrouter); E = the k largest of p (weights not renormalised)
//   x += sum_{e in E} p_e * ffn_e(xn) + sigmoid(xn . w_shexp_gate) * ffn_shexp(xn)
// then hidden = rmsnorm(x[out_ids]) * output_norm, logits = hidden Wout.
#include "model/model.h"

#include <algorithm>
#include <cmath>

namespace loom {

Status Model::alloc_buffers(Session &s, int64_t n_ctx, int64_t n_batch, loom_type kv_type, ForwardBuffers *out) const {
    const HParams &h = hp_;
    ForwardBuffers b;
    b.n_ctx = n_ctx;
    b.n_batch = n_batch;
    // Parts (backend.h): a split backend keeps each layer's cache on its
    // layer's side, the final rows and logits with the output matrix, and
    // inputs and activations on both sides.
    s.set_part(kPartShared);
    LOOM_TRY(s.alloc(LOOM_TYPE_I32, n_batch, 1, &b.tokens));
    LOOM_TRY(s.alloc(LOOM_TYPE_I32, n_batch, 1, &b.pos));
    LOOM_TRY(s.alloc(LOOM_TYPE_I32, n_batch, 1, &b.cells));
    LOOM_TRY(s.alloc(LOOM_TYPE_I32, n_batch, 1, &b.out_ids));
    LOOM_TRY(s.alloc(LOOM_TYPE_I32, 2, n_batch, &b.ranges));
    LOOM_TRY(reserve_mask(s, b, 1, std::min<int64_t>(n_ctx, kMaskMinCols)));
    for (int i = 0; i < h.n_layer; i++) {
        Tensor *k = nullptr, *v = nullptr;
        s.set_part(i);
        LOOM_TRY(s.alloc(kv_type, h.kv_dim(), n_ctx, &k));
        b.k_cache.push_back(k);
        LOOM_TRY(s.alloc(kv_type, h.kv_dim(), n_ctx, &v));
        b.v_cache.push_back(v);
    }
    s.set_part(kPartShared);
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, h.n_embd, n_batch, &b.x));
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, h.n_embd, n_batch, &b.xn));
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, h.q_dim(), n_batch, &b.q));
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, h.kv_dim(), n_batch, &b.k));
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, h.kv_dim(), n_batch, &b.v));
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, h.q_dim(), n_batch, &b.attn));
    const int n_ff = h.moe() ? h.n_ff_shexp : h.n_ff;
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, n_ff, n_batch, &b.gate));
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, n_ff, n_batch, &b.up));
    if (h.moe()) LOOM_TRY(alloc_moe_buffers(s, n_batch, &b));
    s.set_part(kPartEnds);
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, h.n_embd, n_batch, &b.hidden));
    LOOM_TRY(reserve_logits(s, b, 1));
    *out = std::move(b);
    return Status::ok();
}

Status Model::alloc_moe_buffers(Session &s, int64_t n_batch, ForwardBuffers *b) const {
    const HParams &h = hp_;
    const int64_t slots = n_batch * h.n_expert_used;
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, h.n_expert, n_batch, &b->router));
    LOOM_TRY(s.alloc(LOOM_TYPE_I32, h.n_expert_used, n_batch, &b->expert_ids));
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, h.n_expert_used, n_batch, &b->expert_w));
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, h.n_ff_exp, slots, &b->exp_gate));
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, h.n_ff_exp, slots, &b->exp_up));
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, h.n_embd, slots, &b->exp_out));
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, 1, n_batch, &b->shexp_gate));
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, h.n_embd, n_batch, &b->ffn_out));
    return Status::ok();
}

// The qwen2moe FFN of the n rows of b.xn into b.ffn_out.
Status Model::record_moe_ffn(Session &s, ForwardBuffers &b, const LayerWeights &l, int64_t n) const {
    const HParams &h = hp_;
    const int k = h.n_expert_used;
    LOOM_TRY(s.matmul(b.router, l.ffn_gate_inp, b.xn, nullptr, n));
    LOOM_TRY(s.moe_route(b.expert_ids, b.expert_w, b.router, k, n));
    LOOM_TRY(s.matmul_id(b.exp_gate, l.ffn_gate_exps, b.xn, b.expert_ids, h.n_expert, k, false, n));
    LOOM_TRY(s.matmul_id(b.exp_up, l.ffn_up_exps, b.xn, b.expert_ids, h.n_expert, k, false, n));
    LOOM_TRY(s.swiglu(b.exp_gate, b.exp_gate, b.exp_up, n * k));
    LOOM_TRY(s.matmul_id(b.exp_out, l.ffn_down_exps, b.exp_gate, b.expert_ids, h.n_expert, k, true, n));
    LOOM_TRY(s.moe_sum(b.ffn_out, b.exp_out, b.expert_w, k, n));
    // The shared expert, scaled by its gate.
    LOOM_TRY(s.matmul(b.gate, l.ffn_gate, b.xn, nullptr, n));
    LOOM_TRY(s.matmul(b.up, l.ffn_up, b.xn, nullptr, n));
    LOOM_TRY(s.swiglu(b.gate, b.gate, b.up, n));
    LOOM_TRY(s.matmul(b.shexp_gate, l.ffn_gate_inp_shexp, b.xn, nullptr, n));
    LOOM_TRY(s.matmul(b.xn, l.ffn_down, b.gate, nullptr, n));
    LOOM_TRY(s.scale_sigmoid(b.xn, b.shexp_gate, n));
    return s.add(b.xn, b.xn, b.ffn_out, n);
}

Status Model::reserve_mask(Session &s, ForwardBuffers &b, int64_t rows, int64_t cols) const {
    if (rows <= b.mask_rows && cols <= b.mask_cols) return Status::ok();
    if (rows > b.n_batch || cols > b.n_ctx)
        return error(LOOM_ERR_INTERNAL, "mask of %lld x %lld past the context's %lld x %lld", (long long)rows,
                     (long long)cols, (long long)b.n_batch, (long long)b.n_ctx);
    s.release(b.mask);
    b.mask = nullptr;
    b.mask_rows = b.mask_cols = 0;
    s.set_part(kPartShared);
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, cols, rows, &b.mask));
    b.mask_rows = rows;
    b.mask_cols = cols;
    return Status::ok();
}

Status Model::alloc_taps(Session &s, ForwardBuffers &b) const {
    if (hp_.moe())
        return error(LOOM_ERR_UNSUPPORTED, "importance matrices of mixture-of-experts models are not supported yet");
    std::vector<ActivationTaps> taps(static_cast<size_t>(hp_.n_layer));
    for (size_t il = 0; il < taps.size(); il++) {
        const LayerWeights &l = w_.layers[il];
        ActivationTaps &t = taps[il];
        s.set_part(int(il));
        LOOM_TRY(s.alloc(LOOM_TYPE_F32, l.wq->ne[0], 1, &t.attn_in));
        LOOM_TRY(s.alloc(LOOM_TYPE_F32, l.wo->ne[0], 1, &t.attn_out));
        LOOM_TRY(s.alloc(LOOM_TYPE_F32, l.ffn_gate->ne[0], 1, &t.ffn_in));
        LOOM_TRY(s.alloc(LOOM_TYPE_F32, l.ffn_down->ne[0], 1, &t.ffn_down));
    }
    s.set_part(kPartShared);
    b.taps = std::move(taps);
    return Status::ok();
}

Status Model::reserve_logits(Session &s, ForwardBuffers &b, int64_t rows) const {
    if (rows <= b.n_logits_rows) return Status::ok();
    s.release(b.logits);
    b.logits = nullptr;
    b.n_logits_rows = 0;
    s.set_part(kPartEnds);
    LOOM_TRY(s.alloc(LOOM_TYPE_F32, hp_.n_vocab, rows, &b.logits));
    b.n_logits_rows = rows;
    return Status::ok();
}

Status Model::record_forward(Session &s, ForwardBuffers &b, const ForwardShape &shape) const {
    const HParams &h = hp_;
    const int64_t n = shape.n_tokens;
    if (n <= 0 || n > b.n_batch || shape.n_out < 0 || shape.n_out > n || shape.kv_width <= 0 ||
        shape.kv_width > b.mask_cols)
        return error(LOOM_ERR_INTERNAL, "forward shape out of range (tokens %lld, outputs %lld, cells %lld)",
                     (long long)n, (long long)shape.n_out, (long long)shape.kv_width);
    if (shape.logits && shape.n_out > b.n_logits_rows)
        return error(LOOM_ERR_INTERNAL, "logits buffer has %lld rows, %lld needed", (long long)b.n_logits_rows,
                     (long long)shape.n_out);
    const float scale = 1.0f / std::sqrt(static_cast<float>(h.head_dim));
    LOOM_TRY(s.get_rows(b.x, w_.token_embd, b.tokens, n));
    for (int il = 0; il < h.n_layer; il++) {
        const LayerWeights &l = w_.layers[static_cast<size_t>(il)];
        const ActivationTaps *tap = b.taps.empty() ? nullptr : &b.taps[static_cast<size_t>(il)];
        LOOM_TRY(s.rmsnorm(b.xn, b.x, l.attn_norm, h.norm_eps, n));
        if (tap) LOOM_TRY(s.sum_squares(tap->attn_in, b.xn, n));
        LOOM_TRY(s.matmul(b.q, l.wq, b.xn, l.bq, n));
        LOOM_TRY(s.matmul(b.k, l.wk, b.xn, l.bk, n));
        LOOM_TRY(s.matmul(b.v, l.wv, b.xn, l.bv, n));
        LOOM_TRY(s.rope(b.q, b.pos, h.rope_mode, h.n_head, h.head_dim, h.rope_freq_base, n));
        LOOM_TRY(s.rope(b.k, b.pos, h.rope_mode, h.n_head_kv, h.head_dim, h.rope_freq_base, n));
        Tensor *kc = b.k_cache[static_cast<size_t>(il)], *vc = b.v_cache[static_cast<size_t>(il)];
        LOOM_TRY(s.kv_store(kc, b.k, b.cells, n));
        LOOM_TRY(s.kv_store(vc, b.v, b.cells, n));
        LOOM_TRY(s.attention(b.attn, b.q, kc, vc, b.ranges, b.mask, h.n_head, h.n_head_kv, h.head_dim, scale,
                             shape.kv_width, n));
        if (tap) LOOM_TRY(s.sum_squares(tap->attn_out, b.attn, n));
        LOOM_TRY(s.matmul(b.xn, l.wo, b.attn, nullptr, n));
        LOOM_TRY(s.add(b.x, b.x, b.xn, n));
        LOOM_TRY(s.rmsnorm(b.xn, b.x, l.ffn_norm, h.norm_eps, n));
        if (h.moe()) {
            LOOM_TRY(record_moe_ffn(s, b, l, n));
        } else {
            if (tap) LOOM_TRY(s.sum_squares(tap->ffn_in, b.xn, n));
            LOOM_TRY(s.matmul(b.gate, l.ffn_gate, b.xn, nullptr, n));
            LOOM_TRY(s.matmul(b.up, l.ffn_up, b.xn, nullptr, n));
            LOOM_TRY(s.swiglu(b.gate, b.gate, b.up, n));
            if (tap) LOOM_TRY(s.sum_squares(tap->ffn_down, b.gate, n));
            LOOM_TRY(s.matmul(b.xn, l.ffn_down, b.gate, nullptr, n));
        }
        LOOM_TRY(s.add(b.x, b.x, b.xn, n));
    }
    if (shape.n_out == 0) return Status::ok();
    // Only rows that want outputs go through the final norm and the (large) output matmul.
    LOOM_TRY(s.get_rows(b.xn, b.x, b.out_ids, shape.n_out));
    LOOM_TRY(s.rmsnorm(b.hidden, b.xn, w_.output_norm, h.norm_eps, shape.n_out));
    if (shape.logits) LOOM_TRY(s.matmul(b.logits, w_.output, b.hidden, nullptr, shape.n_out));
    return Status::ok();
}

} // namespace loom
