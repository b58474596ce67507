package charts_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/charts"
	"github.com/mtlsgen/mtlsgen/internal/helmengine"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// LinkerdGitEnv names a git directory of linkerd/linkerd2 with its tags.
// Linkerd's charts are not in any Go module and no chart repository can be
// reached from the test machines, so this test runs only where such a
// clone exists: MTLSGEN_LINKERD2_GIT=/path/to/linkerd2/.git go test ./internal/charts
const linkerdGitEnv = "MTLSGEN_LINKERD2_GIT"

// Where each chart lives in linkerd/linkerd2.
var linkerdChartPaths = map[string]string{
	v1alpha1.ChartCRDs:         "charts/linkerd-crds",
	v1alpha1.ChartControlPlane: "charts/linkerd-control-plane",
	v1alpha1.ChartViz:          "viz/charts/linkerd-viz",
	v1alpha1.ChartMulticluster: "multicluster/charts/linkerd-multicluster",
	v1alpha1.ChartJaeger:       "jaeger/charts/linkerd-jaeger",
}

// linkerdCharts extracts a release's charts from git as the release
// packages them: the partials library chart vendored into charts/ (what
// `helm dependency build` does for its file:// dependency) and the chart
// version stamped.
func linkerdCharts(t *testing.T, git string, r v1alpha1.LinkerdRelease, cs []generator.HelmChart) string {
	t.Helper()
	src := t.TempDir()
	tarball := filepath.Join(t.TempDir(), "charts.tar")
	args := []string{"--git-dir", git, "archive", "--format=tar", "-o", tarball, r.Tag, "charts/partials"}
	for _, c := range cs {
		args = append(args, linkerdChartPaths[c.Chart])
	}
	if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
		t.Fatalf("git archive %s: %v %s", r.Tag, err, out)
	}
	if out, err := exec.Command("tar", "-xf", tarball, "-C", src).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	local := t.TempDir()
	version := regexp.MustCompile(`(?m)^version: .*$`)
	for _, c := range cs {
		dst := filepath.Join(local, c.Chart)
		testutil.CopyChart(t, filepath.Join(src, linkerdChartPaths[c.Chart]), dst, "")
		testutil.CopyChart(t, filepath.Join(src, "charts", "partials"), filepath.Join(dst, "charts", "partials"), "")
		p := filepath.Join(dst, "Chart.yaml")
		b, _ := os.ReadFile(p)
		os.WriteFile(p, version.ReplaceAll(b, []byte("version: "+c.Version)), 0o644)
	}
	return local
}

// Linkerd's real charts, at every release mtlsgen supports, rendered with
// the values it generates: with every certificate external they render no
// Secret (but an empty service-account token), no caBundle and no private key, pass the engine's
// render-twice check (the heartbeat schedule is pinned), and
// cert-manager's CA injector annotation names the webhook Certificate.
func TestHydrate_linkerdChartsFromGit(t *testing.T) {
	git := os.Getenv(linkerdGitEnv)
	if git == "" {
		t.Skipf("%s is not set: Linkerd's charts are only in linkerd/linkerd2", linkerdGitEnv)
	}
	for _, r := range v1alpha1.LinkerdReleases {
		t.Run(r.Version, func(t *testing.T) {
			m := loadExample(t, "multicluster")
			m.Spec.Linkerd.Version = r.Version
			m.Spec.Linkerd.Extensions.Jaeger.Enabled = r.HasJaeger()
			m.Spec.KubeVersion = "1.33"
			var cs []generator.HelmChart
			for _, c := range generator.HelmCharts(m) {
				if c.Repo == r.HelmRepo {
					cs = append(cs, c)
				}
			}
			hs, err := charts.Hydrate(context.Background(), cs, charts.HydrateOptions{
				Cache: charts.Cache{Dir: t.TempDir()}, Lock: &charts.Lock{}, Local: linkerdCharts(t, git, r, cs),
				Engine: helmengine.Engine{}, KubeVersion: m.Spec.KubeVersion, Log: io.Discard,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				text := string(h.Manifest)
				for _, o := range objects(t, h.Manifest) {
					// multicluster's service-account token Secret
					// is filled in by Kubernetes.
					if o.Kind == "Secret" && (o.Type != "kubernetes.io/service-account-token" || len(o.Data)+len(o.StringData) > 0) {
						t.Errorf("%s renders Secret %s/%s", h.Chart.Chart, o.Metadata.Namespace, o.Metadata.Name)
					}
				}
				if regexp.MustCompile(`caBundle: *[A-Za-z0-9+/=]{8,}`).MatchString(text) {
					t.Errorf("%s renders a caBundle", h.Chart.Chart)
				}
				if h.Chart.Chart == v1alpha1.ChartControlPlane {
					want := "schedule: \"" + generator.HeartbeatSchedule(m.Metadata.Name) + "\""
					if !strings.Contains(text, want) {
						t.Errorf("control plane: no %s", want)
					}
					if !strings.Contains(text, "cert-manager.io/inject-ca-from: linkerd/linkerd-proxy-injector") {
						t.Error("control plane: the proxy injector's CA is not injected from its Certificate")
					}
				}
			}
		})
	}
}
