package harness

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a child process the harness started. Its standard output and
// error go to a log file, whose tail is quoted when it fails.
type Process struct {
	Name string
	Log  string

	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// pidFile, when set (MTLSGEN_E2E_PIDFILE), records every process started so
// that run.sh can kill what a crashed test binary left behind.
var pidFile = os.Getenv("MTLSGEN_E2E_PIDFILE")

var pidMu sync.Mutex

// StartProcess starts bin with args, logging to dir/name.log.
func StartProcess(dir, name, bin string, env []string, args ...string) (*Process, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	// Own process group, so Stop reaches anything it forks; killed with us.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{Name: name, Log: logPath, cmd: cmd, done: make(chan struct{})}
	recordPID(cmd.Process.Pid)
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

func recordPID(pid int) {
	if pidFile == "" {
		return
	}
	pidMu.Lock()
	defer pidMu.Unlock()
	f, err := os.OpenFile(pidFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintln(f, pid)
	f.Close()
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Stop ends the process group: SIGTERM, then SIGKILL after a grace period.
// It is safe to call more than once.
func (p *Process) Stop() {
	if p == nil {
		return
	}
	if done, _ := p.Exited(); done {
		return
	}
	pgid := -p.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-p.done
	}
}

// Tail returns the last n lines of the process log.
func (p *Process) Tail(n int) string {
	b, err := os.ReadFile(p.Log)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// failure wraps err with the process's state and log tail.
func (p *Process) failure(err error) error {
	state := "still running"
	if done, werr := p.Exited(); done {
		state = fmt.Sprintf("exited: %v", werr)
	}
	return fmt.Errorf("%s (%s; log %s):\n%s\n%w", p.Name, state, p.Log, indent(p.Tail(30)), err)
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

// waitFor polls check until it returns nil, the process exits, or the
// timeout passes.
func waitFor(p *Process, timeout time.Duration, what string, check func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		if done, werr := p.Exited(); done {
			return p.failure(fmt.Errorf("exited before %s: %v", what, werr))
		}
		if last = check(); last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return p.failure(fmt.Errorf("not %s after %s: %w", what, timeout, last))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// errPortTaken marks a start that failed because a port freePort picked was
// taken before the process bound it: such a port is only known to be free
// at the moment it is picked, and an outgoing connection of any process on
// the machine may get it next.
var errPortTaken = errors.New("a port it was given was taken before it bound it")

// portTaken returns err, marked with errPortTaken if p's log says it could
// not bind.
func (p *Process) portTaken(err error) error {
	if raw, rerr := os.ReadFile(p.Log); rerr == nil && bytes.Contains(raw, []byte("address already in use")) {
		return fmt.Errorf("%w: %w", errPortTaken, err)
	}
	return err
}

// retryPortTaken runs start again, up to three times in all, while it fails
// for a taken port; start picks new ports each time.
func retryPortTaken[T any](start func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		v, err := start()
		if attempt == 3 || !errors.Is(err, errPortTaken) {
			return v, err
		}
	}
}
