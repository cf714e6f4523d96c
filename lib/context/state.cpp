// Context state (de)serialisation, little-endian:
//   header  magic "LOOMSTAT", u32 version, u64 body size, u64 XXH3-64 of the body
//   body    u64 model fingerprint,
//           u32 n_layer, kv_dim, kv_type, n_vocab, n_embd, n_ctx, n_seq_max,
//           embeddings (the loom_embeddings_mode: 0, 1 or 2)
//   cells   u32 count, then per used cell: u32 index, i32 pos, 32-byte seq bits
//   kv      per layer: K rows then V rows of the used cells (in cell order)
//   outputs u32 n_entries, i32 entry_row[n_entries], i32 last_output, u32 n_out,
//           f32 logits[n_out][n_vocab] (embeddings 0 or 1), f32 embd[n_out][n_embd] (embeddings 1 or 2)
// Everything that sizes what the state carries is in the body and checked
// against the loading context; the checksum rejects corrupted states and the
// body must end exactly where the buffer does.
#include "context/context.h"

#include "common/xxhash_inline.h"
#include "gguf/gguf.h"

#include <algorithm>
#include <cstring>

namespace loom {

namespace {

constexpr char kMagic[8] = {'L', 'O', 'O', 'M', 'S', 'T', 'A', 'T'};
constexpr uint32_t kVersion = 2;
constexpr size_t kHeaderBytes = 8 + 4 + 8 + 8;
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
            uint32_t(h.n_embd), ctx.params.n_ctx, ctx.params.n_seq_max, uint32_t(ctx.params.embeddings)};
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

// The envelope: magic, version, body size (nothing may follow the body) and checksum.
Status read_envelope(Reader &r) {
    char magic[8];
    uint32_t version = 0;
    uint64_t body_size = 0, sum = 0;
    LOOM_TRY(r.bytes(magic, 8, "header"));
    if (std::memcmp(magic, kMagic, 8) != 0) return error(LOOM_ERR_FORMAT, "not a loom state (bad magic)");
    LOOM_TRY(r.get(&version, "header"));
    if (version != kVersion) return error(LOOM_ERR_FORMAT, "loom state version %u; this build reads %u", version, kVersion);
    LOOM_TRY(r.get(&body_size, "header"));
    LOOM_TRY(r.get(&sum, "header"));
    const size_t have = size_t(r.end - r.p);
    if (body_size > have)
        return error(LOOM_ERR_FORMAT, "loom state: truncated (body of %llu bytes, %zu present)",
                     (unsigned long long)body_size, have);
    if (body_size < have)
        return error(LOOM_ERR_FORMAT, "loom state: %zu bytes after the end of the state", have - size_t(body_size));
    if (XXH3_64bits(r.p, have) != sum) return error(LOOM_ERR_FORMAT, "loom state: checksum mismatch (corrupted)");
    return Status::ok();
}

Status read_shape(const loom_context &ctx, Reader &r) {
    uint64_t fp = 0;
    LOOM_TRY(r.get(&fp, "header"));
    if (fp != model_fingerprint(ctx)) return error(LOOM_ERR_FORMAT, "loom state was saved from a different model");
    static const char *names[] = {"n_layer", "kv width", "kv_type", "n_vocab", "n_embd", "n_ctx", "n_seq_max", "embeddings"};
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

Status read_floats(Reader &r, HostVector<float> *v, size_t n, const char *what) {
    v->resize(n);
    return r.bytes(v->data(), n * sizeof(float), what);
}

// Batch entries map to output rows 0, 1, ... in entry order (as a decode
// leaves them); the last output is the entry of the last row.
Status check_outputs(const HostVector<int32_t> &entry_row, int32_t last, uint32_t n_out) {
    int32_t next = 0, last_entry = -1;
    for (size_t i = 0; i < entry_row.size(); i++) {
        if (entry_row[i] == -1) continue;
        if (entry_row[i] != next) return error(LOOM_ERR_FORMAT, "loom state: batch entry %zu has output row %d", i, entry_row[i]);
        next++;
        last_entry = int32_t(i);
    }
    if (uint32_t(next) != n_out)
        return error(LOOM_ERR_FORMAT, "loom state: %d batch entries have outputs; %u output rows", next, n_out);
    if (last != last_entry) return error(LOOM_ERR_FORMAT, "loom state: last output %d; expected %d", last, last_entry);
    return Status::ok();
}

struct Outputs {
    HostVector<int32_t> entry_row;
    int32_t last = -1;
    HostVector<float> logits, embd;
};

Status read_outputs(const loom_context &ctx, Reader &r, Outputs *o) {
    uint32_t n_entries = 0, n_out = 0;
    LOOM_TRY(r.get(&n_entries, "outputs"));
    if (n_entries > ctx.params.n_batch)
        return error(LOOM_ERR_FORMAT, "loom state: %u batch entries; the context's n_batch is %u", n_entries,
                     ctx.params.n_batch);
    o->entry_row.resize(n_entries);
    LOOM_TRY(r.bytes(o->entry_row.data(), size_t(n_entries) * 4, "outputs"));
    LOOM_TRY(r.get(&o->last, "outputs"));
    LOOM_TRY(r.get(&n_out, "outputs"));
    if (n_out > n_entries) return error(LOOM_ERR_FORMAT, "loom state: %u output rows for %u entries", n_out, n_entries);
    LOOM_TRY(check_outputs(o->entry_row, o->last, n_out));
    const HParams &h = ctx.m->hparams();
    if (ctx.wants_logits()) LOOM_TRY(read_floats(r, &o->logits, size_t(n_out) * size_t(h.n_vocab), "logits"));
    if (ctx.params.embeddings) LOOM_TRY(read_floats(r, &o->embd, size_t(n_out) * size_t(h.n_embd), "embeddings"));
    if (r.p != r.end) return error(LOOM_ERR_FORMAT, "loom state: %zu bytes after the outputs", size_t(r.end - r.p));
    return Status::ok();
}

} // namespace

Status state_write(const loom_context &ctx, std::vector<uint8_t> *out) {
    std::vector<uint8_t> body;
    Writer w{&body};
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
    const size_t n_out = size_t(std::count_if(ctx.entry_row.begin(), ctx.entry_row.end(), [](int32_t r) { return r >= 0; }));
    if (ctx.wants_logits() && ctx.logits.size() != n_out * size_t(ctx.m->hparams().n_vocab))
        return error(LOOM_ERR_INTERNAL, "state: %zu logits for %zu outputs", ctx.logits.size(), n_out);
    w.put(uint32_t(ctx.entry_row.size()));
    w.bytes(ctx.entry_row.data(), ctx.entry_row.size() * 4);
    w.put(ctx.last_output);
    w.put(uint32_t(n_out));
    w.bytes(ctx.logits.data(), ctx.logits.size() * 4);
    if (ctx.params.embeddings) {
        if (ctx.embd.size() != n_out * size_t(ctx.m->hparams().n_embd))
            return error(LOOM_ERR_INTERNAL, "state: %zu embedding values for %zu outputs", ctx.embd.size(), n_out);
        w.bytes(ctx.embd.data(), ctx.embd.size() * 4);
    }
    out->clear();
    Writer e{out};
    e.bytes(kMagic, 8);
    e.put(kVersion);
    e.put(uint64_t(body.size()));
    e.put(uint64_t(XXH3_64bits(body.data(), body.size())));
    e.bytes(body.data(), body.size());
    return Status::ok();
}

Status state_read(loom_context &ctx, const uint8_t *data, size_t size) {
    Reader r{data, data + size};
    LOOM_TRY(read_envelope(r));
    LOOM_TRY(read_shape(ctx, r));
    KvCache kv(ctx.params.n_ctx, int(ctx.params.n_seq_max));
    std::vector<uint32_t> used;
    LOOM_TRY(read_cells(ctx, r, &kv, &used));
    // K/V rows: check the whole payload is present before touching the cache.
    size_t kv_bytes = 0;
    for (size_t l = 0; l < ctx.buf.k_cache.size(); l++)
        kv_bytes += used.size() * (ctx.buf.k_cache[l]->row_bytes + ctx.buf.v_cache[l]->row_bytes);
    if (size_t(r.end - r.p) < kv_bytes) return error(LOOM_ERR_FORMAT, "loom state: truncated in the KV rows");
    Reader rest{r.p + kv_bytes, r.end};
    Outputs o;
    LOOM_TRY(read_outputs(ctx, rest, &o));
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
    ctx.entry_row = std::move(o.entry_row);
    ctx.last_output = o.last;
    ctx.logits = std::move(o.logits);
    ctx.embd = std::move(o.embd);
    pooling_clear(ctx);
    return Status::ok();
}

} // namespace loom
