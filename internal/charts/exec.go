package charts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// HelperName is the binary that links Helm; `go install ./cmd/...` builds
// it next to mtlsgen.
const HelperName = "mtlsgen-helm"

// HelperEnv names the helper binary explicitly, over every other place.
const HelperEnv = "MTLSGEN_HELM"

// ErrNoHelper is returned when no mtlsgen-helm binary is found.
var ErrNoHelper = errors.New(HelperName + " not found")

// FindHelper locates mtlsgen-helm: the file $MTLSGEN_HELM names, else the
// one next to the running mtlsgen (after resolving symlinks), else the first
// on PATH.
func FindHelper() (string, error) {
	if p := os.Getenv(HelperEnv); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("%s=%s: not an executable file", HelperEnv, p)
		}
		return p, nil
	}
	name := HelperName
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
	if p, err := exec.LookPath(HelperName); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: Helm's chart engine is a separate binary, kept out of mtlsgen so that everything else starts fast, "+
		"and it is neither next to mtlsgen (%s) nor on PATH; install both with "+
		"`go install github.com/mtlsgen/mtlsgen/cmd/...@latest` (or `make build`), or name it with %s=PATH",
		ErrNoHelper, beside, HelperEnv)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	if err != nil || fi.IsDir() {
		return false
	}
	return runtime.GOOS == "windows" || fi.Mode()&0o111 != 0
}

// ExecEngine runs the mtlsgen-helm binary at Path once per request: the
// request as JSON on its standard input, the response as JSON on its
// standard output, progress on its standard error.
type ExecEngine struct {
	Path string
}

// Do runs the helper.
func (e ExecEngine) Do(ctx context.Context, req Request, log io.Writer) (*Response, error) {
	req.Protocol = ProtocolVersion
	in, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, e.Path, "serve")
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stdout = &out
	cmd.Stderr = io.MultiWriter(log, &stderr)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s serve: %w%s", e.Path, err, indent(stderr.String()))
	}
	return DecodeResponse(e.Path, out.Bytes())
}

// DecodeResponse decodes and checks a helper's response.
func DecodeResponse(from string, raw []byte) (*Response, error) {
	var resp Response
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, fmt.Errorf("%s answered something that is not a response (an old or foreign binary?): %w", from, err)
	}
	if resp.Protocol != ProtocolVersion {
		return nil, fmt.Errorf("%s speaks protocol %d, this mtlsgen speaks %d: install both from the same release", from, resp.Protocol, ProtocolVersion)
	}
	if resp.Error != "" {
		return nil, fmt.Errorf("%s: %s", from, resp.Error)
	}
	return &resp, nil
}

func indent(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return "\n  " + strings.ReplaceAll(s, "\n", "\n  ")
}
