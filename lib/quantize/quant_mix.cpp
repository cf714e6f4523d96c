// The per-tensor type choices of llama-quantize's mixes, written from its
// rules (src/llama-quant.cpp). Numbers in comments are llama_ftype values.
#include "quantize/quant_mix.h"

#include "quant/quant.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace loom {
namespace {

enum class Category {
    TokenEmbd, AttnQ, AttnV, AttnK, AttnQkv, AttnKvB, AttnOutput, FfnUp, FfnGate, FfnDown, Output, Other,
};

bool contains(const std::string &s, const char *part) { return s.find(part) != std::string::npos; }

bool is_token_embd(const std::string &n) { return n == "token_embd.weight" || n == "per_layer_token_embd.weight"; }

Category category_of(const std::string &n) {
    if (n == "output.weight") return Category::Output;
    if (is_token_embd(n)) return Category::TokenEmbd;
    static const struct {
        const char *part;
        Category cat;
    } kParts[] = {
        {"attn_qkv.weight", Category::AttnQkv},       {"attn_kv_b.weight", Category::AttnKvB},
        {"attn_v.weight", Category::AttnV},           {"attn_k.weight", Category::AttnK},
        {"attn_q.weight", Category::AttnQ},           {"attn_output.weight", Category::AttnOutput},
        {"ffn_up", Category::FfnUp},                  {"ffn_gate", Category::FfnGate},
        {"ffn_down", Category::FfnDown},
    };
    for (const auto &p : kParts)
        if (contains(n, p.part)) return p.cat;
    return Category::Other;
}

bool is_attn_v_like(Category c) { return c == Category::AttnV || c == Category::AttnQkv || c == Category::AttnKvB; }

// Tensors llama-quantize leaves in their type: 1-D tensors, names not ending
// in "weight", norms, routers and the small or positional tables it lists.
bool may_quantize(const TensorShape &t) {
    if (ggml_dims(t.ne) < 2) return false;
    const std::string &n = t.name;
    if (n.size() < 6 || n.compare(n.size() - 6, 6, "weight") != 0) return false;
    static const char *const kKeep[] = {
        "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
        "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
        "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
        "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
        "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
        "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight",
        ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger",
        "a.rvq.codebook", "mm.a.code_embd",
    };
    for (const char *k : kKeep)
        if (contains(n, k)) return false;
    return n != "position_embd.weight" && n != "token_types.weight";
}

int64_t block_of(loom_type t) { return type_traits(t)->block_size; }

bool is_quantized(loom_type t) { return type_traits(t)->quantized; }

// Layers counted so far per category, as llama-quantize's counters.
struct Counters {
    int64_t n_attn_v = 0, i_attn_v = 0, i_ffn_down = 0, i_ffn_gate = 0, i_ffn_up = 0;
};

struct Mix {
    const ModelShape &model;
    const MixOptions &opts;
    bool tied = true;  // no output.weight: token_embd doubles as the output
    Counters c;
    int32_t f() const { return opts.ftype->id; }
    bool f_in(std::initializer_list<int32_t> ids) const {
        return std::find(ids.begin(), ids.end(), f()) != ids.end();
    }
    bool falcon() const { return model.arch == "falcon"; }
};

// ftype ids used below (llama.h's llama_ftype).
enum : int32_t {
    kQ4_0 = 2, kQ5_0 = 8, kQ2_K = 10, kQ3_K_S = 11, kQ3_K_M = 12, kQ3_K_L = 13, kQ4_K_S = 14, kQ4_K_M = 15,
    kQ5_K_M = 17, kIQ2_XXS = 19, kIQ2_XS = 20, kQ2_K_S = 21, kIQ3_XS = 22, kIQ3_XXS = 23, kIQ1_S = 24,
    kIQ4_NL = 25, kIQ3_S = 26, kIQ3_M = 27, kIQ2_S = 28, kIQ2_M = 29, kIQ4_XS = 30, kIQ1_M = 31, kTQ1_0 = 36,
    kTQ2_0 = 37,
};

bool more_bits(int64_t i, int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

// The layer of a tensor: the running count, or in a mixture-of-experts model
// (whose expert tensors are not in layer order) the number in its name.
Status layer_of(const Mix &m, int64_t counter, const std::string &name, int64_t *layer) {
    *layer = counter;
    if (std::max<int64_t>(1, m.model.n_expert) <= 1) return Status::ok();
    int l = -1;
    if (std::sscanf(name.c_str(), "blk.%d.", &l) != 1)
        return error(LOOM_ERR_FORMAT, "tensor '%s': no layer number (blk.N.) in a mixture-of-experts model", name.c_str());
    if (l < 0 || l >= m.model.n_layer)
        return error(LOOM_ERR_FORMAT, "tensor '%s': layer %d outside 0..%lld", name.c_str(), l,
                     static_cast<long long>(m.model.n_layer - 1));
    *layer = l;
    return Status::ok();
}

bool low_iq_mix(const Mix &m) { return m.f_in({kIQ2_XXS, kIQ2_XS, kIQ1_S, kIQ2_S, kIQ2_M, kIQ1_M}); }

loom_type output_choice(const Mix &m, const TensorShape &t, loom_type def) {
    if (m.opts.output_tensor_type >= 0) return static_cast<loom_type>(m.opts.output_tensor_type);
    if (m.falcon() || t.ne[0] % block_of(def) != 0) return LOOM_TYPE_Q8_0;
    if (m.f_in({kIQ2_XXS, kIQ2_XS, kIQ3_XXS, kIQ1_S, kIQ2_S, kIQ2_M, kIQ1_M})) return LOOM_TYPE_Q5_K;
    return def != LOOM_TYPE_Q8_0 ? LOOM_TYPE_Q6_K : def;
}

loom_type token_embd_choice(const Mix &m, loom_type def) {
    if (m.opts.token_embedding_type >= 0) return static_cast<loom_type>(m.opts.token_embedding_type);
    if (m.f_in({kIQ2_XXS, kIQ2_XS, kIQ1_S, kIQ1_M})) return LOOM_TYPE_Q2_K;
    if (m.f_in({kIQ2_S, kIQ2_M, kIQ3_XXS})) return LOOM_TYPE_IQ3_S;
    if (m.f_in({kTQ1_0, kTQ2_0})) return LOOM_TYPE_Q4_K;
    return def;
}

// The IQ1/IQ2 mixes have their own rules for every category.
loom_type low_iq_choice(Mix &m, Category cat, loom_type def) {
    bool s_or_m = m.f_in({kIQ2_S, kIQ2_M});
    if (is_attn_v_like(cat)) {
        ++m.c.i_attn_v;
        if (m.model.n_gqa >= 4 || m.model.n_expert >= 4) return LOOM_TYPE_Q4_K;
        return s_or_m ? LOOM_TYPE_IQ3_S : LOOM_TYPE_Q2_K;
    }
    if (m.model.n_expert == 8 && cat == Category::AttnK) return LOOM_TYPE_Q4_K;
    if (cat == Category::FfnDown) {
        bool early = m.c.i_ffn_down < m.model.n_layer / 8;
        ++m.c.i_ffn_down;
        if (early) return s_or_m ? LOOM_TYPE_IQ3_S : LOOM_TYPE_Q2_K;
        return def;
    }
    if (cat == Category::AttnOutput) {
        if (m.model.n_expert == 8) return LOOM_TYPE_Q5_K;
        if (m.f_in({kIQ1_S, kIQ1_M})) return LOOM_TYPE_IQ2_XXS;
        if (s_or_m) return LOOM_TYPE_IQ3_S;
    }
    return def;
}

loom_type attn_v_choice(Mix &m, loom_type def) {
    const int64_t gqa = m.model.n_gqa;
    loom_type t = def;
    if (m.f() == kQ2_K) t = gqa >= 4 ? LOOM_TYPE_Q4_K : LOOM_TYPE_Q3_K;
    else if (m.f() == kQ2_K_S && gqa >= 4) t = LOOM_TYPE_Q4_K;
    else if (m.f() == kIQ3_XXS) t = gqa >= 4 ? LOOM_TYPE_Q4_K : !m.opts.has_imatrix ? LOOM_TYPE_IQ3_S : LOOM_TYPE_IQ3_XXS;
    else if (m.f_in({kIQ3_XS, kIQ3_S}) && gqa >= 4) t = LOOM_TYPE_Q4_K;
    else if (m.f() == kIQ3_M) t = LOOM_TYPE_Q4_K;
    else if (m.f() == kQ3_K_M) t = m.c.i_attn_v < 2 ? LOOM_TYPE_Q5_K : LOOM_TYPE_Q4_K;
    else if (m.f() == kQ3_K_L) t = LOOM_TYPE_Q5_K;
    else if (m.f_in({kIQ4_NL, kIQ4_XS}) && gqa >= 4) t = LOOM_TYPE_Q5_K;
    else if (m.f_in({kQ4_K_M, kQ5_K_M}) && more_bits(m.c.i_attn_v, m.c.n_attn_v)) t = LOOM_TYPE_Q6_K;
    else if (m.f() == kQ4_K_S && m.c.i_attn_v < 4) t = LOOM_TYPE_Q5_K;
    // A 70B's attn_v is 8x smaller than attn_q (8 heads share it): more bits cost little.
    if (m.model.is_70b && (t == LOOM_TYPE_Q3_K || t == LOOM_TYPE_Q4_K)) t = LOOM_TYPE_Q5_K;
    if (m.model.n_expert == 8) t = LOOM_TYPE_Q8_0;
    ++m.c.i_attn_v;
    return t;
}

loom_type ffn_down_choice(const Mix &m, int64_t i, loom_type def) {
    const int64_t n = m.model.n_layer;
    switch (m.f()) {
    case kQ2_K: return LOOM_TYPE_Q3_K;
    case kQ2_K_S: return i < n / 8 ? LOOM_TYPE_Q4_K : def;
    case kQ3_K_M:
        return i < n / 16 ? LOOM_TYPE_Q5_K : !m.falcon() || more_bits(i, n) ? LOOM_TYPE_Q4_K : LOOM_TYPE_Q3_K;
    case kQ3_K_L: return m.falcon() ? LOOM_TYPE_Q4_K : LOOM_TYPE_Q5_K;
    case kQ4_K_M:
        if (m.falcon()) return i < n / 16 ? LOOM_TYPE_Q6_K : more_bits(i, n) ? LOOM_TYPE_Q5_K : LOOM_TYPE_Q4_K;
        return more_bits(i, n) ? LOOM_TYPE_Q6_K : def;
    default: break;
    }
    if (m.f() == kIQ3_XXS && !m.opts.has_imatrix) return i < n / 8 ? LOOM_TYPE_Q4_K : LOOM_TYPE_Q3_K;
    if (m.f() == kIQ3_M) return (i < n / 8 || (m.model.n_expert == 8 && more_bits(i, n))) ? LOOM_TYPE_Q4_K : def;
    if (i < n / 8 && m.f_in({kIQ4_NL, kIQ4_XS}) && !m.opts.has_imatrix) return LOOM_TYPE_Q5_K;
    if (m.f() == kQ5_K_M) return more_bits(i, n) ? LOOM_TYPE_Q6_K : def;
    if (m.f() == kQ4_K_S) return !m.falcon() && i < n / 8 ? LOOM_TYPE_Q5_K : def;
    // With an imatrix the first layers' ffn_down still go wrong in Q4_0/Q5_0: one step up.
    if (m.f_in({kQ4_0, kQ5_0}) && m.opts.has_imatrix && i < n / 8)
        return m.f() == kQ4_0 ? LOOM_TYPE_Q4_1 : LOOM_TYPE_Q5_1;
    return def;
}

loom_type attn_output_choice(const Mix &m, loom_type def) {
    if (m.falcon()) return m.f() == kQ3_K_L ? LOOM_TYPE_Q4_K : def;
    if (m.model.n_expert == 8)
        return m.f_in({kQ2_K, kIQ3_XS, kIQ3_XXS, kQ3_K_S, kQ3_K_M, kIQ4_NL, kQ4_K_S, kQ4_K_M, kIQ3_S, kIQ3_M, kIQ4_XS})
                   ? LOOM_TYPE_Q5_K
                   : def;
    switch (m.f()) {
    case kQ2_K: return LOOM_TYPE_Q3_K;
    case kIQ3_XXS: return LOOM_TYPE_IQ3_S;
    case kQ3_K_M: return LOOM_TYPE_Q4_K;
    case kQ3_K_L: return LOOM_TYPE_Q5_K;
    case kIQ3_M: return LOOM_TYPE_Q4_K;
    default: return def;
    }
}

// The mix's choice for a quantizable tensor (llama_tensor_get_type_impl).
Status mix_choice(Mix &m, const TensorShape &t, Category cat, loom_type def, loom_type *out) {
    *out = def;
    if (cat == Category::Output || (m.tied && cat == Category::TokenEmbd)) {
        *out = output_choice(m, t, def);
    } else if (cat == Category::TokenEmbd) {
        *out = token_embd_choice(m, def);
    } else if (low_iq_mix(m)) {
        *out = low_iq_choice(m, cat, def);
    } else if (is_attn_v_like(cat)) {
        *out = attn_v_choice(m, def);
    } else if (cat == Category::AttnK || cat == Category::AttnQ) {
        if (cat == Category::AttnK && m.model.n_expert == 8) *out = LOOM_TYPE_Q8_0;
        else if (m.f() == kIQ3_XS) *out = LOOM_TYPE_IQ3_XXS;
        else if (m.f() == kIQ3_XXS) *out = LOOM_TYPE_IQ2_S;
    } else if (cat == Category::FfnDown) {
        int64_t layer = 0;
        LOOM_TRY(layer_of(m, m.c.i_ffn_down, t.name, &layer));
        *out = ffn_down_choice(m, layer, def);
        ++m.c.i_ffn_down;
    } else if (cat == Category::AttnOutput) {
        *out = attn_output_choice(m, def);
    } else if (cat == Category::AttnQkv) {
        if (m.f_in({kQ3_K_M, kQ3_K_L, kIQ3_M})) *out = LOOM_TYPE_Q4_K;
        else if (m.f() == kQ4_K_M) *out = LOOM_TYPE_Q5_K;
        else if (m.f() == kQ5_K_M) *out = LOOM_TYPE_Q6_K;
    } else if (cat == Category::FfnGate || cat == Category::FfnUp) {
        int64_t &counter = cat == Category::FfnGate ? m.c.i_ffn_gate : m.c.i_ffn_up;
        int64_t layer = 0;
        LOOM_TRY(layer_of(m, counter, t.name, &layer));
        const int64_t n = m.model.n_layer;
        if (m.f() == kIQ3_XS && layer >= n / 8 && layer < 7 * n / 8) *out = LOOM_TYPE_IQ3_XXS;
        ++counter;
    }
    return Status::ok();
}

// A type whose block does not divide the row: the nearest type with a
// 32-value block, else F16 (tensor_type_fallback).
Status fall_back(const TensorShape &t, loom_type want, loom_type *out) {
    *out = want;
    const int64_t ncols = t.ne[0];
    if (ncols % block_of(want) == 0) return Status::ok();
    loom_type to = want;
    switch (want) {
    case LOOM_TYPE_IQ1_S: case LOOM_TYPE_IQ1_M: case LOOM_TYPE_IQ2_XXS: case LOOM_TYPE_IQ2_XS:
    case LOOM_TYPE_IQ2_S: case LOOM_TYPE_IQ3_XXS: case LOOM_TYPE_IQ3_S: case LOOM_TYPE_IQ4_XS:
        to = LOOM_TYPE_IQ4_NL; break;
    case LOOM_TYPE_Q2_K: case LOOM_TYPE_Q3_K: case LOOM_TYPE_TQ1_0: case LOOM_TYPE_TQ2_0: to = LOOM_TYPE_Q4_0; break;
    case LOOM_TYPE_Q4_K: to = LOOM_TYPE_Q5_0; break;
    case LOOM_TYPE_Q5_K: to = LOOM_TYPE_Q5_1; break;
    case LOOM_TYPE_Q6_K: to = LOOM_TYPE_Q8_0; break;
    default:
        if (block_of(want) > 32)
            return error(LOOM_ERR_UNSUPPORTED, "tensor '%s': %lld columns do not fill %s blocks and %s has no fallback type",
                         t.name.c_str(), static_cast<long long>(ncols), type_traits(want)->name, type_traits(want)->name);
    }
    *out = ncols % block_of(to) == 0 ? to : LOOM_TYPE_F16;
    return Status::ok();
}

} // namespace

uint32_t ggml_dims(const int64_t ne[4]) {
    for (int d = 3; d >= 1; --d)
        if (ne[d] > 1) return static_cast<uint32_t>(d + 1);
    return 1;
}

bool type_needs_imatrix(const std::string &tensor_name, loom_type type, int32_t ftype) {
    if (is_token_embd(tensor_name) || tensor_name == "output.weight") return false;
    switch (type) {
    case LOOM_TYPE_IQ3_XXS: case LOOM_TYPE_IQ2_XXS: case LOOM_TYPE_IQ2_XS: case LOOM_TYPE_IQ2_S:
    case LOOM_TYPE_IQ1_M: case LOOM_TYPE_IQ1_S:
        return true;
    case LOOM_TYPE_Q2_K: return ftype == kQ2_K_S; // the one K-quant mix that needs one
    default: return false;
    }
}

std::vector<size_t> llama_tensor_order(const std::vector<std::string> &names) {
    std::vector<int> layer(names.size(), -1);
    for (size_t i = 0; i < names.size(); ++i) std::sscanf(names[i].c_str(), "blk.%d.", &layer[i]);
    std::vector<size_t> order(names.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return layer[a] != layer[b] ? layer[a] < layer[b] : names[a] < names[b];
    });
    return order;
}

Status choose_tensor_types(const std::vector<TensorShape> &tensors, const ModelShape &model, const MixOptions &opts,
                           std::vector<loom_type> *out) {
    Mix m{model, opts, true, Counters{}};
    for (const TensorShape &t : tensors) {
        Category cat = category_of(t.name);
        if (is_attn_v_like(cat)) ++m.c.n_attn_v;
        if (cat == Category::Output) m.tied = false;
    }
    const loom_type def = opts.ftype->default_type;
    out->assign(tensors.size(), LOOM_TYPE_F32);
    for (size_t i = 0; i < tensors.size(); ++i) {
        const TensorShape &t = tensors[i];
        loom_type &type = (*out)[i];
        type = t.type;
        if (!may_quantize(t)) continue;
        Category cat = category_of(t.name);
        if (opts.token_embedding_type >= 0 && cat == Category::TokenEmbd) {
            type = static_cast<loom_type>(opts.token_embedding_type);
            continue;
        }
        if (opts.output_tensor_type >= 0 && cat == Category::Output) {
            type = static_cast<loom_type>(opts.output_tensor_type);
            continue;
        }
        type = def;
        if (!is_quantized(def)) continue;
        if (!opts.pure) LOOM_TRY(mix_choice(m, t, cat, def, &type));
        LOOM_TRY(fall_back(t, type, &type));
    }
    return Status::ok();
}

} // namespace loom
