package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// Every example's alerts, as --only alerts prints them.
func TestRender_goldenAlerts(t *testing.T) {
	root := testutil.RepoRoot(t)
	for _, f := range examples(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			out, errOut, code := run(t, "", "render", f, "--only", "alerts")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			testutil.AssertGolden(t, filepath.Join(root, "golden", "alerts", name+".yaml"), []byte(out))
		})
	}
}

// --only alerts prints, as YAML or JSON, the PrometheusRule the manifests
// carry (without the Argo CD annotations only the mesh Application needs).
func TestRender_alertsAreTheManifestsRule(t *testing.T) {
	prod := filepath.Join(testutil.RepoRoot(t), "examples", "prod.yaml")
	manifests, _, code := run(t, "", "render", prod, "-o", "json")
	if code != 0 {
		t.Fatal("render failed")
	}
	var list struct{ Items []map[string]any }
	if err := json.Unmarshal([]byte(manifests), &list); err != nil {
		t.Fatal(err)
	}
	var inManifests map[string]any
	for _, o := range list.Items {
		if o["kind"] == "PrometheusRule" {
			inManifests = o
		}
	}
	if inManifests == nil {
		t.Fatal("prod renders no PrometheusRule")
	}
	delete(inManifests["metadata"].(map[string]any), "annotations")

	for _, format := range []string{"yaml", "json"} {
		out, errOut, code := run(t, "", "render", prod, "--only", "alerts", "-o", format)
		if code != 0 {
			t.Fatalf("-o %s: exit %d: %s", format, code, errOut)
		}
		var got map[string]any
		if err := yaml.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("-o %s: %v", format, err)
		}
		if diff := cmp.Diff(inManifests, got); diff != "" {
			t.Errorf("-o %s: --only alerts differs from the rule in the manifests (-manifests +alerts):\n%s", format, diff)
		}
		if got["metadata"].(map[string]any)["name"] != generator.PrometheusRuleName {
			t.Errorf("-o %s: %v", format, got["metadata"])
		}
	}
}
