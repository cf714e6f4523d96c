#include "model_source.h"
#include "cli.h"

#ifdef LOOM_CLI_HAS_PULL
#include "pull/hf_pull.h"
#endif

namespace cli {

void add_model_options(Options *opts, std::string *model, std::string *hf) {
#ifdef LOOM_CLI_HAS_PULL
    opts->text("-m, --model", "FILE", model, "the GGUF model (this or -hf is required)");
    opts->text("-hf, --hf-repo", "OWNER/NAME[:QUANT]", hf,
               "a GGUF from Hugging Face, downloaded into the cache first (see `loom pull --help`)");
#else
    (void)hf;
    opts->text("-m, --model", "FILE", model, "the GGUF model (required)");
#endif
}

int resolve_model(const Options &opts, std::string *model, const std::string &hf) {
    if (hf.empty()) return model->empty() ? opts.usage_error("-m MODEL is required") : -1;
    if (!model->empty()) return opts.usage_error("give -m or -hf, not both");
#ifdef LOOM_CLI_HAS_PULL
    std::string why;
    *model = hf_pull(hf, &why);
    return model->empty() ? fail("%s", why.c_str()) : -1;
#else
    return fail("this loom was built without downloads (-Dpull=disabled)");
#endif
}

std::string model_file_name(const std::string &path) {
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace cli
