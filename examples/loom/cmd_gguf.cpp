// loom gguf: inspect a GGUF file (metadata and tensor table) and dump a
// tensor as float32. Uses only include/loom.h.
#include "cli.h"
#include "common_options.h"
#include "model_facts.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr size_t kMaxShownChars = 80;   // a string value is cut after this many bytes
constexpr uint64_t kShownItems = 4;     // array elements shown in the summary

// Owns an open handle.
struct Gguf {
    loom_gguf *g = nullptr;
    ~Gguf() { loom_gguf_close(g); }
};

// Quotes a string for one display line: escapes control bytes, cuts long values.
std::string quoted(const char *s, size_t len) {
    std::string out = "\"";
    for (size_t i = 0; i < len && i < kMaxShownChars; ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '\n') out += "\\n";
        else if (c == '"' || c == '\\') (out += '\\') += static_cast<char>(c);
        else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else out += static_cast<char>(c);
    }
    out += len > kMaxShownChars ? "\"..." : "\"";
    return out;
}

// One numeric element (raw little-endian bytes of `type`) as text.
std::string number(int32_t type, const unsigned char *p) {
    char buf[64];
    uint64_t u = 0;
    std::memcpy(&u, p, loom_gguf_type_size(type));
    switch (type) {
    case LOOM_GGUF_TYPE_I8: std::snprintf(buf, sizeof buf, "%d", int(int8_t(u))); break;
    case LOOM_GGUF_TYPE_I16: std::snprintf(buf, sizeof buf, "%d", int(int16_t(u))); break;
    case LOOM_GGUF_TYPE_I32: std::snprintf(buf, sizeof buf, "%d", int32_t(u)); break;
    case LOOM_GGUF_TYPE_I64: std::snprintf(buf, sizeof buf, "%" PRId64, int64_t(u)); break;
    case LOOM_GGUF_TYPE_F32: {
        float f;
        std::memcpy(&f, p, 4);
        std::snprintf(buf, sizeof buf, "%.9g", double(f));
        break;
    }
    case LOOM_GGUF_TYPE_F64: {
        double d;
        std::memcpy(&d, p, 8);
        std::snprintf(buf, sizeof buf, "%.17g", d);
        break;
    }
    case LOOM_GGUF_TYPE_BOOL: return u ? "true" : "false";
    default: std::snprintf(buf, sizeof buf, "%" PRIu64, u); break;
    }
    return buf;
}

// "[string x 151936] "a", "b", ..."
std::string array_summary(const loom_gguf *g, const char *key, int32_t elem, uint64_t count) {
    std::string out = std::string("[") + (loom_gguf_type_name(elem) ? loom_gguf_type_name(elem) : "?") + " x " +
                      std::to_string(count) + "]";
    uint64_t shown = count < kShownItems ? count : kShownItems;
    for (uint64_t i = 0; i < shown; ++i) {
        out += i ? ", " : " ";
        if (elem == LOOM_GGUF_TYPE_STRING) {
            const char *s = nullptr;
            size_t len = 0;
            if (loom_gguf_get_array_string(g, key, i, &s, &len) == LOOM_OK) out += quoted(s, len);
        } else {
            unsigned char buf[8];
            size_t size = 0;
            if (loom_gguf_get_array_data(g, key, elem, i, 1, buf, sizeof buf, &size) == LOOM_OK)
                out += number(elem, buf);
        }
    }
    if (count > shown) out += ", ...";
    return out;
}

std::string scalar_text(const loom_gguf *g, const loom_gguf_kv_info &kv) {
    char buf[64] = "?";
    float f = 0;
    double d = 0;
    int32_t b = 0;
    uint64_t u = 0;
    int64_t i = 0;
    if (kv.type == LOOM_GGUF_TYPE_F32) {
        if (loom_gguf_get_f32(g, kv.key, &f) == LOOM_OK) std::snprintf(buf, sizeof buf, "%.9g", double(f));
    } else if (kv.type == LOOM_GGUF_TYPE_F64) {
        if (loom_gguf_get_f64(g, kv.key, &d) == LOOM_OK) std::snprintf(buf, sizeof buf, "%.17g", d);
    } else if (kv.type == LOOM_GGUF_TYPE_BOOL) {
        if (loom_gguf_get_bool(g, kv.key, &b) == LOOM_OK) return b ? "true" : "false";
    } else if (kv.type == LOOM_GGUF_TYPE_U64) {
        if (loom_gguf_get_u64(g, kv.key, &u) == LOOM_OK) std::snprintf(buf, sizeof buf, "%" PRIu64, u);
    } else if (loom_gguf_get_int(g, kv.key, &i) == LOOM_OK) {
        std::snprintf(buf, sizeof buf, "%" PRId64, i);
    }
    return buf;
}

std::string value_text(const loom_gguf *g, const loom_gguf_kv_info &kv) {
    if (kv.type == LOOM_GGUF_TYPE_ARRAY) return array_summary(g, kv.key, kv.array_type, kv.array_count);
    if (kv.type == LOOM_GGUF_TYPE_STRING) {
        const char *s = nullptr;
        size_t len = 0;
        return loom_gguf_get_string(g, kv.key, &s, &len) == LOOM_OK ? quoted(s, len) : "?";
    }
    return scalar_text(g, kv);
}

std::string shape_text(const loom_gguf_tensor_info &t) {
    std::string out = "[";
    for (int d = 0; d < t.n_dims; ++d) out += (d ? ", " : "") + std::to_string(t.ne[d]);
    return out + "]";
}

int open_file(const char *path, Gguf *out) {
    loom_status st = loom_gguf_open(path, nullptr, &out->g);
    return st == LOOM_OK ? 0 : cli::fail_status(st, "cannot open GGUF file");
}

// What a user looks for first: file type, parameter count, size, chat template.
void print_summary(const loom_gguf *g) {
    const cli::ModelFacts facts = cli::model_facts(g);
    std::printf("file type:     %s\n", facts.file_type.empty() ? "not given" : facts.file_type.c_str());
    std::printf("parameters:    %s (%llu)\n", cli::count_text(facts.n_params).c_str(),
                (unsigned long long)facts.n_params);
    std::printf("tensor data:   %s (%.2f bits per parameter)\n", cli::size_text(facts.n_bytes).c_str(),
                facts.n_params ? 8.0 * double(facts.n_bytes) / double(facts.n_params) : 0.0);
    const char *tmpl = nullptr;
    size_t len = 0;
    if (loom_gguf_get_string(g, "tokenizer.chat_template", &tmpl, &len) == LOOM_OK)
        std::printf("chat template:\n%.*s\n", int(len), tmpl);
    else
        std::printf("chat template: none\n");
}

int cmd_info(const char *path) {
    Gguf f;
    if (int rc = open_file(path, &f)) return rc;
    int64_t n_kv = loom_gguf_kv_count(f.g), n_tensors = loom_gguf_tensor_count(f.g);
    std::printf("GGUF v%u: %" PRId64 " keys, %" PRId64 " tensors, alignment %zu, data at offset %" PRIu64 "\n",
                loom_gguf_version(f.g), n_kv, n_tensors, loom_gguf_alignment(f.g), loom_gguf_data_offset(f.g));
    print_summary(f.g);
    std::printf("metadata:\n");
    for (int64_t i = 0; i < n_kv; ++i) {
        loom_gguf_kv_info kv{};
        kv.struct_size = sizeof kv;
        if (loom_status st = loom_gguf_get_kv_info(f.g, i, &kv)) return cli::fail_status(st, "metadata");
        std::printf("  %-40s %-6s %s\n", kv.key, loom_gguf_type_name(kv.type), value_text(f.g, kv).c_str());
    }
    std::printf("tensors:\n  %-40s %-8s %-24s %s\n", "name", "type", "shape", "bytes");
    for (int64_t i = 0; i < n_tensors; ++i) {
        loom_gguf_tensor_info t{};
        t.struct_size = sizeof t;
        if (loom_status st = loom_gguf_get_tensor_info(f.g, i, &t)) return cli::fail_status(st, "tensor table");
        const char *type = loom_type_name(t.type);
        std::printf("  %-40s %-8s %-24s %" PRIu64 "\n", t.name, type ? type : "?", shape_text(t).c_str(), t.nbytes);
    }
    return 0;
}

// Dequantizes row chunks (a multiple of 8 rows, so interleaved types stay whole) and appends them to `out`.
int write_dequantized(const loom_gguf_tensor_info &t, FILE *out, const char *out_path) {
    int64_t row_len = t.ne[0], n_rows = t.ne[1] * t.ne[2] * t.ne[3];
    size_t row_size = 0;
    if (loom_status st = loom_row_size(t.type, row_len, &row_size)) return cli::fail_status(st, "row size");
    int64_t chunk = (int64_t(1) << 22) / row_len / 8 * 8;
    if (chunk < 8) chunk = 8;
    std::vector<float> buf;
    for (int64_t r = 0; r < n_rows; r += chunk) {
        int64_t rows = n_rows - r < chunk ? n_rows - r : chunk;
        buf.resize(size_t(rows * row_len));
        const unsigned char *src = static_cast<const unsigned char *>(t.data) + size_t(r) * row_size;
        if (loom_status st = loom_dequantize(t.type, src, size_t(rows) * row_size, rows, row_len, buf.data()))
            return cli::fail_status(st, "dequantize");
        if (std::fwrite(buf.data(), sizeof(float), buf.size(), out) != buf.size())
            return cli::fail("cannot write '%s': %s", out_path, std::strerror(errno));
    }
    return 0;
}

int cmd_dequant(const char *path, const char *name, const char *out_path) {
    Gguf f;
    if (int rc = open_file(path, &f)) return rc;
    int64_t index = 0;
    if (loom_status st = loom_gguf_find_tensor(f.g, name, &index)) return cli::fail_status(st, "tensor");
    loom_gguf_tensor_info t{};
    t.struct_size = sizeof t;
    if (loom_status st = loom_gguf_get_tensor_info(f.g, index, &t)) return cli::fail_status(st, "tensor");
    const bool to_stdout = !std::strcmp(out_path, "-");
    FILE *out = to_stdout ? stdout : std::fopen(out_path, "wb");
    if (!out) return cli::fail("cannot create '%s': %s", out_path, std::strerror(errno));
    int rc = write_dequantized(t, out, out_path);
    if ((to_stdout ? std::fflush(out) : std::fclose(out)) != 0 && rc == 0)
        rc = cli::fail("cannot write '%s': %s", out_path, std::strerror(errno));
    return rc;
}

int cmd_gguf(int argc, char **argv) {
    std::string action, path, tensor, out;
    cli::CommonOptions common;
    cli::Options opts("loom gguf info FILE | loom gguf dequant FILE TENSOR OUT.f32",
                      "info: the file type, parameter count, size and chat template, then every metadata key and\n"
                      "tensor. dequant: one tensor as float32 (OUT.f32 '-': stdout).");
    opts.positional("ACTION", &action, "info or dequant");
    opts.positional("FILE", &path, "the GGUF file");
    opts.positional("TENSOR", &tensor, "dequant: the tensor's name", false);
    opts.positional("OUT.f32", &out, "dequant: the output file", false);
    cli::add_common_options(&opts, &common);
    if (int rc = opts.parse(argc, argv); rc >= 0) return rc;
    if (action == "info" && tensor.empty()) return cmd_info(path.c_str());
    if (action == "dequant" && !out.empty()) return cmd_dequant(path.c_str(), tensor.c_str(), out.c_str());
    if (action == "info") return opts.usage_error("info takes one FILE");
    if (action == "dequant") return opts.usage_error("dequant needs FILE TENSOR OUT.f32");
    return opts.usage_error("'" + action + "': expected info or dequant");
}

} // namespace

LOOM_COMMAND("gguf", "inspect a GGUF file; dump a tensor as float32", cmd_gguf);
