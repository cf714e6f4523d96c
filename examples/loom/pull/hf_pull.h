// `loom pull` and `-hf`: a GGUF from the Hugging Face Hub, through a cache.
//
// The cache folder is $LOOM_CACHE, else $XDG_CACHE_HOME/loom, else
// ~/.cache/loom. A repository's files sit under
//   CACHE/hf/OWNER/NAME/main/FILE        (complete, checked files only)
//   CACHE/hf/OWNER/NAME/main/FILE.part   (a download in progress; resumed)
//   CACHE/hf/OWNER/NAME/main.json        (the Hub's listing of revision main)
// A file reaches its final name only after its size and sha256 matched the
// Hub's listing (an atomic rename), so a file there is complete; a pull whose
// files are all there makes no request. HF_ENDPOINT replaces
// https://huggingface.co; HF_TOKEN is sent as a Bearer token.
#pragma once

#include <string>

namespace cli {

// The cache folder, or "" with *why when no variable names one.
std::string cache_root(std::string *why);

// The local path of the model `spec` ("OWNER/NAME[:QUANT]") names, downloaded
// when needed (the first part, for a split model); "" with *why otherwise.
std::string hf_pull(const std::string &spec, std::string *why);

} // namespace cli
