package loom

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

func TestStateRoundTripGivesTheSameLogits(t *testing.T) {
	m := openModel(t)
	newCtx := func() *Context {
		c, err := NewContext(m, WithContextSize(64))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	a := newCtx()
	b, _ := NewBatch(8)
	defer b.Close()
	for i, tok := range []int32{9707, 1879, 11, 358} {
		if err := b.Add(tok, i, 0, i == 3); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Decode(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	want, _ := a.Logits(-1)
	state, err := a.SaveState()
	if err != nil || len(state) == 0 {
		t.Fatalf("SaveState: %d bytes, %v", len(state), err)
	}
	file := filepath.Join(t.TempDir(), "state.bin")
	if err := a.SaveStateFile(file); err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func(c *Context) error{
		"bytes": func(c *Context) error { return c.LoadState(state) },
		"file":  func(c *Context) error { return c.LoadStateFile(file) },
	} {
		c := newCtx()
		if err := load(c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := c.Logits(-1)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: restored logits differ (%v)", name, err)
		}
		if pos, err := c.KVSeqPosMax(0); err != nil || pos != 3 {
			t.Errorf("%s: restored cache ends at %d (%v), want 3", name, pos, err)
		}
	}
	if err := newCtx().LoadState([]byte("not a state")); !errors.Is(err, ErrFormat) {
		t.Errorf("LoadState of garbage: %v", err)
	}
}
