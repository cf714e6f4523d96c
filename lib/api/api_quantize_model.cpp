// Model file quantization (include/loom.h SECTION quantize).
#include "api/guard.h"
#include "api/params.h"
#include "quantize/model_quantizer.h"

using namespace loom;

extern "C" {

LOOM_API const char *loom_file_type_name(int32_t ft) {
    const FileType *f = file_type(ft);
    return f ? f->name : nullptr;
}

LOOM_API loom_status loom_file_type_from_name(const char *name, int32_t *out) {
    return api_call([&] {
        LOOM_CHECK_ARG(name != nullptr && out != nullptr, "loom_file_type_from_name: NULL argument");
        const FileType *f = file_type_by_name(name);
        if (!f) return error(LOOM_ERR_NOT_FOUND, "'%s' is not a file type (Q4_K_M, Q8_0, IQ4_XS, F16, ...)", name);
        *out = f->id;
        return Status::ok();
    });
}

LOOM_API loom_status loom_model_quantize_default_params_sized(loom_model_quantize_params *params, size_t size) {
    return api_call([&] {
        loom_model_quantize_params d{};
        d.file_type = 7;
        d.token_embedding_type = -1;
        d.output_tensor_type = -1;
        return write_default_params(params, size, d, "quantize params");
    });
}

LOOM_API loom_status loom_model_quantize(const char *input_path, const char *output_path,
                                         const loom_model_quantize_params *params) {
    return api_call([&] {
        LOOM_CHECK_ARG(input_path != nullptr && output_path != nullptr, "loom_model_quantize: NULL path");
        loom_model_quantize_params p;
        loom_model_quantize_default_params(&p);
        LOOM_TRY(read_params(params, &p, "quantize params"));
        QuantizeJob job;
        job.input = input_path;
        job.output = output_path;
        job.ftype = p.file_type;
        job.token_embedding_type = p.token_embedding_type;
        job.output_tensor_type = p.output_tensor_type;
        job.pure = p.pure != 0;
        job.allow_requantize = p.allow_requantize != 0;
        job.n_threads = p.n_threads;
        if (p.imatrix_path) job.imatrix_path = p.imatrix_path;
        if (p.progress)
            job.progress = [&p](int64_t i, int64_t n, const std::string &name, loom_type from, loom_type to) {
                return p.progress(p.progress_user_data, i, n, name.c_str(), from, to) == 0;
            };
        return quantize_model_file(job);
    });
}

} // extern "C"
