// What `loom pull REPO[:QUANT]` asks the Hugging Face Hub for, and which of a
// repository's files it takes (pure functions; no network here).
//
// The file is chosen as llama.cpp's `-hf` chooses it: a GGUF model file (not
// mmproj / imatrix) whose name holds QUANT followed by '.' or '-', compared
// case-insensitively (`Qwen/Qwen2-0.5B-Instruct-GGUF:q5_k_m` takes
// qwen2-0_5b-instruct-q5_k_m.gguf); without QUANT, Q4_K_M, then Q8_0, then the
// first model file. loom also asks that QUANT start the name or follow a
// character that is not a letter or digit (Q4_0 does not pick IQ4_0). A split
// model (NAME-00001-of-0000N.gguf) is picked by its first part and brings all
// N parts.
#pragma once

#include <string>
#include <vector>

namespace cli {

struct HfSpec {
    std::string repo;   // "owner/name"
    std::string quant;  // "" when none was given
};

// Parses "owner/name[:quant]"; false with *why for anything else.
bool parse_hf_spec(const std::string &text, HfSpec *out, std::string *why);

struct HfFile {
    std::string path;        // the file's path in the repository
    long long size = -1;     // bytes; -1 when the listing does not say
    std::string sha256;      // the LFS object id (64 hex digits), or ""
};

// The files of the Hub's /api/models/REPO/revision/main?blobs=true answer
// (its "siblings": rfilename, size, lfs.sha256); false with *why when the
// text is not such an answer.
bool parse_listing(const std::string &json, std::vector<HfFile> *out, std::string *why);

// The files to download for `quant` (one, or every part of a split model);
// empty with *why naming the quants the repository has when none matches.
std::vector<HfFile> pick_files(const std::vector<HfFile> &files, const std::string &quant, std::string *why);

// A model file's quant as its name spells it, upper-cased: "Q5_K_M" for
// qwen2-0_5b-instruct-q5_k_m.gguf; "" when the name has none.
std::string quant_of(const std::string &path);

// A repository path that is safe to place under the cache folder (relative,
// no "..", no empty or "." parts).
bool safe_repo_path(const std::string &path);

} // namespace cli
