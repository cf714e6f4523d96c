// The split session: records ops with the crossings between the sides, then
// runs them as one sub-graph per run of ops on one side (split_backend.h).
#include "backends/split/split_backend.h"

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <vector>

namespace loom::split {

namespace {

SplitTensor *as_split(const Tensor *t) { return static_cast<SplitTensor *>(const_cast<Tensor *>(t)); }
Tensor *on(const Tensor *t, int side) { return t ? as_split(t)->sub[side] : nullptr; }

// An op's output and the leading rows it writes.
struct Write {
    const Tensor *t;
    int64_t rows;
};

// One recorded step: an op on `side`, or (crossing set) the copy of a
// tensor's valid rows onto `side`.
struct Item {
    int side = kHost;
    std::function<Status(Session &, int)> op;
    SplitTensor *crossing = nullptr;
    size_t bytes = 0;
};

class SplitSession final : public Session {
public:
    SplitSession(std::unique_ptr<Session> host, std::unique_ptr<Session> device, int split_layer)
        : split_layer_(split_layer) {
        side_[kHost] = std::move(host);
        side_[kDevice] = std::move(device);
    }
    ~SplitSession() override {
        for (auto &t : tensors_) release_sides(t.get());
    }

    // --- memory ----------------------------------------------------------
    void set_part(int part) override { part_ = part; }

    Status alloc(loom_type type, int64_t cols, int64_t rows, Tensor **out) override {
        auto st = std::make_unique<SplitTensor>();
        st->home = part_ == kPartShared ? -1 : side_of(part_, split_layer_);
        for (int s = kHost; s <= kDevice; s++) {
            if (st->home >= 0 && st->home != s) continue;
            Status r = side_[s]->alloc(type, cols, rows, &st->sub[s]);
            if (!r) {
                release_sides(st.get());
                return r;
            }
            st->type = st->sub[s]->type;
            st->row_bytes = st->sub[s]->row_bytes;
        }
        st->ne[0] = cols;
        st->ne[1] = rows;
        st->valid_rows = rows;
        tensors_.push_back(std::move(st));
        *out = tensors_.back().get();
        return Status::ok();
    }

    Status upload(Tensor *t, size_t offset, const void *src, size_t size) override {
        SplitTensor *st = as_split(t);
        for (int s = kHost; s <= kDevice; s++)
            if (st->sub[s]) LOOM_TRY(side_[s]->upload(st->sub[s], offset, src, size));
        st->valid = 3;
        st->valid_rows = st->ne[1];
        return Status::ok();
    }

    Status download(const Tensor *t, size_t offset, void *dst, size_t size) override {
        const SplitTensor *st = as_split(t);
        const int s = st->home >= 0 ? st->home : (st->valid & (1u << kHost)) ? kHost : kDevice;
        return side_[s]->download(st->sub[s], offset, dst, size);
    }

    void release(Tensor *t) override {
        if (!t) return;
        auto it = std::find_if(tensors_.begin(), tensors_.end(), [&](const auto &p) { return p.get() == t; });
        if (it == tensors_.end()) return;
        release_sides(it->get());
        tensors_.erase(it);
    }

    // --- graph -------------------------------------------------------------
    Status begin_graph() override {
        reset();
        return Status::ok();
    }
    Status compute(const AbortFn &abort) override {
        Status s = run_all(abort);
        reset();
        return s;
    }
    Status begin_stepped_graph(int64_t shape_key) override {
        reset();
        shape_key_ = shape_key;
        return Status::ok();
    }
    Status compute_step(const AbortFn &abort, int64_t budget_us, bool *done) override {
        Status s = step(abort, budget_us, done);
        if (!s || *done) cancel_graph();
        return s;
    }
    void cancel_graph() override {
        if (open_ >= 0) side_[open_]->cancel_graph();
        reset();
    }
    // The host's ops (the device's run as submissions, untimed).
    void set_op_times(OpTimes *times) override { side_[kHost]->set_op_times(times); }

    Status set_n_threads(int n_threads) override {
        LOOM_TRY(side_[kHost]->set_n_threads(n_threads));
        return side_[kDevice]->set_n_threads(n_threads);
    }
    uint64_t device_bytes_in_use() const override {
        return side_[kHost]->device_bytes_in_use() + side_[kDevice]->device_bytes_in_use();
    }
    uint64_t device_bytes_peak() const override {
        return side_[kHost]->device_bytes_peak() + side_[kDevice]->device_bytes_peak();
    }

    // --- ops ---------------------------------------------------------------
    Status get_rows(Tensor *dst, const Tensor *table, const Tensor *ids, int64_t rows) override {
        return record({table, ids}, {{dst, rows}}, [=](Session &s, int d) {
            return s.get_rows(on(dst, d), on(table, d), on(ids, d), rows);
        });
    }
    Status rmsnorm(Tensor *dst, const Tensor *src, const Tensor *weight, float eps, int64_t rows) override {
        return record({weight, src}, {{dst, rows}}, [=](Session &s, int d) {
            return s.rmsnorm(on(dst, d), on(src, d), on(weight, d), eps, rows);
        });
    }
    Status matmul(Tensor *dst, const Tensor *w, const Tensor *src, const Tensor *bias, int64_t rows) override {
        return record({w, bias, src}, {{dst, rows}}, [=](Session &s, int d) {
            return s.matmul(on(dst, d), on(w, d), on(src, d), on(bias, d), rows);
        });
    }
    Status rope(Tensor *x, const Tensor *pos, RopeMode mode, int n_head, int head_dim, float freq_base,
                int64_t rows) override {
        return record({x, pos}, {{x, rows}}, [=](Session &s, int d) {
            return s.rope(on(x, d), on(pos, d), mode, n_head, head_dim, freq_base, rows);
        });
    }
    Status kv_store(Tensor *cache, const Tensor *src, const Tensor *cells, int64_t rows) override {
        return record({cache, src, cells}, {{cache, cache->ne[1]}}, [=](Session &s, int d) {
            return s.kv_store(on(cache, d), on(src, d), on(cells, d), rows);
        });
    }
    Status attention(Tensor *out, const Tensor *q, const Tensor *k, const Tensor *v, const Tensor *ranges,
                     const Tensor *mask, int n_head, int n_head_kv, int head_dim, float scale, int64_t width,
                     int64_t rows) override {
        return record({k, v, q, ranges, mask}, {{out, rows}}, [=](Session &s, int d) {
            return s.attention(on(out, d), on(q, d), on(k, d), on(v, d), on(ranges, d), on(mask, d), n_head,
                               n_head_kv, head_dim, scale, width, rows);
        });
    }
    Status swiglu(Tensor *dst, const Tensor *gate, const Tensor *up, int64_t rows) override {
        return record({gate, up}, {{dst, rows}}, [=](Session &s, int d) {
            return s.swiglu(on(dst, d), on(gate, d), on(up, d), rows);
        });
    }
    Status add(Tensor *dst, const Tensor *a, const Tensor *b, int64_t rows) override {
        return record({a, b}, {{dst, rows}}, [=](Session &s, int d) {
            return s.add(on(dst, d), on(a, d), on(b, d), rows);
        });
    }
    Status moe_route(Tensor *ids, Tensor *weights, const Tensor *logits, int k, int64_t rows) override {
        return record({logits}, {{ids, rows}, {weights, rows}}, [=](Session &s, int d) {
            return s.moe_route(on(ids, d), on(weights, d), on(logits, d), k, rows);
        });
    }
    Status matmul_id(Tensor *dst, const Tensor *w, const Tensor *src, const Tensor *ids, int n_expert, int k,
                     bool src_per_slot, int64_t rows) override {
        return record({w, src, ids}, {{dst, rows * k}}, [=](Session &s, int d) {
            return s.matmul_id(on(dst, d), on(w, d), on(src, d), on(ids, d), n_expert, k, src_per_slot, rows);
        });
    }
    Status moe_sum(Tensor *dst, const Tensor *src, const Tensor *weights, int k, int64_t rows) override {
        return record({src, weights}, {{dst, rows}}, [=](Session &s, int d) {
            return s.moe_sum(on(dst, d), on(src, d), on(weights, d), k, rows);
        });
    }
    Status scale_sigmoid(Tensor *x, const Tensor *g, int64_t rows) override {
        return record({x, g}, {{x, rows}}, [=](Session &s, int d) { return s.scale_sigmoid(on(x, d), on(g, d), rows); });
    }
    Status sum_squares(Tensor *acc, const Tensor *src, int64_t rows) override {
        return record({acc, src}, {{acc, 1}}, [=](Session &s, int d) { return s.sum_squares(on(acc, d), on(src, d), rows); });
    }

private:
    using Op = std::function<Status(Session &, int)>;

    void release_sides(SplitTensor *t) {
        for (int s = kHost; s <= kDevice; s++) side_[s]->release(t->sub[s]);
        t->sub[kHost] = t->sub[kDevice] = nullptr;
    }

    void reset() {
        items_.clear();
        cursor_ = 0;
        segment_ = 0;
        open_ = -1;
        at_ = kHost;
    }

    // The side of an op: where its placed tensors live (all on one side), else
    // the side of the op before it.
    Status pick_side(std::initializer_list<const Tensor *> ins, std::initializer_list<Write> outs, int *side) const {
        int found = -1;
        auto visit = [&](const Tensor *t) {
            if (!t || as_split(t)->home < 0) return true;
            if (found < 0) found = as_split(t)->home;
            return found == as_split(t)->home;
        };
        for (const Write &w : outs)
            if (!visit(w.t)) found = -2;
        for (const Tensor *t : ins)
            if (found != -2 && !visit(t)) found = -2;
        if (found == -2) return error(LOOM_ERR_INTERNAL, "split session: an op reads tensors placed on both sides");
        *side = found >= 0 ? found : at_;
        return Status::ok();
    }

    Status record(std::initializer_list<const Tensor *> ins, std::initializer_list<Write> outs, Op op) {
        int side = kHost;
        LOOM_TRY(pick_side(ins, outs, &side));
        for (const Tensor *t : ins) cross(t, side);
        for (const Write &w : outs) {
            SplitTensor *st = as_split(w.t);
            st->valid = 1u << side;
            st->valid_rows = std::min(w.rows, st->ne[1]);
        }
        at_ = side;
        Item it;
        it.side = side;
        it.op = std::move(op);
        items_.push_back(std::move(it));
        return Status::ok();
    }

    // Records the copy of `t` onto `side` when its current copy is on the other.
    void cross(const Tensor *t, int side) {
        if (!t) return;
        SplitTensor *st = as_split(t);
        if (st->home >= 0 || (st->valid & (1u << side))) return;
        Item it;
        it.side = side;
        it.crossing = st;
        it.bytes = size_t(st->valid_rows) * st->row_bytes;
        items_.push_back(std::move(it));
        st->valid |= 1u << side;
    }

    Status run_crossing(const Item &it) {
        const int from = 1 - it.side;
        if (staging_.size() < it.bytes) staging_.resize(it.bytes);
        LOOM_TRY(side_[from]->download(it.crossing->sub[from], 0, staging_.data(), it.bytes));
        return side_[it.side]->upload(it.crossing->sub[it.side], 0, staging_.data(), it.bytes);
    }

    // The end of the run of ops on one side that starts at `i`.
    size_t segment_end(size_t i) const {
        size_t j = i;
        while (j < items_.size() && !items_[j].crossing && items_[j].side == items_[i].side) j++;
        return j;
    }

    Status replay(Session &s, int side, size_t from, size_t to) {
        for (size_t k = from; k < to; k++) LOOM_TRY(items_[k].op(s, side));
        return Status::ok();
    }

    Status run_all(const AbortFn &abort) {
        for (size_t i = 0; i < items_.size();) {
            if (i && abort && abort()) return error(LOOM_ERR_CANCELLED, "decode aborted by the callback");
            if (items_[i].crossing) {
                LOOM_TRY(run_crossing(items_[i++]));
                continue;
            }
            const int side = items_[i].side;
            const size_t end = segment_end(i);
            Session &s = *side_[side];
            LOOM_TRY(s.begin_graph());
            Status r = replay(s, side, i, end);
            if (r) r = s.compute(abort);
            if (!r) {
                s.cancel_graph();
                return r;
            }
            i = end;
        }
        return Status::ok();
    }

    // One slice of a stepped graph: the crossings due, then a step of the
    // current segment (opened on its side as a stepped graph of its own).
    Status step(const AbortFn &abort, int64_t budget_us, bool *done) {
        *done = false;
        while (cursor_ < items_.size() && items_[cursor_].crossing) LOOM_TRY(run_crossing(items_[cursor_++]));
        if (cursor_ == items_.size()) {
            *done = true;
            return Status::ok();
        }
        const int side = items_[cursor_].side;
        const size_t end = segment_end(cursor_);
        Session &s = *side_[side];
        if (open_ < 0) {
            LOOM_TRY(s.begin_stepped_graph(shape_key_ * 16 + segment_));
            open_ = side;
            LOOM_TRY(replay(s, side, cursor_, end));
        }
        bool segment_done = false;
        LOOM_TRY(s.compute_step(abort, budget_us, &segment_done));
        if (!segment_done) return Status::ok();
        open_ = -1;
        segment_++;
        cursor_ = end;
        while (cursor_ < items_.size() && items_[cursor_].crossing) LOOM_TRY(run_crossing(items_[cursor_++]));
        *done = cursor_ == items_.size();
        return Status::ok();
    }

    std::unique_ptr<Session> side_[2];
    int split_layer_ = 0;
    int part_ = kPartShared;
    std::vector<std::unique_ptr<SplitTensor>> tensors_;
    std::vector<Item> items_;
    int at_ = kHost;          // the side of the last recorded op
    // stepped graphs: the next item to run, the segment's index, the side whose stepped graph is open (-1: none)
    size_t cursor_ = 0;
    int64_t shape_key_ = 0, segment_ = 0;
    int open_ = -1;
    std::vector<uint8_t> staging_;   // one crossing's bytes
};

} // namespace

std::unique_ptr<Session> make_session(std::unique_ptr<Session> host, std::unique_ptr<Session> device, int split_layer) {
    return std::make_unique<SplitSession>(std::move(host), std::move(device), split_layer);
}

} // namespace loom::split
