#include "published_shapes.h"

#include "gguf/gguf.h"
#include "gguf/gguf_writer.h"
#include "quant/quant.h"
#include "quantize/quant_mix.h"

#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <unistd.h>
#include <vector>

namespace shapes {

namespace {

using loom::GgufKV;
using loom::GgufValueType;
using loom::Status;

GgufKV u32(const std::string &key, uint32_t v) {
    GgufKV kv;
    kv.key = key;
    kv.type = GgufValueType::U32;
    kv.u64 = v;
    kv.i64 = int64_t(v);
    return kv;
}

GgufKV f32(const std::string &key, double v) {
    GgufKV kv;
    kv.key = key;
    kv.type = GgufValueType::F32;
    kv.f64 = v;
    return kv;
}

GgufKV str(const std::string &key, const std::string &v) {
    GgufKV kv;
    kv.key = key;
    kv.type = GgufValueType::String;
    kv.str = v;
    return kv;
}

// The tensor table of a qwen2 model of shape `p` (mkgguf.py's order), as F16/F32.
std::vector<loom::TensorShape> qwen2_tensors(const Published &p) {
    const int64_t kv = p.embd / p.heads * p.heads_kv;
    std::vector<loom::TensorShape> t;
    auto mat = [&](const std::string &n, int64_t cols, int64_t rows) { t.push_back({n, LOOM_TYPE_F16, {cols, rows, 1, 1}}); };
    auto vec = [&](const std::string &n, int64_t len) { t.push_back({n, LOOM_TYPE_F32, {len, 1, 1, 1}}); };
    mat("token_embd.weight", p.embd, p.vocab);
    for (int64_t l = 0; l < p.layers; l++) {
        const std::string b = "blk." + std::to_string(l) + ".";
        vec(b + "attn_norm.weight", p.embd);
        mat(b + "attn_q.weight", p.embd, p.embd);
        vec(b + "attn_q.bias", p.embd);
        mat(b + "attn_k.weight", p.embd, kv);
        vec(b + "attn_k.bias", kv);
        mat(b + "attn_v.weight", p.embd, kv);
        vec(b + "attn_v.bias", kv);
        mat(b + "attn_output.weight", p.embd, p.embd);
        vec(b + "ffn_norm.weight", p.embd);
        mat(b + "ffn_gate.weight", p.embd, p.ff);
        mat(b + "ffn_up.weight", p.embd, p.ff);
        mat(b + "ffn_down.weight", p.ff, p.embd);
    }
    vec("output_norm.weight", p.embd);
    mat("output.weight", p.embd, p.vocab);
    return t;
}

// llama-quantize's choice of type for each tensor of `shapes` (in place).
Status choose_types(const Published &p, int32_t ftype, std::vector<loom::TensorShape> *shapes) {
    std::vector<std::string> names;
    for (const auto &s : *shapes) names.push_back(s.name);
    const std::vector<size_t> order = loom::llama_tensor_order(names);
    std::vector<loom::TensorShape> ordered;
    for (size_t i : order) ordered.push_back((*shapes)[i]);
    loom::ModelShape m;
    m.arch = "qwen2";
    m.n_layer = p.layers;
    m.n_gqa = p.heads / p.heads_kv;
    m.is_70b = p.layers == 80;   // llama.cpp: qwen2 with 80 layers is LLM_TYPE_70B
    loom::MixOptions opts;
    opts.ftype = loom::file_type(ftype);
    if (!opts.ftype) return loom::error(LOOM_ERR_UNSUPPORTED, "file type %d is not one loom knows", ftype);
    std::vector<loom_type> types;
    LOOM_TRY(loom::choose_tensor_types(ordered, m, opts, &types));
    for (size_t j = 0; j < order.size(); j++) (*shapes)[order[j]].type = types[j];
    return Status::ok();
}

// One row-aligned pattern per (type, row length): 64 random rows quantized,
// repeated over the tensor.
class Patterns {
public:
    Status get(loom_type type, int64_t cols, const std::vector<uint8_t> **out) {
        auto &slot = cache_[{int(type), cols}];
        if (slot.empty()) {
            const int64_t rows = 64;
            size_t rb = 0;
            LOOM_TRY(loom::row_bytes(type, cols, &rb));
            std::vector<float> f(size_t(rows * cols));
            std::normal_distribution<float> d(0.0f, 1.0f / std::sqrt(float(cols)));
            for (float &v : f) v = d(rng_);
            slot.resize(rb * size_t(rows));
            size_t written = 0;
            if (loom_quantize(type, f.data(), rows, cols, slot.data(), slot.size(), &written) != LOOM_OK)
                return loom::error(LOOM_ERR_UNSUPPORTED, "no quantizer for %s", loom_type_name(type));
        }
        *out = &slot;
        return Status::ok();
    }

private:
    std::map<std::pair<int, int64_t>, std::vector<uint8_t>> cache_;
    std::mt19937 rng_{1};
};

Status write_all(FILE *f, const void *p, size_t n, const std::string &path) {
    if (n && std::fwrite(p, 1, n, f) != n) return loom::error(LOOM_ERR_IO, "cannot write '%s'", path.c_str());
    return Status::ok();
}

// Tensor i's bytes (rows of a pattern, repeated) then padding to `end`.
Status write_tensor(FILE *f, const loom::GgufTensor &t, uint64_t pad_to, Patterns &pat, const std::string &path) {
    const std::vector<uint8_t> *rows = nullptr;
    LOOM_TRY(pat.get(t.type, t.ne[0], &rows));
    uint64_t left = t.nbytes;
    while (left) {
        const size_t n = size_t(std::min<uint64_t>(left, rows->size()));
        LOOM_TRY(write_all(f, rows->data(), n, path));
        left -= n;
    }
    const std::vector<uint8_t> zeros(size_t(pad_to - t.nbytes), 0);
    return write_all(f, zeros.data(), zeros.size(), path);
}

} // namespace

const Published *find_published(const std::string &name) {
    for (const Published *p : {&kQwen2_7B, &kQwen2_72B})
        if (name == p->name) return p;
    return nullptr;
}

Status write_published_model(const std::string &path, const Published &p, int32_t ftype, Fill fill,
                             uint64_t *data_bytes) {
    std::vector<loom::TensorShape> shapes = qwen2_tensors(p);
    LOOM_TRY(choose_types(p, ftype, &shapes));
    std::vector<loom::GgufTensor> tensors;
    uint64_t off = 0;
    for (const auto &s : shapes) {
        loom::GgufTensor g;
        g.name = s.name;
        g.type = s.type;
        g.n_dims = loom::ggml_dims(s.ne);
        for (int d = 0; d < 4; d++) g.ne[d] = s.ne[d];
        g.offset = off;
        size_t rb = 0;
        LOOM_TRY(loom::row_bytes(s.type, s.ne[0], &rb));
        g.nbytes = rb * size_t(s.ne[1]);
        off = loom::gguf_pad(off + g.nbytes, 32);
        tensors.push_back(g);
    }
    const std::string a = "qwen2.";
    const std::vector<GgufKV> kvs = {
        str("general.architecture", "qwen2"), str("general.name", std::string("published shape ") + p.name),
        u32("general.file_type", uint32_t(ftype)), u32(a + "block_count", uint32_t(p.layers)),
        u32(a + "context_length", 32768), u32(a + "embedding_length", uint32_t(p.embd)),
        u32(a + "feed_forward_length", uint32_t(p.ff)), u32(a + "attention.head_count", uint32_t(p.heads)),
        u32(a + "attention.head_count_kv", uint32_t(p.heads_kv)), f32(a + "rope.freq_base", 1e6),
        f32(a + "attention.layer_norm_rms_epsilon", 1e-6)};
    std::vector<uint8_t> meta;
    LOOM_TRY(loom::gguf_encode_meta(kvs, tensors, 32, &meta));
    std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
    if (!f) return loom::error(LOOM_ERR_IO, "cannot create '%s'", path.c_str());
    LOOM_TRY(write_all(f.get(), meta.data(), meta.size(), path));
    if (fill == Fill::RandomBlocks) {
        Patterns pat;
        for (size_t i = 0; i < tensors.size(); i++) {
            const uint64_t next = i + 1 < tensors.size() ? tensors[i + 1].offset : off;
            LOOM_TRY(write_tensor(f.get(), tensors[i], next - tensors[i].offset, pat, path));
        }
    }
    if (std::fflush(f.get()) != 0 || ftruncate(fileno(f.get()), off_t(meta.size() + off)) != 0)
        return loom::error(LOOM_ERR_IO, "cannot size '%s' to %llu bytes", path.c_str(),
                           (unsigned long long)(meta.size() + off));
    *data_bytes = off;
    return Status::ok();
}

} // namespace shapes
