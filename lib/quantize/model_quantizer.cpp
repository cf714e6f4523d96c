// The file-to-file driver of model quantization (model_quantizer.h): plan
// every tensor's type, write the header, then stream each tensor in slabs of
// rows (decoded to f32 when its type changes, quantized on n threads).
#include "quantize/model_quantizer.h"

#include "gguf/gguf.h"
#include "gguf/gguf_writer.h"
#include "quant/quant.h"
#include "quantize/imatrix_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <system_error>
#include <thread>

namespace loom {
namespace {

constexpr uint32_t kQuantVersion = 2;           // ggml's GGML_QNT_VERSION, written as llama.cpp does
constexpr int64_t kSlabValues = int64_t(1) << 22; // values decoded and quantized at a time (16 MiB of f32)

Status check_job(const QuantizeJob &job, const FileType **ftype) {
    *ftype = file_type(job.ftype);
    if (!*ftype) return error(LOOM_ERR_INVALID_ARGUMENT, "file type %d is not one loom knows", job.ftype);
    for (int32_t t : {job.token_embedding_type, job.output_tensor_type}) {
        if (t == -1) continue;
        const TypeTraits *tt = type_traits(t);
        if (!tt) return error(LOOM_ERR_INVALID_ARGUMENT, "tensor type %d is not a known type", t);
        if (tt->from_float || (has_weighted_encoder(t) && !job.imatrix_path.empty())) continue;
        if (has_weighted_encoder(t))
            return error(LOOM_ERR_UNSUPPORTED, "tensor type %s needs an importance matrix (--imatrix FILE)", tt->name);
        return error(LOOM_ERR_UNSUPPORTED, "loom cannot quantize to tensor type %s", tt->name);
    }
    if (job.n_threads < 0 || job.n_threads > 256)
        return error(LOOM_ERR_INVALID_ARGUMENT, "n_threads %d is outside 0..256", job.n_threads);
    if (job.input.empty() || job.output.empty())
        return error(LOOM_ERR_INVALID_ARGUMENT, "the %s path is empty", job.input.empty() ? "input" : "output");
    return Status::ok();
}

// An integer key of the architecture ("qwen2.block_count"); `def` when absent.
Status arch_int(const GgufFile &f, const std::string &arch, const char *key, int64_t def, int64_t *out) {
    std::string k = arch + "." + key;
    const GgufKV *kv = f.find_kv(k);
    if (!kv) return (*out = def), Status::ok();
    if (kv->type == GgufValueType::Array) { // per-layer values: layer 0's
        std::vector<int64_t> v;
        LOOM_TRY(f.get_int_array(k, &v));
        *out = v.empty() ? def : v[0];
        return Status::ok();
    }
    return f.get_int(k, out);
}

// llama.cpp's LLM_TYPE_70B: the layer count of its 70B models per architecture.
bool is_70b(const std::string &arch, int64_t n_layer, int64_t n_head, int64_t n_head_kv) {
    if (arch == "llama") return n_layer == 80 && n_head != n_head_kv;
    if (arch == "qwen2" || arch == "deci" || arch == "olmo") return n_layer == 80;
    return arch == "jais2" && n_layer == 68;
}

Status read_model_shape(const GgufFile &f, ModelShape *m) {
    Status s = f.get_string("general.architecture", &m->arch);
    if (!s) return error(LOOM_ERR_FORMAT, "not a model file: %s", s.message().c_str());
    int64_t n_head = 0, n_head_kv = 0;
    LOOM_TRY(arch_int(f, m->arch, "block_count", -1, &m->n_layer));
    if (m->n_layer <= 0)
        return error(LOOM_ERR_FORMAT, "not a model file: no %s.block_count", m->arch.c_str());
    LOOM_TRY(arch_int(f, m->arch, "attention.head_count", 0, &n_head));
    LOOM_TRY(arch_int(f, m->arch, "attention.head_count_kv", n_head, &n_head_kv));
    LOOM_TRY(arch_int(f, m->arch, "expert_count", 0, &m->n_expert));
    m->n_gqa = n_head_kv == 0 ? 0 : n_head / n_head_kv;
    m->is_70b = is_70b(m->arch, m->n_layer, n_head, n_head_kv);
    return Status::ok();
}

GgufKV u32_kv(const char *key, uint32_t v) {
    GgufKV kv;
    kv.key = key;
    kv.type = GgufValueType::U32;
    kv.u64 = v;
    kv.i64 = v;
    return kv;
}

GgufKV str_kv(const char *key, const std::string &v) {
    GgufKV kv;
    kv.key = key;
    kv.type = GgufValueType::String;
    kv.str = v.substr(0, 127);   // llama-quantize's override strings hold 127 bytes
    return kv;
}

// The importance matrix of a job: the file and its per-column weights.
struct ImatrixWeights {
    std::string path;
    Imatrix file;
    std::map<std::string, std::vector<float>> weights;
};

// The keys llama-quantize adds for an importance matrix, in its order.
void append_imatrix_kvs(const ImatrixWeights &im, std::vector<GgufKV> *kvs) {
    kvs->push_back(str_kv("quantize.imatrix.file", im.path));
    if (!im.file.datasets.empty()) kvs->push_back(str_kv("quantize.imatrix.dataset", im.file.datasets[0]));
    kvs->push_back(u32_kv("quantize.imatrix.entries_count", uint32_t(im.weights.size())));
    if (im.file.chunk_count > 0) kvs->push_back(u32_kv("quantize.imatrix.chunks_count", uint32_t(im.file.chunk_count)));
}

Status load_imatrix(const std::string &path, ImatrixWeights *im) {
    im->path = path;
    LOOM_TRY(imatrix_read(path, &im->file));
    if (!im->file.legacy && !im->file.has_metadata)
        return error(LOOM_ERR_FORMAT, "importance matrix '%s' lacks the imatrix.* metadata keys", path.c_str());
    return imatrix_weights(im->file, &im->weights);
}

// The input's metadata with the keys llama-quantize resets moved to the end.
std::vector<GgufKV> output_kvs(const GgufFile &f, int32_t ftype) {
    static const char *const kDropped[] = {"general.quantization_version", "general.file_type", "split.no",
                                           "split.count", "split.tensors.count"};
    std::vector<GgufKV> kvs;
    for (const GgufKV &kv : f.kvs())
        if (std::none_of(std::begin(kDropped), std::end(kDropped), [&](const char *d) { return kv.key == d; }))
            kvs.push_back(kv);
    kvs.push_back(u32_kv("general.quantization_version", kQuantVersion));
    kvs.push_back(u32_kv("general.file_type", static_cast<uint32_t>(ftype)));
    return kvs;
}

struct Plan {
    std::vector<const GgufTensor *> in;   // llama.cpp's order
    std::vector<GgufTensor> out;          // records to write (type, dims, offset)
    std::vector<const float *> weights;   // importance weights per tensor ([ne2][ne0]) or nullptr
};

// The importance weights of tensor `t` (nullptr when the matrix has no entry
// for it); an entry of another size is an error, except for token_embd
// (llama-quantize ignores it there).
Status tensor_weights(const GgufTensor &t, const ImatrixWeights *im, const float **out) {
    *out = nullptr;
    if (!im) return Status::ok();
    auto it = im->weights.find(t.name);
    if (it == im->weights.end()) return Status::ok();
    if (int64_t(it->second.size()) == t.ne[0] * t.ne[2]) return (*out = it->second.data()), Status::ok();
    if (t.name.rfind("token_embd.", 0) == 0) return Status::ok();
    return error(LOOM_ERR_FORMAT, "importance matrix entry '%s' has %zu values; the tensor needs %lld", t.name.c_str(),
                 it->second.size(), (long long)(t.ne[0] * t.ne[2]));
}

Status check_conversion(const GgufTensor &t, loom_type to, const QuantizeJob &job, bool weighted) {
    if (t.type == to) return Status::ok();
    const TypeTraits *from = type_traits(t.type), *dst = type_traits(to);
    if (!weighted && type_needs_imatrix(t.name, to, job.ftype))
        return error(LOOM_ERR_UNSUPPORTED, "tensor '%s': type %s needs an importance matrix", t.name.c_str(), dst->name);
    if (weighted && !has_weighted_encoder(to))
        return error(LOOM_ERR_UNSUPPORTED, "tensor '%s': loom cannot quantize to %s with an importance matrix yet",
                     t.name.c_str(), dst->name);
    if (!weighted && !dst->from_float && has_weighted_encoder(to))
        return error(LOOM_ERR_UNSUPPORTED, "tensor '%s': type %s needs importance weights, and the matrix has none for it",
                     t.name.c_str(), dst->name);
    if (!weighted && !dst->from_float)
        return error(LOOM_ERR_UNSUPPORTED, "tensor '%s': loom cannot quantize to %s", t.name.c_str(), dst->name);
    if (from->quantized && !job.allow_requantize)
        return error(LOOM_ERR_UNSUPPORTED,
                     "tensor '%s' is already %s: requantizing loses quality (allow it explicitly to do it anyway)",
                     t.name.c_str(), from->name);
    if (!from->to_float)
        return error(LOOM_ERR_UNSUPPORTED, "tensor '%s': loom cannot convert from %s", t.name.c_str(), from->name);
    return Status::ok();
}

Status make_plan(const GgufFile &f, const QuantizeJob &job, const FileType *ftype, size_t alignment,
                 const ImatrixWeights *im, Plan *plan) {
    ModelShape shape;
    LOOM_TRY(read_model_shape(f, &shape));
    std::vector<std::string> names;
    for (const GgufTensor &t : f.tensors()) names.push_back(t.name);
    std::vector<TensorShape> shapes;
    for (size_t i : llama_tensor_order(names)) {
        const GgufTensor &t = f.tensors()[i];
        plan->in.push_back(&t);
        shapes.push_back({t.name, t.type, {t.ne[0], t.ne[1], t.ne[2], t.ne[3]}});
    }
    MixOptions opts;
    opts.ftype = ftype;
    opts.token_embedding_type = job.token_embedding_type;
    opts.output_tensor_type = job.output_tensor_type;
    opts.pure = job.pure;
    opts.has_imatrix = im != nullptr;
    std::vector<loom_type> types;
    LOOM_TRY(choose_tensor_types(shapes, shape, opts, &types));
    uint64_t offset = 0;
    for (size_t i = 0; i < shapes.size(); ++i) {
        GgufTensor o = *plan->in[i];
        const float *w = nullptr;
        LOOM_TRY(tensor_weights(o, im, &w));
        plan->weights.push_back(w);
        LOOM_TRY(check_conversion(o, types[i], job, w != nullptr));
        o.type = types[i];
        o.n_dims = ggml_dims(o.ne);
        size_t row = 0;
        Status s = row_bytes(o.type, o.ne[0], &row);
        if (!s) return error(LOOM_ERR_UNSUPPORTED, "tensor '%s': %s", o.name.c_str(), s.message().c_str());
        o.nbytes = row * size_t(o.n_elements() / o.ne[0]);
        o.offset = offset;
        o.data = nullptr;
        offset = gguf_pad(offset + o.nbytes, alignment);
        plan->out.push_back(o);
    }
    return Status::ok();
}

class OutFile {
public:
    ~OutFile() {
        if (f_) std::fclose(f_);
        if (!done_) std::remove(path_.c_str());
    }
    Status open(const std::string &path) {
        path_ = path;
        f_ = std::fopen(path.c_str(), "wb");
        if (!f_) return error(LOOM_ERR_IO, "cannot create '%s': %s", path.c_str(), std::strerror(errno));
        return Status::ok();
    }
    Status write(const void *p, size_t n) {
        if (n && std::fwrite(p, 1, n, f_) != n)
            return error(LOOM_ERR_IO, "writing '%s': %s", path_.c_str(), std::strerror(errno));
        return Status::ok();
    }
    Status zeros(size_t n) {
        static const uint8_t kZero[64] = {};
        while (n) {
            size_t k = std::min(n, sizeof kZero);
            LOOM_TRY(write(kZero, k));
            n -= k;
        }
        return Status::ok();
    }
    // Closes and renames over `dest`; the temporary is gone either way.
    Status commit(const std::string &dest) {
        int rc = std::fclose(f_);
        f_ = nullptr;
        if (rc != 0) return error(LOOM_ERR_IO, "writing '%s': %s", path_.c_str(), std::strerror(errno));
#if defined(_WIN32)
        std::remove(dest.c_str()); // rename does not replace on Windows
#endif
        if (std::rename(path_.c_str(), dest.c_str()) != 0)
            return error(LOOM_ERR_IO, "renaming '%s' to '%s': %s", path_.c_str(), dest.c_str(), std::strerror(errno));
        done_ = true;
        return Status::ok();
    }

private:
    std::string path_;
    std::FILE *f_ = nullptr;
    bool done_ = false;
};

// Quantizes `rows` rows of `row_len` floats on up to n_threads threads,
// each a contiguous run of rows (rows are independent: the bytes do not
// depend on the split).
// Importance weights of a slab: `w` ([n_mat][row_len]) for the tensor,
// rows_per_mat rows per matrix, `first_row` the slab's first row in the tensor.
struct SlabWeights {
    const float *w = nullptr;
    int64_t rows_per_mat = 1, first_row = 0;
};

// Rows [r0, r1) of a slab, weighted row by row when `sw` has weights.
Status quantize_run(loom_type to, const float *src, int64_t r0, int64_t r1, int64_t row_len, size_t row_size,
                    uint8_t *dst, const SlabWeights &sw) {
    size_t needed = 0;
    if (!sw.w)
        return quantize_rows(to, src + r0 * row_len, r1 - r0, row_len, dst + size_t(r0) * row_size,
                             size_t(r1 - r0) * row_size, &needed);
    for (int64_t r = r0; r < r1; ++r) {
        const float *w = sw.w + (sw.first_row + r) / sw.rows_per_mat * row_len;
        LOOM_TRY(quantize_rows_weighted(to, src + r * row_len, 1, row_len, w, dst + size_t(r) * row_size, row_size,
                                        &needed));
    }
    return Status::ok();
}

Status quantize_slab(loom_type to, const float *src, int64_t rows, int64_t row_len, size_t row_size, uint8_t *dst,
                     int n_threads, const SlabWeights &sw) {
    int n = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(n_threads, rows)));
    std::vector<Status> results(n);
    auto work = [&](int w) {
        int64_t r0 = rows * w / n, r1 = rows * (w + 1) / n;
        results[w] = quantize_run(to, src, r0, r1, row_len, row_size, dst, sw);
    };
    std::vector<std::thread> threads;
    try {
        for (int w = 1; w < n; ++w) threads.emplace_back(work, w);
    } catch (const std::system_error &e) {
        for (std::thread &t : threads) t.join();
        return error(LOOM_ERR_BACKEND, "cannot start a quantization thread: %s", e.what());
    }
    work(0);
    for (std::thread &t : threads) t.join();
    for (const Status &s : results) LOOM_TRY(Status(s));
    return Status::ok();
}

// One tensor converted to the type of `rec`, slab by slab.
Status convert_tensor(const GgufTensor &in, const GgufTensor &rec, const float *weights, int n_threads, OutFile &out) {
    const int64_t row_len = in.ne[0], rows = in.n_elements() / row_len;
    size_t in_row = 0, out_row = 0;
    LOOM_TRY(row_bytes(in.type, row_len, &in_row));
    LOOM_TRY(row_bytes(rec.type, row_len, &out_row));
    const int64_t slab = std::max<int64_t>(1, std::min<int64_t>(rows, kSlabValues / row_len));
    std::vector<float> f32(size_t(slab * row_len));
    std::vector<uint8_t> q(size_t(slab) * out_row);
    for (int64_t r = 0; r < rows; r += slab) {
        int64_t n = std::min(slab, rows - r);
        LOOM_TRY(dequantize_rows(in.type, in.data + size_t(r) * in_row, size_t(n) * in_row, n, row_len, f32.data()));
        const SlabWeights sw{weights, in.ne[1], r};
        LOOM_TRY(quantize_slab(rec.type, f32.data(), n, row_len, out_row, q.data(), n_threads, sw));
        LOOM_TRY(out.write(q.data(), size_t(n) * out_row));
    }
    return Status::ok();
}

int thread_count(int32_t asked) {
    if (asked > 0) return asked;
    unsigned hw = std::thread::hardware_concurrency();
    return static_cast<int>(std::min(64u, hw ? hw : 1u));
}

} // namespace

Status quantize_model_file(const QuantizeJob &job) {
    const FileType *ftype = nullptr;
    LOOM_TRY(check_job(job, &ftype));
    std::unique_ptr<GgufFile> f;
    LOOM_TRY(GgufFile::open_file(job.input, GgufOpenOptions{}, &f));
    // The data is aligned as the copied general.alignment says (llama.cpp
    // always pads to 32, which is the same unless the input sets another).
    const size_t alignment = f->alignment();
    std::unique_ptr<ImatrixWeights> im;
    if (!job.imatrix_path.empty()) {
        im = std::make_unique<ImatrixWeights>();
        LOOM_TRY(load_imatrix(job.imatrix_path, im.get()));
    }
    Plan plan;
    LOOM_TRY(make_plan(*f, job, ftype, alignment, im.get(), &plan));
    std::vector<GgufKV> kvs = output_kvs(*f, ftype->id);
    if (im) append_imatrix_kvs(*im, &kvs);
    std::vector<uint8_t> meta;
    LOOM_TRY(gguf_encode_meta(kvs, plan.out, alignment, &meta));
    OutFile out;
    LOOM_TRY(out.open(job.output + ".tmp"));
    LOOM_TRY(out.write(meta.data(), meta.size()));
    const int n_threads = thread_count(job.n_threads);
    const int64_t count = static_cast<int64_t>(plan.out.size());
    for (int64_t i = 0; i < count; ++i) {
        const GgufTensor &in = *plan.in[size_t(i)], &rec = plan.out[size_t(i)];
        if (job.progress && !job.progress(i, count, in.name, in.type, rec.type))
            return error(LOOM_ERR_CANCELLED, "quantization cancelled by the progress callback at tensor '%s'",
                         in.name.c_str());
        if (in.type == rec.type) LOOM_TRY(out.write(in.data, in.nbytes));
        else LOOM_TRY(convert_tensor(in, rec, plan.weights[size_t(i)], n_threads, out));
        LOOM_TRY(out.zeros(size_t(gguf_pad(rec.nbytes, alignment) - rec.nbytes)));
        f->release_pages(in.data, in.nbytes);
    }
    return out.commit(job.output);
}

} // namespace loom
