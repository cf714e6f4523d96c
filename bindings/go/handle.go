package loom

import (
	"sync"
	"sync/atomic"
)

// liveHandles counts the C objects Go values own and have not freed yet
// (read by the tests that check Close and the finalizers free each once).
var liveHandles atomic.Int64

// handle owns one C object of type T: a mutex serialises the calls on it and
// close frees it exactly once, however often and from wherever it is called.
type handle[T any] struct {
	mu   sync.Mutex
	ptr  *T
	free func(*T)
}

func (h *handle[T]) init(p *T, free func(*T)) {
	h.ptr, h.free = p, free
	liveHandles.Add(1)
}

// with runs f on the C pointer under the lock; an error if the handle is closed.
func (h *handle[T]) with(what string, f func(p *T) error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ptr == nil {
		return errClosed(what)
	}
	return f(h.ptr)
}

// close frees the object; later calls do nothing. A call in flight on
// another goroutine finishes first (it holds the lock).
func (h *handle[T]) close() {
	h.mu.Lock()
	p := h.ptr
	h.ptr = nil
	h.mu.Unlock()
	if p != nil {
		h.free(p)
		liveHandles.Add(-1)
	}
}
