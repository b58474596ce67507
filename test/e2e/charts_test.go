//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
	"github.com/mtlsgen/mtlsgen/profiles"
	"github.com/mtlsgen/mtlsgen/test/e2e/harness"
)

// TestHydratedCharts: the cert-manager and trust-manager charts, as `mtlsgen
// render --hydrate` renders them with the values mtlsgen gives them in each
// profile (the real charts, shipped in their Go modules, stamped with the
// pinned versions), are applied as Argo CD's sync applies them, with no
// rejection and no warning, and Argo CD's diff then finds every object in
// sync: the README's "no ignoreDifferences" holds for the charts' output
// too. Linkerd's charts are only in linkerd/linkerd2, which this machine
// cannot reach.
//
// Two kinds of object are left out, each for its own reason:
//   - Helm hooks (cert-manager's startupapicheck Job): Argo CD runs them
//     as sync hooks and does not diff them;
//   - cert-manager's webhook configurations: in this cluster they are the
//     suite's own, registered for cert-manager's webhook running in the
//     test process; the chart's point at a Service with no pods, so every
//     cert-manager object after them would be refused.
func TestHydratedCharts(t *testing.T) {
	file := filepath.Join(repoRoot, "examples", "rendered.yaml")
	m := loadSpec(t, file)
	local := t.TempDir()
	var names []string
	for _, c := range generator.HelmCharts(m) {
		if c.Repo == generator.JetstackRepo {
			testutil.CopyJetstackChart(t, c.Chart, c.Version, filepath.Join(local, c.Chart))
			names = append(names, c.Chart)
		}
	}
	if len(names) != 2 {
		t.Fatalf("charts from %s: %v, want cert-manager and trust-manager", generator.JetstackRepo, names)
	}
	// Each profile gives the charts other values (replicas, disruption
	// budgets, spreading, resources, monitoring).
	for _, profile := range profiles.Names() {
		t.Run(profile, func(t *testing.T) {
			start := time.Now()
			defer func() { env.Timing.Since("hydrated charts, profile "+profile, start) }()
			var objs []*unstructured.Unstructured
			var cluster string
			for _, name := range names { // in stage order, as the ApplicationSet syncs them
				r := render(t, file, "--profile", profile, "--hydrate", "--charts", local, "--component", name)
				if len(r.ClusterNames) != 1 {
					t.Fatalf("%s: clusters %v, want one", name, r.ClusterNames)
				}
				cluster = r.ClusterNames[0]
				for _, o := range r.Clusters[cluster] {
					if !leftOut(o) {
						objs = append(objs, o)
					}
				}
			}

			checkHydrated(t, file, profile, local, names)
			c := newCluster(t, cluster+"-charts-"+profile, m.Spec.Trust.Namespace, objs)
			// CreateNamespace=true, as the charts' Applications sync.
			var namespaces []string
			for _, o := range objs {
				if ns := o.GetNamespace(); ns != "" && !slices.Contains(namespaces, ns) {
					namespaces = append(namespaces, ns)
					if err := c.CreateNamespace(ctxFor(t), ns, nil); err != nil {
						t.Fatal(err)
					}
				}
			}
			mustAccept(t, c, objs)
			if err := issued(ctxFor(t), c, certificates(t, objs)); err != nil {
				t.Fatal(err)
			}
			argoInSync(t, c, objs)
		})
	}
}

// checkHydrated runs `mtlsgen check` on what a hydrated tree holds for
// these charts and mtlsgen's own objects, whole (hooks and webhook
// configurations too), as the README's CI recipe does: it must be clean.
func checkHydrated(t *testing.T, file, profile, charts string, names []string) {
	t.Helper()
	var stream []byte
	for _, component := range append([]string{string(generator.ComponentMesh)}, names...) {
		args := []string{"render", file, "--profile", profile, "--component", component}
		if component != string(generator.ComponentMesh) {
			args = append(args, "--hydrate", "--charts", charts)
		}
		out, err := harness.Mtlsgen(env.Tools.Mtlsgen, args...)
		if err != nil {
			t.Fatal(err)
		}
		stream = append(append(stream, "---\n"...), out...)
	}
	path := filepath.Join(t.TempDir(), "hydrated.yaml")
	if err := os.WriteFile(path, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := harness.Mtlsgen(env.Tools.Mtlsgen, "check", path); err != nil {
		t.Errorf("mtlsgen check of the hydrated charts (profile %s): %v\n%s", profile, err, out)
	}
}

// leftOut says whether TestHydratedCharts leaves o out, and why (see there).
func leftOut(o *unstructured.Unstructured) bool {
	if _, hook := o.GetAnnotations()["helm.sh/hook"]; hook {
		return true
	}
	switch o.GetKind() {
	case "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration":
		return o.GetName() == "cert-manager-webhook"
	}
	return false
}
