package schemagen

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

func TestGenerate_isCommitted(t *testing.T) {
	root := testutil.RepoRoot(t)
	got, err := Generate(filepath.Join(root, "api", "v1alpha1"))
	if err != nil {
		t.Fatal(err)
	}
	testutil.AssertGolden(t, filepath.Join(root, "api", "v1alpha1", "meshtls.schema.json"), got)
}

func TestReference_isInREADME(t *testing.T) {
	root := testutil.RepoRoot(t)
	schema, err := Generate(filepath.Join(root, "api", "v1alpha1"))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Reference(schema)
	if err != nil {
		t.Fatal(err)
	}
	readme := filepath.Join(root, "README.md")
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	got, err := testutil.ReplaceSection(raw, BeginMarker, EndMarker, ref)
	if err != nil {
		t.Fatal(err)
	}
	testutil.AssertGolden(t, readme, got)
}

// Every example spec and every profile must satisfy the schema editors get:
// a schema stricter than the loader would mark valid specs red.
func TestSchema_acceptsExamplesAndProfiles(t *testing.T) {
	root := testutil.RepoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, "api", "v1alpha1", "meshtls.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("meshtls.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("meshtls.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "examples", "*.yaml"))
	profiles, _ := filepath.Glob(filepath.Join(root, "profiles", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no examples found")
	}
	for _, f := range append(files, profiles...) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			y, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			j, err := yaml.YAMLToJSON(y)
			if err != nil {
				t.Fatal(err)
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(f, "profiles") {
				// Profiles are partial specs: they need no anchors.
				m := v.(map[string]any)["spec"].(map[string]any)
				trust, _ := m["trust"].(map[string]any)
				if trust == nil {
					trust = map[string]any{}
					m["trust"] = trust
				}
				trust["anchors"] = []any{}
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("schema rejects %s: %v", f, err)
			}
		})
	}
}

// The schema must also refuse what the loader refuses, or it is no help in
// an editor.
func TestSchema_rejectsUnknownFieldsAndBareDurations(t *testing.T) {
	root := testutil.RepoRoot(t)
	raw, _ := os.ReadFile(filepath.Join(root, "api", "v1alpha1", "meshtls.schema.json"))
	doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	c := jsonschema.NewCompiler()
	c.AddResource("s.json", doc)
	sch, err := c.Compile("s.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, spec := range map[string]string{
		"unknown field":  `{"apiVersion":"mtlsgen.dev/v1alpha1","kind":"MeshTLS","metadata":{"name":"x"},"spec":{"trust":{"anchors":[]},"bogus":1}}`,
		"bare duration":  `{"apiVersion":"mtlsgen.dev/v1alpha1","kind":"MeshTLS","metadata":{"name":"x"},"spec":{"trust":{"anchors":[]},"webhooks":{"duration":"24"}}}`,
		"unknown enum":   `{"apiVersion":"mtlsgen.dev/v1alpha1","kind":"MeshTLS","metadata":{"name":"x"},"spec":{"profile":"staging","trust":{"anchors":[]}}}`,
		"wrong kind":     `{"apiVersion":"mtlsgen.dev/v1alpha1","kind":"Mesh","metadata":{"name":"x"},"spec":{"trust":{"anchors":[]}}}`,
		"missing anchor": `{"apiVersion":"mtlsgen.dev/v1alpha1","kind":"MeshTLS","metadata":{"name":"x"},"spec":{"trust":{}}}`,
	} {
		var v any
		if err := json.Unmarshal([]byte(spec), &v); err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err == nil {
			t.Errorf("%s: schema accepted %s", name, spec)
		}
	}
}
