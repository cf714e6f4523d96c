package loom

// #cgo pkg-config: loom
// #include "shim.h"
import "C"

import (
	"errors"
	"unsafe"
)

// Status is a loom_status code. The non-zero ones are also the sentinel
// errors that errors.Is matches a *Error against.
type Status int32

// The loom_status codes (LOOM_ERR_* in loom.h).
const (
	ErrInvalidArgument Status = C.LOOM_ERR_INVALID_ARGUMENT
	ErrOutOfMemory     Status = C.LOOM_ERR_OUT_OF_MEMORY
	ErrIO              Status = C.LOOM_ERR_IO
	ErrFormat          Status = C.LOOM_ERR_FORMAT
	ErrUnsupported     Status = C.LOOM_ERR_UNSUPPORTED
	ErrNotFound        Status = C.LOOM_ERR_NOT_FOUND
	ErrTypeMismatch    Status = C.LOOM_ERR_TYPE_MISMATCH
	ErrBufferTooSmall  Status = C.LOOM_ERR_BUFFER_TOO_SMALL
	ErrCancelled       Status = C.LOOM_ERR_CANCELLED
	ErrContextFull     Status = C.LOOM_ERR_CONTEXT_FULL
	ErrBackend         Status = C.LOOM_ERR_BACKEND
	ErrInternal        Status = C.LOOM_ERR_INTERNAL
)

// String is loom's short name of the status, e.g. "invalid argument".
func (s Status) String() string { return C.GoString(C.loom_status_string(C.loom_status(s))) }

// Error makes a Status usable as a sentinel error.
func (s Status) Error() string { return "loom: " + s.String() }

// Error is a failed loom call: the status and loom's message, which names
// what is wrong (e.g. "cannot open 'x.gguf': No such file or directory").
type Error struct {
	Status  Status
	Message string
	cause   error // the context error behind ErrCancelled, if any
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Status.Error()
	}
	return "loom: " + e.Status.String() + ": " + e.Message
}

// Is matches the sentinel Status of e: errors.Is(err, loom.ErrNotFound).
func (e *Error) Is(target error) bool {
	s, ok := target.(Status)
	return ok && s == e.Status
}

// Unwrap gives the context.Context error that cancelled the call, so a
// cancelled decode also satisfies errors.Is(err, context.Canceled).
func (e *Error) Unwrap() error { return e.cause }

// check turns a status and the message a shim helper copied (malloc'd) into
// a *Error, freeing the message.
func check(st C.loom_status, msg *C.char) error {
	if st == C.LOOM_OK {
		return nil
	}
	e := &Error{Status: Status(st)}
	if msg != nil {
		e.Message = C.GoString(msg)
		C.free(unsafe.Pointer(msg))
	}
	return e
}

// errClosed is the error of any call on a closed handle.
func errClosed(what string) error {
	return &Error{Status: ErrInvalidArgument, Message: what + " is closed"}
}

// statusOf is the Status of err if it is a *Error, else 0.
func statusOf(err error) Status {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}
