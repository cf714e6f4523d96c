package loom

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// greedyTokens generates n greedy tokens for prompt in a new context on m.
func greedyTokens(m *Model, prompt string, n int) ([]int32, error) {
	tokens, err := m.Tokenize(prompt, ParseSpecial)
	if err != nil {
		return nil, err
	}
	c, err := NewContext(m, WithContextSize(256), WithThreads(1))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	s, err := NewSampler(Greedy())
	if err != nil {
		return nil, err
	}
	defer s.Close()
	g, err := c.Generate(context.Background(), s, tokens, GenerateOptions{MaxTokens: n, IgnoreEOG: true},
		func(string) error { return nil })
	return g.Tokens, err
}

func TestGoroutinesWithOwnContextsOnOneModelMatchSequential(t *testing.T) {
	m := openModel(t)
	prompts := []string{"Once upon a time", "fn main() {", "1, 1, 2, 3, 5, 8,", "Bonjour"}
	const n = 20
	want := make([][]int32, len(prompts))
	for i, p := range prompts {
		var err error
		if want[i], err = greedyTokens(m, p, n); err != nil {
			t.Fatal(err)
		}
	}
	got := make([][]int32, len(prompts))
	errs := make([]error, len(prompts))
	var wg sync.WaitGroup
	for i, p := range prompts {
		wg.Add(1)
		go func(i int, p string) {
			defer wg.Done()
			got[i], errs[i] = greedyTokens(m, p, n)
		}(i, p)
	}
	wg.Wait()
	for i := range prompts {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
			t.Errorf("prompt %q: concurrent %v, sequential %v", prompts[i], got[i], want[i])
		}
	}
}

// Each failing call's message is its own, however goroutines move between
// OS threads (loom_last_error is thread-local: the shim reads it in the same
// cgo call).
func TestErrorMessagesStayWithTheirCallAcrossGoroutines(t *testing.T) {
	m := openModel(t, WithVocabOnly())
	var wg sync.WaitGroup
	failures := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				text := fmt.Sprintf("no-token-%d-%d", g, i)
				_, err := m.TokenFind(text)
				if err == nil || !strings.Contains(err.Error(), "'"+text+"'") {
					failures <- fmt.Sprintf("TokenFind(%q): %v", text, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
}
