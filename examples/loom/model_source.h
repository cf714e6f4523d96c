// Where run, chat and serve get their model: -m FILE, or (in a build with
// `loom pull`, -Dpull) -hf OWNER/NAME[:QUANT], llama.cpp's spelling, which
// downloads the file into the cache first (pull/hf_pull.h).
#pragma once

#include "options.h"

#include <string>

namespace cli {

// Declares -m/--model and, when built with pull, -hf/--hf-repo.
void add_model_options(Options *opts, std::string *model, std::string *hf);

// After parse: -1 to go on with *model the file to load (downloaded for -hf);
// otherwise the exit status (2: neither or both given, 1: the download failed).
int resolve_model(const Options &opts, std::string *model, const std::string &hf);

// A model's name as shown to users: its path's last component.
std::string model_file_name(const std::string &path);

} // namespace cli
