package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryOut  []byte
)

// BinaryVersion is the version stamped into the binary Binary builds, so
// tests can render the same thing in-process.
const BinaryVersion = "test"

// Binary builds ./cmd/mtlsgen once per test process, statically
// (CGO_ENABLED=0, -trimpath) and stamped with BinaryVersion, and returns its
// path. Next to it is mtlsgen-kube, which mtlsgen hands its krm, restarter
// and status commands to; the directory holds nothing else, so tests can
// put it first in PATH.
func Binary(t testing.TB) string {
	t.Helper()
	root := RepoRoot(t)
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mtlsgen-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "mtlsgen")
		cmd := exec.Command("go", "build", "-trimpath",
			"-ldflags", "-X github.com/mtlsgen/mtlsgen/internal/version.stamped="+BinaryVersion,
			"-o", dir+string(filepath.Separator), "./cmd/mtlsgen", "./cmd/mtlsgen-kube")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		binaryOut, binaryErr = cmd.CombinedOutput()
	})
	if binaryErr != nil {
		t.Fatalf("building mtlsgen: %v\n%s", binaryErr, binaryOut)
	}
	return binaryPath
}

// RemoveBinary deletes what Binary built; call it from TestMain after m.Run.
func RemoveBinary() {
	if binaryPath != "" {
		os.RemoveAll(filepath.Dir(binaryPath))
	}
}
