//go:build e2e

package e2e

import (
	"crypto/x509"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/pkitest"
	"github.com/mtlsgen/mtlsgen/test/e2e/harness"
)

const rotationBase = `apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata: {name: rotation}
spec:
  profile: prod
  linkerd:
    extensions:
      viz: {enabled: true}
  argocd:
    repoURL: https://git.example.com/platform/mesh.git
    path: clusters/rotation
    targetRevision: main
  trust:
    anchors:
`

// The three reviewed git changes of a rotation (README), on a real API
// server with the real trust-manager: v1 (A), v2 (A and B, A active), v3
// (B active), v4 (A removed). Each version is rendered by the binary and
// synced by Argo CD's sync engine, wave by wave, pruning what the version
// before had and this one has not; at each step the bundle holds exactly the
// listed anchors, the identity issuer's chain verifies against it, and Argo
// CD's diff finds every object in sync. Proxy certificates stand in for
// pods: one issued before the rotation, one after.
func TestRotation(t *testing.T) {
	start := time.Now()
	defer func() { env.Timing.Since("rotation v1-v4", start) }()
	versions := []string{
		"      - {name: a, active: true, selfSigned: {}}\n",
		"      - {name: a, active: true, selfSigned: {}}\n      - {name: b, selfSigned: {}}\n",
		"      - {name: a, selfSigned: {}}\n      - {name: b, active: true, selfSigned: {}}\n",
		"      - {name: b, active: true, selfSigned: {}}\n",
	}
	var specs []*v1alpha1.MeshTLS
	var outputs [][]*unstructured.Unstructured
	var paths []string
	for i, anchors := range versions {
		path := writeSpec(t, fmt.Sprintf("v%d.yaml", i+1), rotationBase+anchors)
		paths = append(paths, path)
		specs = append(specs, loadSpec(t, path))
		outputs = append(outputs, render(t, path).Clusters[v1alpha1.InClusterName])
	}
	m1 := specs[0]
	var all []*unstructured.Unstructured
	for _, o := range outputs {
		all = append(all, o...)
	}
	c := newCluster(t, "rotation", m1.Spec.Trust.Namespace, all)
	ctx := ctxFor(t)
	id := "default.shop.serviceaccount.identity.linkerd.cluster.local"
	applied := &tracker{retries: retryLimit(t, paths[0], m1)}

	// v1: anchor A.
	applied.apply(t, c, outputs[0])
	st1 := waitTrust(t, c, specs[0])
	argoInSync(t, c, outputs[0])
	anchorA := only(t, st1.Bundle)
	mustChainTo(t, "v1: identity issuer", st1.Issuer.Cert, anchorA)
	leafA, err := pkitest.IssueWorkload(st1.Issuer, id, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	// v2: B added, not active. The bundle holds A and B; the identity
	// issuer is not re-issued; a proxy certificate under A still verifies.
	applied.apply(t, c, outputs[1])
	st2 := waitTrust(t, c, specs[1])
	if err := harness.Eventually(ctx, issueTimeout, func() error { return c.Settled(ctx) }); err != nil {
		t.Fatal(err)
	}
	st2 = waitTrust(t, c, specs[1])
	argoInSync(t, c, outputs[1])
	if !st2.Issuer.Cert.Equal(st1.Issuer.Cert) {
		t.Error("v2: adding an inactive anchor re-issued the identity issuer")
	}
	if err := pkitest.VerifyWorkload(leafA, pool(st2.Bundle)); err != nil {
		t.Errorf("v2: a proxy certificate under A does not verify against the A+B bundle: %v", err)
	}
	var anchorB *x509.Certificate
	for _, b := range st2.Bundle {
		if !b.Equal(anchorA) {
			anchorB = b
		}
	}

	// v3: B active. The identity issuer's issuerRef changed, so it is
	// re-issued under B at once and still verifies against the A+B bundle.
	applied.apply(t, c, outputs[2])
	st3 := waitTrust(t, c, specs[2], func(st *trustState) error {
		if st.Issuer.Cert.CheckSignatureFrom(anchorB) != nil {
			return fmt.Errorf("identity issuer not yet re-issued under B (issued by %q)", st.Issuer.Cert.Issuer.CommonName)
		}
		return nil
	})
	mustChainTo(t, "v3: identity issuer", st3.Issuer.Cert, anchorB)
	argoInSync(t, c, outputs[2])
	if diffCerts(st2.Bundle, st3.Bundle) != "" {
		t.Errorf("v3: the bundle changed although the anchors did not: %v -> %v", subjects(st2.Bundle), subjects(st3.Bundle))
	}
	leafB, err := pkitest.IssueWorkload(st3.Issuer, id, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := pkitest.VerifyWorkload(leafB, pool(st3.Bundle)); err != nil {
		t.Errorf("v3: a proxy certificate under B does not verify for pods holding the A+B bundle: %v", err)
	}
	if err := pkitest.VerifyWorkload(leafA, pool(st3.Bundle)); err != nil {
		t.Errorf("v3: a proxy certificate still under A stopped verifying: %v", err)
	}
	if err := pkitest.VerifyWorkload(leafB, pool(st1.Bundle)); err == nil {
		t.Error("v3: a pod never restarted (bundle A only) accepted a certificate under B; restarts would not matter")
	}

	// v4: A removed (and its Certificate and ClusterIssuer pruned). Only B
	// is trusted.
	applied.apply(t, c, outputs[3])
	st4 := waitTrust(t, c, specs[3])
	argoInSync(t, c, outputs[3])
	if got := only(t, st4.Bundle); !got.Equal(anchorB) {
		t.Errorf("v4: the bundle holds %q, want anchor B", got.Subject.CommonName)
	}
	mustChainTo(t, "v4: identity issuer", st4.Issuer.Cert, anchorB)
	if err := pkitest.VerifyWorkload(leafB, pool(st4.Bundle)); err != nil {
		t.Errorf("v4: a proxy certificate under B does not verify: %v", err)
	}
	if err := pkitest.VerifyWorkload(leafA, pool(st4.Bundle)); err == nil {
		t.Error("v4: a proxy certificate under the removed anchor A still verifies")
	}
	for _, name := range []string{generator.AnchorPrefix + "a"} {
		for _, kind := range []string{"Certificate", "ClusterIssuer"} {
			for _, o := range outputs[2] {
				if o.GetKind() == kind && o.GetName() == name {
					if _, err := c.Admin.Get(ctx, o); err == nil {
						t.Errorf("v4: %s was not pruned", harness.Ref(o))
					}
				}
			}
		}
	}
	t.Logf("rotation: A=%q, B=%q; issuer re-issued under B at v3; bundle A -> A+B -> A+B -> B", anchorA.Subject.CommonName, anchorB.Subject.CommonName)
}

// tracker syncs successive outputs as Argo CD's automated sync with prune
// does: the objects of the version before that a version no longer has are
// pruned.
type tracker struct {
	last    []*unstructured.Unstructured
	retries int // the generated Applications' syncPolicy.retry.limit
}

func (tr *tracker) apply(t *testing.T, c *harness.Cluster, objs []*unstructured.Unstructured) {
	t.Helper()
	mustSync(t, c, objs, tr.last, tr.retries)
	mustAccept(t, c, objs)
	tr.last = objs
}

func only(t *testing.T, certs []*x509.Certificate) *x509.Certificate {
	t.Helper()
	if len(certs) != 1 {
		t.Fatalf("want one certificate, got %v", subjects(certs))
	}
	return certs[0]
}

func pool(certs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

// mustChainTo checks that cert verifies against root alone.
func mustChainTo(t *testing.T, what string, cert, root *x509.Certificate) {
	t.Helper()
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool([]*x509.Certificate{root}), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("%s does not chain to %q: %v", what, root.Subject.CommonName, err)
	}
}
