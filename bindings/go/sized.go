package loom

// #include "shim.h"
import "C"

import "unsafe"

// sizedCall is one call of a loom function with an output buffer: buf (may
// be nil when capacity is 0), its capacity in elements, the size needed.
type sizedCall[E any] func(buf *E, capacity C.size_t, size *C.size_t, msg **C.char) C.loom_status

// sized runs call with a buffer of guess elements and, on BUFFER_TOO_SMALL,
// once more with the size loom asked for.
func sized[E any](guess int, call sizedCall[E]) ([]E, error) {
	buf := make([]E, guess)
	for attempt := 0; ; attempt++ {
		var size C.size_t
		var msg *C.char
		st := call(first(buf), C.size_t(len(buf)), &size, &msg)
		if st == C.LOOM_ERR_BUFFER_TOO_SMALL && int(size) > len(buf) && attempt < 2 {
			C.free(unsafe.Pointer(msg))
			buf = make([]E, int(size))
			continue
		}
		if err := check(st, msg); err != nil {
			return nil, err
		}
		return buf[:int(size)], nil
	}
}

// first is &s[0], or nil for an empty slice.
func first[E any](s []E) *E {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

// cbytes is a string's bytes for a (pointer, length) argument: nil when empty.
func cbytes(s string) (*C.char, C.size_t) {
	if s == "" {
		return nil, 0
	}
	b := []byte(s)
	return (*C.char)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// cstrings copies strings into C memory for a `const char *const *` argument;
// free releases them.
type cstrings []*C.char

func newCStrings(ss []string) cstrings {
	out := make(cstrings, len(ss))
	for i, s := range ss {
		out[i] = C.CString(s)
	}
	return out
}

func (cs cstrings) ptr() **C.char { return first(cs) }

func (cs cstrings) free() {
	for _, p := range cs {
		C.free(unsafe.Pointer(p))
	}
}
