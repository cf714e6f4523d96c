// Context state (de)serialisation, little-endian:
//   header  magic "LOOMSTAT", u32 version, u64 model fingerprint,
//           u32 n_layer, kv_dim, kv_type, n_vocab, n_embd, n_ctx, n_seq_max
//   cells   u32 count, then per used cell: u32 index, i32 pos, 32-byte seq bits
//   kv      per layer: K rows then V rows of the used cells (in cell order)
//   outputs u32 n_entries, i32 entry_row[n_entries], i32 last_output,
//           u32 n_logits, f32 logits[], u32 n_embd_values, f32 embd[]
#include "context/context.h"

#include "common/xxhash_inline.h"
#include "gguf/gguf.h"

#include <cstring>

namespace loom {

namespace {

constexpr char kMagic[8] = {'L', 'O', 'O', 'M', 'S', 'T', 'A', 'T'};
constexpr uint32_t kVersion = 1;
constexpr size_t kSeqBytes = kMaxSeq / 8;

// Identifies the model: hyper-parameters and the tensor table (names, types,
// shapes, offsets), so a state is not restored into a different model.
uint64_t model_fingerprint(const loom_context &ctx) {
    // On the stack (XXH_INLINE_ALL makes the state type complete): nothing to allocate or fail.
    XXH64_state_t st;
    XXH64_reset(&st, 0x6c6f6f6d);
    const HParams &h = ctx.m->hparams();
    int32_t dims[] = {h.n_vocab, h.n_embd, h.n_layer, h.n_head, h.n_head_kv, h.head_dim, h.n_ff};
    XXH64_update(&st, dims, sizeof dims);
    for (const GgufTensor &t : ctx.gguf->tensors()) {
        XXH64_update(&st, t.name.data(), t.name.size());
        XXH64_update(&st, &t.type, sizeof t.type);
        XXH64_update(&st, t.ne, sizeof t.ne);
        XXH64_update(&st, &t.offset, sizeof t.offset);
    }
    return XXH64_digest(&st);
}

struct Writer {
    std::vector<uint8_t> *out;
    void bytes(const void *p, size_t n) {
        if (!n) return;
        const uint8_t *b = static_cast<const uint8_t *>(p);
        out->insert(out->end(), b, b + n);
    }
    template <typename T> void put(T v) { bytes(&v, sizeof v); }
};

struct Reader {
    const uint8_t *p, *end;
    Status bytes(void *dst, size_t n, const char *what) {
        if (size_t(end - p) < n) return error(LOOM_ERR_FORMAT, "loom state: truncated in %s", what);
        if (n) std::memcpy(dst, p, n);
        p += n;
        return Status::ok();
    }
    template <typename T> Status get(T *v, const char *what) { return bytes(v, sizeof *v, what); }
};

void seq_to_bytes(const SeqSet &s, uint8_t *b) {
    std::memset(b, 0, kSeqBytes);
    for (size_t i = 0; i < size_t(kMaxSeq); i++)
        if (s.test(i)) b[i / 8] |= uint8_t(1u << (i % 8));
}

SeqSet seq_from_bytes(const uint8_t *b) {
    SeqSet s;
    for (size_t i = 0; i < size_t(kMaxSeq); i++)
        if (b[i / 8] & (1u << (i % 8))) s.set(i);
    return s;
}

std::vector<uint32_t> header_values(const loom_context &ctx) {
    const HParams &h = ctx.m->hparams();
    return {uint32_t(h.n_layer), uint32_t(h.kv_dim()), uint32_t(ctx.params.kv_type), uint32_t(h.n_vocab),
            uint32_t(h.n_embd), ctx.params.n_ctx, ctx.params.n_seq_max};
}

Status write_kv_rows(const loom_context &ctx, const std::vector<uint32_t> &used, Writer &w) {
    std::vector<uint8_t> row;
    for (size_t l = 0; l < ctx.buf.k_cache.size(); l++) {
        for (const Tensor *t : {ctx.buf.k_cache[l], ctx.buf.v_cache[l]}) {
            row.resize(t->row_bytes);
            for (uint32_t c : used) {
                LOOM_TRY(ctx.session->download(t, size_t(c) * t->row_bytes, row.data(), row.size()));
                w.bytes(row.data(), row.size());
            }
        }
    }
    return Status::ok();
}

Status read_header(const loom_context &ctx, Reader &r) {
    char magic[8];
    uint32_t version = 0;
    uint64_t fp = 0;
    LOOM_TRY(r.bytes(magic, 8, "header"));
    if (std::memcmp(magic, kMagic, 8) != 0) return error(LOOM_ERR_FORMAT, "not a loom state (bad magic)");
    LOOM_TRY(r.get(&version, "header"));
    if (version != kVersion) return error(LOOM_ERR_FORMAT, "loom state version %u; this build reads %u", version, kVersion);
    LOOM_TRY(r.get(&fp, "header"));
    if (fp != model_fingerprint(ctx)) return error(LOOM_ERR_FORMAT, "loom state was saved from a different model");
    static const char *names[] = {"n_layer", "kv width", "kv_type", "n_vocab", "n_embd", "n_ctx", "n_seq_max"};
    std::vector<uint32_t> want = header_values(ctx);
    for (size_t i = 0; i < want.size(); i++) {
        uint32_t v = 0;
        LOOM_TRY(r.get(&v, "header"));
        if (v != want[i])
            return error(LOOM_ERR_FORMAT, "loom state has %s = %u; this context has %u", names[i], v, want[i]);
    }
    return Status::ok();
}

Status read_cells(const loom_context &ctx, Reader &r, KvCache *kv, std::vector<uint32_t> *used) {
    uint32_t n = 0;
    LOOM_TRY(r.get(&n, "cells"));
    if (n > ctx.params.n_ctx) return error(LOOM_ERR_FORMAT, "loom state has %u cells; the context %u", n, ctx.params.n_ctx);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx = 0;
        int32_t pos = 0;
        uint8_t seq[kSeqBytes];
        LOOM_TRY(r.get(&idx, "cells"));
        LOOM_TRY(r.get(&pos, "cells"));
        LOOM_TRY(r.bytes(seq, kSeqBytes, "cells"));
        SeqSet s = seq_from_bytes(seq);
        if (idx >= ctx.params.n_ctx || pos < 0 || s.none() || !kv->cell(idx).free() ||
            (s >> ctx.params.n_seq_max).any())
            return error(LOOM_ERR_FORMAT, "loom state: cell %u (index %u) is invalid", i, idx);
        kv->cell(idx).pos = pos;
        kv->cell(idx).seqs = s;
        used->push_back(idx);
    }
    return Status::ok();
}

Status read_floats(Reader &r, std::vector<float> *v, size_t max, const char *what) {
    uint32_t n = 0;
    LOOM_TRY(r.get(&n, what));
    if (n > max) return error(LOOM_ERR_FORMAT, "loom state: %u %s values exceed %zu", n, what, max);
    v->resize(n);
    return r.bytes(v->data(), size_t(n) * sizeof(float), what);
}

} // namespace

Status state_write(const loom_context &ctx, std::vector<uint8_t> *out) {
    out->clear();
    Writer w{out};
    w.bytes(kMagic, 8);
    w.put(kVersion);
    w.put(model_fingerprint(ctx));
    for (uint32_t v : header_values(ctx)) w.put(v);
    std::vector<uint32_t> used;
    for (int64_t c = 0; c < ctx.kv.size(); c++)
        if (!ctx.kv.cell(c).free()) used.push_back(uint32_t(c));
    w.put(uint32_t(used.size()));
    for (uint32_t c : used) {
        uint8_t seq[kSeqBytes];
        seq_to_bytes(ctx.kv.cell(c).seqs, seq);
        w.put(c);
        w.put(ctx.kv.cell(c).pos);
        w.bytes(seq, kSeqBytes);
    }
    LOOM_TRY(write_kv_rows(ctx, used, w));
    w.put(uint32_t(ctx.entry_row.size()));
    w.bytes(ctx.entry_row.data(), ctx.entry_row.size() * 4);
    w.put(ctx.last_output);
    w.put(uint32_t(ctx.logits.size()));
    w.bytes(ctx.logits.data(), ctx.logits.size() * 4);
    w.put(uint32_t(ctx.embd.size()));
    w.bytes(ctx.embd.data(), ctx.embd.size() * 4);
    return Status::ok();
}

Status state_read(loom_context &ctx, const uint8_t *data, size_t size) {
    Reader r{data, data + size};
    LOOM_TRY(read_header(ctx, r));
    KvCache kv(ctx.params.n_ctx);
    std::vector<uint32_t> used;
    LOOM_TRY(read_cells(ctx, r, &kv, &used));
    // K/V rows: check the whole payload is present before touching the cache.
    size_t kv_bytes = 0;
    for (size_t l = 0; l < ctx.buf.k_cache.size(); l++)
        kv_bytes += used.size() * (ctx.buf.k_cache[l]->row_bytes + ctx.buf.v_cache[l]->row_bytes);
    if (size_t(r.end - r.p) < kv_bytes) return error(LOOM_ERR_FORMAT, "loom state: truncated in the KV rows");
    Reader outputs{r.p + kv_bytes, r.end};
    uint32_t n_entries = 0;
    int32_t last = -1;
    std::vector<int32_t> entry_row;
    std::vector<float> logits, embd;
    LOOM_TRY(outputs.get(&n_entries, "outputs"));
    if (n_entries > ctx.params.n_batch) return error(LOOM_ERR_FORMAT, "loom state: %u batch entries", n_entries);
    entry_row.resize(n_entries);
    LOOM_TRY(outputs.bytes(entry_row.data(), size_t(n_entries) * 4, "outputs"));
    LOOM_TRY(outputs.get(&last, "outputs"));
    const HParams &h = ctx.m->hparams();
    LOOM_TRY(read_floats(outputs, &logits, size_t(n_entries) * size_t(h.n_vocab), "logits"));
    LOOM_TRY(read_floats(outputs, &embd, size_t(n_entries) * size_t(h.n_embd), "embeddings"));
    const size_t n_rows = logits.size() / size_t(h.n_vocab);
    for (int32_t row : entry_row)
        if (row < -1 || (row >= 0 && size_t(row) >= n_rows)) return error(LOOM_ERR_FORMAT, "loom state: bad output row");
    if (last < -1 || last >= int32_t(n_entries)) return error(LOOM_ERR_FORMAT, "loom state: bad last output");
    // Everything checked: write the rows, then swap in the bookkeeping.
    for (size_t l = 0; l < ctx.buf.k_cache.size(); l++) {
        for (Tensor *t : {ctx.buf.k_cache[l], ctx.buf.v_cache[l]}) {
            for (uint32_t c : used) {
                LOOM_TRY(ctx.session->upload(t, size_t(c) * t->row_bytes, r.p, t->row_bytes));
                r.p += t->row_bytes;
            }
        }
    }
    ctx.kv = std::move(kv);
    ctx.entry_row = std::move(entry_row);
    ctx.last_output = last;
    ctx.logits = std::move(logits);
    ctx.embd = std::move(embd);
    return Status::ok();
}

} // namespace loom
