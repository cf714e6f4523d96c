package loom

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// longPrompt is a context and a batch holding n tokens of one prompt.
func longPrompt(t *testing.T, m *Model, n int) (*Context, *Batch) {
	t.Helper()
	c, err := NewContext(m, WithContextSize(n), WithBatchSize(n))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	b, err := NewBatch(n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	tokens, err := m.Tokenize(strings.Repeat("The loom weaves a long prompt. ", n), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := b.Add(tokens[i], i, 0, i == n-1); err != nil {
			t.Fatal(err)
		}
	}
	return c, b
}

func TestCancelMidPromptReturnsCancelled(t *testing.T) {
	m := openModel(t)
	c, b := longPrompt(t, m, 1024)
	start := time.Now()
	if err := c.Decode(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	full := time.Since(start)
	c.KVClear()

	// The cancel comes from a timer, so a loaded machine may fire it after the
	// decode ended or before it began: then try again with a shorter delay.
	var err error
	for delay := full / 10; delay > full/1000; delay /= 2 {
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(delay, cancel)
		start = time.Now()
		err = c.Decode(ctx, b)
		took := time.Since(start)
		timer.Stop()
		cancel()
		if err != nil && !strings.HasPrefix(asError(t, err).Message, "cancelled before the call") {
			t.Logf("full decode %v, cancelled at %v, returned after %v", full, delay, took)
			break
		}
		t.Logf("the cancel at %v missed the decode (%v); again", delay, err)
		c.KVClear()
	}
	if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Decode cancelled mid-prompt (a full decode takes %v): %v", full, err)
	}
	if pos, err := c.KVSeqPosMax(0); err != nil || pos != -1 {
		t.Errorf("after a cancelled first batch the cache holds up to position %d (%v), want nothing", pos, err)
	}

	// The next decode with a live context is not hit by the old cancellation.
	if err := c.Decode(context.Background(), b); err != nil {
		t.Fatalf("decode after a cancelled one: %v", err)
	}
}

func TestDoneContextCancelsBeforeTheCall(t *testing.T) {
	m := openModel(t)
	c, b := longPrompt(t, m, 8)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Decode(ctx, b); !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Errorf("Decode with a done context: %v", err)
	}
	if _, err := LoadModelContext(ctx, testModelPath); !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Errorf("LoadModelContext with a done context: %v", err)
	}
}

func TestGenerateStopsAtDeadline(t *testing.T) {
	m := openModel(t)
	c, err := NewContext(m, WithContextSize(4096))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, _ := NewSampler(Greedy())
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	g, err := c.Generate(ctx, s, []int32{9707}, GenerateOptions{MaxTokens: -1, IgnoreEOG: true},
		func(string) error { return nil })
	if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Generate past its deadline: %v after %d tokens", err, len(g.Tokens))
	}
	if len(g.Tokens) >= 4000 {
		t.Errorf("%d tokens before the deadline", len(g.Tokens))
	}
}

func TestProgressCallbackCanCancelTheLoad(t *testing.T) {
	needModel(t)
	calls := 0
	_, err := LoadModel(testModelPath, WithProgress(func(f float32) bool {
		calls++
		return false
	}))
	if !errors.Is(err, ErrCancelled) || calls == 0 {
		t.Errorf("load cancelled by its progress callback (%d calls): %v", calls, err)
	}
	var last float32
	m, err := LoadModel(testModelPath, WithProgress(func(f float32) bool { last = f; return true }))
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if last != 1 {
		t.Errorf("last progress %v, want 1", last)
	}
}

func TestPanicInProgressCallbackCancelsTheLoadAndPropagates(t *testing.T) {
	needModel(t)
	live := liveHandles.Load()
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("recovered %v, want the callback's panic", r)
		}
		if n := liveHandles.Load(); n != live {
			t.Errorf("%d live handles after the panicked load, want %d", n, live)
		}
	}()
	LoadModel(testModelPath, WithProgress(func(float32) bool { panic("boom") }))
	t.Error("LoadModel returned after its progress callback panicked")
}
