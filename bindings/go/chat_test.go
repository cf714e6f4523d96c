package loom

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestApplyChatEqualsLoomChatTemplate(t *testing.T) {
	m := openModel(t, WithVocabOnly())
	msgs := []ChatMessage{
		{Role: "system", Content: "You answer in one word."},
		{Role: "user", Content: "Colour of the sky? ☀️"},
		{Role: "assistant", Content: "Blue."},
		{Role: "user", Content: "And at night?"},
	}
	type jsonMsg struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	js := make([]jsonMsg, len(msgs))
	for i, msg := range msgs {
		js[i] = jsonMsg{msg.Role, msg.Content}
	}
	stdin, err := json.Marshal(js)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flags ChatFlags
		args  []string
	}{
		{AddGenerationPrompt, nil},
		{0, []string{"--no-generation-prompt"}},
	} {
		want := string(mustCLI(t, stdin, append([]string{"chat-template", "-m", testModelPath}, c.args...)...))
		got, err := m.ApplyChat(msgs, c.flags)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("flags %d:\n got %q\nwant %q", c.flags, got, want)
		}
	}
	if kind, err := m.ChatTemplateKind(); err != nil || kind != ChatKindChatML {
		t.Errorf("ChatTemplateKind = %v, %v; want ChatML", kind, err)
	}
	if _, err := m.ApplyChat([]ChatMessage{{Role: "narrator", Content: "x"}}, 0); statusOf(err) != ErrInvalidArgument ||
		!strings.Contains(err.Error(), "narrator") {
		t.Errorf("unknown role: %v", err)
	}
}

func TestFIMGenerationEqualsLoomFim(t *testing.T) {
	m := openModel(t)
	dir := t.TempDir()
	prefix, suffix := "def add(a, b):\n    ", "\n\nprint(add(1, 2))\n"
	for name, text := range map[string]string{"prefix": prefix, "suffix": suffix} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const n = 12
	want := string(mustCLI(t, nil, "fim", "-m", testModelPath, "--prefix-file", filepath.Join(dir, "prefix"),
		"--suffix-file", filepath.Join(dir, "suffix"), "-n", "12"))

	prompt, err := m.FIMPrompt(prefix, suffix)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := m.Tokenize(prompt, ParseSpecial)
	if err != nil {
		t.Fatal(err)
	}
	middle, err := m.TokenFind("<|fim_middle|>")
	if err != nil || tokens[len(tokens)-1] != middle {
		t.Fatalf("the FIM prompt does not end with <|fim_middle|> (%v): %v", err, tokens)
	}
	c, err := NewContext(m)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, _ := NewSampler(Greedy())
	defer s.Close()
	var got strings.Builder
	if _, err := c.Generate(context.Background(), s, tokens, GenerateOptions{MaxTokens: n},
		func(text string) error { got.WriteString(text); return nil }); err != nil {
		t.Fatal(err)
	}
	if got.String() != want {
		t.Errorf("middle %q, loom fim gave %q", got.String(), want)
	}
	repo, err := m.FIMRepoPrompt("demo", []FIMFile{{Path: "util.py", Content: "X = 1\n"}}, "main.py", prefix, suffix)
	if err != nil || !strings.HasPrefix(repo, "<|repo_name|>demo\n<|file_sep|>util.py\nX = 1\n<|file_sep|>main.py\n") ||
		!strings.HasSuffix(repo, prompt) {
		t.Errorf("FIMRepoPrompt = %q, %v", repo, err)
	}
}

func TestDetokenizerStreamsWholeCharacters(t *testing.T) {
	m := openModel(t, WithVocabOnly())
	text := "naïve 日本語 ☀️ ok"
	tokens, err := m.Tokenize(text, 0)
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.NewDetokenizer(false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var out strings.Builder
	var pieces []byte
	for _, tok := range tokens {
		piece, err := m.TokenToPiece(tok)
		if err != nil {
			t.Fatal(err)
		}
		pieces = append(pieces, piece...)
		s, err := d.Push(tok)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(s) {
			t.Errorf("Push gave a partial character %q", s)
		}
		out.WriteString(s)
	}
	tail, err := d.Flush()
	if err != nil || tail != "" {
		t.Errorf("Flush = %q, %v", tail, err)
	}
	if out.String() != text || string(pieces) != text {
		t.Errorf("detokenized %q, pieces %q, want %q", out.String(), pieces, text)
	}
}
