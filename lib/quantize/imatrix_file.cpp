// Importance-matrix files (imatrix_file.h): GGUF written and read with
// lib/gguf, the legacy .dat read with a bounds-checked cursor.
#include "quantize/imatrix_file.h"

#include "gguf/gguf.h"
#include "gguf/gguf_writer.h"
#include "platform/platform.h"
#include "quantize/quant_mix.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

namespace loom {
namespace {

constexpr size_t kAlignment = 32;   // ggml's GGUF_DEFAULT_ALIGNMENT
const char kSums[] = ".in_sum2", kCounts[] = ".counts";

GgufKV string_kv(const char *key, const std::string &v) {
    GgufKV kv;
    kv.key = key;
    kv.type = GgufValueType::String;
    kv.str = v;
    return kv;
}

GgufKV u32_kv(const char *key, int64_t v) {
    GgufKV kv;
    kv.key = key;
    kv.type = GgufValueType::U32;
    kv.u64 = uint64_t(v);
    kv.i64 = v;
    return kv;
}

GgufKV strings_kv(const char *key, const std::vector<std::string> &v) {
    GgufKV kv;
    kv.key = key;
    kv.type = GgufValueType::Array;
    kv.array_type = GgufValueType::String;
    kv.array_count = v.size();
    kv.array_strings = v;
    return kv;
}

GgufTensor f32_record(const std::string &name, int64_t n, int64_t n_mat, uint64_t *offset) {
    GgufTensor t;
    t.name = name;
    t.type = LOOM_TYPE_F32;
    t.ne[0] = n;
    t.ne[1] = n_mat;
    t.n_dims = ggml_dims(t.ne);
    t.nbytes = size_t(n * n_mat) * sizeof(float);
    t.offset = *offset;
    *offset = gguf_pad(*offset + t.nbytes, kAlignment);
    return t;
}

void append_floats(std::vector<uint8_t> *out, const float *v, size_t n) {
    const size_t at = out->size();
    out->resize(size_t(gguf_pad(at + n * sizeof(float), kAlignment)), 0);
    if (n) std::memcpy(out->data() + at, v, n * sizeof(float));
}

Status write_file(const std::string &path, const std::vector<uint8_t> &bytes) {
    const std::string tmp = path + ".tmp";
    std::FILE *f = platform::fopen_utf8(tmp.c_str(), "wb");
    if (!f) return error(LOOM_ERR_IO, "cannot create '%s': %s", tmp.c_str(), std::strerror(errno));
    const bool wrote = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    if (std::fclose(f) != 0 || !wrote) {
        std::remove(tmp.c_str());
        return error(LOOM_ERR_IO, "writing '%s': %s", tmp.c_str(), std::strerror(errno));
    }
    if (!platform::replace_file(tmp, path)) {
        std::remove(tmp.c_str());
        return error(LOOM_ERR_IO, "renaming '%s' to '%s': %s", tmp.c_str(), path.c_str(), std::strerror(errno));
    }
    return Status::ok();
}

bool strip_suffix(std::string *s, const char *suffix) {
    const size_t n = std::strlen(suffix);
    if (s->size() <= n || s->compare(s->size() - n, n, suffix) != 0) return false;
    s->resize(s->size() - n);
    return true;
}

Status read_gguf(const GgufFile &f, Imatrix *m) {
    const GgufKV *ds = f.find_kv("imatrix.datasets");
    if (ds && ds->type == GgufValueType::Array && ds->array_type == GgufValueType::String) m->datasets = ds->array_strings;
    const GgufKV *count = f.find_kv("imatrix.chunk_count"), *size = f.find_kv("imatrix.chunk_size");
    m->has_metadata = ds && count && size;
    if (count) LOOM_TRY(f.get_int("imatrix.chunk_count", &m->chunk_count));
    if (size) LOOM_TRY(f.get_int("imatrix.chunk_size", &m->chunk_size));
    std::map<std::string, std::pair<const GgufTensor *, const GgufTensor *>> pairs;
    for (const GgufTensor &t : f.tensors()) {
        std::string name = t.name;
        if (strip_suffix(&name, kSums)) pairs[name].first = &t;
        else if (strip_suffix(&name, kCounts)) pairs[name].second = &t;
    }
    if (f.tensors().empty()) return error(LOOM_ERR_FORMAT, "the importance matrix has no tensors");
    for (const auto &[name, p] : pairs) {
        const GgufTensor *sums = p.first, *counts = p.second;
        if (!sums || !counts) return error(LOOM_ERR_FORMAT, "importance matrix entry '%s' lacks its %s", name.c_str(),
                                           sums ? "counts" : "sums");
        if (sums->type != LOOM_TYPE_F32 || counts->type != LOOM_TYPE_F32)
            return error(LOOM_ERR_FORMAT, "importance matrix entry '%s' is not F32", name.c_str());
        const int64_t n_counts = counts->n_elements();
        if (n_counts < 1 || sums->n_elements() % n_counts != 0)
            return error(LOOM_ERR_FORMAT, "importance matrix entry '%s': %lld sums do not split into %lld matrices",
                         name.c_str(), (long long)sums->n_elements(), (long long)n_counts);
        ImatrixEntry &e = m->entries[name];
        e.sums.resize(size_t(sums->n_elements()));
        std::memcpy(e.sums.data(), sums->data, e.sums.size() * sizeof(float));
        std::vector<float> c(static_cast<size_t>(n_counts));
        std::memcpy(c.data(), counts->data, c.size() * sizeof(float));
        for (float v : c) e.counts.push_back(std::isfinite(v) ? std::llround(v) : 0);
    }
    return Status::ok();
}

// A little-endian cursor over the legacy file's bytes.
struct DatCursor {
    const uint8_t *p, *end;
    bool i32(int32_t *v) {
        if (size_t(end - p) < 4) return false;
        std::memcpy(v, p, 4);
        p += 4;
        return true;
    }
    bool bytes(void *dst, size_t n) {
        if (size_t(end - p) < n) return false;
        if (n) std::memcpy(dst, p, n);
        p += n;
        return true;
    }
};

Status read_dat(const std::string &path, const std::vector<uint8_t> &bytes, Imatrix *m) {
    DatCursor c{bytes.data(), bytes.data() + bytes.size()};
    int32_t n_entries = 0;
    if (!c.i32(&n_entries) || n_entries < 1)
        return error(LOOM_ERR_FORMAT, "'%s' is neither a GGUF file nor a legacy imatrix with entries", path.c_str());
    for (int32_t i = 0; i < n_entries; i++) {
        int32_t len = 0, ncall = 0, nval = 0;
        if (!c.i32(&len) || len < 0 || size_t(c.end - c.p) < size_t(len))
            return error(LOOM_ERR_FORMAT, "legacy imatrix '%s': entry %d: bad name length", path.c_str(), i);
        std::string name(reinterpret_cast<const char *>(c.p), size_t(len));
        c.p += len;
        if (!c.i32(&ncall) || !c.i32(&nval) || nval < 1 || size_t(c.end - c.p) / 4 < size_t(nval))
            return error(LOOM_ERR_FORMAT, "legacy imatrix '%s': entry '%s' is truncated", path.c_str(), name.c_str());
        ImatrixEntry &e = m->entries[name];
        e.sums.resize(size_t(nval));
        c.bytes(e.sums.data(), e.sums.size() * sizeof(float));
        e.counts.assign(1, ncall);
    }
    int32_t chunks = 0, len = 0;
    if (c.i32(&chunks)) {   // the trailer (chunk count, dataset) is optional
        m->chunk_count = chunks;
        if (c.i32(&len) && len > 0 && size_t(c.end - c.p) >= size_t(len))
            m->datasets.emplace_back(reinterpret_cast<const char *>(c.p), size_t(len));
    }
    m->legacy = true;
    return Status::ok();
}

bool is_gguf(const std::vector<uint8_t> &bytes) { return bytes.size() >= 4 && std::memcmp(bytes.data(), "GGUF", 4) == 0; }

} // namespace

Status imatrix_write_gguf(const Imatrix &m, const std::string &path) {
    std::vector<GgufKV> kvs = {string_kv("general.type", "imatrix"), strings_kv("imatrix.datasets", m.datasets),
                               u32_kv("imatrix.chunk_count", m.chunk_count),
                               u32_kv("imatrix.chunk_size", m.chunk_size)};
    std::vector<GgufTensor> records;
    std::vector<uint8_t> data;
    uint64_t offset = 0;
    for (const auto &[name, e] : m.entries) {   // std::map: sorted by name, as llama-imatrix sorts
        const int64_t n_mat = int64_t(e.counts.size());
        if (n_mat == 0 || e.sums.empty()) continue;
        if (e.sums.size() % e.counts.size() != 0)
            return error(LOOM_ERR_INTERNAL, "imatrix entry '%s': sums and counts disagree", name.c_str());
        std::vector<float> counts(e.counts.begin(), e.counts.end());
        records.push_back(f32_record(name + kSums, int64_t(e.sums.size()) / n_mat, n_mat, &offset));
        append_floats(&data, e.sums.data(), e.sums.size());
        records.push_back(f32_record(name + kCounts, 1, n_mat, &offset));
        append_floats(&data, counts.data(), counts.size());
    }
    std::vector<uint8_t> bytes;
    LOOM_TRY(gguf_encode_meta(kvs, records, kAlignment, &bytes));
    bytes.insert(bytes.end(), data.begin(), data.end());
    return write_file(path, bytes);
}

Status imatrix_read(const std::string &path, Imatrix *out) {
    std::vector<uint8_t> bytes;
    LOOM_TRY(platform::read_whole_file(path, &bytes));
    Imatrix m;
    if (is_gguf(bytes)) {
        std::unique_ptr<GgufFile> f;
        Status s = GgufFile::open_memory(bytes.data(), bytes.size(), false, &f);
        if (!s) return error(LOOM_ERR_FORMAT, "importance matrix '%s': %s", path.c_str(), s.message().c_str());
        LOOM_TRY(read_gguf(*f, &m));
    } else {
        LOOM_TRY(read_dat(path, bytes, &m));
    }
    *out = std::move(m);
    return Status::ok();
}

Status imatrix_weights(const Imatrix &m, std::map<std::string, std::vector<float>> *out) {
    out->clear();
    for (const auto &[name, e] : m.entries) {
        std::vector<float> &w = (*out)[name];
        w.resize(e.sums.size());
        const size_t n_mat = e.counts.size(), n = n_mat ? e.sums.size() / n_mat : 0;
        for (size_t j = 0; j < n_mat; j++) {
            const float count = float(e.counts[j]);
            for (size_t i = 0; i < n; i++) {
                const float s = e.sums[j * n + i];
                if (m.legacy) w[j * n + i] = count > 0.0f ? s / count : s;
                else w[j * n + i] = count > 0.0f ? s / count : 1.0f;
            }
        }
        for (float v : w)
            if (!std::isfinite(v)) return error(LOOM_ERR_FORMAT, "importance matrix entry '%s' holds a non-finite value", name.c_str());
    }
    return Status::ok();
}

} // namespace loom
