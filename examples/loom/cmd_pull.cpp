// loom pull OWNER/NAME[:QUANT]
// Downloads a GGUF from the Hugging Face Hub into the cache (pull/hf_pull.h)
// and prints its local path on stdout; a cached file is used without network.
#include "cli.h"
#include "options.h"
#include "pull/hf_pull.h"

#include <cstdio>

namespace {

int cmd_pull(int argc, char **argv) {
    std::string spec;
    cli::Options opts("loom pull OWNER/NAME[:QUANT]",
                      "Downloads a GGUF model from Hugging Face into the cache and prints its path. QUANT picks the "
                      "file by the quant in its name, case-insensitively (q5_k_m: ...-q5_k_m.gguf); without it, "
                      "Q4_K_M, else Q8_0, else the first GGUF. The download resumes where it stopped, and is checked "
                      "against the Hub's size and sha256 before it takes its final name.");
    opts.positional("OWNER/NAME[:QUANT]", &spec, "the repository, e.g. Qwen/Qwen2-0.5B-Instruct-GGUF:q5_k_m");
    opts.footer("\nenvironment:\n"
                "  LOOM_CACHE      the cache folder (default: $XDG_CACHE_HOME/loom, else ~/.cache/loom);\n"
                "                  files land in CACHE/hf/OWNER/NAME/main/FILE\n"
                "  HF_TOKEN        sent as a Bearer token (private and gated repositories)\n"
                "  HF_ENDPOINT     the Hub's address (default: https://huggingface.co)\n");
    if (int rc = opts.parse(argc, argv); rc >= 0) return rc;
    std::string why;
    const std::string path = cli::hf_pull(spec, &why);
    if (path.empty()) return cli::fail("%s", why.c_str());
    std::printf("%s\n", path.c_str());
    return 0;
}

} // namespace

LOOM_COMMAND("pull", "download a GGUF from Hugging Face into the cache", cmd_pull);
