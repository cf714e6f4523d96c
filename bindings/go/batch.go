package loom

// #include "shim.h"
import "C"

import "runtime"

// Batch is a list of (token, position, sequence id, want-logits) entries for
// Context.Decode.
type Batch struct {
	h handle[C.loom_batch]
}

// NewBatch makes an empty batch of at most capacity entries.
func NewBatch(capacity int) (*Batch, error) {
	var out *C.loom_batch
	var msg *C.char
	if err := check(C.lg_batch_new(C.int32_t(capacity), &out, &msg), msg); err != nil {
		return nil, err
	}
	b := &Batch{}
	b.h.init(out, func(p *C.loom_batch) { C.loom_batch_free(p) })
	runtime.SetFinalizer(b, (*Batch).Close)
	return b, nil
}

// Close frees the batch; later calls do nothing. Always returns nil.
func (b *Batch) Close() error {
	runtime.SetFinalizer(b, nil)
	b.h.close()
	return nil
}

// Add appends an entry; logits asks for its logits. ErrBufferTooSmall when full.
func (b *Batch) Add(token int32, pos, seq int, logits bool) error {
	return b.h.with("batch", func(p *C.loom_batch) error { return batchAdd(p, token, pos, seq, logits) })
}

func batchAdd(p *C.loom_batch, token int32, pos, seq int, logits bool) error {
	var msg *C.char
	return check(C.lg_batch_add(p, C.int32_t(token), C.int32_t(pos), C.int32_t(seq), boolInt(logits), &msg), msg)
}

// Clear empties the batch (its capacity stays).
func (b *Batch) Clear() {
	_ = b.h.with("batch", func(p *C.loom_batch) error { C.loom_batch_clear(p); return nil })
}

// Len is the number of entries (0 once closed).
func (b *Batch) Len() int {
	n := 0
	_ = b.h.with("batch", func(p *C.loom_batch) error { n = int(C.loom_batch_size(p)); return nil })
	return n
}
