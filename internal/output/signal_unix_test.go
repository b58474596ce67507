//go:build unix

package output

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mtlsgen/mtlsgen/generator"
)

// A real SIGTERM reaches the sink: its next write fails, and stopping the
// watch before the grace ends keeps the process alive.
func TestAbortOnSignal_realSignal(t *testing.T) {
	root := t.TempDir()
	s, err := newDirSink(filepath.Join(root, "out"))
	if err != nil {
		t.Fatal(err)
	}
	stop := AbortOnSignal(s)
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(signalGrace / 2); s.interrupted.Load() == nil && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	err = s.Write(generator.Object{Cluster: "east", Component: generator.ComponentMesh, Object: configMap("one")})
	if err == nil || !strings.Contains(err.Error(), "interrupted (terminated)") {
		t.Fatalf("write after SIGTERM: %v", err)
	}
	s.Abort()
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("left in %s: %v", root, entries)
	}
}
