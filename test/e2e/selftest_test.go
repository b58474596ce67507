//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/test/e2e/harness"
)

// TestHarness_catchesBreakage is the suite's test of itself: each broken
// variant of a real output must fail the check that TestExamples relies
// on; a harness that passed them would prove nothing.
func TestHarness_catchesBreakage(t *testing.T) {
	start := time.Now()
	defer func() { env.Timing.Since("harness self-test", start) }()
	file := filepath.Join(repoRoot, "examples", "prod.yaml")
	m := loadSpec(t, file)
	r := render(t, file)
	appSet, err := harness.DecodeObjects([]byte(sampleApplicationSet))
	if err != nil {
		t.Fatal(err)
	}
	c := newCluster(t, "selftest", m.Spec.Trust.Namespace, append(appSet, r.Clusters[v1alpha1.InClusterName]...))
	setUp(t, c, m, provided{})
	ctx := ctxFor(t)
	objs := func() []*unstructured.Unstructured {
		var out []*unstructured.Unstructured
		for _, o := range r.Clusters[v1alpha1.InClusterName] {
			out = append(out, o.DeepCopy())
		}
		return out
	}
	find := func(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
		for _, o := range objs {
			if o.GetKind() == kind && o.GetName() == name {
				return o
			}
		}
		t.Fatalf("no %s %s in the output", kind, name)
		return nil
	}

	rejected := map[string]struct {
		breakIt func([]*unstructured.Unstructured)
		want    string
	}{
		"a Certificate with duration: 24": {
			breakIt: func(o []*unstructured.Unstructured) {
				set(t, find(o, "Certificate", generator.IdentityIssuerName), int64(24), "spec", "duration")
			},
			want: "spec.duration",
		},
		"a Certificate with a misspelt field": {
			breakIt: func(o []*unstructured.Unstructured) {
				set(t, find(o, "Certificate", generator.IdentityIssuerName), "48h", "spec", "durration")
			},
			want: "field not declared in schema",
		},
		"a Bundle source naming two kinds of object": {
			breakIt: func(o []*unstructured.Unstructured) {
				b := find(o, "Bundle", generator.TrustRootsName)
				sources, _, _ := unstructured.NestedSlice(b.Object, "spec", "sources")
				sources[0].(map[string]any)["configMap"] = map[string]any{"name": "x", "key": "ca.crt"}
				set(t, b, sources, "spec", "sources")
			},
			want: "spec.sources",
		},
		"a Certificate that renews before it is issued (caught by cert-manager's webhook)": {
			breakIt: func(o []*unstructured.Unstructured) {
				set(t, find(o, "Certificate", generator.IdentityIssuerName), "2000h", "spec", "renewBefore")
			},
			want: harness.CertManagerWebhook,
		},
		"a namespaced kind without a namespace (caught by the harness)": {
			breakIt: func(o []*unstructured.Unstructured) {
				find(o, "Certificate", generator.IdentityIssuerName).SetNamespace("")
			},
			want: "has no namespace",
		},
	}
	for name, tc := range rejected {
		t.Run(name, func(t *testing.T) {
			o := objs()
			tc.breakIt(o)
			ps := accept(ctx, c, o)
			if len(ps) == 0 {
				t.Fatal("the API server accepted it: the suite would pass a broken output")
			}
			if !strings.Contains(harness.Problems(ps), tc.want) {
				t.Errorf("problems do not mention %q:\n%s", tc.want, harness.Problems(ps))
			}
			t.Logf("caught:\n%s", harness.Problems(ps))
		})
	}

	// Argo CD's CRDs install and validate (a control for what issue 4's
	// ApplicationSet will go through).
	t.Run("an ApplicationSet is admitted", func(t *testing.T) {
		if err := c.CreateNamespace(ctx, "argocd", nil); err != nil {
			t.Fatal(err)
		}
		if ps := accept(ctx, c, appSet); len(ps) > 0 {
			t.Fatalf("a valid ApplicationSet was refused:\n%s", harness.Problems(ps))
		}
	})
	t.Run("an ApplicationSet without generators", func(t *testing.T) {
		o := appSet[0].DeepCopy()
		o.SetName("e2e-broken")
		unstructured.RemoveNestedField(o.Object, "spec", "generators")
		ps := accept(ctx, c, []*unstructured.Unstructured{o})
		if len(ps) == 0 || !strings.Contains(harness.Problems(ps), "generators") {
			t.Fatalf("an ApplicationSet without generators was not refused: %v", ps)
		}
		t.Logf("caught:\n%s", harness.Problems(ps))
	})

	t.Run("a CronJob that breaks the restricted Pod Security profile", func(t *testing.T) {
		cj, err := harness.DecodeObjects([]byte(`apiVersion: batch/v1
kind: CronJob
metadata: {name: e2e-root-cronjob, namespace: linkerd}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: c, image: registry.example/c:1}]
`))
		if err != nil {
			t.Fatal(err)
		}
		ps, n, err := restricted(ctx, c, cj)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || len(ps) == 0 || !strings.Contains(harness.Problems(ps), "violate PodSecurity") {
			t.Fatalf("no Pod Security warning for a CronJob running as root (%d objects): %v", n, ps)
		}
		t.Logf("caught:\n%s", harness.Problems(ps))
	})

	t.Run("an identity issuer signed outside the bundle", func(t *testing.T) {
		o := objs()
		set(t, find(o, "Certificate", generator.IdentityIssuerName), generator.WebhookCAName, "spec", "issuerRef", "name")
		if ps := accept(ctx, c, o); len(ps) > 0 {
			t.Fatalf("setting up: %s", harness.Problems(ps))
		}
		if err := issued(ctx, c, certificates(t, o)); err != nil {
			t.Fatal(err)
		}
		err := harness.Eventually(ctx, 20*time.Second, func() error {
			_, err := c.Admin.Kube.CoreV1().ConfigMaps(m.Spec.Linkerd.Namespace).Get(ctx, generator.TrustRootsName, metav1.GetOptions{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = checkTrust(ctx, c, m)
		if err == nil || !strings.Contains(err.Error(), "does not verify against the bundle") {
			t.Fatalf("checkTrust: %v; want the identity issuer refused", err)
		}
		t.Logf("caught: %v", err)
	})

	t.Run("a Bundle that writes another key", func(t *testing.T) {
		o := objs()
		set(t, find(o, "Bundle", generator.TrustRootsName), "roots.pem", "spec", "target", "configMap", "key")
		if ps := accept(ctx, c, o); len(ps) > 0 {
			t.Fatalf("setting up: %s", harness.Problems(ps))
		}
		err := harness.Eventually(ctx, 20*time.Second, func() error {
			cm, err := c.Admin.Kube.CoreV1().ConfigMaps(m.Spec.Linkerd.Namespace).Get(ctx, generator.TrustRootsName, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if _, ok := cm.Data["roots.pem"]; !ok {
				return errNotYet
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = checkTrust(context.Background(), c, m)
		if err == nil {
			t.Fatal("checkTrust passed with the roots under another key")
		}
		t.Logf("caught: %v", err)
	})

	// Waves that do not converge: an anchor's CA ClusterIssuer synced in
	// the self-signing Issuer's wave, before the anchor Certificate whose
	// Secret it needs. cert-manager reports the ClusterIssuer not Ready,
	// Argo CD's health check calls that Degraded, and every sync fails
	// there. On a fresh cluster, as a first sync is.
	t.Run("a ClusterIssuer in a wave before its anchor", func(t *testing.T) {
		o := objs()
		issuer := find(o, "ClusterIssuer", generator.AnchorPrefix+m.Spec.Trust.Anchors[0].Name)
		annotations := issuer.GetAnnotations()
		annotations[generator.AnnotationSyncWave] = "1"
		issuer.SetAnnotations(annotations)
		fresh := newCluster(t, "selftest-waves", m.Spec.Trust.Namespace, o)
		// Retries do not help: every attempt stops at the same wave.
		s, err := fresh.ArgoSync(ctxFor(t), env.Tools, o, nil, 2, 60*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if s.Phase == "Succeeded" {
			t.Fatalf("Argo CD's sync succeeded after %d attempts: the suite would pass waves that do not converge", s.Attempts)
		}
		for _, r := range s.Resources {
			if r.Object == harness.Ref(issuer) && r.Health == "Succeeded" {
				t.Errorf("the ClusterIssuer synced before its anchor was healthy: %+v", r)
			}
		}
		t.Logf("caught: %s after %d attempts: %q", s.Phase, s.Attempts, s.Failed)
	})

	// An older revision synced: the cluster holds an identity issuer
	// Certificate of another duration, everything else as rendered. Argo
	// CD's diff, in both strategies, must show that Certificate and only it.
	t.Run("an object Argo CD must show as out of sync", func(t *testing.T) {
		o := objs()
		issuer := find(o, "Certificate", generator.IdentityIssuerName)
		set(t, issuer, "72h0m0s", "spec", "duration")
		if ps := accept(ctx, c, o); len(ps) > 0 {
			t.Fatalf("setting up: %s", harness.Problems(ps))
		}
		diffs, err := c.ArgoDiff(ctx, env.Tools, objs())
		if err != nil {
			t.Fatal(err)
		}
		want := harness.Ref(issuer)
		got := map[string]bool{}
		for _, d := range diffs {
			if d.Object != want || !strings.Contains(d.Diff, "72h0m0s") {
				t.Errorf("unexpected difference: %s", d)
				continue
			}
			got[d.Strategy] = true
		}
		for _, s := range []string{"legacy", "server-side"} {
			if !got[s] {
				t.Errorf("Argo CD's %s diff does not show %s with duration 72h0m0s in the cluster: %v", s, want, diffs)
			}
		}
		if !t.Failed() {
			t.Logf("caught:\n%s", diffs[0])
		}
	})
}

const sampleApplicationSet = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: e2e-sample, namespace: argocd}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - list:
      elements:
      - {cluster: in-cluster, url: "https://kubernetes.default.svc"}
  template:
    metadata: {name: "mesh-{{.cluster}}"}
    spec:
      project: default
      source: {repoURL: "https://git.example.com/mesh.git", path: ., targetRevision: main}
      destination: {server: "{{.url}}", namespace: linkerd}
      syncPolicy:
        syncOptions: [ServerSideApply=true]
`

var errNotYet = errorString("not yet")

type errorString string

func (e errorString) Error() string { return string(e) }

func set(t *testing.T, o *unstructured.Unstructured, v any, path ...string) {
	t.Helper()
	if err := unstructured.SetNestedField(o.Object, v, path...); err != nil {
		t.Fatal(err)
	}
}
