#include "hf_repo.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace cli {

namespace {

bool repo_char(char c) { return std::isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.'; }

bool valid_part(const std::string &s) {
    return !s.empty() && s != "." && s != ".." && std::all_of(s.begin(), s.end(), repo_char);
}

std::string upper(std::string s) {
    for (char &c : s) c = char(std::toupper((unsigned char)c));
    return s;
}

bool ends_with(const std::string &s, const std::string &tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string base_name(const std::string &path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// NAME-00001-of-00003.gguf: index 1 of 3 and "NAME"; a plain file is 1 of 1.
struct SplitName {
    std::string stem;
    int index = 1, count = 1;
};

SplitName split_name(const std::string &path) {
    SplitName s;
    s.stem = path.substr(0, path.size() - std::min(path.size(), size_t(5)));   // without ".gguf"
    const std::string &t = s.stem;
    // "-00001-of-00003" is 15 characters.
    if (t.size() > 15 && t[t.size() - 15] == '-' && t.compare(t.size() - 9, 4, "-of-") == 0) {
        const std::string a = t.substr(t.size() - 14, 5), b = t.substr(t.size() - 5);
        if (std::all_of(a.begin(), a.end(), ::isdigit) && std::all_of(b.begin(), b.end(), ::isdigit)) {
            s.index = std::stoi(a), s.count = std::stoi(b);
            s.stem = t.substr(0, t.size() - 15);
        }
    }
    return s;
}

bool is_model_file(const std::string &path) {
    if (!ends_with(upper(path), ".GGUF")) return false;
    const std::string name = base_name(path);
    return name.find("mmproj") == std::string::npos && name.find("imatrix") == std::string::npos;
}

// `quant` (upper case) occurs in `path` followed by '.' or '-' and preceded by
// the start or a character that is not a letter or digit.
bool names_quant(const std::string &path, const std::string &quant) {
    const std::string p = upper(path);
    for (size_t at = p.find(quant); at != std::string::npos; at = p.find(quant, at + 1)) {
        const size_t end = at + quant.size();
        const bool before = at == 0 || !std::isalnum((unsigned char)p[at - 1]);
        const bool after = end < p.size() && (p[end] == '.' || p[end] == '-');
        if (before && after) return true;
    }
    return false;
}

// The first model file (first part of a split) that names `quant`, or nullptr.
const HfFile *first_with(const std::vector<HfFile> &files, const std::string &quant) {
    for (const HfFile &f : files)
        if (is_model_file(f.path) && split_name(f.path).index == 1 && (quant.empty() || names_quant(f.path, quant)))
            return &f;
    return nullptr;
}

std::string available_quants(const std::vector<HfFile> &files) {
    std::set<std::string> quants;
    for (const HfFile &f : files)
        if (is_model_file(f.path) && split_name(f.path).index == 1) quants.insert(quant_of(f.path));
    std::string out;
    for (const std::string &q : quants) out += (out.empty() ? "" : ", ") + (q.empty() ? std::string("(unnamed)") : q);
    return out;
}

} // namespace

bool parse_hf_spec(const std::string &text, HfSpec *out, std::string *why) {
    const size_t colon = text.find(':');
    out->repo = text.substr(0, colon);
    out->quant = colon == std::string::npos ? "" : text.substr(colon + 1);
    const size_t slash = out->repo.find('/');
    const bool ok = slash != std::string::npos && valid_part(out->repo.substr(0, slash)) &&
                    valid_part(out->repo.substr(slash + 1)) &&
                    (colon == std::string::npos || (valid_part(out->quant) && out->quant.find('.') == std::string::npos));
    if (!ok) *why = "'" + text + "' is not a Hugging Face repository: expected OWNER/NAME[:QUANT] (e.g. Qwen/Qwen2-0.5B-Instruct-GGUF:q5_k_m)";
    return ok;
}

bool parse_listing(const std::string &json, std::vector<HfFile> *out, std::string *why) {
    const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("siblings") || !j["siblings"].is_array())
        return *why = "the Hub's answer is not a model listing (no \"siblings\")", false;
    out->clear();
    for (const auto &s : j["siblings"]) {
        if (!s.is_object() || !s.contains("rfilename") || !s["rfilename"].is_string()) continue;
        HfFile f;
        f.path = s["rfilename"].get<std::string>();
        if (s.contains("size") && s["size"].is_number_integer()) f.size = s["size"].get<long long>();
        if (s.contains("lfs") && s["lfs"].is_object()) {
            const auto &lfs = s["lfs"];
            if (lfs.contains("sha256") && lfs["sha256"].is_string()) f.sha256 = lfs["sha256"].get<std::string>();
            if (lfs.contains("size") && lfs["size"].is_number_integer()) f.size = lfs["size"].get<long long>();
        }
        out->push_back(f);
    }
    return true;
}

std::vector<HfFile> pick_files(const std::vector<HfFile> &files, const std::string &quant, std::string *why) {
    const HfFile *pick = nullptr;
    if (!quant.empty()) {
        pick = first_with(files, upper(quant));
    } else {
        for (const char *q : {"Q4_K_M", "Q8_0", ""})
            if (!pick) pick = first_with(files, q);
    }
    if (!pick) {
        const std::string have = available_quants(files);
        *why = have.empty() ? "the repository has no GGUF model file"
                            : "no GGUF file for quant '" + quant + "'; the repository has: " + have;
        return {};
    }
    const SplitName first = split_name(pick->path);
    if (first.count == 1) return {*pick};
    std::vector<HfFile> parts(first.count);
    for (const HfFile &f : files) {
        const SplitName s = split_name(f.path);
        if (s.count == first.count && s.stem == first.stem && s.index >= 1 && s.index <= s.count) parts[s.index - 1] = f;
    }
    for (int i = 0; i < first.count; i++)
        if (parts[i].path.empty()) {
            *why = pick->path + " is part 1 of " + std::to_string(first.count) + " but part " + std::to_string(i + 1) +
                   " is not in the repository";
            return {};
        }
    return parts;
}

std::string quant_of(const std::string &path) {
    const std::string stem = split_name(base_name(path)).stem;
    const size_t sep = stem.find_last_of("-.");
    if (sep == std::string::npos) return "";
    const std::string tag = upper(stem.substr(sep + 1));
    const bool ok = !tag.empty() && std::all_of(tag.begin(), tag.end(), [](char c) {
        return std::isalnum((unsigned char)c) || c == '_';
    });
    return ok ? tag : "";
}

bool safe_repo_path(const std::string &path) {
    if (path.empty() || path[0] == '/') return false;
    size_t start = 0;
    while (true) {
        const size_t slash = path.find('/', start);
        const std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part.empty() || part == "." || part == ".." || part.find('\\') != std::string::npos) return false;
        if (slash == std::string::npos) return true;
        start = slash + 1;
    }
}

} // namespace cli
