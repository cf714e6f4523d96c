package loom

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cliMessage is loom's message in the CLI's "loom: error: WHAT: MESSAGE" line.
func cliMessage(t *testing.T, stderr []byte, what string) string {
	t.Helper()
	line := strings.TrimSuffix(string(stderr), "\n")
	prefix := "loom: error: " + what + ": "
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("unexpected CLI error line %q", line)
	}
	return strings.TrimPrefix(line, prefix)
}

// loadError loads path with the binding and with `loom run`, and checks that
// the *Error carries want and the same message the C API gave the CLI.
func loadError(t *testing.T, path string, want Status) {
	t.Helper()
	m, err := LoadModel(path)
	if err == nil {
		m.Close()
		t.Fatalf("LoadModel(%s) succeeded", path)
	}
	e := asError(t, err)
	if e.Status != want || !errors.Is(err, want) {
		t.Errorf("status %v (%d), want %v", e.Status, e.Status, want)
	}
	_, stderr, cliErr := runCLI(t, nil, "run", "-m", path, "-p", "hi", "-n", "1")
	if cliErr == nil {
		t.Fatalf("loom run -m %s succeeded", path)
	}
	if msg := cliMessage(t, stderr, path); e.Message != msg {
		t.Errorf("message %q, the C API says %q", e.Message, msg)
	}
	if !strings.Contains(err.Error(), e.Message) || !strings.HasPrefix(err.Error(), "loom: "+want.String()) {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestMissingFileIsIOErrorWithLoomMessage(t *testing.T) {
	needModel(t)
	loadError(t, filepath.Join(t.TempDir(), "missing.gguf"), ErrIO)
}

func TestNonGGUFFileIsFormatErrorWithLoomMessage(t *testing.T) {
	needModel(t)
	path := filepath.Join(t.TempDir(), "notes.gguf")
	if err := os.WriteFile(path, []byte("these are notes, not a model\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	loadError(t, path, ErrFormat)
}

func TestInvalidArgumentCarriesLoomMessage(t *testing.T) {
	m := openModel(t)
	c, err := NewContext(m, WithContextSize(64))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.KVSeqRemove(5, 0, -1) // the context has one sequence, id 0
	e := asError(t, err)
	if !errors.Is(err, ErrInvalidArgument) || errors.Is(err, ErrNotFound) {
		t.Errorf("status %v, want invalid argument", e.Status)
	}
	if !strings.Contains(e.Message, "seq_id 5") || !strings.Contains(e.Message, "n_seq_max = 1") {
		t.Errorf("message %q does not name the bad seq_id", e.Message)
	}
	if _, err := LoadModel(testModelPath, WithLoadThreads(257)); !errors.Is(err, ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "n_threads = 257") {
		t.Errorf("WithLoadThreads(257): %v", err)
	}
	if _, err := NewBatch(-3); !errors.Is(err, ErrInvalidArgument) || asError(t, err).Message == "" {
		t.Errorf("NewBatch(-3): %v", err)
	}
	if _, err := NewSampler(TopK(0)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("TopK(0): %v", err)
	}
	if _, err := m.TokenFind("no such token text"); !errors.Is(err, ErrNotFound) ||
		!strings.Contains(err.Error(), "no such token text") {
		t.Errorf("TokenFind: %v", err)
	}
}

func TestCallsOnClosedHandlesFailCleanly(t *testing.T) {
	m := openModel(t)
	c, err := NewContext(m, WithContextSize(64))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewBatch(4)
	c.Close()
	b.Close()
	if err := b.Add(1, 0, 0, true); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Add on a closed batch: %v", err)
	}
	if _, err := c.Logits(0); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Logits on a closed context: %v", err)
	}
	m.Close()
	if _, err := m.Tokenize("x", 0); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Tokenize on a closed model: %v", err)
	}
	if _, err := NewContext(m); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("NewContext on a closed model: %v", err)
	}
}
