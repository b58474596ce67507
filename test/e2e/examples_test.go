//go:build e2e

package e2e

import (
	"crypto/x509"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/test/e2e/harness"
)

// TestExamples: for every example and every cluster in it, on a fresh
// cluster: Argo CD's sync (gitops-engine's) converges on the first sync,
// wave by wave, every object healthy by Argo CD's health checks; the whole
// rendered output applied server-side, dry run first, gives no rejection
// and no warning; every pod-bearing object is admitted in
// a restricted namespace without a Pod Security warning; every Certificate
// is issued; trust-manager publishes exactly the listed anchors; the
// identity issuer verifies against them. In a fleet, each cluster's issuer
// also verifies against every other cluster's bundle. Whatever `mtlsgen
// render` emits goes through this, so new generators are checked the day
// they land.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			defer func() { env.Timing.Since("example "+name, start) }()
			m := loadSpec(t, file)
			r := renderExample(t, file, m)
			if os.Getenv("MTLSGEN_E2E_BREAK") != "" {
				breakOutput(t, r)
			}
			retries := retryLimit(t, file, m)
			p := provided{}
			issuers := map[string]*x509.Certificate{}
			bundles := map[string]*x509.CertPool{}
			for _, cluster := range r.ClusterNames {
				t.Run(cluster, func(t *testing.T) {
					st := checkCluster(t, m, r, cluster, p, retries)
					issuers[cluster] = st.Issuer.Cert
					pool := x509.NewCertPool()
					for _, c := range st.Bundle {
						pool.AddCert(c)
					}
					bundles[cluster] = pool
				})
			}
			if t.Failed() || len(issuers) < 2 {
				return
			}
			// A fleet shares its anchors: proxies in one cluster must
			// accept identities issued in another.
			for a, issuer := range issuers {
				for b, pool := range bundles {
					if _, err := issuer.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
						t.Errorf("cluster %s's identity issuer does not verify against cluster %s's bundle: %v", a, b, err)
					}
				}
			}
		})
	}
}

// checkCluster runs every check on one cluster of a rendered spec.
func checkCluster(t *testing.T, m *v1alpha1.MeshTLS, r *harness.Rendered, cluster string, p provided, retries int) *trustState {
	objs := r.Clusters[cluster]
	withFleet := fleetCluster(r) == cluster && len(r.Fleet) > 0
	all := objs
	if withFleet {
		all = append(append([]*unstructured.Unstructured(nil), objs...), r.Fleet...)
	}
	c := newCluster(t, cluster, m.Spec.Trust.Namespace, all)
	setUp(t, c, m, p)
	mustSync(t, c, objs, nil, retries)
	// Argo CD's dry run is client-side and it does not stop on a warning:
	// a strict server-side apply of the same must show no rejection and no
	// warning either.
	mustAccept(t, c, objs)

	if withFleet {
		// The fleet's objects (the ApplicationSet) go to the cluster Argo
		// CD runs in, whose namespace Argo CD's install made.
		if err := c.CreateNamespace(ctxFor(t), m.Spec.ArgoCD.Namespace, nil); err != nil {
			t.Fatal(err)
		}
		mustAccept(t, c, r.Fleet)
		objs = append(objs, r.Fleet...)
	}

	ps, n, err := restricted(ctxFor(t), c, objs)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) > 0 {
		t.Errorf("pod-bearing objects are not clean under the restricted Pod Security profile:\n%s", harness.Problems(ps))
	} else if n > 0 {
		t.Logf("%d pod-bearing objects admitted in a restricted namespace with no warning", n)
	}

	if err := issued(ctxFor(t), c, certificates(t, objs)); err != nil {
		t.Fatal(err)
	}
	if err := caIssuersGuarded(ctxFor(t), c, certificates(t, objs)); err != nil {
		t.Error(err)
	}
	st := waitTrust(t, c, m)
	argoInSync(t, c, objs)
	changed, err := stable(ctxFor(t), c, objs)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) > 0 {
		t.Errorf("applying the same output again changed objects (a GitOps tool would see drift):\n  %s", strings.Join(changed, "\n  "))
	}
	t.Logf("trust-manager published %d anchors %v; identity issuer %q verifies against them", len(st.Bundle), subjects(st.Bundle), st.Issuer.Cert.Subject.CommonName)
	return st
}

// renderExample renders an example as TestExamples applies it.
func renderExample(t *testing.T, file string, m *v1alpha1.MeshTLS) *harness.Rendered {
	t.Helper()
	if m.Spec.ArgoCD.Source == v1alpha1.SourceRendered {
		// Its Helm charts are hydrated from a chart repository, which
		// this machine cannot reach: apply mtlsgen's own objects.
		return render(t, file, "--component", string(generator.ComponentMesh))
	}
	return render(t, file)
}

// TestArgoCDHealthChecks: the Lua runner with which the suite's Argo CD
// sync judges health (test/e2e/gitopsengine) reaches Argo CD's own verdicts
// on Argo CD's own test cases, for every kind in the examples' output that
// Argo CD has a Lua health check for. Without it, a sync that waits on a
// wrongly judged Certificate would prove nothing.
func TestArgoCDHealthChecks(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	kinds := map[string]bool{}
	for _, file := range files {
		r := renderExample(t, file, loadSpec(t, file))
		var objs []*unstructured.Unstructured
		for _, c := range r.ClusterNames {
			objs = append(objs, r.Clusters[c]...)
		}
		for _, o := range append(objs, r.Fleet...) {
			gvk := o.GroupVersionKind()
			if gvk.Group == "" {
				continue // Kubernetes' core kinds: gitops-engine's own checks
			}
			kind := gvk.Group + "/" + gvk.Kind
			if _, err := os.Stat(filepath.Join(env.Tools.ArgoCDHealthScripts, kind, "health.lua")); err == nil {
				kinds[kind] = true
			}
		}
	}
	if !kinds["cert-manager.io/Certificate"] {
		t.Fatalf("no Lua health check found for Certificate in %s (kinds with one: %v)", env.Tools.ArgoCDHealthScripts, kinds)
	}
	checks, err := harness.CheckArgoCDHealthScripts(ctxFor(t), env.Tools, slices.Sorted(maps.Keys(kinds)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.Got != c.Want {
			t.Errorf("%s, %s: Argo CD says %q, the suite's runner %q", c.Kind, c.Input, c.Want, c.Got)
		}
	}
	t.Logf("%d of Argo CD's health test cases for %v give Argo CD's verdict", len(checks), slices.Sorted(maps.Keys(kinds)))
}

// fleetCluster is where the fleet's objects go: the cluster Argo CD runs in
// when it is one of the spec's, else the first.
func fleetCluster(r *harness.Rendered) string {
	for _, c := range r.ClusterNames {
		if c == v1alpha1.InClusterName {
			return c
		}
	}
	return r.ClusterNames[0]
}

// breakOutput sets one Certificate's duration to the bare number 24, which
// the suite must refuse; MTLSGEN_E2E_BREAK=1 make e2e shows it does.
func breakOutput(t *testing.T, r *harness.Rendered) {
	for _, c := range r.ClusterNames {
		for _, o := range r.Clusters[c] {
			if o.GetKind() == "Certificate" {
				_ = unstructured.SetNestedField(o.Object, int64(24), "spec", "duration")
				t.Logf("MTLSGEN_E2E_BREAK: set %s spec.duration to 24", harness.Ref(o))
				return
			}
		}
	}
}
