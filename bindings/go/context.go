package loom

// #include "shim.h"
import "C"

import (
	"context"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Precision is how quantized matmuls treat activations (loom_matmul_precision).
type Precision int32

const (
	PrecisionExact Precision = C.LOOM_MATMUL_EXACT // f32 accuracy on the dequantized weights
	PrecisionFast  Precision = C.LOOM_MATMUL_FAST  // the default: one 8-bit pass, llama.cpp's method
)

// KVType is the element type of the KV cache (a loom_type).
type KVType int32

const (
	KVF16  KVType = C.LOOM_TYPE_F16 // the default
	KVF32  KVType = C.LOOM_TYPE_F32
	KVQ8_0 KVType = C.LOOM_TYPE_Q8_0
)

type contextConfig struct{ p C.loom_context_params }

// ContextOption changes one loom_context_params field of NewContext.
type ContextOption func(*contextConfig)

// WithContextSize sets the KV cache cells (0, the default: min(4096, training length)).
func WithContextSize(n int) ContextOption {
	return func(c *contextConfig) { c.p.n_ctx = C.uint32_t(n) }
}

// WithBatchSize sets the most tokens one Decode may carry (default 512).
func WithBatchSize(n int) ContextOption {
	return func(c *contextConfig) { c.p.n_batch = C.uint32_t(n) }
}

// WithSeqMax sets the number of sequence ids allowed (default 1, at most 256).
func WithSeqMax(n int) ContextOption { return func(c *contextConfig) { c.p.n_seq_max = C.uint32_t(n) } }

// WithThreads sets the CPU threads (0, the default: the number of cores, at most 8).
func WithThreads(n int) ContextOption { return func(c *contextConfig) { c.p.n_threads = C.int32_t(n) } }

// WithKVType sets the KV cache type (default KVF16).
func WithKVType(t KVType) ContextOption { return func(c *contextConfig) { c.p.kv_type = C.int32_t(t) } }

// WithEmbeddings keeps the last hidden state of each output (see Embeddings).
func WithEmbeddings() ContextOption { return func(c *contextConfig) { c.p.embeddings = 1 } }

// WithPrecision sets the matmul precision (default PrecisionFast).
func WithPrecision(p Precision) ContextOption {
	return func(c *contextConfig) { c.p.matmul_precision = C.int32_t(p) }
}

// Context is an inference context over a Model: its own KV cache, buffers
// and worker threads. Calls on one Context are serialised; give each
// goroutine its own Context (many may share one Model).
type Context struct {
	h      handle[C.loom_context]
	model  *Model
	mp     *C.loom_model // the model's C pointer, valid while the context holds its reference
	abort  *C.int32_t    // the abort callback's flag (C memory, see shim.h)
	nBatch int
}

// NewContext makes a context over m.
func NewContext(m *Model, opts ...ContextOption) (*Context, error) {
	var cfg contextConfig
	var msg *C.char
	if err := check(C.lg_context_default_params_sized(&cfg.p, C.sizeof_loom_context_params, &msg), msg); err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(&cfg)
	}
	mp, err := m.acquire()
	if err != nil {
		return nil, err
	}
	abort := (*C.int32_t)(C.calloc(1, C.sizeof_int32_t))
	var out *C.loom_context
	if err := check(C.lg_context_new(mp, &cfg.p, abort, &out, &msg), msg); err != nil {
		C.free(unsafe.Pointer(abort))
		m.release()
		return nil, err
	}
	c := &Context{model: m, mp: mp, abort: abort, nBatch: int(cfg.p.n_batch)}
	if n := int(C.loom_context_n_ctx(out)); c.nBatch > n {
		c.nBatch = n
	}
	c.h.init(out, func(p *C.loom_context) {
		C.loom_context_free(p)
		C.free(unsafe.Pointer(abort))
		m.release()
	})
	runtime.SetFinalizer(c, (*Context).Close)
	return c, nil
}

// Close frees the context; later calls do nothing. Always returns nil.
func (c *Context) Close() error {
	runtime.SetFinalizer(c, nil)
	c.h.close()
	return nil
}

// Model is the model the context runs.
func (c *Context) Model() *Model { return c.model }

// NCtx is the KV capacity in tokens (0 once closed).
func (c *Context) NCtx() int {
	n := 0
	_ = c.h.with("context", func(p *C.loom_context) error { n = int(C.loom_context_n_ctx(p)); return nil })
	return n
}

// BatchSize is the most tokens one Decode may carry.
func (c *Context) BatchSize() int { return c.nBatch }

// Decode runs the model over every entry of b. Cancelling ctx stops it
// between ops with an error matching both ErrCancelled and ctx.Err(); the
// KV cache then keeps only what was complete before the batch.
func (c *Context) Decode(ctx context.Context, b *Batch) error {
	return c.h.with("context", func(cp *C.loom_context) error {
		return b.h.with("batch", func(bp *C.loom_batch) error {
			return c.cancellable(ctx, func() error { return decode(cp, bp) })
		})
	})
}

func decode(cp *C.loom_context, bp *C.loom_batch) error {
	var msg *C.char
	return check(C.lg_decode(cp, bp, &msg), msg)
}

// cancellable runs f (which decodes) with the abort flag raised as soon as
// ctx is done. The watcher has exited when cancellable returns, so a late
// cancellation never reaches the next call.
func (c *Context) cancellable(ctx context.Context, f func() error) error {
	if err := ctx.Err(); err != nil {
		return cancelledBy(err)
	}
	done := ctx.Done()
	if done == nil {
		return f()
	}
	flag := (*int32)(unsafe.Pointer(c.abort))
	atomic.StoreInt32(flag, 0)
	stop, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-done:
			atomic.StoreInt32(flag, 1)
		case <-stop:
		}
	}()
	err := f()
	close(stop)
	<-exited
	atomic.StoreInt32(flag, 0)
	return withCause(err, ctx)
}

// Logits copies the logits (NVocab floats) of batch entry i of the last
// Decode; i = -1: the last entry that asked for logits.
func (c *Context) Logits(i int) ([]float32, error) {
	return c.floats(i, c.model.nVocab, func(p *C.loom_context, out **C.float, msg **C.char) C.loom_status {
		return C.lg_get_logits(p, C.int32_t(i), out, msg)
	})
}

// Embeddings copies the last hidden state (NEmbd floats) of batch entry i;
// the context needs WithEmbeddings.
func (c *Context) Embeddings(i int) ([]float32, error) {
	return c.floats(i, c.model.nEmbd, func(p *C.loom_context, out **C.float, msg **C.char) C.loom_status {
		return C.lg_get_embeddings(p, C.int32_t(i), out, msg)
	})
}

func (c *Context) floats(i, n int, get func(p *C.loom_context, out **C.float, msg **C.char) C.loom_status) ([]float32, error) {
	var v []float32
	err := c.h.with("context", func(p *C.loom_context) error {
		var out *C.float
		var msg *C.char
		if err := check(get(p, &out, &msg), msg); err != nil {
			return err
		}
		v = append([]float32(nil), unsafe.Slice((*float32)(unsafe.Pointer(out)), n)...)
		return nil
	})
	return v, err
}

// KVClear drops every cached token of every sequence.
func (c *Context) KVClear() {
	_ = c.h.with("context", func(p *C.loom_context) error { C.loom_kv_clear(p); return nil })
}

// KVSeqRemove drops positions [p0, p1) of sequence seq (seq < 0: of all; p1 < 0: to the end).
func (c *Context) KVSeqRemove(seq, p0, p1 int) error {
	return c.call(func(p *C.loom_context, msg **C.char) C.loom_status {
		return C.lg_kv_seq_remove(p, C.int32_t(seq), C.int32_t(p0), C.int32_t(p1), msg)
	})
}

// KVSeqCopy makes positions [p0, p1) of src also belong to dst (no copy of K/V data).
func (c *Context) KVSeqCopy(src, dst, p0, p1 int) error {
	return c.call(func(p *C.loom_context, msg **C.char) C.loom_status {
		return C.lg_kv_seq_copy(p, C.int32_t(src), C.int32_t(dst), C.int32_t(p0), C.int32_t(p1), msg)
	})
}

// KVSeqPosMax is the highest cached position of seq, -1 if it is empty.
func (c *Context) KVSeqPosMax(seq int) (int, error) {
	var pos C.int32_t
	err := c.call(func(p *C.loom_context, msg **C.char) C.loom_status {
		return C.lg_kv_seq_pos_max(p, C.int32_t(seq), &pos, msg)
	})
	return int(pos), err
}

// SaveState serialises the KV cache and the last logits.
func (c *Context) SaveState() ([]byte, error) {
	var state []byte
	err := c.h.with("context", func(p *C.loom_context) error {
		var size C.size_t
		var msg *C.char
		st := C.lg_state_save(p, nil, 0, &size, &msg)
		if st != C.LOOM_ERR_BUFFER_TOO_SMALL && st != C.LOOM_OK {
			return check(st, msg)
		}
		C.free(unsafe.Pointer(msg))
		var err error
		state, err = sized(int(size), func(buf *byte, capacity C.size_t, size *C.size_t, msg **C.char) C.loom_status {
			return C.lg_state_save(p, unsafe.Pointer(buf), capacity, size, msg)
		})
		return err
	})
	return state, err
}

// LoadState restores a state from SaveState of a context with the same
// model, context size, sequence count and KV type.
func (c *Context) LoadState(state []byte) error {
	return c.call(func(p *C.loom_context, msg **C.char) C.loom_status {
		return C.lg_state_load(p, unsafe.Pointer(first(state)), C.size_t(len(state)), msg)
	})
}

// SaveStateFile writes SaveState's bytes to a file.
func (c *Context) SaveStateFile(path string) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return c.call(func(p *C.loom_context, msg **C.char) C.loom_status { return C.lg_state_save_file(p, cpath, msg) })
}

// LoadStateFile restores a state written by SaveStateFile.
func (c *Context) LoadStateFile(path string) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return c.call(func(p *C.loom_context, msg **C.char) C.loom_status { return C.lg_state_load_file(p, cpath, msg) })
}

// call runs one fallible function on the context.
func (c *Context) call(f func(p *C.loom_context, msg **C.char) C.loom_status) error {
	return c.h.with("context", func(p *C.loom_context) error {
		var msg *C.char
		return check(f(p, &msg), msg)
	})
}
