// Package sibling finds the binaries mtlsgen hands work to: mtlsgen-helm
// (Helm's chart engine) and mtlsgen-kube (the commands that link Kubernetes
// client libraries). They are separate binaries because Go runs the init of
// every package a binary links, on every start: kept out of mtlsgen, those
// libraries cost nothing to a render.
package sibling

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// ErrNotFound is returned when a sibling binary is nowhere to be found.
var ErrNotFound = errors.New("not found")

// Binary describes one sibling.
type Binary struct {
	// Name is the file name, without .exe.
	Name string
	// Env, when set in the environment, names the file explicitly.
	Env string
	// Holds says what the binary is for, in a phrase completing
	// "NAME holds ...": the error for a missing one says it.
	Holds string
}

// Find locates b: the file $Env names, else the one next to the running
// executable (after resolving symlinks, so a symlinked mtlsgen finds its
// real directory), else the first on PATH.
func Find(b Binary) (string, error) {
	if p := os.Getenv(b.Env); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("%s=%s: not an executable file", b.Env, p)
		}
		return p, nil
	}
	name := b.Name
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	var beside string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		beside = filepath.Join(filepath.Dir(exe), name)
		if isExecutable(beside) {
			return beside, nil
		}
	}
	if p, err := exec.LookPath(b.Name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s %w: it holds %s, kept out of mtlsgen so that everything else starts fast, "+
		"and it is neither next to mtlsgen (%s) nor on PATH; install both with "+
		"`go install github.com/mtlsgen/mtlsgen/cmd/...@latest` (or `make build`), or name it with %s=PATH",
		b.Name, ErrNotFound, b.Holds, beside, b.Env)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	if err != nil || fi.IsDir() {
		return false
	}
	return runtime.GOOS == "windows" || fi.Mode()&0o111 != 0
}
