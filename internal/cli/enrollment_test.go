package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/internal/output"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// -o dir writes each patch to a file of its own under patches/, headed by
// who must apply it.
func TestRender_directoryPatches(t *testing.T) {
	spec := filepath.Join(testutil.RepoRoot(t), "examples", "mesh-1-workloads.yaml")
	dir := filepath.Join(t.TempDir(), "rendered")
	if _, errOut, code := run(t, "", "render", spec, "-o", "dir="+dir); code != 0 {
		t.Fatal(errOut)
	}
	for _, f := range []string{"namespace_billing.yaml", "deployment_shop_checkout.yaml"} {
		raw, err := os.ReadFile(filepath.Join(dir, "clusters", "in-cluster", "patches", f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(raw), output.PatchNote) || strings.Contains(string(raw), "---") {
			t.Errorf("%s:\n%s", f, raw)
		}
	}
	mesh, _ := os.ReadFile(filepath.Join(dir, "clusters", "in-cluster", "mesh", "manifests.yaml"))
	if strings.Contains(string(mesh), "name: checkout") {
		t.Error("a patch landed in the mesh component")
	}
}

// Markers of the generated enrollment diffs in README.md.
const (
	phasesBegin = "<!-- BEGIN enrollment diffs: generated from golden/mesh-*.yaml by `go test ./internal/cli -update` -->"
	phasesEnd   = "<!-- END enrollment diffs -->"
)

// The README shows what each phase changes: the diff between the rendered
// output of consecutive phases, taken from the golden files the tests keep
// current.
func TestREADME_enrollmentDiffs(t *testing.T) {
	root := testutil.RepoRoot(t)
	phases := []struct{ file, title string }{
		{"mesh-1-workloads", "1. Opt in one workload"},
		{"mesh-2-audit", "2. The whole namespace, in audit"},
		{"mesh-3-enforce", "3. Enforce"},
		{"mesh-4-rollback", "Rollback"},
	}
	var b strings.Builder
	for i := 1; i < len(phases); i++ {
		from, to := phases[i-1], phases[i]
		diff := goldenDiff(t, root, from.file, to.file)
		b.WriteString("<details><summary>" + to.title + ": the rendered change</summary>\n\n```diff\n" + diff + "```\n</details>\n\n")
	}
	readme := filepath.Join(root, "README.md")
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	got, err := testutil.ReplaceSection(raw, phasesBegin, phasesEnd, strings.TrimRight(b.String(), "\n"))
	if err != nil {
		t.Fatal(err)
	}
	testutil.AssertGolden(t, readme, got)
}

// A selection that renders nothing is refused, as the plugins refuse it:
// with -o dir= it would replace a rendered tree with an empty one.
func TestRender_emptySelectionRefused(t *testing.T) {
	spec := filepath.Join(testutil.RepoRoot(t), "examples", "multicluster.yaml")
	dir := filepath.Join(t.TempDir(), "rendered")
	if _, errOut, code := run(t, "", "render", spec, "-o", "dir="+dir); code != 0 {
		t.Fatal(errOut)
	}
	for _, out := range []string{"yaml", "dir=" + dir} {
		stdout, errOut, code := run(t, "", "render", spec, "--cluster", "east", "--component", "argocd", "-o", out)
		if code != ExitUsage || stdout != "" || !strings.Contains(errOut, "cluster east, component argocd renders no object; refusing an empty output") {
			t.Errorf("-o %s: exit %d, stdout %q: %s", out, code, stdout, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "clusters", "east", "mesh", "manifests.yaml")); err != nil {
		t.Errorf("the rendered tree was replaced: %v", err)
	}

	// With a cluster selector, no cluster named: say to name one.
	selector := "apiVersion: mtlsgen.dev/v1alpha1\nkind: MeshTLS\nmetadata: {name: fleet}\nspec:\n  profile: dev\n" +
		"  trust: {anchors: [{name: fleet-root, active: true, secret: {name: fleet-root}}]}\n" +
		"  argocd: {repoURL: https://git.example.com/m.git, path: fleet, clusterSelector: {matchLabels: {mesh: prod}}}\n"
	stdout, errOut, code := run(t, selector, "render", "-", "--component", "mesh")
	if code != ExitUsage || stdout != "" || !strings.Contains(errOut, "component mesh renders no object: the spec's clusters come from argocd.clusterSelector") || !strings.Contains(errOut, "(--cluster NAME)") {
		t.Errorf("a selector spec without --cluster: exit %d, stdout %q: %s", code, stdout, errOut)
	}
}
