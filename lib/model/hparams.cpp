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

constexpr int64_t kMaxDim = 1 << 24;   // any width, count or product of them

Status check_shapes(const HParams &h) {
    if (h.n_head_kv > h.n_head || h.n_head % h.n_head_kv != 0)
        return error(LOOM_ERR_FORMAT, "attention.head_count %d is not a multiple of head_count_kv %d", h.n_head, h.n_head_kv);
    if (h.head_dim % 2 != 0) return error(LOOM_ERR_FORMAT, "head size %d is odd (RoPE needs pairs)", h.head_dim);
    // q_dim() and kv_dim() are int products: bound them before anything uses them.
    const int64_t q_dim = int64_t(h.n_head) * h.head_dim;
    if (q_dim > kMaxDim)
        return error(LOOM_ERR_FORMAT, "attention.head_count %d x key_length %d = %lld exceeds %lld", h.n_head,
                     h.head_dim, (long long)q_dim, (long long)kMaxDim);
    return Status::ok();
}

// Finite values in the ranges real models use (an infinite epsilon zeroes
// every logit; a base of 1e-30 or +inf turns RoPE into noise).
Status check_floats(const HParams &h, const std::string &p) {
    if (!(h.norm_eps > 0.0f && h.norm_eps <= 1.0f))
        return error(LOOM_ERR_FORMAT, "model metadata '%sattention.layer_norm_rms_epsilon' = %g is not in (0, 1]",
                     p.c_str(), double(h.norm_eps));
    if (!(h.rope_freq_base >= 1.0f && h.rope_freq_base <= 1e12f))
        return error(LOOM_ERR_FORMAT, "model metadata '%srope.freq_base' = %g is not in [1, 1e12]", p.c_str(),
                     double(h.rope_freq_base));
    return Status::ok();
}

// Metadata that changes the computation in ways loom does not implement: a
// model that needs it would run and produce wrong text, so it is refused.
// A key is accepted when it states the behaviour loom has.
bool is_number(const GgufKV &kv) { return kv.type != GgufValueType::String && kv.type != GgufValueType::Array; }

double number(const GgufKV &kv) {
    switch (kv.type) {
    case GgufValueType::F32:
    case GgufValueType::F64: return kv.f64;
    case GgufValueType::I8:
    case GgufValueType::I16:
    case GgufValueType::I32:
    case GgufValueType::I64: return double(kv.i64);
    default: return double(kv.u64);
    }
}

Status check_unsupported_key(const GgufKV &kv, const std::string &suffix, const HParams &h) {
    const bool num = is_number(kv);
    bool ok = true;
    if (suffix == "rope.scaling.type") ok = kv.type == GgufValueType::String && kv.str == "none";
    else if (suffix == "rope.scaling.factor" || suffix == "rope.scale_linear")
        ok = num && (number(kv) == 0.0 || number(kv) == 1.0);
    else if (suffix == "rope.dimension_count" || suffix == "attention.value_length")
        ok = num && number(kv) == double(h.head_dim);
    else if (suffix == "expert_count")
        ok = num && (number(kv) == 0.0 || h.n_expert > 0);   // experts only where the architecture has them
    else if (suffix == "attention.logit_softcapping" ||
             suffix == "final_logit_softcapping" || suffix == "attention.clamp_kqv")
        ok = num && number(kv) == 0.0;
    else if (suffix == "rope.dimension_sections" || suffix == "logit_scale")
        ok = false;
    if (!ok)
        return error(LOOM_ERR_UNSUPPORTED, "model metadata '%s' asks for something loom does not implement",
                     kv.key.c_str());
    return Status::ok();
}

Status check_unsupported_keys(const GgufFile &g, const HParams &h) {
    const std::string p = h.arch + ".";
    for (const GgufKV &kv : g.kvs())
        if (kv.key.compare(0, p.size(), p) == 0) LOOM_TRY(check_unsupported_key(kv, kv.key.substr(p.size()), h));
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
    LOOM_TRY(check_floats(h, p));
    LOOM_TRY(check_unsupported_keys(g, h));
    *out = h;
    return Status::ok();
}

} // namespace loom
