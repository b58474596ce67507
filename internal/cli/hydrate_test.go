package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/appsettest"
	"github.com/mtlsgen/mtlsgen/internal/charts"
	"github.com/mtlsgen/mtlsgen/internal/helmengine"
	"github.com/mtlsgen/mtlsgen/internal/load"
	"github.com/mtlsgen/mtlsgen/internal/output"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// serveHelmEnv makes this test binary act as mtlsgen-helm: the CLI tests
// run the real exec path (FindHelper, the JSON protocol, a second process)
// with the test binary as the helper, instead of building one.
const serveHelmEnv = "MTLSGEN_TEST_SERVE_HELM"

func TestMain(m *testing.M) {
	if os.Getenv(serveHelmEnv) == "1" {
		os.Exit(helmengine.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, "test"))
	}
	os.Exit(m.Run())
}

// useTestHelper points mtlsgen at this test binary as its mtlsgen-helm.
func useTestHelper(t *testing.T) {
	t.Helper()
	self, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(charts.HelperEnv, self)
	t.Setenv(serveHelmEnv, "1")
}

func renderedSpec(t *testing.T) (string, *v1alpha1.MeshTLS) {
	t.Helper()
	file := filepath.Join(testutil.RepoRoot(t), "examples", "rendered.yaml")
	m, err := load.LoadFile(file, nil, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return file, m
}

// standInTemplate renders a chart's values, so a test can see what reached
// it. Linkerd's charts are in no Go module, so the CLI tests use stand-ins
// under their names; the real ones are hydrated by internal/charts'
// TestHydrate_linkerdChartsFromGit.
const standInTemplate = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Chart.Name }}-values
  namespace: {{ .Release.Namespace }}
data:
  values.yaml: |
    {{- toYaml .Values | nindent 4 }}
`

// localCharts writes a --charts directory for a spec: the real
// cert-manager and trust-manager charts from their Go modules, and
// stand-ins for Linkerd's. extra adds files to the stand-ins.
func localCharts(t *testing.T, m *v1alpha1.MeshTLS, extra map[string]map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, c := range generator.HelmCharts(m) {
		dst := filepath.Join(dir, c.Chart)
		if _, ok := testutil.JetstackCharts[c.Chart]; ok {
			testutil.CopyJetstackChart(t, c.Chart, c.Version, dst)
			continue
		}
		files := map[string]string{
			"Chart.yaml":            "apiVersion: v2\nname: " + c.Chart + "\nversion: " + c.Version + "\n",
			"templates/values.yaml": standInTemplate,
		}
		for name, content := range extra[c.Chart] {
			files[name] = content
		}
		for name, content := range files {
			os.MkdirAll(filepath.Dir(filepath.Join(dst, name)), 0o755)
			if err := os.WriteFile(filepath.Join(dst, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// readTree reads every file of a directory tree, by relative path.
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return out
}

// render --hydrate -o dir= writes every chart next to the mesh, at the
// paths the ApplicationSet's Applications read (expanded as Argo CD's
// controller does), with the values mtlsgen generates, and the same bytes
// on every run.
func TestRenderHydrate_directory(t *testing.T) {
	useTestHelper(t)
	file, m := renderedSpec(t)
	local := localCharts(t, m, nil)
	lock := filepath.Join(t.TempDir(), "mtlsgen.lock")
	var trees []map[string]string
	for range 2 {
		out := filepath.Join(t.TempDir(), "rendered")
		if _, errOut, code := run(t, "", "render", file, "--hydrate", "--charts", local, "--lock", lock, "-o", "dir="+out); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		trees = append(trees, readTree(t, out))
	}
	tree := trees[0]
	if diff := cmp.Diff(trees[0], trees[1]); diff != "" {
		t.Errorf("two hydrations differ:\n%s", diff)
	}
	var files []string
	for f := range tree {
		files = append(files, f)
	}
	slices.Sort(files)
	want := []string{".mtlsgen-output",
		"clusters/in-cluster/cert-manager/manifests.yaml", "clusters/in-cluster/linkerd-control-plane/manifests.yaml",
		"clusters/in-cluster/linkerd-crds/manifests.yaml", "clusters/in-cluster/linkerd-viz/manifests.yaml",
		"clusters/in-cluster/mesh/manifests.yaml", "clusters/in-cluster/trust-manager/manifests.yaml",
		"fleet/argocd/manifests.yaml"}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Fatalf("files (-want +got):\n%s", diff)
	}
	cm := tree["clusters/in-cluster/cert-manager/manifests.yaml"]
	if !strings.HasPrefix(cm, "---\n# Source: cert-manager/templates/") || !strings.Contains(cm, `name: "certificates.cert-manager.io"`) {
		t.Errorf("cert-manager is not Helm's output with its CRDs:\n%.300s", cm)
	}
	cp := tree["clusters/in-cluster/linkerd-control-plane/manifests.yaml"]
	for _, s := range []string{"externalCA: true", "scheme: kubernetes.io/tls", "heartbeatSchedule: " + generator.HeartbeatSchedule("shop"),
		"injectCaFrom: linkerd/linkerd-proxy-injector"} {
		if !strings.Contains(cp, s) {
			t.Errorf("the control plane's values lack %q:\n%s", s, cp)
		}
	}

	// Every Application of the ApplicationSet reads a directory this
	// render wrote, except the Gateway API's (git).
	var set generator.ApplicationSet
	if err := yaml.Unmarshal([]byte(tree["fleet/argocd/manifests.yaml"]), &set); err != nil {
		t.Fatal(err)
	}
	apps, err := appsettest.Expand(&set, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := m.Spec.ArgoCD
	var read []string
	for _, app := range apps {
		src := app.Spec.Source
		if src.RepoURL == generator.GatewayAPIRepo {
			continue
		}
		if src.RepoURL != a.RepoURL || src.Chart != "" || src.Helm != nil || src.Directory == nil {
			t.Errorf("%s: source %+v is not a directory of %s", app.Name, src, a.RepoURL)
			continue
		}
		rel, ok := strings.CutPrefix(src.Path, a.Path+"/rendered/")
		if _, written := tree[rel+"/manifests.yaml"]; !ok || !written {
			t.Errorf("%s reads %s, which the render did not write", app.Name, src.Path)
		}
		read = append(read, rel)
	}
	if len(read) != len(want)-2 {
		t.Errorf("Applications read %v; every directory but the fleet's should be read", read)
	}
}

// In the YAML stream, each cluster's charts follow its own objects, in
// stage order, before the fleet's; --component selects one chart.
func TestRenderHydrate_stream(t *testing.T) {
	useTestHelper(t)
	file, m := renderedSpec(t)
	local := localCharts(t, m, nil)
	lock := filepath.Join(t.TempDir(), "mtlsgen.lock")
	out, errOut, code := run(t, "", "render", file, "--hydrate", "--charts", local, "--lock", lock)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var headers []string
	for _, line := range strings.Split(out, "\n") {
		if h, ok := strings.CutPrefix(line, "# mtlsgen: "); ok && (len(headers) == 0 || headers[len(headers)-1] != h) {
			headers = append(headers, h)
		}
	}
	want := []string{"cluster in-cluster, component mesh", "cluster in-cluster, component cert-manager", "cluster in-cluster, component trust-manager",
		"cluster in-cluster, component linkerd-crds", "cluster in-cluster, component linkerd-control-plane",
		"cluster in-cluster, component linkerd-viz", "fleet, component argocd"}
	if diff := cmp.Diff(want, headers); diff != "" {
		t.Errorf("stream order (-want +got):\n%s", diff)
	}
	one, errOut, code := run(t, "", "render", file, "--hydrate", "--charts", local, "--lock", lock, "--component", "linkerd-viz")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if n := strings.Count(one, "\n---\n") + 1; n != 1 || !strings.HasPrefix(one, "---\n# mtlsgen: cluster in-cluster, component linkerd-viz\n# Source: linkerd-viz/templates/values.yaml\n") {
		t.Errorf("--component linkerd-viz (%d documents):\n%s", n, one)
	}
}

// `charts pull` with every chart cached and locked needs neither the
// network nor mtlsgen-helm; render --hydrate then renders from the cache.
// A chart missing from the cache needs mtlsgen-helm, and its absence is
// explained.
func TestChartsPull_offlineThenHydrateFromTheCache(t *testing.T) {
	file, m := renderedSpec(t)
	local := localCharts(t, m, nil)
	cache := charts.Cache{Dir: t.TempDir()}
	lock := &charts.Lock{}
	for _, c := range generator.HelmCharts(m) {
		ch, err := loader.LoadDir(filepath.Join(local, c.Chart))
		if err != nil {
			t.Fatal(err)
		}
		tgz, err := chartutil.Save(ch, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		digest, err := cache.Put(tgz)
		if err != nil {
			t.Fatal(err)
		}
		lock.Charts = append(lock.Charts, charts.LockedChart{Repo: c.Repo, Chart: c.Chart, Version: c.Version, Digest: digest})
	}
	lockPath := filepath.Join(t.TempDir(), "mtlsgen.lock")
	if _, err := charts.WriteLock(lockPath, lock); err != nil {
		t.Fatal(err)
	}
	lockBefore, _ := os.ReadFile(lockPath)

	t.Setenv(charts.HelperEnv, filepath.Join(t.TempDir(), "no-such-helper"))
	t.Setenv("PATH", t.TempDir())
	out, errOut, code := run(t, "", "charts", "pull", file, "--cache", cache.Dir, "--lock", lockPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if n := strings.Count(out, ": cached (sha256:"); n != 5 {
		t.Errorf("%d charts cached, want 5:\n%s", n, out)
	}
	if after, _ := os.ReadFile(lockPath); string(after) != string(lockBefore) || strings.Contains(out, "wrote ") {
		t.Error("an offline pull rewrote the lock file")
	}

	useTestHelper(t)
	dir := filepath.Join(t.TempDir(), "rendered")
	if _, errOut, code := run(t, "", "render", file, "--hydrate", "--cache", cache.Dir, "--lock", lockPath, "-o", "dir="+dir); code != 0 {
		t.Fatalf("hydrate from the cache: exit %d: %s", code, errOut)
	}
	fromLocal := filepath.Join(t.TempDir(), "rendered")
	run(t, "", "render", file, "--hydrate", "--charts", local, "--lock", lockPath, "-o", "dir="+fromLocal)
	if diff := cmp.Diff(readTree(t, fromLocal), readTree(t, dir)); diff != "" {
		t.Errorf("charts from the cache and from --charts render differently:\n%s", diff)
	}

	// Without its archive, the pull needs the helper, which is absent.
	os.RemoveAll(filepath.Join(cache.Dir, "sha256"))
	t.Setenv(charts.HelperEnv, "")
	_, errOut, code = run(t, "", "charts", "pull", file, "--cache", cache.Dir, "--lock", lockPath)
	if code != ExitInvalid || !strings.Contains(errOut, "mtlsgen: mtlsgen-helm not found: it holds Helm's chart engine, kept out of mtlsgen") ||
		!strings.Contains(errOut, "go install github.com/mtlsgen/mtlsgen/cmd/...@latest") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	_, errOut, code = run(t, "", "render", file, "--hydrate", "--cache", cache.Dir, "--lock", lockPath)
	if code != ExitInvalid || !strings.Contains(errOut, "is not in the chart cache "+cache.Dir+": run `mtlsgen charts pull "+file+" --cache "+cache.Dir+" --lock "+lockPath+"` first") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

const selectorSpec = `apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata: {name: fleet}
spec:
  kubeVersion: "1.33"
  trust:
    anchors: [{name: root, active: true, secret: {name: fleet-root}}]
  argocd:
    repoURL: https://git.example.com/mesh.git
    path: fleet
    clusterSelector: {matchLabels: {mesh: prod}}
`

func TestRenderHydrate_problems(t *testing.T) {
	useTestHelper(t)
	file, m := renderedSpec(t)
	root := testutil.RepoRoot(t)
	multicluster := filepath.Join(root, "examples", "multicluster.yaml")

	// Values that break a chart's schema: every one on its own line,
	// with the chart, the key and the rule; nothing written.
	schema := `{"type": "object", "properties": {"identity": {"type": "object", "properties": {"externalCA": {"const": false}}}, "heartbeatSchedule": {"type": "integer"}}}`
	local := localCharts(t, m, map[string]map[string]string{v1alpha1.ChartControlPlane: {"values.schema.json": schema}})
	// A copy of the spec, so that the tree is where the Applications read
	// it and render has nothing to warn about.
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(t.TempDir(), "mtlsgen.yaml")
	if err := os.WriteFile(spec, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(filepath.Dir(spec), generator.RenderedDir)
	out, errOut, code := run(t, "", "render", spec, "--hydrate", "--charts", local, "--lock", filepath.Join(t.TempDir(), "l"), "-o", "dir="+dir)
	want := "mtlsgen: chart linkerd-control-plane 2026.6.3: values.heartbeatSchedule: got string, want integer (values.schema.json of linkerd-control-plane: #/properties/heartbeatSchedule/type)\n" +
		"mtlsgen: chart linkerd-control-plane 2026.6.3: values.identity.externalCA: value must be false (values.schema.json of linkerd-control-plane: #/properties/identity/properties/externalCA/const)\n"
	if code != ExitInvalid || out != "" || errOut != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, errOut, want)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("an output directory was written")
	}

	missing := filepath.Join(t.TempDir(), "none")
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"no kubeVersion": {[]string{"render", multicluster, "--hydrate"}, ExitInvalid,
			"mtlsgen: " + multicluster + `: spec.kubeVersion: required with --hydrate: the Kubernetes version of the clusters, e.g. "1.33"`},
		"a rendered source without --hydrate": {[]string{"render", file, "-o", "dir=" + filepath.Join(t.TempDir(), "r")}, ExitInvalid,
			"mtlsgen: " + file + ": spec.argocd.source is rendered, so Argo CD reads every chart from "},
		"clusters from a selector": {[]string{"render", "-", "--hydrate"}, ExitInvalid,
			"mtlsgen: <stdin>: spec.argocd.clusterSelector: --hydrate writes the charts once per cluster of spec.clusters"},
		"json":                                   {[]string{"render", file, "--hydrate", "-o", "json"}, ExitUsage, "mtlsgen: --hydrate writes Helm's manifests as YAML"},
		"values":                                 {[]string{"render", file, "--hydrate", "--only", "linkerd-values"}, ExitUsage, "mtlsgen: --hydrate writes Helm's manifests as YAML"},
		"charts without --hydrate":               {[]string{"render", file, "--charts", "x"}, ExitUsage, "mtlsgen: --charts, --cache and --lock go with --hydrate"},
		"a chart as component without --hydrate": {[]string{"render", file, "--component", "linkerd-viz"}, ExitUsage, `mtlsgen: no component "linkerd-viz"`},
		"an unknown component with --hydrate": {[]string{"render", file, "--hydrate", "--component", "nope"}, ExitUsage,
			`mtlsgen: no component "nope" (components: mesh, patches, argocd; with --hydrate also the charts: cert-manager, trust-manager, linkerd-crds, linkerd-control-plane, linkerd-viz)`},
		"local charts that are not there": {[]string{"render", file, "--hydrate", "--charts", missing}, ExitUsage,
			"mtlsgen: --charts " + missing + ": not a directory of local charts"},
		"not locked, not local": {[]string{"render", file, "--hydrate", "--lock", filepath.Join(t.TempDir(), "l")}, ExitInvalid,
			"mtlsgen: chart cert-manager v1.21.2 from https://charts.jetstack.io: the lock file has no digest for it: run `mtlsgen charts pull "},
	} {
		t.Run(name, func(t *testing.T) {
			_, errOut, code := run(t, selectorSpec, tc.args...)
			if code != tc.code || !strings.HasPrefix(errOut, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant %d and a start of\n%s", code, errOut, tc.code, tc.want)
			}
		})
	}
}

// With source: rendered the Applications read the directory rendered next
// to the spec: a tree written anywhere else is warned about (it may be for
// review), a tree written there, by any path to it, is not.
func TestUnreadTree(t *testing.T) {
	_, m := renderedSpec(t)
	repo := t.TempDir()
	specDir := filepath.Join(repo, "clusters", "shop")
	if err := os.MkdirAll(specDir, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(repo, "shop-link")
	if err := os.Symlink(specDir, link); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(specDir, "mtlsgen.yaml")
	if err := os.WriteFile(spec, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// clusters/x/s is a link to ../shop: clusters/x/s/../shop/mtlsgen.yaml
	// is clusters/shop/mtlsgen.yaml to the system, not x/shop.
	if err := os.MkdirAll(filepath.Join(repo, "clusters", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../shop", filepath.Join(repo, "clusters", "x", "s")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(repo)
	for _, tc := range []struct {
		file, dir, component string
		warn                 bool
	}{
		{spec, filepath.Join(specDir, "rendered"), "", false},
		{"clusters/shop/mtlsgen.yaml", "clusters/shop/rendered", "", false},
		{spec, filepath.Join(link, "rendered"), "", false},
		{"clusters/x/s/../shop/mtlsgen.yaml", "clusters/shop/rendered", "", false},
		{"clusters/x/s/../shop/mtlsgen.yaml", "clusters/x/shop/rendered", "", true},
		{spec, "rendered", "", true}, // from the repository's root
		{spec, filepath.Join(specDir, "out"), "", true},
		{spec, "rendered", "mesh", false}, // one component is not the tree
		{"-", "rendered", "", false},      // no place to compare with
	} {
		got := unreadTree(m, tc.file, output.Format{Kind: "dir", Dir: tc.dir}, tc.component)
		if tc.warn != (got != "") || tc.warn && !strings.Contains(got, "which no Application reads (run -o dir=") {
			t.Errorf("%s, -o dir=%s, component %q: %q", tc.file, tc.dir, tc.component, got)
		}
	}
	plugin := *m
	plugin.Spec.ArgoCD.Source = v1alpha1.SourcePlugin
	if got := unreadTree(&plugin, spec, output.Format{Kind: "dir", Dir: "elsewhere"}, ""); got != "" {
		t.Errorf("source: plugin reads no tree, but: %q", got)
	}
}
