package loom

// #include "shim.h"
import "C"

import (
	"context"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Backend selects the compute backend of a model (loom_backend_kind).
type Backend int32

const (
	BackendAuto   Backend = C.LOOM_BACKEND_AUTO // Vulkan if a usable GPU exists, else the CPU
	BackendCPU    Backend = C.LOOM_BACKEND_CPU
	BackendVulkan Backend = C.LOOM_BACKEND_VULKAN
)

type modelConfig struct {
	p        C.loom_model_params
	progress func(fraction float32) bool
}

// ModelOption changes one loom_model_params field of LoadModel.
type ModelOption func(*modelConfig)

// WithMmap maps the file (true, the default) or reads it into memory.
func WithMmap(on bool) ModelOption { return func(c *modelConfig) { c.p.use_mmap = boolInt(on) } }

// WithBackend picks the backend (default BackendAuto).
func WithBackend(b Backend) ModelOption { return func(c *modelConfig) { c.p.backend = C.int32_t(b) } }

// WithDevice picks the backend's device by index (default: the backend's choice).
func WithDevice(index int) ModelOption {
	return func(c *modelConfig) { c.p.device_index = C.int32_t(index) }
}

// WithWeightsInPlace reads every CPU weight in place from the file mapping
// (llama.cpp's --no-repack): pages shared with other processes, slower
// decode. By default the CPU copies the weights into its own (huge-page)
// memory where they fit.
func WithWeightsInPlace(on bool) ModelOption {
	return func(c *modelConfig) { c.p.weights_in_place = boolInt(on) }
}

// WithLoadThreads sets the threads that copy the CPU weights at load, the
// loading thread included (started and stopped within the load). Default 0:
// the cores, at most 8; 1: the loading thread alone.
func WithLoadThreads(n int) ModelOption {
	return func(c *modelConfig) { c.p.n_threads = C.int32_t(n) }
}

// WithVocabOnly loads the metadata and the tokenizer only, no weights.
func WithVocabOnly() ModelOption { return func(c *modelConfig) { c.p.vocab_only = 1 } }

// WithProgress calls fn with the load's progress in [0, 1] on the loading
// goroutine; fn returning false cancels the load (ErrCancelled).
func WithProgress(fn func(fraction float32) bool) ModelOption {
	return func(c *modelConfig) { c.progress = fn }
}

// Model is a loaded GGUF model. It is immutable and safe for concurrent use
// by any number of goroutines and contexts. Close frees it once every
// Context and Detokenizer made from it is closed too.
type Model struct {
	mu     sync.RWMutex
	ptr    *C.loom_model
	closed bool
	refs   atomic.Int32 // open children (contexts, detokenizers)
	nVocab int
	nEmbd  int
}

// LoadModel loads a GGUF file (see LoadModelContext).
func LoadModel(path string, opts ...ModelOption) (*Model, error) {
	return LoadModelContext(context.Background(), path, opts...)
}

// LoadModelContext loads the GGUF file at path; cancelling ctx stops the
// load with an error matching ErrCancelled and ctx.Err().
func LoadModelContext(ctx context.Context, path string, opts ...ModelOption) (*Model, error) {
	var cfg modelConfig
	var msg *C.char
	if err := check(C.lg_model_default_params_sized(&cfg.p, C.sizeof_loom_model_params, &msg), msg); err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(&cfg)
	}
	if err := ctx.Err(); err != nil {
		return nil, cancelledBy(err)
	}
	progress := &progressState{ctx: ctx, fn: cfg.progress}
	if cfg.progress != nil || ctx.Done() != nil {
		h := cgo.NewHandle(progress)
		defer h.Delete()
		C.lg_set_progress(&cfg.p, C.uintptr_t(h))
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var out *C.loom_model
	err := check(C.lg_model_load(cpath, &cfg.p, &out, &msg), msg)
	if progress.panicked != nil {
		if err == nil {
			C.loom_model_free(out)
		}
		panic(progress.panicked)
	}
	if err != nil {
		return nil, withCause(err, ctx)
	}
	m := &Model{ptr: out, nVocab: int(C.loom_model_n_vocab(out)), nEmbd: int(C.loom_model_n_embd(out))}
	liveHandles.Add(1)
	runtime.SetFinalizer(m, (*Model).Close)
	return m, nil
}

// Close marks the model closed; it is freed now, or when its last Context or
// Detokenizer is closed. Later calls do nothing. Always returns nil.
func (m *Model) Close() error {
	runtime.SetFinalizer(m, nil)
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.freeIfUnused()
	return nil
}

func (m *Model) freeIfUnused() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed && m.ptr != nil && m.refs.Load() == 0 {
		C.loom_model_free(m.ptr)
		m.ptr = nil
		liveHandles.Add(-1)
	}
}

// acquire registers a child and gives it the C pointer, valid until release.
func (m *Model) acquire() (*C.loom_model, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, errClosed("model")
	}
	m.refs.Add(1)
	return m.ptr, nil
}

func (m *Model) release() {
	if m.refs.Add(-1) == 0 {
		m.freeIfUnused()
	}
}

// read runs f on the C pointer while the model cannot be freed.
func (m *Model) read(f func(p *C.loom_model) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return errClosed("model")
	}
	return f(m.ptr)
}

// readInt is read for the getters that cannot fail (0 on a closed model).
func (m *Model) readInt(f func(p *C.loom_model) C.int32_t) int {
	v := 0
	_ = m.read(func(p *C.loom_model) error { v = int(f(p)); return nil })
	return v
}

// NVocab is the vocabulary size (logits per position).
func (m *Model) NVocab() int { return m.nVocab }

// NEmbd is the hidden size (0 for a vocabulary-only model).
func (m *Model) NEmbd() int { return m.nEmbd }

// NLayer is the number of layers (0 for a vocabulary-only model).
func (m *Model) NLayer() int {
	return m.readInt(func(p *C.loom_model) C.int32_t { return C.loom_model_n_layer(p) })
}

// NCtxTrain is the training context length from the metadata (0 if unknown).
func (m *Model) NCtxTrain() int {
	return m.readInt(func(p *C.loom_model) C.int32_t { return C.loom_model_n_ctx_train(p) })
}

// BackendName is "cpu", "vulkan" or "vulkan+cpu" (a partial offload; "none" for a vocabulary-only or closed model).
func (m *Model) BackendName() string {
	name := "none"
	_ = m.read(func(p *C.loom_model) error { name = C.GoString(C.loom_model_backend_name(p)); return nil })
	return name
}

// Version is the linked library's version, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.loom_version_string()) }

func boolInt(b bool) C.int32_t {
	if b {
		return 1
	}
	return 0
}

// cancelledBy is the error of a call not made because ctx was already done.
func cancelledBy(cause error) error {
	return &Error{Status: ErrCancelled, Message: "cancelled before the call: " + cause.Error(), cause: cause}
}

// withCause attaches ctx's error to an ErrCancelled that ctx caused.
func withCause(err error, ctx context.Context) error {
	if e, ok := err.(*Error); ok && e.Status == ErrCancelled && ctx.Err() != nil {
		e.cause = ctx.Err()
	}
	return err
}
