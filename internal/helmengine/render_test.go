package helmengine_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/internal/charts"
	"github.com/mtlsgen/mtlsgen/internal/helmengine"
	_ "github.com/mtlsgen/mtlsgen/internal/testutil"
)

const fixture = "testdata/charts/mtlsgen-fixture"

// fixtureRequest is how the fixture is rendered here and, with the real
// helm CLI, by hack/helm-template-fixture.sh.
func fixtureRequest(t *testing.T) charts.RenderRequest {
	t.Helper()
	raw, err := os.ReadFile("testdata/values/mtlsgen-fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	return charts.RenderRequest{
		Chart: "mtlsgen-fixture", Version: "0.3.0", Path: fixture,
		ReleaseName: "mtlsgen-fixture", Namespace: "widgets",
		KubeVersion: "1.33.0", APIVersions: charts.APIVersions, Values: values,
	}
}

func mustRender(t *testing.T, r charts.RenderRequest) string {
	t.Helper()
	res := helmengine.Render(r)
	if res.Error != nil {
		t.Fatalf("render %s: %s %v", r.Chart, res.Error.Message, res.Error.Schema)
	}
	return res.Manifest
}

// The fixture renders to exactly what `helm template --include-crds`
// printed for it (testdata/helm-template, written by the real helm CLI with
// hack/helm-template-fixture.sh); with a helm binary at $HELM, the test
// also runs it now and compares.
func TestRender_equalsHelmTemplate(t *testing.T) {
	got := mustRender(t, fixtureRequest(t))
	want, err := os.ReadFile("testdata/helm-template/mtlsgen-fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("differs from helm template's output (-helm +mtlsgen):\n%s", diff)
	}
	helm := os.Getenv("HELM")
	if helm == "" {
		t.Log("HELM unset: compared with the recorded helm template output only")
		return
	}
	r := fixtureRequest(t)
	args := []string{"template", r.ReleaseName, r.Path, "--namespace", r.Namespace, "--kube-version", r.KubeVersion,
		"--include-crds", "-f", "testdata/values/mtlsgen-fixture.yaml"}
	for _, v := range r.APIVersions {
		args = append(args, "--api-versions", v)
	}
	live, err := exec.Command(helm, args...).Output()
	if err != nil {
		t.Fatalf("%s: %v", helm, err)
	}
	if diff := cmp.Diff(string(live), got); diff != "" {
		t.Errorf("differs from %s template (-helm +mtlsgen):\n%s", helm, diff)
	}
}

type doc struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Data map[string]string `json:"data"`
}

func docs(t *testing.T, manifest string) []doc {
	t.Helper()
	var out []doc
	for _, d := range charts.SplitDocuments([]byte(manifest)) {
		var o doc
		if err := yaml.Unmarshal([]byte(d.Text), &o); err != nil {
			t.Fatalf("%s: %v", d.Source, err)
		}
		out = append(out, o)
	}
	return out
}

// What `helm template` semantics mean, spelled out on the fixture: the CRD
// from crds/ first, then the templates in Helm's install order whatever
// their file names, then the hooks (tests included) with their
// annotations; no NOTES; the Kubernetes version, API versions and release
// the request names.
func TestRender_helmTemplateSemantics(t *testing.T) {
	ds := docs(t, mustRender(t, fixtureRequest(t)))
	var kinds []string
	for _, d := range ds {
		kinds = append(kinds, d.Kind)
	}
	want := []string{"CustomResourceDefinition", "ServiceAccount", "ConfigMap", "Role", "RoleBinding", "Service", "Deployment", "Widget",
		"ConfigMap", "Pod", "Job"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("kind order (-want +got):\n%s", diff)
	}
	hooks := map[string]string{}
	for _, d := range ds[len(ds)-3:] {
		hooks[d.Metadata.Name] = d.Metadata.Annotations["helm.sh/hook"]
	}
	if diff := cmp.Diff(map[string]string{
		"mtlsgen-fixture-installed": "post-install", "mtlsgen-fixture-test": "test", "mtlsgen-fixture-migrate": "pre-install,pre-upgrade",
	}, hooks); diff != "" {
		t.Errorf("hooks (-want +got):\n%s", diff)
	}
	caps := ds[2].Data
	if caps["kubeVersion"] != "v1.33.0" || caps["certManagerAPI"] != "true" || caps["releaseService"] != "Helm" || caps["isInstall"] != "true" {
		t.Errorf("capabilities and release seen by the chart: %v", caps)
	}
	if got := mustRender(t, fixtureRequest(t)); strings.Contains(got, "NOTES are not part") {
		t.Error("NOTES.txt rendered into the manifests")
	}
}

// Rendering is byte-stable: the same request gives the same bytes, and a
// chart whose output changes from one render to the next is refused, naming
// the template.
func TestRender_byteStable(t *testing.T) {
	first := mustRender(t, fixtureRequest(t))
	for range 3 {
		if got := mustRender(t, fixtureRequest(t)); got != first {
			t.Fatal("two renders of the fixture differ")
		}
	}
	dir := writeChart(t, "random", map[string]string{
		"templates/token.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: token}\ndata:\n  token: {{ randAlphaNum 16 | quote }}\n",
		"templates/fixed.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fixed}\n",
	})
	res := helmengine.Render(charts.RenderRequest{Chart: "random", Version: "1.0.0", Path: dir, ReleaseName: "r", Namespace: "n", KubeVersion: "1.33"})
	if res.Error == nil || !strings.Contains(res.Error.Message, "renders differently every time (random/templates/token.yaml)") {
		t.Errorf("a random chart was not refused: %+v", res.Error)
	}
}

// writeChart writes a small chart into a temporary directory.
func writeChart(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	files["Chart.yaml"] = "apiVersion: v2\nname: " + name + "\nversion: 1.0.0\n"
	for f, content := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Values that break values.schema.json are each reported with the chart,
// the key and the rule, before anything renders.
func TestRender_schemaViolation(t *testing.T) {
	r := fixtureRequest(t)
	r.Values = map[string]any{
		"replicas": "two",
		"image":    map[string]any{"tag": 7},
		"widget":   map[string]any{"color": "purple", "size": 11, "shape": "round"},
		"bogus":    true,
	}
	res := helmengine.Render(r)
	if res.Error == nil {
		t.Fatal("values that break the schema rendered")
	}
	var got []string
	for _, p := range res.Error.Schema {
		got = append(got, p.String())
	}
	// The image repository comes from the chart's values.yaml, so only
	// what these values break is reported.
	want := []string{
		"values.bogus: not allowed: the schema admits no such key (values.schema.json of mtlsgen-fixture: #/additionalProperties)",
		"values.image.tag: got number, want string (values.schema.json of mtlsgen-fixture: #/properties/image/properties/tag/type)",
		"values.replicas: got string, want integer (values.schema.json of mtlsgen-fixture: #/properties/replicas/type)",
		`values.widget.color: value must be one of 'blue', 'green', 'red' (values.schema.json of mtlsgen-fixture: #/properties/widget/properties/color/enum)`,
		"values.widget.shape: not allowed: the schema admits no such key (values.schema.json of mtlsgen-fixture: #/properties/widget/additionalProperties)",
		"values.widget.size: maximum: got 11, want 10 (values.schema.json of mtlsgen-fixture: #/properties/widget/properties/size/maximum)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schema problems (-want +got):\n%s", diff)
	}
	// Helm's own verdict is kept in the message.
	if !strings.Contains(res.Error.Message, "at '/replicas': got string, want integer") {
		t.Errorf("message %q", res.Error.Message)
	}
}

func TestRender_refusals(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(*charts.RenderRequest)
		want   string
	}{
		"a Kubernetes version below the chart's constraint": {
			func(r *charts.RenderRequest) { r.KubeVersion = "1.27" },
			"the chart requires Kubernetes >=1.28.0-0, and it is rendered for v1.27.0 (spec.kubeVersion)",
		},
		"a chart of another version": {
			func(r *charts.RenderRequest) { r.Version = "0.4.0" },
			"testdata/charts/mtlsgen-fixture holds chart mtlsgen-fixture version 0.3.0, not the mtlsgen-fixture 0.4.0 the spec pins",
		},
		"a chart of another name": {
			func(r *charts.RenderRequest) { r.Chart = "cert-manager" },
			"holds chart mtlsgen-fixture version 0.3.0, not the cert-manager 0.3.0 the spec pins",
		},
		"no chart": {
			func(r *charts.RenderRequest) { r.Path = "testdata/charts/absent" },
			"loading testdata/charts/absent: ",
		},
		"no Kubernetes version": {
			func(r *charts.RenderRequest) { r.KubeVersion = "" },
			`Kubernetes version ""`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := fixtureRequest(t)
			tc.mutate(&r)
			res := helmengine.Render(r)
			if res.Error == nil || !strings.Contains(res.Error.Message, tc.want) {
				t.Errorf("got %+v, want an error containing %q", res.Error, tc.want)
			}
		})
	}
}

// A schema that refers to another document is refused: Helm would fetch
// it, and hydration never uses the network.
func TestRender_remoteSchemaRefused(t *testing.T) {
	dir := writeChart(t, "remote", map[string]string{
		"values.schema.json": `{"type": "object", "properties": {"x": {"$ref": "https://schemas.example/x.json"}}}`,
		"templates/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
	})
	res := helmengine.Render(charts.RenderRequest{Chart: "remote", Version: "1.0.0", Path: dir, ReleaseName: "r", Namespace: "n", KubeVersion: "1.33"})
	if res.Error == nil || !strings.Contains(res.Error.Message, "refers to https://schemas.example/x.json, which Helm would fetch") {
		t.Errorf("got %+v", res.Error)
	}
}

// A template that fails reports Helm's file and line.
func TestRender_templateError(t *testing.T) {
	dir := writeChart(t, "broken", map[string]string{
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: {{ required \"set a\" .Values.a }}\n",
	})
	res := helmengine.Render(charts.RenderRequest{Chart: "broken", Version: "1.0.0", Path: dir, ReleaseName: "r", Namespace: "n", KubeVersion: "1.33"})
	if res.Error == nil || !strings.Contains(res.Error.Message, "broken/templates/cm.yaml:5") || !strings.Contains(res.Error.Message, "set a") {
		t.Errorf("got %+v", res.Error)
	}
}
