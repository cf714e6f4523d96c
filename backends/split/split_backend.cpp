// The split backend: weights go to the side their part runs on.
#include "backends/split/split_backend.h"

#include <vector>

namespace loom {

namespace {

class SplitBackend final : public Backend {
public:
    SplitBackend(std::unique_ptr<Backend> host, std::unique_ptr<Backend> device, int split_layer, const char *name)
        : split_layer_(split_layer), name_(name) {
        side_[split::kHost] = std::move(host);
        side_[split::kDevice] = std::move(device);
    }

    const char *name() const override { return name_; }
    bool supports_experts() const override {
        return side_[split::kHost]->supports_experts() && side_[split::kDevice]->supports_experts();
    }
    void set_part(int part) override { part_ = part; }
    int split_layer() const override { return split_layer_; }

    void expect_weight(loom_type type, int64_t cols, int64_t rows) override {
        side_[split::side_of(part_, split_layer_)]->expect_weight(type, cols, rows);
    }

    Status create_weight(loom_type type, int64_t cols, int64_t rows, const void *data, Tensor **out) override {
        const int side = split::side_of(part_, split_layer_);
        Tensor *t = nullptr;
        LOOM_TRY(side_[side]->create_weight(type, cols, rows, data, &t));
        auto st = std::make_unique<split::SplitTensor>();
        st->type = t->type;
        st->ne[0] = t->ne[0];
        st->ne[1] = t->ne[1];
        st->row_bytes = t->row_bytes;
        st->holds_copy = t->holds_copy;
        st->sub[side] = t;
        st->home = side;
        weights_.push_back(std::move(st));
        *out = weights_.back().get();
        return Status::ok();
    }

    void finish_load() override {
        side_[split::kHost]->finish_load();
        side_[split::kDevice]->finish_load();
    }

    Status new_session(const SessionParams &params, std::unique_ptr<Session> *out) const override {
        std::unique_ptr<Session> host, device;
        LOOM_TRY(side_[split::kHost]->new_session(params, &host));
        LOOM_TRY(side_[split::kDevice]->new_session(params, &device));
        *out = split::make_session(std::move(host), std::move(device), split_layer_);
        return Status::ok();
    }

    uint64_t device_bytes_in_use() const override {
        return side_[split::kHost]->device_bytes_in_use() + side_[split::kDevice]->device_bytes_in_use();
    }

private:
    std::unique_ptr<Backend> side_[2];
    int split_layer_ = 0;
    int part_ = kPartEnds;
    const char *name_;
    std::vector<std::unique_ptr<split::SplitTensor>> weights_;
};

} // namespace

Status create_split_backend(std::unique_ptr<Backend> host, std::unique_ptr<Backend> device, int split_layer,
                            const char *name, std::unique_ptr<Backend> *out) {
    if (!host || !device || split_layer < 0 || !name)
        return error(LOOM_ERR_INVALID_ARGUMENT, "a split backend needs two backends and a first device layer >= 0");
    *out = std::make_unique<SplitBackend>(std::move(host), std::move(device), split_layer, name);
    return Status::ok();
}

} // namespace loom
