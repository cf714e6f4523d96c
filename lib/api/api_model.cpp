// C API: model loading and getters (SECTION model of include/loom.h).
#include "api/guard.h"
#include "api/handles.h"
#include "api/params.h"
#include "api/vulkan_params.h"
#include "backends/backend.h"
#include "backends/registry.h"
#include "common/host_memory.h"
#include "context/memory_plan.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <memory>
#include <thread>

loom_model::~loom_model() = default;

namespace loom {

namespace {

// Load progress is reported in two phases: reading the file (0 .. kReadShare)
// and binding weights into the backend (kReadShare .. 1).
constexpr float kReadShare = 0.25f;

struct ProgressReporter {
    const loom_model_params &p;
    // true to continue
    bool report(float fraction) const {
        if (!p.progress) return true;
        if (fraction < 0.0f) fraction = 0.0f;
        if (fraction > 1.0f) fraction = 1.0f;
        return p.progress(p.progress_user_data, fraction) == 0;
    }
};

Status cancelled() { return error(LOOM_ERR_CANCELLED, "model load cancelled by the progress callback"); }

// The backend request of a load of `g` with `p`; *host keeps read_vulkan_params'
// copy of *p.vulkan->host, which the request points to.
Status backend_request(const loom_model_params &p, const GgufFile &g, BackendRequest *req, loom_vulkan_host *host) {
    if (p.n_threads > 256)
        return error(LOOM_ERR_INVALID_ARGUMENT, "n_threads = %d exceeds 256 (0: the number of cores)", int(p.n_threads));
    if (p.n_gpu_layers < -1)
        return error(LOOM_ERR_INVALID_ARGUMENT,
                     "n_gpu_layers = %d: use -1 (every layer on the device), 0 (none: the CPU) or a count of layers",
                     int(p.n_gpu_layers));
    HParams h;
    LOOM_TRY(read_hparams(g, &h));
    req->needs_experts = h.moe();
    req->n_gpu_layers = p.n_gpu_layers;
    req->n_layer = h.n_layer;
    req->kind = p.backend;
    req->device_index = p.device_index;
    return read_vulkan_params(p.vulkan, req, host);
}

// params.n_threads, or the default: the cores, at most 8 (as a context's).
int32_t load_threads(const loom_model_params &p) {
    if (p.n_threads > 0) return p.n_threads;
    const unsigned hw = std::thread::hardware_concurrency();
    return static_cast<int32_t>(std::min(8u, hw ? hw : 1u));
}

// Backend choice (auto/cpu/vulkan, device index) lives in backends/registry.
Status make_backend(const loom_model_params &p, const GgufFile &g, WeightSource src, const LogSink *log, bool repack,
                    std::unique_ptr<Backend> *out) {
    BackendRequest req;
    req.log = log;
    req.repack_weights = repack;
    req.copy_weights = copies_plain_weights(src);
    req.load_threads = load_threads(p);
    loom_vulkan_host host;
    LOOM_TRY(backend_request(p, g, &req, &host));
    return create_backend(req, out);
}

// The plan of a load on a backend of `kind` (split: its split_layer) and
// whether the CPU part makes load-time copies: plan_model_load's choice, or
// none when the caller asked for the weights in place.
Status plan_weights(const loom_model_params &p, const GgufFile &g, int32_t kind, int split, WeightSource src,
                    bool *repack, loom_memory_plan *out) {
    *repack = !p.weights_in_place;
    if (p.weights_in_place) return plan_model_memory(g, kind, split, src, false, out);
    return plan_model_load(g, kind, split, src, host_memory_limit(), repack, out);
}

// The backend of a load and its memory plan, checked against the budget and
// the machine before any weight is allocated. A CPU backend whose copies
// (repacked or plain) would not fit in host memory reads the weights in
// place (plan_model_load), as it does with params.weights_in_place.
Status make_planned_backend(const loom_model_params &p, const GgufFile &g, WeightSource src, const LogSink *sink,
                            std::unique_ptr<Backend> *out) {
    std::unique_ptr<Backend> backend;
    LOOM_TRY(make_backend(p, g, src, sink, true, &backend));
    loom_memory_plan plan;
    bool repack = true;
    LOOM_TRY(plan_weights(p, g, backend_kind_of(*backend), backend->split_layer(), src, &repack, &plan));
    LOOM_TRY(check_memory_plan(plan, p.memory_budget, "the model"));
    if (!repack) {
        if (!p.weights_in_place)
            log(sink, LOOM_LOG_INFO, "weights read in place, not copied: the copies would not fit in %llu MiB",
                (unsigned long long)(host_memory_limit() >> 20));
        backend.reset();
        LOOM_TRY(make_backend(p, g, src, sink, false, &backend));
    }
    *out = std::move(backend);
    return Status::ok();
}

bool is_vocab_only(const loom_model_params &p, const GgufFile &g);

// The memory plan of a load of `g` with `p` (the backend kind resolved as
// create_backend would).
Status plan_load(const loom_model_params &p, const GgufFile &g, WeightSource src, loom_memory_plan *out) {
    if (is_vocab_only(p, g)) {
        *out = loom_memory_plan{};
        out->struct_size = sizeof *out;
        out->backend = LOOM_BACKEND_CPU;
        return Status::ok();
    }
    BackendRequest req;
    loom_vulkan_host host;
    LOOM_TRY(backend_request(p, g, &req, &host));
    int32_t kind = LOOM_BACKEND_CPU;
    LOOM_TRY(resolve_backend_kind(req, &kind));
    const int split = kind == LOOM_BACKEND_VULKAN ? offload_split_layer(req.n_gpu_layers, req.n_layer) : -1;
    bool repack = true;
    return plan_weights(p, g, kind, split, src, &repack, out);
}

WeightSource weight_source(const loom_model_params &p, const GgufFile &g, bool from_memory) {
    if (from_memory) return WeightSource::Borrowed;
    return p.use_mmap && g.is_mapped() ? WeightSource::Mapped : WeightSource::Heap;
}

// The training context length the metadata states (vocab-only files too); 0 if none.
int32_t metadata_n_ctx_train(const GgufFile &g) {
    std::string arch;
    int64_t v = 0;
    if (g.get_string("general.architecture", &arch) && g.get_int(arch + ".context_length", &v) && v > 0 && v <= INT32_MAX)
        return static_cast<int32_t>(v);
    return 0;
}

// A file with no tensors at all (a vocabulary file) loads as vocab-only.
bool is_vocab_only(const loom_model_params &p, const GgufFile &g) { return p.vocab_only != 0 || g.tensors().empty(); }

Status finish_load(std::shared_ptr<GgufFile> file, const loom_model_params &p, bool from_memory, loom_model **out) {
    auto m = std::make_unique<loom_model>();
    m->log = LogSink{p.log, p.log_user_data};
    m->gguf.file = std::move(file);
    const GgufFile &g = *m->gguf.file;
    // A vocabulary loom cannot tokenize (another tokenizer model or
    // pre-tokenizer) fails the load naming it, as loom.h says: loading
    // "without a tokenizer" left callers with misleading errors later.
    if (g.find_kv("tokenizer.ggml.tokens")) LOOM_TRY(Tokenizer::create(g, &m->tokenizer));
    if (!is_vocab_only(p, g)) {
        std::unique_ptr<Backend> backend;
        LOOM_TRY(make_planned_backend(p, g, weight_source(p, g, from_memory), &m->log, &backend));
        ProgressReporter pr{p};
        ModelLoadOptions opts;
        opts.progress = [&pr](float f) { return pr.report(kReadShare + (1.0f - kReadShare) * f); };
        LOOM_TRY(Model::load(g, std::move(backend), opts, &m->model));
        const HParams &h = m->model->hparams();
        if (m->tokenizer && m->tokenizer->n_vocab() > h.n_vocab)
            return error(LOOM_ERR_FORMAT, "the vocabulary has %d tokens but token_embd.weight only %d rows",
                         m->tokenizer->n_vocab(), h.n_vocab);
        log(&m->log, LOOM_LOG_INFO, "loaded %s model: %d layers, %d embd, %d heads (%d kv), backend %s",
            h.arch.c_str(), h.n_layer, h.n_embd, h.n_head, h.n_head_kv, m->model->backend().name());
    }
    m->n_ctx_train = m->model ? m->model->hparams().n_ctx_train : metadata_n_ctx_train(g);
    if (!ProgressReporter{p}.report(1.0f)) return cancelled();
    *out = m.release();
    return Status::ok();
}

Status check_load_args(const loom_model_params *in, loom_model **out, loom_model_params *p) {
    LOOM_CHECK_ARG(out != nullptr, "out is NULL");
    loom_model_default_params(p);
    return read_params(in, p, "model params");
}

} // namespace

} // namespace loom

extern "C" {

LOOM_API loom_status loom_model_default_params_sized(loom_model_params *params, size_t size) {
    return loom::api_call([&] {
        loom_model_params d{};
        d.use_mmap = 1;
        d.backend = LOOM_BACKEND_AUTO;
        d.device_index = -1;
        d.n_gpu_layers = -1;
        return loom::write_default_params(params, size, d, "model params");
    });
}

LOOM_API loom_status loom_model_load(const char *path, const loom_model_params *params, loom_model **out) {
    return loom::api_call([&] {
        loom_model_params p;
        LOOM_TRY(loom::check_load_args(params, out, &p));
        LOOM_CHECK_ARG(path != nullptr, "path is NULL");
        loom::GgufOpenOptions opts;
        opts.use_mmap = p.use_mmap != 0;
        loom::ProgressReporter pr{p};
        opts.progress = [&pr](uint64_t done, uint64_t total) {
            return pr.report(loom::kReadShare * (total ? float(double(done) / double(total)) : 1.0f));
        };
        std::unique_ptr<loom::GgufFile> file;
        LOOM_TRY(loom::GgufFile::open_file(path, opts, &file));
        return loom::finish_load(std::shared_ptr<loom::GgufFile>(std::move(file)), p, false, out);
    });
}

LOOM_API loom_status loom_model_load_from_memory(const void *data, size_t size, const loom_model_params *params,
                                                 loom_model **out) {
    return loom::api_call([&] {
        loom_model_params p;
        LOOM_TRY(loom::check_load_args(params, out, &p));
        LOOM_CHECK_ARG(data != nullptr || size == 0, "data is NULL");
        std::unique_ptr<loom::GgufFile> file;
        LOOM_TRY(loom::GgufFile::open_memory(data, size, false, &file));
        if (!loom::ProgressReporter{p}.report(loom::kReadShare)) return loom::cancelled();
        return loom::finish_load(std::shared_ptr<loom::GgufFile>(std::move(file)), p, true, out);
    });
}

LOOM_API loom_status loom_model_estimate(const char *path, const loom_model_params *params, loom_memory_plan *plan) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(path != nullptr && plan != nullptr, "path or plan is NULL");
        loom_model_params p;
        loom_model_default_params(&p);
        LOOM_TRY(loom::read_params(params, &p, "model params"));
        loom::GgufOpenOptions opts;
        opts.use_mmap = true;   // the header only: mapping reads nothing else
        std::unique_ptr<loom::GgufFile> file;
        LOOM_TRY(loom::GgufFile::open_file(path, opts, &file));
        loom_memory_plan out;
        // The load itself reads the whole file when use_mmap = 0 (or the mapping fails).
        LOOM_TRY(loom::plan_load(p, *file, p.use_mmap ? loom::WeightSource::Mapped : loom::WeightSource::Heap, &out));
        return loom::write_memory_plan(out, plan);
    });
}

LOOM_API loom_status loom_model_estimate_from_memory(const void *data, size_t size, const loom_model_params *params,
                                                     loom_memory_plan *plan) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(plan != nullptr, "plan is NULL");
        LOOM_CHECK_ARG(data != nullptr || size == 0, "data is NULL");
        loom_model_params p;
        loom_model_default_params(&p);
        LOOM_TRY(loom::read_params(params, &p, "model params"));
        std::unique_ptr<loom::GgufFile> file;
        LOOM_TRY(loom::GgufFile::open_memory(data, size, false, &file));
        loom_memory_plan out;
        LOOM_TRY(loom::plan_load(p, *file, loom::WeightSource::Borrowed, &out));
        return loom::write_memory_plan(out, plan);
    });
}

LOOM_API void loom_model_free(loom_model *model) { delete model; }

LOOM_API int32_t loom_model_n_vocab(const loom_model *model) {
    if (!model) return 0;
    if (model->model) return model->model->hparams().n_vocab;
    return model->tokenizer ? model->tokenizer->n_vocab() : 0;
}

LOOM_API int32_t loom_model_n_embd(const loom_model *model) {
    return model && model->model ? model->model->hparams().n_embd : 0;
}

LOOM_API int32_t loom_model_n_layer(const loom_model *model) {
    return model && model->model ? model->model->hparams().n_layer : 0;
}

LOOM_API int32_t loom_model_n_ctx_train(const loom_model *model) { return model ? model->n_ctx_train : 0; }

LOOM_API const struct loom_gguf *loom_model_gguf(const loom_model *model) { return model ? &model->gguf : nullptr; }

LOOM_API const char *loom_model_backend_name(const loom_model *model) {
    if (!model || !model->model) return "none";
    return model->model->backend().name();
}

} // extern "C"
