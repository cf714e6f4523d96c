#include "model/hparams.h"

#include "gguf/gguf.h"

#include <string>

namespace loom {

namespace {

// Architectures the forward graph implements, as flags.
struct ArchTraits {
    const char *name;
    bool qkv_bias;
    RopeMode rope_mode;
    bool moe;   // routed experts + a shared expert instead of one FFN
};

constexpr ArchTraits kArchs[] = {
    {"qwen2", true, RopeMode::Neox, false},
    {"qwen2moe", true, RopeMode::Neox, true},
    {"llama", false, RopeMode::Normal, false},
};

const ArchTraits *find_arch(const std::string &name) {
    for (const ArchTraits &a : kArchs)
        if (name == a.name) return &a;
    return nullptr;
}

Status get_required_int(const GgufFile &g, const std::string &key, int *out) {
    int64_t v = 0;
    Status s = g.get_int(key, &v);
    if (!s) return Status(s.code(), "model metadata '" + key + "': " + s.message());
    if (v <= 0 || v > (1 << 24)) return error(LOOM_ERR_FORMAT, "model metadata '%s' = %lld is out of range", key.c_str(), (long long)v);
    *out = static_cast<int>(v);
    return Status::ok();
}

Status get_optional_int(const GgufFile &g, const std::string &key, int *out) {
    if (!g.find_kv(key)) return Status::ok();
    return get_required_int(g, key, out);
}

Status get_optional_float(const GgufFile &g, const std::string &key, float *out) {
    if (!g.find_kv(key)) return Status::ok();
    Status s = g.get_float(key, out);
    if (!s) return Status(s.code(), "model metadata '" + key + "': " + s.message());
    return Status::ok();
}

// The expert counts and widths of a qwen2moe file.
Status read_experts(const GgufFile &g, const std::string &p, HParams *h) {
    LOOM_TRY(get_required_int(g, p + "expert_count", &h->n_expert));
    LOOM_TRY(get_required_int(g, p + "expert_used_count", &h->n_expert_used));
    LOOM_TRY(get_required_int(g, p + "expert_feed_forward_length", &h->n_ff_exp));
    LOOM_TRY(get_required_int(g, p + "expert_shared_feed_forward_length", &h->n_ff_shexp));
    if (h->n_expert > 1024 || h->n_expert_used > h->n_expert)
        return error(LOOM_ERR_FORMAT, "expert_used_count %d of expert_count %d is out of range (at most 1024 experts)",
                     h->n_expert_used, h->n_expert);
    return Status::ok();
}

Status check_shapes(const HParams &h) {
    if (h.n_head_kv > h.n_head || h.n_head % h.n_head_kv != 0)
        return error(LOOM_ERR_FORMAT, "attention.head_count %d is not a multiple of head_count_kv %d", h.n_head, h.n_head_kv);
    if (h.head_dim % 2 != 0) return error(LOOM_ERR_FORMAT, "head size %d is odd (RoPE needs pairs)", h.head_dim);
    if (!(h.norm_eps > 0.0f) || !(h.rope_freq_base > 0.0f))
        return error(LOOM_ERR_FORMAT, "rms epsilon %g or rope.freq_base %g is not positive", h.norm_eps, h.rope_freq_base);
    return Status::ok();
}

} // namespace

Status read_hparams(const GgufFile &g, HParams *out) {
    HParams h;
    Status s = g.get_string("general.architecture", &h.arch);
    if (!s) return Status(s.code(), "model metadata 'general.architecture': " + s.message());
    const ArchTraits *arch = find_arch(h.arch);
    if (!arch)
        return error(LOOM_ERR_UNSUPPORTED, "unsupported architecture '%s' (loom runs qwen2, qwen2moe and llama)",
                     h.arch.c_str());
    h.qkv_bias = arch->qkv_bias;
    h.rope_mode = arch->rope_mode;
    const std::string p = h.arch + ".";
    LOOM_TRY(get_required_int(g, p + "block_count", &h.n_layer));
    LOOM_TRY(get_required_int(g, p + "embedding_length", &h.n_embd));
    if (arch->moe) {
        LOOM_TRY(read_experts(g, p, &h));
        h.n_ff = 0;   // qwen2moe files carry a feed_forward_length the graph never uses
        LOOM_TRY(get_optional_int(g, p + "feed_forward_length", &h.n_ff));
    } else {
        LOOM_TRY(get_required_int(g, p + "feed_forward_length", &h.n_ff));
    }
    LOOM_TRY(get_required_int(g, p + "attention.head_count", &h.n_head));
    h.n_head_kv = h.n_head;
    LOOM_TRY(get_optional_int(g, p + "attention.head_count_kv", &h.n_head_kv));
    if (h.n_embd % h.n_head != 0)
        return error(LOOM_ERR_FORMAT, "embedding_length %d is not a multiple of head_count %d", h.n_embd, h.n_head);
    h.head_dim = h.n_embd / h.n_head;
    LOOM_TRY(get_optional_int(g, p + "attention.key_length", &h.head_dim));
    LOOM_TRY(get_optional_int(g, p + "context_length", &h.n_ctx_train));
    h.norm_eps = 1e-5f;
    LOOM_TRY(get_optional_float(g, p + "attention.layer_norm_rms_epsilon", &h.norm_eps));
    LOOM_TRY(get_optional_float(g, p + "rope.freq_base", &h.rope_freq_base));
    const GgufTensor *embd = g.find_tensor("token_embd.weight");
    if (!embd) return error(LOOM_ERR_FORMAT, "tensor 'token_embd.weight' is missing");
    if (embd->ne[1] <= 0 || embd->ne[1] > (1 << 24))
        return error(LOOM_ERR_FORMAT, "tensor 'token_embd.weight' has %lld rows", (long long)embd->ne[1]);
    h.n_vocab = static_cast<int>(embd->ne[1]);
    LOOM_TRY(check_shapes(h));
    *out = h;
    return Status::ok();
}

} // namespace loom
