// Importance matrices in llama.cpp's two file formats: the GGUF imatrix
// llama-imatrix writes by default (general.type "imatrix", imatrix.datasets,
// imatrix.chunk_count, imatrix.chunk_size; per weight "<name>.in_sum2" F32
// [n][n_mat], the raw column sums of squared inputs, and "<name>.counts" F32
// [1][n_mat], the rows summed, tensors sorted by name) and the legacy .dat
// (per weight the mean times the chunk count, then the chunk count and the
// dataset). Read as llama.cpp's common_imatrix_load reads them; turned into
// per-column quantization weights as llama-quantize does.
//
// Owner: lib/quantize.
#pragma once

#include "common/status.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace loom {

struct ImatrixEntry {
    std::vector<float> sums;     // [n_mat][n]: GGUF raw sums; legacy: mean * chunk count
    std::vector<int64_t> counts; // [n_mat]: GGUF rows summed; legacy: one chunk count
};

struct Imatrix {
    std::map<std::string, ImatrixEntry> entries;   // by weight name ("blk.0.attn_q.weight")
    std::vector<std::string> datasets;
    int64_t chunk_count = 0, chunk_size = 0;
    bool legacy = false;
    bool has_metadata = false;   // GGUF: the three imatrix.* keys are present
};

// Writes `m` (GGUF form: sums and counts raw) as llama-imatrix does, to
// path + ".tmp" renamed over `path` when complete.
Status imatrix_write_gguf(const Imatrix &m, const std::string &path);

// Reads a GGUF imatrix or, when the file is not GGUF, a legacy .dat.
// FORMAT names what is wrong (truncated, sums without counts, non-F32, ...).
Status imatrix_read(const std::string &path, Imatrix *out);

// The quantization weights of each entry as llama-quantize derives them:
// GGUF sums / count per matrix (1 where a count is 0); legacy sums / chunk
// count. FORMAT when a value is not finite.
Status imatrix_weights(const Imatrix &m, std::map<std::string, std::vector<float>> *out);

} // namespace loom
