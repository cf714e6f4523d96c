package loom

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The tests compare the binding with the C library through the `loom` CLI
// built beside it: LOOM_BUILD_DIR is the meson build dir (its
// examples/loom/loom), LOOM_TEST_MODEL the tiny model (ci.sh makes both
// known). Without them the tests skip, except in CI (CI=true), where that
// is a failure.
var (
	testModelPath string
	loomCLI       string
	setupProblem  string
)

func TestMain(m *testing.M) {
	testModelPath = os.Getenv("LOOM_TEST_MODEL")
	if dir := os.Getenv("LOOM_BUILD_DIR"); dir != "" {
		loomCLI = filepath.Join(dir, "examples", "loom", "loom")
	}
	switch {
	case testModelPath == "" || loomCLI == "":
		setupProblem = "LOOM_TEST_MODEL and LOOM_BUILD_DIR are not set (see ci.sh)"
	case !exists(testModelPath):
		setupProblem = "LOOM_TEST_MODEL " + testModelPath + " does not exist"
	case !exists(loomCLI):
		setupProblem = "no loom CLI at " + loomCLI
	}
	if setupProblem != "" && os.Getenv("CI") == "true" {
		fmt.Fprintln(os.Stderr, "loom go tests:", setupProblem)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// needModel skips a test that needs the model and the CLI when they are absent.
func needModel(t *testing.T) {
	t.Helper()
	if setupProblem != "" {
		t.Skip(setupProblem)
	}
}

// openModel loads the test model, closed when the test ends.
func openModel(t *testing.T, opts ...ModelOption) *Model {
	t.Helper()
	needModel(t)
	m, err := LoadModel(testModelPath, opts...)
	if err != nil {
		t.Fatalf("LoadModel: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// runCLI runs `loom args...` with stdin and returns its stdout; stderr and
// the exit status are returned too (a failure is not fatal: error tests
// read it).
func runCLI(t *testing.T, stdin []byte, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	cmd := exec.Command(loomCLI, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.Bytes(), errOut.Bytes(), err
}

// mustCLI is runCLI for calls that must succeed.
func mustCLI(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	out, errOut, err := runCLI(t, stdin, args...)
	if err != nil {
		t.Fatalf("loom %s: %v: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// asError is err as a *Error, failing the test otherwise.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %v (%T) is not a *loom.Error", err, err)
	}
	return e
}
