package loom

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rss is the process's resident set in bytes (/proc/self/statm).
func rss(t *testing.T) int64 {
	t.Helper()
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm:", err)
	}
	pages, err := strconv.ParseInt(strings.Fields(string(raw))[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

// checkGrowth fails the test if RSS grew by more than bound bytes over what.
func checkGrowth(t *testing.T, before, after, bound int64, what string) {
	t.Helper()
	t.Logf("RSS %d -> %d KiB over %s", before>>10, after>>10, what)
	if after-before > bound {
		t.Errorf("RSS grew by %d KiB over %s (bound %d KiB)", (after-before)>>10, what, bound>>10)
	}
}

// cycle creates and closes one of each handle over m, using them when use is set.
func cycle(t *testing.T, m *Model, use bool) {
	c, err := NewContext(m, WithContextSize(64), WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewBatch(4)
	s, _ := NewSampler(TopK(5), Dist(1))
	d, _ := m.NewDetokenizer(false)
	if !use {
		for _, h := range []interface{ Close() error }{d, s, b, c} {
			h.Close()
		}
		return
	}
	if err := b.Add(9707, 0, 0, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Decode(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sample(c, -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Push(tok); err != nil {
		t.Fatal(err)
	}
	for _, h := range []interface{ Close() error }{d, s, b, c} {
		h.Close()
	}
}

// settle runs the GC until the finalizers have freed everything they will.
func settle() {
	for i := 0; i < 5; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNoLeakOverAThousandCreateFreeCycles(t *testing.T) {
	m := openModel(t)
	runtime.LockOSThread() // one malloc arena (see TestNoLeakOverRepeatedModelLoads)
	defer runtime.UnlockOSThread()
	for i := 0; i < 50; i++ { // warm up the allocator and the Go heap
		cycle(t, m, true)
	}
	settle()
	live, before := liveHandles.Load(), rss(t)
	for i := 0; i < 1000; i++ {
		cycle(t, m, i%10 == 0) // a decode and a sample every tenth cycle (each takes ~30 ms)
	}
	settle()
	after := rss(t)
	// One leaked context alone would keep its logits buffer (n_vocab floats,
	// ~600 KB): a thousand would be ~600 MB. Measured: < 200 KiB of growth.
	const bound = 4 << 20
	checkGrowth(t, before, after, bound, "1000 cycles")
	if n := liveHandles.Load(); n != live {
		t.Errorf("%d live handles after the cycles, %d before", n, live)
	}
}

func TestFinalizersFreeEachHandleOnce(t *testing.T) {
	needModel(t)
	settle()
	base := liveHandles.Load()
	func() {
		m, err := LoadModel(testModelPath)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 100; i++ {
			c, _ := NewContext(m, WithContextSize(64), WithThreads(1))
			b, _ := NewBatch(8)
			s, _ := NewSampler(Greedy())
			d, _ := m.NewDetokenizer(true)
			if i%2 == 0 { // half closed (twice), half left to the finalizers
				for _, h := range []interface{ Close() error }{c, b, s, d, c, b, s, d} {
					h.Close()
				}
			}
		}
		m.Close() // the model stays until its last context and detokenizer are gone
		if liveHandles.Load() == base {
			t.Error("the model was freed while contexts made from it were alive")
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for liveHandles.Load() != base && time.Now().Before(deadline) {
		settle()
	}
	if n := liveHandles.Load(); n != base {
		t.Errorf("%d handles still live after GC, want %d", n, base)
	}
}

func TestModelClosedBeforeItsContextStaysUsable(t *testing.T) {
	needModel(t)
	m, err := LoadModel(testModelPath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewContext(m, WithContextSize(64))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewBatch(1)
	defer b.Close()
	m.Close()
	live := liveHandles.Load()
	if err := b.Add(9707, 0, 0, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Decode(context.Background(), b); err != nil {
		t.Fatalf("decode on a context whose model was closed: %v", err)
	}
	c.Close()
	if n := liveHandles.Load(); n != live-2 {
		t.Errorf("closing the last context freed %d handles, want 2 (it and the model)", live-n)
	}
}

func TestNoLeakOverRepeatedModelLoads(t *testing.T) {
	needModel(t)
	// One OS thread: glibc gives each thread its own malloc arena, whose
	// retained free memory would otherwise look like growth.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	load := func(opts ...ModelOption) {
		m, err := LoadModel(testModelPath, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Tokenize("warm the tokenizer up", 0); err != nil {
			t.Fatal(err)
		}
		m.Close()
	}
	for i := 0; i < 3; i++ {
		load()
	}
	settle()
	before := rss(t)
	for i := 0; i < 20; i++ {
		if i%2 == 0 {
			load(WithVocabOnly())
		} else {
			load()
		}
	}
	settle()
	after := rss(t)
	// A leaked vocabulary (152k tokens, their merges and lookup tables) is
	// megabytes: ten of them stand far above any noise.
	const bound = 16 << 20
	checkGrowth(t, before, after, bound, "20 model loads")
}
