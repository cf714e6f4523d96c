package loom

// #include <stdint.h>
import "C"

import (
	"context"
	"runtime/cgo"
)

// progressState is what a load's progress callback reaches through its cgo.Handle.
type progressState struct {
	ctx      context.Context
	fn       func(fraction float32) bool
	panicked interface{} // a panic of fn, re-raised once the load has returned
}

// loomGoProgress is loom_progress_fn's Go side (called from lg_progress in
// shim.h on the loading goroutine's thread): nonzero cancels the load.
// A panic must not unwind through loom's C frames: it cancels the load and
// LoadModelContext raises it again.
//
//export loomGoProgress
func loomGoProgress(h C.uintptr_t, fraction C.float) (stop C.int) {
	s := cgo.Handle(h).Value().(*progressState)
	defer func() {
		if r := recover(); r != nil {
			s.panicked, stop = r, 1
		}
	}()
	if s.ctx.Err() != nil || (s.fn != nil && !s.fn(float32(fraction))) {
		return 1
	}
	return 0
}
