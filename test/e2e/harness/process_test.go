package harness

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A process that lost its port to another one is started again, with new
// ports, at most three times; any other failure is returned at once.
func TestRetryPortTaken(t *testing.T) {
	dir := t.TempDir()
	clash := &Process{Name: "x", Log: filepath.Join(dir, "clash.log")}
	os.WriteFile(clash.Log, []byte("error: listen tcp 127.0.0.1:38807: bind: address already in use\n"), 0o644)
	other := &Process{Name: "x", Log: filepath.Join(dir, "other.log")}
	os.WriteFile(other.Log, []byte("error: unknown flag --bogus\n"), 0o644)
	failed := errors.New("exited before ready")

	calls := 0
	_, err := retryPortTaken(func() (int, error) { calls++; return 0, clash.portTaken(failed) })
	if calls != 3 || !errors.Is(err, errPortTaken) || !errors.Is(err, failed) {
		t.Errorf("always clashing: %d starts, %v", calls, err)
	}
	calls = 0
	v, err := retryPortTaken(func() (int, error) {
		if calls++; calls == 1 {
			return 0, clash.portTaken(failed)
		}
		return 7, nil
	})
	if calls != 2 || v != 7 || err != nil {
		t.Errorf("clashing once: %d starts, %d, %v", calls, v, err)
	}
	calls = 0
	_, err = retryPortTaken(func() (int, error) { calls++; return 0, other.portTaken(failed) })
	if calls != 1 || err != failed {
		t.Errorf("another failure: %d starts, %v", calls, err)
	}
}
