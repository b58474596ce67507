package charts

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mtlsgen/mtlsgen/generator"
)

// APIVersions are the API versions charts see in .Capabilities.APIVersions
// besides Helm's built-in Kubernetes ones: those of the CRDs the
// ApplicationSet installs before any chart that could ask for them
// (cert-manager's and trust-manager's, in the prerequisites stage). Argo CD
// passes the destination cluster's real list; a hydrated chart sees this
// fixed one, so its output does not depend on which cluster is asked.
var APIVersions = []string{
	"acme.cert-manager.io/v1",
	"cert-manager.io/v1",
	"trust.cert-manager.io/v1alpha1",
}

// HydrateOptions configure Hydrate.
type HydrateOptions struct {
	Cache Cache
	// Lock holds the digests charts from the cache must have.
	Lock *Lock
	// Local, when set, is a directory of charts used before the cache:
	// CHART-VERSION.tgz (as `helm pull` saves it, checked against the
	// lock when the lock has the chart) or an unpacked CHART/ directory
	// (used as it is: vendored or patched charts).
	Local  string
	Engine Engine
	// KubeVersion is the Kubernetes version charts are rendered for.
	KubeVersion string
	// PullCommand is the command that fills the cache, for messages.
	PullCommand string
	Log         io.Writer
}

// Hydrated is one chart rendered into plain manifests.
type Hydrated struct {
	Chart generator.HelmChart
	// Manifest is what `helm template --include-crds` prints.
	Manifest []byte
}

// Hydrate renders every chart with its values, as Argo CD would render the
// Application's Helm source, and checks that no manifest holds private key
// material. It reports every problem at once, as an errors.Join of one
// error per problem.
func Hydrate(ctx context.Context, cs []generator.HelmChart, o HydrateOptions) ([]Hydrated, error) {
	var errs []error
	req := Request{}
	for _, c := range cs {
		path, err := o.source(c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		req.Render = append(req.Render, RenderRequest{
			Chart: c.Chart, Version: c.Version, Path: path,
			ReleaseName: c.ReleaseName, Namespace: c.Namespace,
			KubeVersion: o.KubeVersion, APIVersions: APIVersions, Values: c.Values,
		})
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	resp, err := o.Engine.Do(ctx, req, o.Log)
	if err != nil {
		return nil, err
	}
	if len(resp.Render) != len(cs) {
		return nil, fmt.Errorf("the engine answered %d renders for %d requests", len(resp.Render), len(cs))
	}
	out := make([]Hydrated, len(cs))
	for i, c := range cs {
		res := resp.Render[i]
		label := fmt.Sprintf("chart %s %s", c.Chart, c.Version)
		if e := res.Error; e != nil {
			if len(e.Schema) == 0 {
				errs = append(errs, fmt.Errorf("%s: %s", label, e.Message))
			}
			for _, p := range e.Schema {
				errs = append(errs, fmt.Errorf("%s: %s", label, p))
			}
			continue
		}
		for _, p := range FindPrivateKeys([]byte(res.Manifest), c.Namespace) {
			errs = append(errs, fmt.Errorf("%s: %s; mtlsgen never writes private keys: set the chart's values so that it uses a certificate cert-manager issues in the cluster", label, p))
		}
		out[i] = Hydrated{Chart: c, Manifest: []byte(res.Manifest)}
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return out, nil
}

// source finds a chart's archive or directory.
func (o HydrateOptions) source(c generator.HelmChart) (string, error) {
	r := Ref{Repo: c.Repo, Chart: c.Chart, Version: c.Version}
	want := o.Lock.Digest(r)
	if o.Local != "" {
		tgz := filepath.Join(o.Local, c.Chart+"-"+c.Version+".tgz")
		if _, err := os.Stat(tgz); err == nil {
			if want != "" {
				got, err := Digest(tgz)
				if err != nil {
					return "", err
				}
				if got != want {
					return "", fmt.Errorf("%s: %s has digest %s, but the lock file records %s", r, tgz, got, want)
				}
			}
			return tgz, nil
		}
		dir := filepath.Join(o.Local, c.Chart)
		if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err == nil {
			return dir, nil
		}
	}
	if want == "" {
		return "", fmt.Errorf("%s: the lock file has no digest for it: run `%s` first", r, o.PullCommand)
	}
	p, err := o.Cache.Get(want)
	if err != nil {
		return "", fmt.Errorf("%s: %w", r, err)
	}
	if p == "" {
		return "", fmt.Errorf("%s: %s is not in the chart cache %s: run `%s` first", r, want, o.Cache.Dir, o.PullCommand)
	}
	return p, nil
}

// joinErrors is errors.Join, flattening nested joins, so that a caller can
// print one problem a line.
func joinErrors(errs []error) error {
	var flat []error
	for _, e := range errs {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			flat = append(flat, j.Unwrap()...)
		} else {
			flat = append(flat, e)
		}
	}
	return multiError(flat)
}

// multiError is a list of problems, one a line.
type multiError []error

func (m multiError) Error() string {
	s := make([]string, len(m))
	for i, e := range m {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

func (m multiError) Unwrap() []error { return m }
