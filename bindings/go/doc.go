// Package loom is the Go binding of loom, an embeddable library that runs
// GGUF-quantized language models, over its C API (include/loom.h) with cgo.
//
// Handles (Model, Context, Batch, Sampler, Detokenizer) are freed by Close;
// a finalizer frees a handle that was never closed, and Close may be called
// any number of times. A Model may be shared by any number of goroutines;
// the other handles serialise their calls with a mutex, so each is best used
// by one goroutine at a time (give each goroutine its own Context).
//
// Every failure is a *Error carrying loom's status and message; test its
// kind with errors.Is(err, loom.ErrCancelled) and the like. See README.md.
package loom
