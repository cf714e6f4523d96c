#include "parity_util.h"

#include "testdata.h"

#include <cmath>
#include <cstdlib>
#include <unistd.h>

namespace parity {

namespace {

std::string ids_file(const std::vector<int32_t> &tokens) {
    static int counter = 0;
    std::string path = testdata::scratch_dir() + "/parity-ids-" + std::to_string(getpid()) + "-" +
                       std::to_string(counter++) + ".txt";
    std::string text;
    for (int32_t t : tokens) text += std::to_string(t) + " ";
    testdata::write_file(path, text.data(), text.size());
    return path;
}

} // namespace

std::vector<float> loom_logits(const std::string &model, const std::vector<int32_t> &tokens, const std::string &kv_type) {
    const char *exe = std::getenv("LOOM_EXE");
    if (!exe) return {};
    // `loom logits -m M -o OUT -t 2` with run_logits' argument order: wrap in sh.
    std::string ids = testdata::scratch_dir() + "/loom-ids-" + std::to_string(getpid()) + ".txt", out = ids + ".f32";
    std::string text;
    for (int32_t t : tokens) text += std::to_string(t) + " ";
    testdata::write_file(ids, text.data(), text.size());
    const std::string kv = kv_type.empty() ? "" : " --kv-type " + kv_type;
    int st = testdata::run(std::string("'") + exe + "' logits --precision exact" + kv + " -m '" + model + "' -o '" + out +
                           "' -t 2 < '" + ids + "'");
    std::vector<float> v = st == 0 ? testdata::read_f32(out) : std::vector<float>();
    std::remove(ids.c_str());
    std::remove(out.c_str());
    return v;
}

std::vector<float> llama_logits(const std::string &model, const std::vector<int32_t> &tokens) {
    std::string ids = ids_file(tokens), out = ids + ".f32";
    int st = testdata::run("'" + testdata::ref_dir() + "/llref' logits '" + model + "' '" + out + "' 2 < '" + ids +
                           "' 2>/dev/null");
    std::vector<float> v = st == 0 ? testdata::read_f32(out) : std::vector<float>();
    std::remove(ids.c_str());
    std::remove(out.c_str());
    return v;
}

Top2 top2(const std::vector<float> &logits, size_t r, size_t n) {
    const float *row = logits.data() + r * n;
    Top2 t;
    float best = -INFINITY, second = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (row[i] > best) {
            second = best;
            best = row[i];
            t.best = int32_t(i);
        } else if (row[i] > second) {
            second = row[i];
        }
    }
    t.gap = best - second;
    return t;
}

double row_abs_rms(const std::vector<float> &a, const std::vector<float> &b, size_t r, size_t n) {
    double s = 0.0;
    for (size_t i = r * n; i < (r + 1) * n; i++) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    return std::sqrt(s / double(n));
}

} // namespace parity

namespace parity {

size_t drop_rows(const std::vector<float> &margin, float min_margin, size_t width,
                 const std::vector<std::vector<float> *> &arrays) {
    size_t kept = 0;
    for (size_t r = 0; r < margin.size(); r++) {
        if (!(margin[r] >= min_margin)) continue;
        for (std::vector<float> *a : arrays)
            std::copy(a->begin() + long(r * width), a->begin() + long((r + 1) * width), a->begin() + long(kept * width));
        kept++;
    }
    for (std::vector<float> *a : arrays) a->resize(kept * width);
    return kept;
}

} // namespace parity
