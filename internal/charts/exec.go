package charts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/mtlsgen/mtlsgen/internal/sibling"
)

// HelperName is the binary that links Helm; `go install ./cmd/...` builds
// it next to mtlsgen.
const HelperName = "mtlsgen-helm"

// HelperEnv names the helper binary explicitly, over every other place.
const HelperEnv = "MTLSGEN_HELM"

// Helper is mtlsgen-helm, as package sibling finds it.
var Helper = sibling.Binary{Name: HelperName, Env: HelperEnv, Holds: "Helm's chart engine"}

// FindHelper locates mtlsgen-helm: the file $MTLSGEN_HELM names, else the
// one next to the running mtlsgen, else the first on PATH.
func FindHelper() (string, error) { return sibling.Find(Helper) }

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
