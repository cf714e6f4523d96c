#include "synthetic_models.h"

#include "gguf_builder.h"
#include "quant/quant.h"
#include "testdata.h"

#include <cmath>
#include <vector>

namespace quant_test {
namespace {

using gguf_test::GgufBuilder;

// xorshift64* uniform in [0, 1), and a rough normal (sum of four uniforms)
// with an occasional outlier, so that the K-quant scale searches have work.
struct Rng {
    uint64_t s;
    double uniform() {
        s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
        return double((s * 0x2545F4914F6CDD1Dull) >> 11) / double(uint64_t(1) << 53);
    }
    float weight(float scale) {
        double x = (uniform() + uniform() + uniform() + uniform() - 2.0) * 1.7;
        if (uniform() < 0.002) x *= 8.0;
        return float(x * scale);
    }
};

std::vector<uint8_t> encode(const std::vector<float> &v, bool f16) {
    std::vector<uint8_t> out(v.size() * (f16 ? 2 : 4));
    for (size_t i = 0; i < v.size(); ++i) {
        if (f16) {
            uint16_t h = loom::fp32_to_fp16(v[i]);
            std::memcpy(out.data() + 2 * i, &h, 2);
        } else {
            std::memcpy(out.data() + 4 * i, &v[i], 4);
        }
    }
    return out;
}

// The builder writes the header and tensor table; the data (more than its
// 1 MiB of explicit offsets) is laid out here, each tensor 32-byte aligned.
struct Writer {
    GgufBuilder b;
    Rng rng;
    bool f16;
    std::vector<uint8_t> data;
    void add(const std::string &name, std::vector<uint64_t> ne, uint32_t type, const std::vector<uint8_t> &bytes) {
        data.resize(b.align(data.size()), 0);
        b.tensors.push_back({name, std::move(ne), type, {}, {}, uint64_t(data.size())});
        data.insert(data.end(), bytes.begin(), bytes.end());
    }
    void matrix(const std::string &name, int64_t ne0, int64_t ne1) {
        std::vector<float> v(static_cast<size_t>(ne0 * ne1));
        float scale = 1.0f / std::sqrt(float(ne0));
        for (float &x : v) x = rng.weight(scale);
        add(name, {uint64_t(ne0), uint64_t(ne1)}, f16 ? 1 : 0, encode(v, f16));
    }
    void stack(const std::string &name, int64_t ne0, int64_t ne1, int64_t ne2) {
        std::vector<float> v(static_cast<size_t>(ne0 * ne1 * ne2));
        float scale = 1.0f / std::sqrt(float(ne0));
        for (float &x : v) x = rng.weight(scale);
        add(name, {uint64_t(ne0), uint64_t(ne1), uint64_t(ne2)}, f16 ? 1 : 0, encode(v, f16));
    }
    void row(const std::string &name, int64_t n, float mean) {
        std::vector<float> v(static_cast<size_t>(n));
        for (float &x : v) x = mean + rng.weight(0.1f);
        add(name, {uint64_t(n)}, 0, encode(v, false));
    }
};

} // namespace

bool write_model(const ModelSpec &m, const std::string &path, uint32_t seed,
                 const std::function<void(gguf_test::GgufBuilder &)> &extra) {
    Writer w{GgufBuilder{}, Rng{0x9E3779B97F4A7C15ull ^ seed}, m.f16, {}};
    using namespace gguf_test;
    const int64_t head_dim = m.n_embd / m.n_head, kv = head_dim * m.n_head_kv;
    const std::string arch = m.n_expert > 0 ? "qwen2moe" : "qwen2";
    if (m.n_expert > 0)
        w.b.scalar<uint32_t>(arch + ".expert_count", kU32, uint32_t(m.n_expert))
            .scalar<uint32_t>(arch + ".expert_used_count", kU32, 2)
            .scalar<uint32_t>(arch + ".expert_feed_forward_length", kU32, uint32_t(m.n_ff_exp))
            .scalar<uint32_t>(arch + ".expert_shared_feed_forward_length", kU32, uint32_t(m.n_ff));
    w.b.string("general.architecture", arch)
        .string("general.name", std::string("synthetic ") + m.name)
        .scalar<uint32_t>("general.file_type", kU32, m.f16 ? 1 : 0)
        .scalar<uint32_t>(arch + ".block_count", kU32, uint32_t(m.n_layer))
        .scalar<uint32_t>(arch + ".context_length", kU32, 4096)
        .scalar<uint32_t>(arch + ".embedding_length", kU32, uint32_t(m.n_embd))
        .scalar<uint32_t>(arch + ".feed_forward_length", kU32, uint32_t(m.n_ff))
        .scalar<uint32_t>(arch + ".attention.head_count", kU32, uint32_t(m.n_head))
        .scalar<uint32_t>(arch + ".attention.head_count_kv", kU32, uint32_t(m.n_head_kv))
        .scalar<float>(arch + ".rope.freq_base", kF32, 1000000.0f)
        .scalar<float>(arch + ".attention.layer_norm_rms_epsilon", kF32, 1e-6f)
        .scalar<uint32_t>("general.quantization_version", kU32, 2);
    if (extra) extra(w.b);
    w.matrix("token_embd.weight", m.n_embd, m.n_vocab);
    for (int64_t l = 0; l < m.n_layer; ++l) {
        std::string p = "blk." + std::to_string(l) + ".";
        w.row(p + "attn_norm.weight", m.n_embd, 1.0f);
        w.matrix(p + "attn_q.weight", m.n_embd, m.n_embd);
        w.row(p + "attn_q.bias", m.n_embd, 0.0f);
        w.matrix(p + "attn_k.weight", m.n_embd, kv);
        w.row(p + "attn_k.bias", kv, 0.0f);
        w.matrix(p + "attn_v.weight", m.n_embd, kv);
        w.row(p + "attn_v.bias", kv, 0.0f);
        w.matrix(p + "attn_output.weight", m.n_embd, m.n_embd);
        w.row(p + "ffn_norm.weight", m.n_embd, 1.0f);
        if (m.n_expert > 0) {
            w.matrix(p + "ffn_gate_inp.weight", m.n_embd, m.n_expert);
            w.stack(p + "ffn_gate_exps.weight", m.n_embd, m.n_ff_exp, m.n_expert);
            w.stack(p + "ffn_up_exps.weight", m.n_embd, m.n_ff_exp, m.n_expert);
            w.stack(p + "ffn_down_exps.weight", m.n_ff_exp, m.n_embd, m.n_expert);
            w.row(p + "ffn_gate_inp_shexp.weight", m.n_embd, 0.0f);
            w.matrix(p + "ffn_gate_shexp.weight", m.n_embd, m.n_ff);
            w.matrix(p + "ffn_up_shexp.weight", m.n_embd, m.n_ff);
            w.matrix(p + "ffn_down_shexp.weight", m.n_ff, m.n_embd);
        } else {
            w.matrix(p + "ffn_gate.weight", m.n_embd, m.n_ff);
            w.matrix(p + "ffn_up.weight", m.n_embd, m.n_ff);
            w.matrix(p + "ffn_down.weight", m.n_ff, m.n_embd);
        }
    }
    w.row("output_norm.weight", m.n_embd, 1.0f);
    if (!m.tied) w.matrix("output.weight", m.n_embd, m.n_vocab);
    gguf_test::Layout layout;
    std::vector<uint8_t> bytes = w.b.build(&layout);
    bytes.resize(layout.data_offset); // the builder zero-fills up to small offsets: the data goes here instead
    bytes.insert(bytes.end(), w.data.begin(), w.data.end());
    bytes.resize(w.b.align(bytes.size()), 0);
    return testdata::write_file(path, bytes.data(), bytes.size());
}

} // namespace quant_test
