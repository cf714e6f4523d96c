package loom

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// generateText is what `loom run -p prompt -n n` prints with the sampler
// chain of stages, made with the binding.
func generateText(t *testing.T, m *Model, prompt string, n int, stages ...SamplerStage) string {
	t.Helper()
	tokens, err := m.Tokenize(prompt, ParseSpecial)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewContext(m)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := NewSampler(stages...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var b strings.Builder
	b.WriteString(prompt)
	g, err := c.Generate(context.Background(), s, tokens, GenerateOptions{MaxTokens: n},
		func(text string) error { b.WriteString(text); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Tokens) != n && !g.HitEOG {
		t.Fatalf("generated %d tokens, asked for %d", len(g.Tokens), n)
	}
	b.WriteString("\n")
	return b.String()
}

func TestGreedyTextEqualsLoomRun(t *testing.T) {
	m := openModel(t)
	for _, prompt := range []string{"Hello world", "Grüße, 世界! <|im_start|>user\n1 2 3"} {
		const n = 24
		want := string(mustCLI(t, nil, "run", "-m", testModelPath, "-p", prompt, "-n", strconv.Itoa(n), "--temp", "0"))
		if got := generateText(t, m, prompt, n, Greedy()); got != want {
			t.Errorf("prompt %q:\n got %q\nwant %q", prompt, got, want)
		}
	}
}

func TestSeededSamplingEqualsLoomRun(t *testing.T) {
	m := openModel(t)
	const prompt, n = "Once upon a time", 24
	// loom run's chain: penalties, top-k, top-p, min-p, temperature, a seeded draw.
	want := string(mustCLI(t, nil, "run", "-m", testModelPath, "-p", prompt, "-n", strconv.Itoa(n), "--temp", "1.5",
		"--top-k", "50", "--top-p", "0.9", "--min-p", "0.01", "--repeat-penalty", "1.3", "--repeat-last-n", "16",
		"--seed", "1234"))
	got := generateText(t, m, prompt, n, Penalties(16, 1.3, 0, 0), TopK(50), TopP(0.9), MinP(0.01),
		Temperature(1.5), Dist(1234))
	if got != want {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if greedy := generateText(t, m, prompt, n, Greedy()); greedy == want {
		t.Errorf("the seeded draw gave the greedy text: the test cannot tell the chains apart")
	}
}

func TestTokenIdsEqualLoomTokenize(t *testing.T) {
	m := openModel(t)
	text := "<|im_start|>user\nCafe\u0301 costs 12.50€, naïve 日本語 tabs\tand  spaces<|im_end|>\n"
	cases := []struct {
		flags TokenizeFlags
		args  []string
	}{
		{ParseSpecial, nil},
		{0, []string{"--no-special"}},
		{ParseSpecial | NoNFC, []string{"--no-nfc"}},
	}
	for _, c := range cases {
		out := mustCLI(t, []byte(text), append([]string{"tokenize", "-m", testModelPath}, c.args...)...)
		var want []int32
		for _, f := range strings.Fields(string(out)) {
			id, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, int32(id))
		}
		got, err := m.Tokenize(text, c.flags)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("flags %d:\n got %v\nwant %v", c.flags, got, want)
		}
	}
}

func TestLogitsEqualLoomLogits(t *testing.T) {
	m := openModel(t)
	tokens, err := m.Tokenize("The quick brown fox jumps over the lazy dog, again and again.", ParseSpecial)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(tokens))
	for i, tok := range tokens {
		ids[i] = strconv.Itoa(int(tok))
	}
	file := filepath.Join(t.TempDir(), "logits.f32")
	mustCLI(t, []byte(strings.Join(ids, " ")), "logits", "-m", testModelPath, "-o", file)
	want := readF32(t, file)
	nv := m.NVocab()
	if len(want) != len(tokens)*nv {
		t.Fatalf("loom logits wrote %d floats, want %d x %d", len(want), len(tokens), nv)
	}

	// The CLI's context: n_ctx max(64, n), one batch, every position's logits.
	c, err := NewContext(m, WithContextSize(64), WithBatchSize(len(tokens)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, err := NewBatch(len(tokens))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i, tok := range tokens {
		if err := b.Add(tok, i, 0, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Decode(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	for _, pos := range []int{0, len(tokens) / 2, len(tokens) - 1} {
		got, err := c.Logits(pos)
		if err != nil {
			t.Fatal(err)
		}
		for v := range got {
			if math.Float32bits(got[v]) != math.Float32bits(want[pos*nv+v]) {
				t.Fatalf("position %d logit %d: %v, loom logits gave %v", pos, v, got[v], want[pos*nv+v])
			}
		}
	}
	last, err := c.Logits(-1)
	if err != nil || last[0] != want[(len(tokens)-1)*nv] {
		t.Errorf("Logits(-1) is not the last position's: %v", err)
	}
}

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}
