package charts_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/charts"
	"github.com/mtlsgen/mtlsgen/internal/helmengine"
	"github.com/mtlsgen/mtlsgen/internal/load"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// localJetstackCharts copies the real cert-manager and trust-manager
// charts from their Go modules into a --charts directory, stamped with the
// versions the spec pins.
func localJetstackCharts(t *testing.T, m *v1alpha1.MeshTLS) string {
	t.Helper()
	dir := t.TempDir()
	for _, c := range jetstack(m) {
		testutil.CopyJetstackChart(t, c.Chart, c.Version, filepath.Join(dir, c.Chart))
	}
	return dir
}

func loadExample(t *testing.T, name string) *v1alpha1.MeshTLS {
	t.Helper()
	m, err := load.LoadFile(filepath.Join(testutil.RepoRoot(t), "examples", name+".yaml"), nil, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Spec.KubeVersion == "" {
		m.Spec.KubeVersion = "1.33"
	}
	return m
}

func jetstack(m *v1alpha1.MeshTLS) []generator.HelmChart {
	var out []generator.HelmChart
	for _, c := range generator.HelmCharts(m) {
		if c.Repo == generator.JetstackRepo {
			out = append(out, c)
		}
	}
	return out
}

func hydrateJetstack(t *testing.T, m *v1alpha1.MeshTLS, local string, mutate func(*generator.HelmChart)) ([]charts.Hydrated, error) {
	t.Helper()
	cs := jetstack(m)
	if len(cs) != 2 {
		t.Fatalf("%d Jetstack charts, want cert-manager and trust-manager", len(cs))
	}
	if mutate != nil {
		for i := range cs {
			mutate(&cs[i])
		}
	}
	return charts.Hydrate(context.Background(), cs, charts.HydrateOptions{
		Cache: charts.Cache{Dir: t.TempDir()}, Lock: &charts.Lock{}, Local: local, Engine: helmengine.Engine{},
		KubeVersion: m.Spec.KubeVersion, PullCommand: "mtlsgen charts pull", Log: io.Discard,
	})
}

type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Type       string            `json:"type"`
	Data       map[string]string `json:"data"`
	StringData map[string]string `json:"stringData"`
}

func objects(t *testing.T, manifest []byte) []object {
	t.Helper()
	var out []object
	for _, d := range charts.SplitDocuments(manifest) {
		var o object
		if err := yaml.Unmarshal([]byte(d.Text), &o); err != nil {
			t.Fatalf("%s: %v", d.Source, err)
		}
		out = append(out, o)
	}
	return out
}

// inventory lists a rendered chart's objects, one a line: what a golden
// file can show a reviewer without thousands of lines of CRDs.
func inventory(t *testing.T, manifest []byte) string {
	var b strings.Builder
	for _, o := range objects(t, manifest) {
		fmt.Fprintf(&b, "%s %s %s/%s", o.APIVersion, o.Kind, o.Metadata.Namespace, o.Metadata.Name)
		if h := o.Metadata.Annotations["helm.sh/hook"]; h != "" {
			fmt.Fprintf(&b, " (hook %s)", h)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// The real cert-manager and trust-manager charts, rendered with the values
// mtlsgen generates for them: the values pass their schemas, the output
// has the CRDs (kept on uninstall), the hooks, mtlsgen's namespaces, no
// private key, and the same bytes every time.
func TestHydrate_jetstackCharts(t *testing.T) {
	m := loadExample(t, "prod")
	local := localJetstackCharts(t, m)
	first, err := hydrateJetstack(t, m, local, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := hydrateJetstack(t, m, local, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range first {
		name := h.Chart.Chart
		if string(h.Manifest) != string(second[i].Manifest) {
			t.Errorf("%s: two hydrations differ", name)
		}
		testutil.AssertGolden(t, filepath.Join("testdata", "inventory", name+".txt"), []byte(inventory(t, h.Manifest)))
		var crds []string
		for _, o := range objects(t, h.Manifest) {
			if o.Kind == "CustomResourceDefinition" {
				crds = append(crds, o.Metadata.Name)
				if name == "cert-manager" && o.Metadata.Annotations["helm.sh/resource-policy"] != "keep" {
					t.Errorf("%s: CRD %s is not kept on uninstall (crds.keep)", name, o.Metadata.Name)
				}
			}
			if o.Kind == "Secret" {
				t.Errorf("%s renders Secret %s/%s", name, o.Metadata.Namespace, o.Metadata.Name)
			}
		}
		want := map[string][]string{
			"cert-manager": {"certificaterequests.cert-manager.io", "certificates.cert-manager.io", "challenges.acme.cert-manager.io",
				"clusterissuers.cert-manager.io", "issuers.cert-manager.io", "orders.acme.cert-manager.io"},
			"trust-manager": {"bundles.trust.cert-manager.io"},
		}[name]
		slices.Sort(crds)
		if !slices.Equal(crds, want) {
			t.Errorf("%s: CRDs %v, want %v", name, crds, want)
		}
	}
	cm, tm := string(first[0].Manifest), string(first[1].Manifest)
	// The values mtlsgen generates reach the charts.
	if !strings.Contains(cm, "--cluster-resource-namespace=cert-manager") {
		t.Error("cert-manager: the cluster resource namespace is not the trust namespace")
	}
	if !strings.Contains(tm, "--trust-namespace=cert-manager") {
		t.Error("trust-manager: the trust namespace is not cert-manager")
	}
	if !strings.Contains(cm, "helm.sh/hook: post-install") {
		t.Error("cert-manager: the startupapicheck hook is missing")
	}
}

// A value that breaks the real cert-manager schema is reported with the
// chart, the key and the rule.
func TestHydrate_jetstackSchemaViolation(t *testing.T) {
	m := loadExample(t, "prod")
	_, err := hydrateJetstack(t, m, localJetstackCharts(t, m), func(c *generator.HelmChart) {
		if c.Chart == "cert-manager" {
			c.Values["crds"] = map[string]any{"enabled": "yes", "keep": true}
			c.Values["replicaCount"] = "two"
			c.Values["replicas"] = 2
		}
	})
	want := "chart cert-manager v1.21.2: values.crds.enabled: got string, want boolean (values.schema.json of cert-manager: #/$defs/helm-values.crds.enabled/type)\n" +
		"chart cert-manager v1.21.2: values.replicaCount: got string, want number (values.schema.json of cert-manager: #/$defs/helm-values.replicaCount/type)\n" +
		"chart cert-manager v1.21.2: values.replicas: not allowed: the schema admits no such key (values.schema.json of cert-manager: #/$defs/helm-values/additionalProperties)"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

// trust-manager can issue its webhook certificate with Helm (helmCert):
// that is a private key in a Secret, different on every render. mtlsgen
// never sets it; if it were set, hydration refuses the chart.
func TestHydrate_refusesGeneratedKeys(t *testing.T) {
	m := loadExample(t, "prod")
	_, err := hydrateJetstack(t, m, localJetstackCharts(t, m), func(c *generator.HelmChart) {
		if c.Chart == "trust-manager" {
			c.Values["app"].(map[string]any)["webhook"] = map[string]any{"tls": map[string]any{"helmCert": map[string]any{"enabled": true}}}
		}
	})
	if err == nil || !strings.Contains(err.Error(), "chart trust-manager v0.25.0: the chart renders differently every time (trust-manager/templates/webhook.yaml)") {
		t.Errorf("error %v", err)
	}
	// A chart that renders a fixed key is refused by the key check.
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "keys", "templates"), 0o755)
	os.WriteFile(filepath.Join(dir, "keys", "Chart.yaml"), []byte("apiVersion: v2\nname: keys\nversion: 1.0.0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "keys", "templates", "secret.yaml"), []byte(
		"apiVersion: v1\nkind: Secret\nmetadata: {name: fixed-tls}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: cert\n  tls.key: |\n    -----BEGIN PRIVATE KEY-----\n    MC4CAQAwBQYDK2VwBCIEI\n    -----END PRIVATE KEY-----\n"), 0o644)
	_, err = charts.Hydrate(context.Background(), []generator.HelmChart{{Component: "keys", Chart: "keys", Repo: "https://charts.example", Version: "1.0.0", ReleaseName: "keys", Namespace: "ns"}},
		charts.HydrateOptions{Cache: charts.Cache{Dir: t.TempDir()}, Lock: &charts.Lock{}, Local: dir, Engine: helmengine.Engine{}, KubeVersion: "1.33", Log: io.Discard})
	want := "chart keys 1.0.0: Secret ns/fixed-tls (keys/templates/secret.yaml) holds private key material in stringData.tls.key; mtlsgen never writes private keys: " +
		"set the chart's values so that it uses a certificate cert-manager issues in the cluster"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}
