package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
	"github.com/mtlsgen/mtlsgen/profiles"
)

const invalidSpec = `apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata: {name: broken}
spec:
  identityIssuer: {renewBefore: 24}
  trust: {anchors: []}
`

func TestInit_validatesForEveryProfile(t *testing.T) {
	for _, profile := range []string{"dev", "prod", "ha"} {
		t.Run(profile, func(t *testing.T) {
			starter, errOut, code := run(t, "", "init", "--profile", profile)
			if code != 0 {
				t.Fatalf("init exit %d: %s", code, errOut)
			}
			out, errOut, code := run(t, starter, "validate", "-")
			if code != 0 || out != "<stdin>: valid\n" {
				t.Fatalf("mtlsgen init --profile %s | mtlsgen validate - : exit %d, %q %s", profile, code, out, errOut)
			}
			if !strings.Contains(starter, "profile: "+profile) || !strings.Contains(starter, "  # linkerd:") {
				t.Errorf("starter spec lacks the profile or its commented defaults:\n%s", starter)
			}
		})
	}
}

// init's flags go into the YAML as they are: a name the spec would refuse
// (or that breaks the YAML) and an empty profile are usage errors.
func TestInit_refusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--name", "Bad_Name"}, {"--name", ""}, {"--name", "x\n  profile: dev"}, {"--profile", ""}} {
		out, errOut, code := run(t, "", append([]string{"init"}, args...)...)
		if code != ExitUsage || out != "" || !strings.Contains(errOut, strings.TrimPrefix(args[0], "--")) {
			t.Errorf("init %q: exit %d, stdout %q: %s", args, code, out, errOut)
		}
	}
}

// The commented defaults, uncommented, are exactly the profile's defaults:
// what init shows is what the profile really sets.
func TestInit_commentedDefaultsAreTheProfile(t *testing.T) {
	for _, profile := range []string{"dev", "prod", "ha"} {
		starter, _, _ := run(t, "", "init", "--profile", profile)
		var block []string
		in := false
		for _, line := range strings.Split(starter, "\n") {
			if strings.HasPrefix(line, "  # into the keys above") {
				in = true
				continue
			}
			if in && strings.HasPrefix(line, "  # ") {
				block = append(block, strings.TrimPrefix(line, "  # "))
			}
		}
		var got map[string]any
		if err := yaml.Unmarshal([]byte(strings.Join(block, "\n")), &got); err != nil {
			t.Fatalf("uncommented defaults are not YAML: %v", err)
		}
		want, err := profiles.Spec(v1alpha1.Profile(profile))
		if err != nil {
			t.Fatal(err)
		}
		delete(want, "profile")
		wantJSON, _ := json.Marshal(want)
		gotJSON, _ := json.Marshal(got)
		if string(wantJSON) != string(gotJSON) {
			t.Errorf("%s: init shows\n%s\nbut the profile is\n%s", profile, gotJSON, wantJSON)
		}
	}
}

func TestRender_invalidSpecWritesNothing(t *testing.T) {
	out, errOut, code := run(t, invalidSpec, "render", "-")
	if code != ExitInvalid || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	want := "mtlsgen: <stdin>:4: spec.argocd.path: required: the directory of this spec in that repository, e.g. clusters/payments\n" +
		"mtlsgen: <stdin>:4: spec.argocd.repoURL: required: the git repository that holds this spec (or set argocd.enabled: false)\n" +
		"mtlsgen: <stdin>:5: spec.identityIssuer.renewBefore: missing unit, e.g. 24h\n" +
		"mtlsgen: <stdin>:6: spec.trust.anchors: required: at least one anchor, exactly one of them active\n"
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
}

func TestRender_invalidSpecLeavesNoDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	_, _, code := run(t, invalidSpec, "render", "-", "-o", "dir="+dir)
	if code != ExitInvalid {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s was created for an invalid spec", dir)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestRun_usageErrors(t *testing.T) {
	prod := filepath.Join(testutil.RepoRoot(t), "examples", "prod.yaml")
	for name, args := range map[string][]string{
		"unknown command":   {"rendre"},
		"unknown flag":      {"render", prod, "--bogus"},
		"unknown profile":   {"render", prod, "--profile", "staging"},
		"unknown format":    {"render", prod, "-o", "xml"},
		"unknown cluster":   {"render", prod, "--cluster", "mars"},
		"unknown component": {"render", prod, "--component", "everything"},
		"too many files":    {"render", prod, prod},
		"unknown --only":    {"render", prod, "--only", "secrets"},
		"values as json":    {"render", prod, "--only", "linkerd-values", "-o", "json"},
		"alerts into dir":   {"render", prod, "--only", "alerts", "-o", "dir=x"},
		"alerts, component": {"render", prod, "--only", "alerts", "--component", "mesh"},
	} {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := run(t, "", args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr %s", code, ExitUsage, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q", out)
			}
			if !strings.HasPrefix(errOut, "mtlsgen: ") {
				t.Errorf("stderr %q", errOut)
			}
		})
	}
}

func TestRender_unknownClusterNamesTheKnownOnes(t *testing.T) {
	mc := filepath.Join(testutil.RepoRoot(t), "examples", "multicluster.yaml")
	_, errOut, _ := run(t, "", "render", mc, "--cluster", "mars")
	if !strings.Contains(errOut, `no cluster "mars" in the spec (clusters: central, east, west)`) {
		t.Errorf("stderr %q", errOut)
	}
}

func TestRender_selectsClusterAndComponent(t *testing.T) {
	mc := filepath.Join(testutil.RepoRoot(t), "examples", "multicluster.yaml")
	all, _, _ := run(t, "", "render", mc)
	west, _, code := run(t, "", "render", mc, "--cluster", "west", "--component", "mesh")
	if code != 0 || west == "" {
		t.Fatalf("exit %d", code)
	}
	for _, doc := range strings.Split(west, "---\n")[1:] {
		if !strings.HasPrefix(doc, "# mtlsgen: cluster west, component mesh\n") {
			t.Errorf("document from elsewhere in --cluster west output:\n%s", doc)
		}
		if !strings.Contains(all, doc) {
			t.Errorf("selected document not in the full render:\n%s", doc)
		}
	}
}

func TestRender_json(t *testing.T) {
	prod := filepath.Join(testutil.RepoRoot(t), "examples", "prod.yaml")
	out, _, code := run(t, "", "render", prod, "-o", "json")
	if code != 0 {
		t.Fatal(code)
	}
	var list struct {
		Kind  string           `json:"kind"`
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	yamlOut, _, _ := run(t, "", "render", prod)
	if list.Kind != "List" || len(list.Items) != strings.Count(yamlOut, "\n---\n")+1 {
		t.Errorf("kind %s with %d items for %d YAML documents", list.Kind, len(list.Items), strings.Count(yamlOut, "---\n"))
	}
}

func TestRender_directory(t *testing.T) {
	mc := filepath.Join(testutil.RepoRoot(t), "examples", "multicluster.yaml")
	dir := filepath.Join(t.TempDir(), "rendered")
	if _, errOut, code := run(t, "", "render", mc, "-o", "dir="+dir); code != 0 {
		t.Fatal(errOut)
	}
	for _, c := range []string{"east", "west", "central"} {
		path := filepath.Join(dir, "clusters", c, "mesh", "manifests.yaml")
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want, _, _ := run(t, "", "render", mc, "--cluster", c, "--component", "mesh")
		if stripHeaders(want) != string(got) {
			t.Errorf("%s differs from --cluster %s --component mesh", path, c)
		}
	}
	// A second render replaces the directory whole.
	os.WriteFile(filepath.Join(dir, "clusters", "stale.yaml"), []byte("x"), 0o644)
	if _, errOut, code := run(t, "", "render", mc, "-o", "dir="+dir); code != 0 {
		t.Fatal(errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "clusters", "stale.yaml")); !os.IsNotExist(err) {
		t.Error("a file from an earlier render survived")
	}
	// A directory mtlsgen did not write is never replaced.
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "keep.txt"), []byte("mine"), 0o644)
	_, errOut, code := run(t, "", "render", mc, "-o", "dir="+foreign)
	if code == 0 || !strings.Contains(errOut, "was not written by mtlsgen") {
		t.Errorf("exit %d, %s", code, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(foreign, "keep.txt")); string(b) != "mine" {
		t.Error("foreign directory was touched")
	}
}

func stripHeaders(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(line, "# mtlsgen: ") {
			b.WriteString(line)
		}
	}
	return b.String()
}

func TestValidate_reportsEveryFile(t *testing.T) {
	root := testutil.RepoRoot(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte(invalidSpec), 0o644)
	out, errOut, code := run(t, "", "validate", filepath.Join(root, "examples", "dev.yaml"), bad)
	if code != ExitInvalid {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasSuffix(out, "examples/dev.yaml: valid\n") {
		t.Errorf("stdout %q", out)
	}
	if !strings.Contains(errOut, bad+":5: spec.identityIssuer.renewBefore: missing unit, e.g. 24h") {
		t.Errorf("stderr %q", errOut)
	}
}

func TestSchema_printsTheEmbeddedSchema(t *testing.T) {
	out, _, code := run(t, "", "schema")
	var s map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s["title"] != "MeshTLS" {
		t.Errorf("exit %d, output %.200s", code, out)
	}
}

func TestVersion_listsLinkerdReleases(t *testing.T) {
	out, _, code := run(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "mtlsgen dev (spec mtlsgen.dev/v1alpha1)") || !strings.Contains(out, "stable-2.14.10") || !strings.Contains(out, "1.16.11") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// validate, like render, reads mtlsgen.yaml when no file is named.
func TestValidate_defaultsToTheSpecFile(t *testing.T) {
	prod := filepath.Join(testutil.RepoRoot(t), "examples", "prod.yaml")
	t.Chdir(t.TempDir())
	if _, errOut, code := run(t, "", "validate"); code != ExitInvalid || errOut != "mtlsgen: mtlsgen.yaml: cannot read: no such file\n" {
		t.Errorf("without mtlsgen.yaml: exit %d, stderr %q", code, errOut)
	}
	raw, err := os.ReadFile(prod)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(DefaultSpecFile, raw, 0o644)
	if out, errOut, code := run(t, "", "validate"); code != ExitOK || out != "mtlsgen.yaml: valid\n" {
		t.Errorf("with mtlsgen.yaml: exit %d, %q %q", code, out, errOut)
	}
}

// A render never deletes its own spec: -o dir= naming the directory that
// holds it (marked as an earlier render's, so replaceable) is refused, and
// the spec is still there.
func TestRender_outputDirHoldingTheSpec(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if _, errOut, code := run(t, "", "render", filepath.Join(testutil.RepoRoot(t), "examples", "dev.yaml"), "-o", "dir="+dir); code != 0 {
		t.Fatalf("first render: exit %d: %s", code, errOut)
	}
	spec := filepath.Join(dir, "mtlsgen.yaml")
	if err := os.WriteFile(spec, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	// The directory by its own name, and through a link to it.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{dir, link} {
		_, errOut, code := run(t, "", "render", spec, "-o", "dir="+target)
		if code != ExitUsage || !strings.Contains(errOut, "holds the spec") {
			t.Errorf("-o dir=%s: exit %d: %s", target, code, errOut)
		}
		if _, err := os.Stat(spec); err != nil {
			t.Fatalf("-o dir=%s: the spec is gone: %v", target, err)
		}
	}
}
