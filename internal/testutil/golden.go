// Package testutil holds the golden-file helper every test package shares.
//
// Importing it registers the -update flag, so `go test ./... -update` works
// in every package (the go tool passes the flag to all test binaries, and a
// binary that does not define it fails).
package testutil

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Update is set by `go test ./... -update`: golden files are rewritten from
// the actual output instead of compared with it.
var Update = flag.Bool("update", false, "rewrite golden files from the actual output")

// AssertGolden compares got with the golden file at path (relative to the
// test's package directory), printing a line diff on mismatch. With -update
// it writes got to path instead. It refuses to write a file that is an input
// of the test (an example spec).
func AssertGolden(t testing.TB, path string, got []byte) {
	t.Helper()
	got = normalize(got)
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file %s: %v (run go test ./... -update to create it)", path, err)
	}
	want = normalize(want)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the actual output (-want +got); if the change is intended, run go test ./... -update and read the diff:\n%s",
			path, cmp.Diff(lines(want), lines(got)))
	}
}

func normalize(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) }

func lines(b []byte) []string { return strings.Split(string(b), "\n") }
