package generator_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	trustapi "github.com/cert-manager/trust-manager/pkg/apis/trust/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/invariants"
	"github.com/mtlsgen/mtlsgen/internal/load"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

const testVersion = "v0.0.0-test"

// exampleNames lists examples/*.yaml without the extension.
func exampleNames(t testing.TB) []string {
	t.Helper()
	files := testutil.Examples(t)
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	return out
}

func loadExample(t testing.TB, name string) *v1alpha1.MeshTLS {
	t.Helper()
	m, err := load.LoadFile(filepath.Join(testutil.RepoRoot(t), "examples", name+".yaml"), nil, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func loadSpec(t testing.TB, spec string) *v1alpha1.MeshTLS {
	t.Helper()
	m, err := load.Parse("test.yaml", []byte(spec), load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// releaseSpec is a minimal spec on Linkerd version, with one self-signed
// anchor and argocd (a flow mapping) as given.
func releaseSpec(t testing.TB, version, argocd string) *v1alpha1.MeshTLS {
	t.Helper()
	return loadSpec(t, `apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata: {name: release}
spec:
  linkerd: {version: "`+version+`"}
  trust: {anchors: [{name: root, active: true, selfSigned: {}}]}
  argocd: `+argocd+`
`)
}

// byCluster renders a spec and groups the objects by cluster ("" for the
// fleet's).
func byCluster(t testing.TB, m *v1alpha1.MeshTLS) map[string][]generator.Object {
	t.Helper()
	objs, err := generator.RenderAll(m, generator.Options{Version: testVersion})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]generator.Object{}
	for _, o := range objs {
		out[o.Cluster] = append(out[o.Cluster], o)
	}
	return out
}

// plain turns objects into the decoded YAML a reader of the output sees.
func plain(t testing.TB, objs []generator.Object) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, o := range objs {
		b, err := generator.EncodeYAML(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func invariantOptions(m *v1alpha1.MeshTLS) invariants.Options {
	return invariants.Options{
		LinkerdNamespace: m.Spec.Linkerd.Namespace,
		Webhooks:         generator.Webhooks(&m.Spec),
		Values:           generator.LinkerdValues(&m.Spec, m.Metadata.Name),
	}
}

// controlPlaneValues returns the control plane's values in opts, to break.
func controlPlaneValues(opts *invariants.Options) map[string]any {
	for _, v := range opts.Values {
		if v.Chart == v1alpha1.ChartControlPlane {
			return v.Values
		}
	}
	panic("no control plane values")
}

// typed picks the cert-manager and trust-manager objects of one cluster.
type typed struct {
	certs          []*cmapi.Certificate
	issuers        []*cmapi.Issuer
	clusterIssuers []*cmapi.ClusterIssuer
	bundle         *trustapi.Bundle
}

func pick(objs []generator.Object) typed {
	var t typed
	for _, o := range objs {
		switch x := o.Object.(type) {
		case *cmapi.Certificate:
			t.certs = append(t.certs, x)
		case *cmapi.Issuer:
			t.issuers = append(t.issuers, x)
		case *cmapi.ClusterIssuer:
			t.clusterIssuers = append(t.clusterIssuers, x)
		case *trustapi.Bundle:
			t.bundle = x
		}
	}
	return t
}

func (t typed) cert(namespace, name string) *cmapi.Certificate {
	for _, c := range t.certs {
		if c.Namespace == namespace && c.Name == name {
			return c
		}
	}
	return nil
}

func clusterNames(m map[string][]generator.Object) []string {
	var out []string
	for n := range m {
		if n != "" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func hours(h int) time.Duration { return time.Duration(h) * time.Hour }

func mustRead(t testing.TB, example string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", example+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
