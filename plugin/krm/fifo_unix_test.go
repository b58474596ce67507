//go:build unix

package krm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mtlsgen/mtlsgen/plugin/krm"
)

// A spec from a pipe (mtlsgen krm <(...)) can be read once: kyaml must be
// the one to read it.
func TestCommand_standaloneConfigFromAPipe(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join("..", "..", "examples", "dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "spec.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	go func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Write(spec)
			f.Close()
		}
	}()
	cmd := krm.NewCommand(testVersion)
	var out, errOut bytes.Buffer
	cmd.SetIn(strings.NewReader(""))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{fifo})
	if err := cmd.Execute(); err != nil || !strings.Contains(out.String(), "kind: Certificate") {
		t.Errorf("error %v; stdout %.200q; stderr %s", err, out.String(), errOut.String())
	}
}
