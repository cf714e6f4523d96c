#include "tiny_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

namespace tinymodel {

namespace {

enum : uint32_t { kU32 = 4, kI32 = 5, kF32 = 6, kString = 8, kArray = 9 };

struct Bytes {
    std::vector<uint8_t> v;
    void raw(const void *p, size_t n) { v.insert(v.end(), (const uint8_t *)p, (const uint8_t *)p + n); }
    template <typename T> void put(T x) { raw(&x, sizeof x); }
    void str(const std::string &s) {
        put<uint64_t>(s.size());
        raw(s.data(), s.size());
    }
    void pad(size_t align) { v.resize((v.size() + align - 1) / align * align, 0); }
};

struct TensorData {
    std::string name;
    int64_t ne0, ne1;
    int n_dims;
    loom_type type;
    std::vector<uint8_t> data;
};

class Builder {
public:
    explicit Builder(const Spec &s) : s_(s), rng_(s.seed) {}

    bool matrix(const std::string &name, int64_t ne0, int64_t ne1, float scale) {
        if (name == s_.misshape_tensor) ne1 += 1;
        std::vector<float> f = random(size_t(ne0 * ne1), 0.0f, scale);
        if (name == "output.weight" && s_.boost_output_rows_from >= 0)
            for (size_t i = size_t(s_.boost_output_rows_from) * size_t(ne0); i < f.size(); i++) f[i] *= 50.0f;
        size_t row = 0, need = 0;
        if (loom_row_size(s_.weight_type, ne0, &row) != LOOM_OK) return false;
        std::vector<uint8_t> q(row * size_t(ne1));
        if (loom_quantize(s_.weight_type, f.data(), ne1, ne0, q.data(), q.size(), &need) != LOOM_OK) return false;
        add({name, ne0, ne1, 2, s_.weight_type, std::move(q)});
        return true;
    }

    void vector(const std::string &name, int64_t n, float mean, float std) {
        std::vector<float> f = random(size_t(n), mean, std);
        std::vector<uint8_t> b(f.size() * 4);
        std::memcpy(b.data(), f.data(), b.size());
        add({name, n, 1, 1, LOOM_TYPE_F32, std::move(b)});
    }

    std::vector<uint8_t> file() const {
        Bytes out;
        out.raw("GGUF", 4);
        out.put<uint32_t>(3);
        out.put<uint64_t>(tensors_.size());
        const std::string a = s_.arch + ".";
        std::vector<std::pair<std::string, uint32_t>> u32 = {
            {a + "block_count", uint32_t(s_.n_layer)}, {a + "context_length", uint32_t(s_.n_ctx_train)},
            {a + "embedding_length", uint32_t(s_.n_embd)}, {a + "feed_forward_length", uint32_t(s_.n_ff)},
            {a + "attention.head_count", uint32_t(s_.n_head)}, {a + "attention.head_count_kv", uint32_t(s_.n_head_kv)}};
        std::vector<std::pair<std::string, float>> f32 = {{a + "rope.freq_base", s_.rope_base},
                                                          {a + "attention.layer_norm_rms_epsilon", 1e-6f}};
        std::vector<std::pair<std::string, std::string>> str = {{"general.architecture", s_.arch}};
        merge(u32, s_.extra_u32);
        merge(f32, s_.extra_f32);
        const bool vocab = !s_.tokens.empty();
        if (vocab) {
            str.push_back({"tokenizer.ggml.model", "gpt2"});
            str.push_back({"tokenizer.ggml.pre", "qwen2"});
        }
        merge(str, s_.extra_str);
        out.put<uint64_t>(str.size() + u32.size() + f32.size() + (vocab ? 3 : 0));
        if (vocab) vocab_arrays(out);
        for (auto &kv : str) {
            out.str(kv.first);
            out.put<uint32_t>(kString);
            out.str(kv.second);
        }
        for (auto &kv : u32) {
            out.str(kv.first);
            out.put<uint32_t>(kU32);
            out.put<uint32_t>(kv.second);
        }
        for (auto &kv : f32) {
            out.str(kv.first);
            out.put<uint32_t>(kF32);
            out.put<float>(kv.second);
        }
        uint64_t offset = 0;
        for (const TensorData &t : tensors_) {
            out.str(t.name);
            out.put<uint32_t>(uint32_t(t.n_dims));
            out.put<uint64_t>(uint64_t(t.ne0));
            if (t.n_dims == 2) out.put<uint64_t>(uint64_t(t.ne1));
            out.put<uint32_t>(uint32_t(t.type));
            out.put<uint64_t>(offset);
            offset += (t.data.size() + 31) / 32 * 32;
        }
        out.pad(32);
        for (const TensorData &t : tensors_) {
            out.raw(t.data.data(), t.data.size());
            out.pad(32);
        }
        return out.v;
    }

private:
    void vocab_arrays(Bytes &out) const {
        out.str("tokenizer.ggml.tokens");
        out.put<uint32_t>(kArray);
        out.put<uint32_t>(kString);
        out.put<uint64_t>(s_.tokens.size());
        for (const std::string &t : s_.tokens) out.str(t);
        out.str("tokenizer.ggml.token_type");
        out.put<uint32_t>(kArray);
        out.put<uint32_t>(kI32);
        out.put<uint64_t>(s_.token_types.size());
        for (int32_t t : s_.token_types) out.put<int32_t>(t);
        out.str("tokenizer.ggml.merges");
        out.put<uint32_t>(kArray);
        out.put<uint32_t>(kString);
        out.put<uint64_t>(0);
    }

    template <typename T>
    static void merge(std::vector<std::pair<std::string, T>> &kvs, const std::vector<std::pair<std::string, T>> &extra) {
        for (const auto &e : extra) {
            auto it = std::find_if(kvs.begin(), kvs.end(), [&](const auto &kv) { return kv.first == e.first; });
            if (it != kvs.end()) it->second = e.second;
            else kvs.push_back(e);
        }
    }

    std::vector<float> random(size_t n, float mean, float std) {
        std::normal_distribution<float> d(mean, std);
        std::vector<float> f(n);
        for (float &x : f) x = d(rng_);
        return f;
    }
    void add(TensorData t) {
        if (t.name != s_.omit_tensor) tensors_.push_back(std::move(t));
    }

    const Spec &s_;
    std::mt19937 rng_;
    std::vector<TensorData> tensors_;
};

std::string blk(int l, const char *s) { return "blk." + std::to_string(l) + "." + s; }

} // namespace

std::vector<uint8_t> build(const Spec &s) {
    Builder b(s);
    const int hd = s.n_embd / s.n_head, kv = hd * s.n_head_kv;
    const float e = 1.0f / std::sqrt(float(s.n_embd)), f = 1.0f / std::sqrt(float(s.n_ff));
    bool ok = b.matrix("token_embd.weight", s.n_embd, s.n_vocab, 1.0f);
    for (int l = 0; l < s.n_layer && ok; l++) {
        b.vector(blk(l, "attn_norm.weight"), s.n_embd, 1.0f, 0.1f);
        ok = ok && b.matrix(blk(l, "attn_q.weight"), s.n_embd, s.n_embd, e);
        ok = ok && b.matrix(blk(l, "attn_k.weight"), s.n_embd, kv, e);
        ok = ok && b.matrix(blk(l, "attn_v.weight"), s.n_embd, kv, e);
        if (s.arch == "qwen2") {
            b.vector(blk(l, "attn_q.bias"), s.n_embd, 0.0f, 0.5f);
            b.vector(blk(l, "attn_k.bias"), kv, 0.0f, 0.5f);
            b.vector(blk(l, "attn_v.bias"), kv, 0.0f, 0.1f);
        }
        ok = ok && b.matrix(blk(l, "attn_output.weight"), s.n_embd, s.n_embd, e);
        b.vector(blk(l, "ffn_norm.weight"), s.n_embd, 1.0f, 0.1f);
        ok = ok && b.matrix(blk(l, "ffn_gate.weight"), s.n_embd, s.n_ff, e);
        ok = ok && b.matrix(blk(l, "ffn_up.weight"), s.n_embd, s.n_ff, e);
        ok = ok && b.matrix(blk(l, "ffn_down.weight"), s.n_ff, s.n_embd, f);
    }
    b.vector("output_norm.weight", s.n_embd, 1.0f, 0.1f);
    if (!s.tied) ok = ok && b.matrix("output.weight", s.n_embd, s.n_vocab, e);
    for (const std::string &name : s.extra_tensors) b.vector(name, s.n_embd, 1.0f, 0.0f);
    return ok ? b.file() : std::vector<uint8_t>();
}

void add_byte_vocab(Spec *spec) {
    uint32_t next = 256;
    for (int b = 0; b < 256; b++) {
        // GPT-2's map: printable Latin-1 bytes stand for themselves, the rest
        // for code points 256, 257, ... in byte order.
        const bool printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
        const uint32_t cp = printable ? uint32_t(b) : next++;
        std::string u;
        if (cp < 0x80) u += char(cp);
        else {
            u += char(0xc0 | (cp >> 6));
            u += char(0x80 | (cp & 0x3f));
        }
        spec->tokens.push_back(u);
        spec->token_types.push_back(1);
    }
}

} // namespace tinymodel
