package charts

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// ProtocolVersion is the version of the request and response mtlsgen and
// mtlsgen-helm exchange. A helper that speaks another refuses the request,
// so a stale mtlsgen-helm on PATH fails loudly instead of rendering wrong.
const ProtocolVersion = 1

// Engine runs Helm: it downloads chart archives and renders charts.
type Engine interface {
	// Do answers a request. An error means the engine itself failed; what
	// failed for one chart is in that chart's result. log receives
	// progress lines.
	Do(ctx context.Context, req Request, log io.Writer) (*Response, error)
}

// Request asks for downloads, renders, or both.
type Request struct {
	Protocol int             `json:"protocol"`
	Pull     []PullRequest   `json:"pull,omitempty"`
	Render   []RenderRequest `json:"render,omitempty"`
}

// PullRequest downloads one chart archive into Dest.
type PullRequest struct {
	Repo    string `json:"repo"`
	Chart   string `json:"chart"`
	Version string `json:"version"`
	Dest    string `json:"dest"`
	// PlainHTTP talks to an OCI registry over http (tests, local
	// registries).
	PlainHTTP bool `json:"plainHTTP,omitempty"`
}

// PullResult is the downloaded archive, or why there is none.
type PullResult struct {
	// File is the archive's path.
	File string `json:"file,omitempty"`
	// IndexDigest is the digest the repository's index.yaml lists for
	// the version ("sha256:HEX"), if it lists one.
	IndexDigest string `json:"indexDigest,omitempty"`
	Error       string `json:"error,omitempty"`
}

// RenderRequest renders one chart as `helm template` does, with
// --include-crds.
type RenderRequest struct {
	// Chart and Version are what the spec pins; the loaded chart must be
	// that chart at that version.
	Chart   string `json:"chart"`
	Version string `json:"version"`
	// Path is a chart archive (.tgz) or an unpacked chart directory.
	Path        string         `json:"path"`
	ReleaseName string         `json:"releaseName"`
	Namespace   string         `json:"namespace"`
	KubeVersion string         `json:"kubeVersion"`
	APIVersions []string       `json:"apiVersions,omitempty"`
	Values      map[string]any `json:"values"`
}

// RenderResult is the manifest, or why there is none.
type RenderResult struct {
	// Manifest is what `helm template` prints: the CRDs, the templates in
	// Helm's install order, then the hooks.
	Manifest string       `json:"manifest,omitempty"`
	Error    *RenderError `json:"error,omitempty"`
}

// RenderError is why a chart did not render.
type RenderError struct {
	Message string `json:"message"`
	// Schema lists the values that break the chart's values.schema.json.
	Schema []SchemaProblem `json:"schema,omitempty"`
}

// SchemaProblem is one value that breaks a chart's values.schema.json.
type SchemaProblem struct {
	// Chart is the chart (or subchart) whose schema is broken.
	Chart string `json:"chart"`
	// Key is the value's path, e.g. crds.enabled or tolerations[0].
	Key string `json:"key"`
	// Rule is the schema keyword that fails and where it is, e.g.
	// "type at #/properties/crds/properties/enabled/type".
	Rule string `json:"rule"`
	// Message says what is wrong, e.g. "got string, want boolean".
	Message string `json:"message"`
}

func (p SchemaProblem) String() string {
	key := p.Key
	if key == "" {
		key = "(top level)"
	}
	return fmt.Sprintf("values.%s: %s (values.schema.json of %s: %s)", strings.TrimPrefix(key, "."), p.Message, p.Chart, p.Rule)
}

// Response answers a Request, item by item in the same order.
type Response struct {
	Protocol int `json:"protocol"`
	// HelmVersion is the version of the Helm library that answered.
	HelmVersion string         `json:"helmVersion"`
	Pull        []PullResult   `json:"pull,omitempty"`
	Render      []RenderResult `json:"render,omitempty"`
	// Error is set when the whole request failed.
	Error string `json:"error,omitempty"`
}
