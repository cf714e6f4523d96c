#include "reference_forward.h"

#include "gguf/gguf.h"
#include "model/hparams.h"
#include "quant/quant.h"

#include <cmath>
#include <memory>

namespace reftest {

namespace {

using Vec = std::vector<float>;

// A GGUF weight read row by row (of a 3-D stack of experts: matrix `expert`).
struct Weight {
    const loom::GgufTensor *t = nullptr;
    Vec dense;   // row-interleaved types: the whole tensor, dequantized once
    int64_t expert = 0;

    int64_t cols() const { return t->ne[0]; }
    int64_t rows() const { return t->ne[1]; }
    void row(int64_t r, float *dst) const {
        r += expert * rows();
        if (!dense.empty()) {
            std::copy(dense.begin() + r * cols(), dense.begin() + (r + 1) * cols(), dst);
            return;
        }
        const loom::TypeTraits *tt = loom::type_traits(t->type);
        size_t rb = 0;
        (void)loom::row_bytes(t->type, cols(), &rb);
        tt->to_float(t->data + size_t(r) * rb, dst, cols());
    }
};

bool bind_weight(const loom::GgufFile &g, const std::string &name, Weight *w, std::string *err) {
    w->t = g.find_tensor(name);
    if (!w->t) {
        *err = "missing tensor " + name;
        return false;
    }
    const loom::TypeTraits *tt = loom::type_traits(w->t->type);
    if (tt && tt->rows_to_float) {
        w->dense.resize(size_t(w->t->n_elements()));
        loom::Status s = loom::dequantize_rows(w->t->type, w->t->data, w->t->nbytes, w->rows(), w->cols(), w->dense.data());
        if (!s) *err = s.message();
        return s.is_ok();
    }
    return true;
}

Vec vector_of(const Weight &w) {
    Vec v(size_t(w.cols()));
    w.row(0, v.data());
    return v;
}

// y[i][r] = W[r] . x[i] (+ b[r]) for every token i; x [n][k], y [n][rows].
std::vector<Vec> matmul(const Weight &w, const std::vector<Vec> &x, const Weight *bias) {
    std::vector<Vec> y(x.size(), Vec(size_t(w.rows())));
    Vec wr(size_t(w.cols())), b = bias && bias->t ? vector_of(*bias) : Vec();
    for (int64_t r = 0; r < w.rows(); r++) {
        w.row(r, wr.data());
        for (size_t i = 0; i < x.size(); i++) {
            double s = 0.0;
            for (size_t j = 0; j < wr.size(); j++) s += double(wr[j]) * double(x[i][j]);
            y[i][size_t(r)] = float(s + (b.empty() ? 0.0 : double(b[size_t(r)])));
        }
    }
    return y;
}

std::vector<Vec> rmsnorm(const std::vector<Vec> &x, const Vec &g, float eps) {
    std::vector<Vec> y = x;
    for (Vec &v : y) {
        double ss = 0.0;
        for (float f : v) ss += double(f) * f;
        const double scale = 1.0 / std::sqrt(ss / double(v.size()) + double(eps));
        for (size_t j = 0; j < v.size(); j++) v[j] = float(double(v[j]) * scale * double(g[j]));
    }
    return y;
}

void rope(std::vector<Vec> &x, int n_head, const loom::HParams &h) {
    const int half = h.head_dim / 2;
    for (size_t p = 0; p < x.size(); p++)
        for (int hd = 0; hd < n_head; hd++)
            for (int j = 0; j < half; j++) {
                const double theta = double(p) * std::pow(double(h.rope_freq_base), -2.0 * j / h.head_dim);
                const bool neox = h.rope_mode == loom::RopeMode::Neox;
                float &a = x[p][size_t(hd * h.head_dim + (neox ? j : 2 * j))];
                float &b = x[p][size_t(hd * h.head_dim + (neox ? j + half : 2 * j + 1))];
                const double x0 = a, x1 = b;
                a = float(x0 * std::cos(theta) - x1 * std::sin(theta));
                b = float(x0 * std::sin(theta) + x1 * std::cos(theta));
            }
}

// Causal attention of every position over positions 0..i of the same sequence.
std::vector<Vec> attention(const std::vector<Vec> &q, const std::vector<Vec> &k, const std::vector<Vec> &v,
                           const loom::HParams &h) {
    const size_t n = q.size(), d = size_t(h.head_dim);
    const int group = h.n_head / h.n_head_kv;
    std::vector<Vec> out(n, Vec(size_t(h.q_dim())));
    std::vector<double> score(n);
    for (size_t i = 0; i < n; i++)
        for (int hd = 0; hd < h.n_head; hd++) {
            const size_t qo = size_t(hd) * d, ko = size_t(hd / group) * d;
            double mx = -INFINITY, sum = 0.0;
            for (size_t c = 0; c <= i; c++) {
                double s = 0.0;
                for (size_t j = 0; j < d; j++) s += double(q[i][qo + j]) * double(k[c][ko + j]);
                score[c] = s / std::sqrt(double(d));
                mx = std::max(mx, score[c]);
            }
            for (size_t c = 0; c <= i; c++) sum += (score[c] = std::exp(score[c] - mx));
            for (size_t j = 0; j < d; j++) {
                double o = 0.0;
                for (size_t c = 0; c <= i; c++) o += score[c] * double(v[c][ko + j]);
                out[i][qo + j] = float(o / sum);
            }
        }
    return out;
}

void add_into(std::vector<Vec> &x, const std::vector<Vec> &y) {
    for (size_t i = 0; i < x.size(); i++)
        for (size_t j = 0; j < x[i].size(); j++) x[i][j] += y[i][j];
}

std::string blk(int l, const char *s) { return "blk." + std::to_string(l) + "." + s; }

struct LayerRef {
    Weight attn_norm, wq, bq, wk, bk, wv, bv, wo, ffn_norm, gate, up, down;
    // qwen2moe: gate/up/down above are the shared expert's
    Weight router, gate_exps, up_exps, down_exps, shexp_gate;
};

bool bind_experts(const loom::GgufFile &g, int l, LayerRef *w, std::string *err) {
    return bind_weight(g, blk(l, "ffn_gate_inp.weight"), &w->router, err) &&
           bind_weight(g, blk(l, "ffn_gate_exps.weight"), &w->gate_exps, err) &&
           bind_weight(g, blk(l, "ffn_up_exps.weight"), &w->up_exps, err) &&
           bind_weight(g, blk(l, "ffn_down_exps.weight"), &w->down_exps, err) &&
           bind_weight(g, blk(l, "ffn_gate_inp_shexp.weight"), &w->shexp_gate, err) &&
           bind_weight(g, blk(l, "ffn_gate_shexp.weight"), &w->gate, err) &&
           bind_weight(g, blk(l, "ffn_up_shexp.weight"), &w->up, err) &&
           bind_weight(g, blk(l, "ffn_down_shexp.weight"), &w->down, err);
}

bool bind_layer(const loom::GgufFile &g, int l, LayerRef *w, std::string *err) {
    auto opt = [&](const char *name, Weight *out) { return !g.find_tensor(blk(l, name)) || bind_weight(g, blk(l, name), out, err); };
    return bind_weight(g, blk(l, "attn_norm.weight"), &w->attn_norm, err) && bind_weight(g, blk(l, "attn_q.weight"), &w->wq, err) &&
           bind_weight(g, blk(l, "attn_k.weight"), &w->wk, err) && bind_weight(g, blk(l, "attn_v.weight"), &w->wv, err) &&
           opt("attn_q.bias", &w->bq) && opt("attn_k.bias", &w->bk) && opt("attn_v.bias", &w->bv) &&
           bind_weight(g, blk(l, "attn_output.weight"), &w->wo, err) && bind_weight(g, blk(l, "ffn_norm.weight"), &w->ffn_norm, err) &&
           (g.find_tensor(blk(l, "ffn_gate_inp.weight")) ? bind_experts(g, l, w, err)
                                                         : bind_weight(g, blk(l, "ffn_gate.weight"), &w->gate, err) &&
                                                               bind_weight(g, blk(l, "ffn_up.weight"), &w->up, err) &&
                                                               bind_weight(g, blk(l, "ffn_down.weight"), &w->down, err));
}

// x += silu(x W_gate) * (x W_up) W_down for every token.
std::vector<Vec> swiglu_ffn(const Weight &gate, const Weight &up, const Weight &down, const std::vector<Vec> &xn) {
    std::vector<Vec> g = matmul(gate, xn, nullptr), u = matmul(up, xn, nullptr);
    for (size_t i = 0; i < g.size(); i++)
        for (size_t j = 0; j < g[i].size(); j++) {
            const double gv = g[i][j];
            g[i][j] = float(gv / (1.0 + std::exp(-gv)) * double(u[i][j]));
        }
    return matmul(down, g, nullptr);
}

// qwen2moe: the k most probable experts of softmax(router), weighted by their
// (not renormalised) probabilities, plus the shared expert scaled by
// sigmoid(shexp_gate . x).
std::vector<Vec> moe_ffn(const LayerRef &w, const std::vector<Vec> &xn, const loom::HParams &h, Vec *margin) {
    std::vector<Vec> out = swiglu_ffn(w.gate, w.up, w.down, xn), gs = matmul(w.shexp_gate, xn, nullptr),
                     logits = matmul(w.router, xn, nullptr);
    for (size_t i = 0; i < xn.size(); i++) {
        const double s = 1.0 / (1.0 + std::exp(-double(gs[i][0])));
        for (float &v : out[i]) v = float(v * s);
        const Vec &l = logits[i];
        double mx = -INFINITY, sum = 0.0;
        for (float v : l) mx = std::max(mx, double(v));
        for (float v : l) sum += std::exp(double(v) - mx);
        std::vector<bool> taken(l.size());
        for (int j = 0; j < h.n_expert_used; j++) {
            size_t best = l.size();
            for (size_t e = 0; e < l.size(); e++)
                if (!taken[e] && (best == l.size() || l[e] > l[best])) best = e;
            taken[best] = true;
            if (j == h.n_expert_used - 1) {   // the gap to the best expert left out
                for (size_t e = 0; e < l.size(); e++)
                    if (!taken[e]) (*margin)[i] = std::min((*margin)[i], l[best] - l[e]);
            }
            Weight ge = w.gate_exps, ue = w.up_exps, de = w.down_exps;
            ge.expert = ue.expert = de.expert = int64_t(best);
            const std::vector<Vec> y = swiglu_ffn(ge, ue, de, {xn[i]});
            const double p = std::exp(double(l[best]) - mx) / sum;
            for (size_t c = 0; c < out[i].size(); c++) out[i][c] = float(out[i][c] + p * double(y[0][c]));
        }
    }
    return out;
}

void layer_forward(std::vector<Vec> &x, const LayerRef &w, const loom::HParams &h, Vec *margin) {
    std::vector<Vec> xn = rmsnorm(x, vector_of(w.attn_norm), h.norm_eps);
    std::vector<Vec> q = matmul(w.wq, xn, &w.bq), k = matmul(w.wk, xn, &w.bk), v = matmul(w.wv, xn, &w.bv);
    rope(q, h.n_head, h);
    rope(k, h.n_head_kv, h);
    add_into(x, matmul(w.wo, attention(q, k, v, h), nullptr));
    xn = rmsnorm(x, vector_of(w.ffn_norm), h.norm_eps);
    add_into(x, h.moe() ? moe_ffn(w, xn, h, margin) : swiglu_ffn(w.gate, w.up, w.down, xn));
}

} // namespace

std::vector<float> reference_logits(const loom::GgufFile &g, const std::vector<int32_t> &tokens, std::string *err,
                                    std::vector<float> *route_margin) {
    loom::HParams h;
    loom::Status s = loom::read_hparams(g, &h);
    if (!s) {
        *err = s.message();
        return {};
    }
    Weight embd, out_norm, out;
    if (!bind_weight(g, "token_embd.weight", &embd, err) || !bind_weight(g, "output_norm.weight", &out_norm, err)) return {};
    if (!bind_weight(g, g.find_tensor("output.weight") ? "output.weight" : "token_embd.weight", &out, err)) return {};
    std::vector<Vec> x(tokens.size(), Vec(size_t(h.n_embd)));
    for (size_t i = 0; i < tokens.size(); i++) embd.row(tokens[i], x[i].data());
    Vec margin(tokens.size(), INFINITY);
    for (int l = 0; l < h.n_layer; l++) {
        LayerRef w;
        if (!bind_layer(g, l, &w, err)) return {};
        layer_forward(x, w, h, &margin);
    }
    if (route_margin) *route_margin = margin;
    std::vector<Vec> logits = matmul(out, rmsnorm(x, vector_of(out_norm), h.norm_eps), nullptr);
    std::vector<float> flat;
    for (const Vec &row : logits) flat.insert(flat.end(), row.begin(), row.end());
    return flat;
}

std::vector<float> reference_logits(const std::string &path, const std::vector<int32_t> &tokens, std::string *err,
                                    std::vector<float> *route_margin) {
    std::unique_ptr<loom::GgufFile> g;
    loom::Status s = loom::GgufFile::open_file(path, loom::GgufOpenOptions{}, &g);
    if (!s) {
        *err = s.message();
        return {};
    }
    return reference_logits(*g, tokens, err, route_margin);
}

double rel_rms(const std::vector<float> &a, const std::vector<float> &b) {
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < a.size() && i < b.size(); i++) {
        num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
        den += double(b[i]) * b[i];
    }
    if (a.size() != b.size()) return INFINITY;
    return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

} // namespace reftest
