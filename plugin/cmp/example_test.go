package cmp_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
	"github.com/mtlsgen/mtlsgen/plugin/cmp"
)

// installURL is the remote resource of examples/argocd-cmp; the test builds
// the example against testdata/argocd-repo-server.yaml instead (no network).
const installURL = "https://raw.githubusercontent.com/argoproj/argo-cd/v3.6.1/manifests/install.yaml"

// buildExample builds examples/argocd-cmp with kustomize, in-process, with
// the upstream install replaced by the trimmed repo-server Deployment.
func buildExample(t *testing.T) (appsv1.Deployment, []corev1.ConfigMap) {
	t.Helper()
	dir := t.TempDir()
	must(t, os.CopyFS(dir, os.DirFS(filepath.Join(testutil.RepoRoot(t), "examples", "argocd-cmp"))))
	kust := filepath.Join(dir, "kustomization.yaml")
	raw, err := os.ReadFile(kust)
	must(t, err)
	if !bytes.Contains(raw, []byte("  - "+installURL+"\n")) {
		t.Fatalf("examples/argocd-cmp/kustomization.yaml no longer installs %s; update this test", installURL)
	}
	raw = bytes.Replace(raw, []byte(installURL), []byte("argocd-repo-server.yaml"), 1)
	must(t, os.WriteFile(kust, raw, 0o644))
	base, err := os.ReadFile(filepath.Join("testdata", "argocd-repo-server.yaml"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "argocd-repo-server.yaml"), base, 0o644))

	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var dep *appsv1.Deployment
	var cms []corev1.ConfigMap
	for _, r := range m.Resources() {
		b, err := r.AsYAML()
		must(t, err)
		switch r.GetKind() {
		case "Deployment":
			dep = &appsv1.Deployment{}
			must(t, yaml.UnmarshalStrict(b, dep))
		case "ConfigMap":
			var cm corev1.ConfigMap
			must(t, yaml.UnmarshalStrict(b, &cm))
			cms = append(cms, cm)
		default:
			t.Errorf("unexpected %s in the build", r.GetKind())
		}
	}
	if dep == nil {
		t.Fatal("no Deployment")
	}
	return *dep, cms
}

// The example adds the sidecar exactly as Argo CD requires: argocd-cmp-server
// from the var-files volume, uid 999, the shared plugins volume, its own
// /tmp, and plugin.yaml (the same as plugin/cmp/plugin.yaml) at the path
// argocd-cmp-server reads; the repo server itself is left alone.
func TestExample_repoServerSidecar(t *testing.T) {
	dep, cms := buildExample(t)
	if dep.Namespace != "argocd" {
		t.Errorf("namespace %q", dep.Namespace)
	}
	pod := dep.Spec.Template.Spec
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	var sidecar, repo *corev1.Container
	for i := range pod.Containers {
		switch pod.Containers[i].Name {
		case "mtlsgen":
			sidecar = &pod.Containers[i]
		case "argocd-repo-server":
			repo = &pod.Containers[i]
		}
	}
	if sidecar == nil || repo == nil || len(pod.Containers) != 2 {
		t.Fatalf("containers: %v", pod.Containers)
	}
	if len(pod.InitContainers) != 1 || pod.InitContainers[0].Name != "copyutil" {
		t.Errorf("init containers changed: %v", pod.InitContainers)
	}
	if !slices.Equal(sidecar.Command, []string{"/var/run/argocd/argocd-cmp-server"}) || len(sidecar.Args) != 0 {
		t.Errorf("sidecar command %v %v", sidecar.Command, sidecar.Args)
	}
	sc := sidecar.SecurityContext
	if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 999 || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("sidecar securityContext %+v: want runAsNonRoot and runAsUser 999", sc)
	}

	mounts := map[string]corev1.VolumeMount{}
	for _, m := range sidecar.VolumeMounts {
		mounts[m.MountPath] = m
		if _, ok := volumes[m.Name]; !ok {
			t.Errorf("mount %s: no volume %s", m.MountPath, m.Name)
		}
	}
	if m := mounts["/var/run/argocd"]; m.Name != "var-files" {
		t.Errorf("/var/run/argocd from %q, want var-files (where copyutil puts argocd-cmp-server)", m.Name)
	}
	if m := mounts["/home/argocd/cmp-server/plugins"]; m.Name != "plugins" {
		t.Errorf("/home/argocd/cmp-server/plugins from %q, want the shared plugins volume", m.Name)
	}
	tmp := mounts["/tmp"]
	for _, m := range repo.VolumeMounts {
		if m.Name == tmp.Name {
			t.Errorf("the sidecar's /tmp is the repo server's volume %q", m.Name)
		}
	}
	if v := volumes[tmp.Name]; v.EmptyDir == nil {
		t.Errorf("/tmp volume %+v is not an emptyDir", v)
	}
	cfg := mounts[cmp.ConfigPath]
	if cfg.SubPath != "plugin.yaml" {
		t.Fatalf("%s mounted %+v, want subPath plugin.yaml", cmp.ConfigPath, cfg)
	}
	ref := volumes[cfg.Name].ConfigMap
	if ref == nil {
		t.Fatalf("volume %s is not a ConfigMap", cfg.Name)
	}
	found := false
	for _, cm := range cms {
		if cm.Name == ref.Name {
			found = true
			if cm.Data["plugin.yaml"] != string(cmp.PluginYAML) {
				t.Error("the mounted plugin.yaml differs from plugin/cmp/plugin.yaml")
			}
		}
	}
	if !found {
		t.Errorf("no ConfigMap %s (the generated name, with its hash) in the build", ref.Name)
	}
	if !strings.HasPrefix(ref.Name, "mtlsgen-cmp-plugin-") {
		t.Errorf("ConfigMap %q: kustomize did not rewrite the reference to the hashed name", ref.Name)
	}
}

// examples/argocd-cmp/plugin.yaml is a copy of plugin/cmp/plugin.yaml
// (kustomize may not read files above the kustomization).
func TestExample_pluginYAMLIsTheSame(t *testing.T) {
	copied, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "argocd-cmp", "plugin.yaml"))
	must(t, err)
	if !bytes.Equal(copied, cmp.PluginYAML) {
		t.Fatal("examples/argocd-cmp/plugin.yaml differs from plugin/cmp/plugin.yaml: copy it")
	}
}
