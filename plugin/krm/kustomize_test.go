package krm_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testutil.RemoveBinary()
	os.Exit(code)
}

// kustomizeBuild runs kustomize in-process exactly as `kustomize build
// --enable-alpha-plugins --enable-exec DIR` does (legacy reordering, exec
// functions enabled), on a real directory: exec functions run in the
// kustomization's directory, which an in-memory file system does not have.
func kustomizeBuild(t *testing.T, dir string) ([]byte, error) {
	t.Helper()
	o := krusty.MakeDefaultOptions()
	o.Reorder = krusty.ReorderOptionLegacy
	o.PluginConfig = types.EnabledPluginConfig(types.BploUseStaticallyLinked)
	o.PluginConfig.FnpLoadingOptions.EnableExec = true
	m, err := krusty.MakeKustomizer(o).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, err
	}
	return m.AsYaml()
}

// examplesCopy copies examples/kustomize to a temporary directory and puts
// the freshly built mtlsgen first in PATH, where the examples' exec
// functions (path: mtlsgen) find it.
func examplesCopy(t *testing.T) (dir, bin string) {
	t.Helper()
	bin = testutil.Binary(t)
	t.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir = t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(testutil.RepoRoot(t), "examples", "kustomize"))); err != nil {
		t.Fatal(err)
	}
	return dir, bin
}

// cliRender is what `mtlsgen render ARGS...` prints, from the same binary.
func cliRender(t *testing.T, bin string, args ...string) []map[string]any {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"render"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mtlsgen render %v: %v\n%s", args, err, stderr.String())
	}
	return testutil.ParseStream(t, out)
}

// requireSameObjects compares two object sets by identity and content;
// order is kustomize's business (its legacy reordering sorts by kind).
func requireSameObjects(t *testing.T, want, got []map[string]any) {
	t.Helper()
	w, g := testutil.ByKey(t, want), testutil.ByKey(t, got)
	if diff := cmp.Diff(w, g); diff != "" {
		t.Fatalf("kustomize build differs from mtlsgen render (-render +kustomize):\n%s", diff)
	}
}

// The base example, built by kustomize with mtlsgen as an exec function,
// is exactly what `mtlsgen render --component mesh` makes of the same spec
// (the component its annotation selects).
func TestKustomize_baseEqualsRender(t *testing.T) {
	dir, bin := examplesCopy(t)
	out, err := kustomizeBuild(t, filepath.Join(dir, "base"))
	if err != nil {
		t.Fatal(err)
	}
	got := testutil.ParseStream(t, out)
	want := cliRender(t, bin, "--component", "mesh", filepath.Join(dir, "base", "mtlsgen.yaml"))
	requireSameObjects(t, want, got)
	for _, o := range got {
		if o["kind"] == "MeshTLS" {
			t.Error("the spec (the function config) leaked into the output")
		}
	}
}

// The overlay changes exactly the one object it patches, and exactly as the
// patch says.
func TestKustomize_overlayPatchesOneObject(t *testing.T) {
	dir, bin := examplesCopy(t)
	out, err := kustomizeBuild(t, filepath.Join(dir, "overlay"))
	if err != nil {
		t.Fatal(err)
	}
	want := cliRender(t, bin, "--component", "mesh", filepath.Join(dir, "base", "mtlsgen.yaml"))
	patched := 0
	for _, o := range want {
		if testutil.ObjectKey(o) == "batch/v1/CronJob/linkerd/mtlsgen-restarter" {
			o["spec"].(map[string]any)["schedule"] = "15 */2 * * *"
			patched++
		}
	}
	if patched != 1 {
		t.Fatalf("the overlay's patch target is not in the render (%d matches): update examples/kustomize/overlay", patched)
	}
	requireSameObjects(t, want, testutil.ParseStream(t, out))
}

// A fleet needs the cluster annotation: with it, kustomize builds exactly
// that cluster's mesh; without it, the build fails instead of producing
// duplicates or nothing. The example runs mtlsgen from its image; here the
// same config runs the binary, since the image needs a container runtime
// (the image test covers the image).
func TestKustomize_fleetSelectsOneCluster(t *testing.T) {
	dir, bin := examplesCopy(t)
	cfg := filepath.Join(dir, "fleet-east", "mtlsgen.yaml")
	raw, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	container := "      container:\n        image: mtlsgen:latest\n"
	if !strings.Contains(string(raw), container) {
		t.Fatalf("%s no longer runs the image as expected; update this test", cfg)
	}
	execFn := strings.Replace(string(raw), container, "      exec:\n        path: mtlsgen\n        args: [krm]\n", 1)
	if err := os.WriteFile(cfg, []byte(execFn), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := kustomizeBuild(t, filepath.Join(dir, "fleet-east"))
	if err != nil {
		t.Fatal(err)
	}
	want := cliRender(t, bin, "--cluster", "east", "--component", "mesh", cfg)
	requireSameObjects(t, want, testutil.ParseStream(t, out))

	without := strings.Replace(execFn, "    mtlsgen.dev/cluster: east\n", "", 1)
	if without == execFn {
		t.Fatal("could not remove the cluster annotation")
	}
	if err := os.WriteFile(cfg, []byte(without), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := kustomizeBuild(t, filepath.Join(dir, "fleet-east")); err == nil {
		t.Fatalf("a fleet without the cluster annotation built:\n%.500s", out)
	}
}

// An invalid spec fails the kustomize build. kustomize ignores results when
// a function exits 0, so this fails only because the function exits 1.
func TestKustomize_invalidSpecFailsTheBuild(t *testing.T) {
	dir, _ := examplesCopy(t)
	cfg := filepath.Join(dir, "base", "mtlsgen.yaml")
	raw, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(raw), "profile: prod", "profile: production", 1)
	if broken == string(raw) {
		t.Fatal("could not break the spec")
	}
	if err := os.WriteFile(cfg, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := kustomizeBuild(t, filepath.Join(dir, "base"))
	if err == nil {
		t.Fatalf("an invalid spec built:\n%.500s", out)
	}
	if !strings.Contains(err.Error(), "couldn't execute function") {
		t.Errorf("unexpected error: %v", err)
	}
}
