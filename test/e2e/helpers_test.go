//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"github.com/cert-manager/cert-manager/pkg/util/pki"
	cmwebhook "github.com/cert-manager/cert-manager/test/webhook"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/load"
	"github.com/mtlsgen/mtlsgen/internal/pkitest"
	"github.com/mtlsgen/mtlsgen/test/e2e/harness"
)

// fieldManager is the applier's field manager: Argo CD's, as its
// server-side apply sync would leave the objects.
const fieldManager = harness.ArgoCDManager

// restrictedNamespace is where pod-bearing objects are applied a second
// time to show they meet the restricted Pod Security profile.
const restrictedNamespace = "e2e-psa-restricted"

// issueTimeout bounds how long issuance and trust-manager may take.
const issueTimeout = 60 * time.Second

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}

// newCluster starts a fresh cluster with the CRDs objs need and
// cert-manager's admission webhook, stopped when the test ends; a failed
// test names the logs.
func newCluster(t *testing.T, name, trustNamespace string, objs []*unstructured.Unstructured) *harness.Cluster {
	t.Helper()
	ctx := ctxFor(t)
	c, err := env.NewCluster(ctx, name, trustNamespace, objs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("cluster %s logs: %s (kube-apiserver.log, trust-manager.log); cert-manager's controller and webhook: %s",
				name, c.Dir, filepath.Join(env.WorkDir, "cert-manager.log"))
		}
		c.Stop()
	})
	useCertManagerWebhook(t, ctx, c)
	return c
}

// useCertManagerWebhook runs cert-manager's real admission webhook (its
// validation of every cert-manager object, beyond what the CRD schemas
// check) in this test process, with the test helper cert-manager's own
// module ships, and registers it with the cluster's API server. It stops
// before the cluster does.
func useCertManagerWebhook(t *testing.T, ctx context.Context, c *harness.Cluster) {
	t.Helper()
	start := time.Now()
	srv, stop := cmwebhook.StartWebhookServer(t, []string{"--kubeconfig=" + c.API.AdminKubeconfig})
	t.Cleanup(stop)
	if err := c.UseCertManagerWebhook(ctx, srv.URL, srv.CAPEM); err != nil {
		t.Fatal(err)
	}
	env.Timing.Since("start cert-manager's webhook for "+c.Name, start)
}

func loadSpec(t *testing.T, path string) *v1alpha1.MeshTLS {
	t.Helper()
	m, err := load.LoadFile(path, nil, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func render(t *testing.T, spec string, extra ...string) *harness.Rendered {
	t.Helper()
	r, err := harness.Render(env.Tools.Mtlsgen, spec, env.WorkDir, extra...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// writeSpec writes a spec into the test's temporary directory.
func writeSpec(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// provided holds what exists outside mtlsgen and must be the same in every
// cluster of a fleet: bring-your-own anchor keypairs and external CAs, by
// anchor name.
type provided map[string]*pkitest.Secret

// setUp creates what the spec expects to exist before its objects are
// applied, as the user (or cert-manager's and Argo CD's installs) would:
// bring-your-own anchor Secrets and external CAs in the trust namespace,
// the external issuers (signing with those CAs), and the application
// namespaces the restarter is told about.
func setUp(t *testing.T, c *harness.Cluster, m *v1alpha1.MeshTLS, p provided) {
	t.Helper()
	ctx := ctxFor(t)
	ns := m.Spec.Trust.Namespace
	for _, a := range m.Spec.Trust.Anchors {
		if a.SelfSigned != nil {
			continue
		}
		ca := p[a.Name]
		if ca == nil {
			var err error
			if ca, err = pkitest.NewCA(a.Name+".example", 87600*time.Hour); err != nil {
				t.Fatal(err)
			}
			p[a.Name] = ca
		}
		switch {
		case a.Secret != nil:
			createSecret(t, c, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: a.Secret.Name, Namespace: ns},
				Type:       corev1.SecretTypeTLS,
				Data:       map[string][]byte{"tls.crt": ca.TLSCrt, "tls.key": ca.TLSKey},
			})
		case a.External != nil:
			r := a.External.IssuerRef
			c.Issuer.RegisterExternal(r.Kind, r.Group, r.Name, ca)
			if cm := a.External.CA.ConfigMap; cm != nil {
				_, err := c.Admin.Kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
					ObjectMeta: metav1.ObjectMeta{Name: cm.Name, Namespace: ns},
					Data:       map[string]string{cm.Key: string(ca.TLSCrt)},
				}, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
			} else {
				s := a.External.CA.Secret
				createSecret(t, c, &corev1.Secret{
					ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: ns},
					Data:       map[string][]byte{s.Key: ca.TLSCrt},
				})
			}
		}
	}
	for _, n := range m.Spec.Restarter.DataPlane.Namespaces {
		if err := c.CreateNamespace(ctx, n, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func createSecret(t *testing.T, c *harness.Cluster, s *corev1.Secret) {
	t.Helper()
	if _, err := c.Admin.Kube.CoreV1().Secrets(s.Namespace).Create(ctxFor(t), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// accept applies objects as a GitOps tool would on a fresh cluster:
// namespaces first (a namespaced object cannot even be dry-run before its
// namespace exists), then everything, each time server-side with
// --dry-run=server first and then for real. It returns every rejection and
// warning.
func accept(ctx context.Context, c *harness.Cluster, objs []*unstructured.Unstructured) []harness.Problem {
	var namespaces []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "Namespace" && o.GetAPIVersion() == "v1" {
			namespaces = append(namespaces, o)
		}
	}
	var out []harness.Problem
	for _, batch := range [][]*unstructured.Unstructured{namespaces, objs} {
		for _, dry := range []bool{true, false} {
			ps := c.Admin.Apply(ctx, batch, harness.ApplyOptions{FieldManager: fieldManager, DryRun: dry})
			out = append(out, ps...)
			if len(ps) > 0 {
				return out // do not apply for real what the dry run refused
			}
		}
	}
	return out
}

func mustAccept(t *testing.T, c *harness.Cluster, objs []*unstructured.Unstructured) {
	t.Helper()
	if ps := accept(ctxFor(t), c, objs); len(ps) > 0 {
		t.Fatalf("the API server did not accept the output cleanly (%d problems):\n%s", len(ps), harness.Problems(ps))
	}
}

// syncTimeout bounds an Argo CD sync: every wave's issuance included.
const syncTimeout = 2 * time.Minute

// mustSync syncs objs as Argo CD's application controller syncs an
// Application with ServerSideApply=true, automated prune and a
// syncPolicy.retry of retries (gitops-engine's sync: a dry run, then wave by
// wave, each wave waiting until its objects are healthy by Argo CD's own
// health checks; a failed sync runs again; what managed, the previous
// sync's objects, holds and objs does not is pruned). It fails the test
// unless the sync succeeds with every object synced, each wave but the
// last healthy before the next began: the output converges, in its waves'
// order. A sync that needed a retry is logged with why.
func mustSync(t *testing.T, c *harness.Cluster, objs, managed []*unstructured.Unstructured, retries int) {
	t.Helper()
	s, err := c.ArgoSync(ctxFor(t), env.Tools, objs, managed, retries, syncTimeout)
	if err != nil {
		t.Fatal(err)
	}
	// The sync waits for a wave's objects to be healthy before the next
	// wave; it ends once the last wave is applied, leaving that wave's
	// health to the Application's.
	last := 0
	for _, r := range s.Resources {
		last = max(last, r.Wave)
	}
	var lines []string
	bad := s.Phase != "Succeeded" || len(s.Resources) < len(objs)
	for _, r := range s.Resources {
		line := fmt.Sprintf("wave %d: %s: %s, %s", r.Wave, r.Object, r.Status, r.Health)
		if r.Message != "" {
			line += ": " + r.Message
		}
		if (r.Status != "Synced" && r.Status != "Pruned") || (r.Wave < last && r.Status == "Synced" && r.Health != "Succeeded") {
			bad = true
			line += "  <--"
		}
		lines = append(lines, line)
	}
	if bad {
		t.Fatalf("Argo CD's sync of %d objects: %s (%s) after %d attempts (retried: %q), %d objects reported:\n  %s",
			len(objs), s.Phase, s.Message, s.Attempts, s.Failed, len(s.Resources), strings.Join(lines, "\n  "))
	}
	t.Logf("Argo CD's sync: %s, %d objects in waves 0 to %d, %d rounds", s.Phase, len(s.Resources), last, s.Rounds)
	for i, f := range s.Failed {
		t.Logf("  attempt %d failed and was retried (as syncPolicy.retry does): %s", i+1, f)
	}
}

// retryLimit is the syncPolicy.retry.limit of the Applications that the
// spec's ApplicationSet generates (0 without one).
func retryLimit(t *testing.T, spec string, m *v1alpha1.MeshTLS) int {
	t.Helper()
	if !v1alpha1.IsEnabled(m.Spec.ArgoCD.Enabled) {
		return 0 // no ApplicationSet: component argocd renders nothing, which render refuses
	}
	out, err := harness.Mtlsgen(env.Tools.Mtlsgen, "render", spec, "--component", string(generator.ComponentArgoCD))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := harness.DecodeObjects(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetKind() != "ApplicationSet" {
			continue
		}
		// A number decoded from YAML is a float64.
		limit, found, err := unstructured.NestedFloat64(o.Object, "spec", "template", "spec", "syncPolicy", "retry", "limit")
		if err != nil {
			t.Fatal(err)
		}
		if found {
			return int(limit)
		}
	}
	return 0
}

// argoInSync fails the test for every object Argo CD's own diff, in its
// legacy or its server-side strategy, would show as out of sync now that
// objs are applied (as Argo CD's sync applies them) and the controllers
// have settled: such an object would be synced again and again, or leave
// its Application OutOfSync for good.
func argoInSync(t *testing.T, c *harness.Cluster, objs []*unstructured.Unstructured) {
	t.Helper()
	diffs, err := c.ArgoDiff(ctxFor(t), env.Tools, objs)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Errorf("Argo CD would show %s", d)
	}
	if len(diffs) == 0 {
		t.Logf("Argo CD's diff (legacy and server-side) finds all %d objects in sync", len(objs))
	}
}

// stable applies objs again, for real, once the controllers have settled,
// and reports every object that changed: the output must be a fixed point
// of server-side apply, or a GitOps tool would find drift on every sync.
// An object's generation is compared where it has one (others write the
// status of Certificates and Bundles), its resourceVersion otherwise.
func stable(ctx context.Context, c *harness.Cluster, objs []*unstructured.Unstructured) ([]string, error) {
	version := func(o *unstructured.Unstructured) (string, error) {
		live, err := c.Admin.Get(ctx, o)
		if err != nil {
			return "", err
		}
		if g := live.GetGeneration(); g > 0 {
			return fmt.Sprintf("generation %d", g), nil
		}
		return "resourceVersion " + live.GetResourceVersion(), nil
	}
	before := map[string]string{}
	for _, o := range objs {
		v, err := version(o)
		if err != nil {
			return nil, err
		}
		before[harness.Ref(o)] = v
	}
	if ps := c.Admin.Apply(ctx, objs, harness.ApplyOptions{FieldManager: fieldManager}); len(ps) > 0 {
		return nil, fmt.Errorf("applying again:\n%s", harness.Problems(ps))
	}
	var changed []string
	for _, o := range objs {
		v, err := version(o)
		if err != nil {
			return nil, err
		}
		if v != before[harness.Ref(o)] {
			changed = append(changed, fmt.Sprintf("%s (%s -> %s)", harness.Ref(o), before[harness.Ref(o)], v))
		}
	}
	return changed, nil
}

// podTemplateKinds are the kinds Pod Security admission checks through a
// pod template (it warns, never rejects, for these).
var podTemplateKinds = []string{"CronJob", "Job", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Pod"}

// restricted applies every pod-bearing object of objs again in a namespace
// enforcing and warning on the restricted Pod Security profile, and returns
// the problems, Pod Security warnings among them.
func restricted(ctx context.Context, c *harness.Cluster, objs []*unstructured.Unstructured) ([]harness.Problem, int, error) {
	var copies []*unstructured.Unstructured
	for _, o := range objs {
		if slices.Contains(podTemplateKinds, o.GetKind()) {
			cp := o.DeepCopy()
			cp.SetNamespace(restrictedNamespace)
			copies = append(copies, cp)
		}
	}
	if len(copies) == 0 {
		return nil, 0, nil
	}
	err := c.CreateNamespace(ctx, restrictedNamespace, map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	})
	if err != nil {
		return nil, 0, err
	}
	var out []harness.Problem
	for _, dry := range []bool{true, false} {
		out = append(out, c.Admin.Apply(ctx, copies, harness.ApplyOptions{FieldManager: fieldManager, DryRun: dry})...)
	}
	return out, len(copies), nil
}

// certificates returns the typed Certificates among objs.
func certificates(t *testing.T, objs []*unstructured.Unstructured) []*cmapi.Certificate {
	t.Helper()
	var out []*cmapi.Certificate
	for _, o := range objs {
		if o.GetKind() != "Certificate" || !strings.HasPrefix(o.GetAPIVersion(), "cert-manager.io/") {
			continue
		}
		crt := &cmapi.Certificate{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, crt); err != nil {
			t.Fatal(err)
		}
		out = append(out, crt)
	}
	return out
}

// issued waits until every Certificate in objs has its Secret, then checks
// each Secret as Linkerd, the API server and the proxies will use it: the
// certificate matches the Certificate, and a certificate signed by a CA
// verifies against the ca.crt next to it (what cainjector injects) for its
// DNS names and usages.
func issued(ctx context.Context, c *harness.Cluster, certs []*cmapi.Certificate) error {
	for _, crt := range certs {
		var s *corev1.Secret
		err := harness.Eventually(ctx, issueTimeout, func() error {
			var err error
			s, err = c.Admin.Kube.CoreV1().Secrets(crt.Namespace).Get(ctx, crt.Spec.SecretName, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("%w (cert-manager: %v; external issuers: %v)", err, c.CertManager.Err(), c.Issuer.Err())
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("Certificate %s/%s was never issued: %w", crt.Namespace, crt.Name, err)
		}
		if err := checkSecret(crt, s); err != nil {
			return fmt.Errorf("Certificate %s/%s: %w", crt.Namespace, crt.Name, err)
		}
	}
	return nil
}

func checkSecret(crt *cmapi.Certificate, s *corev1.Secret) error {
	if s.Type != corev1.SecretTypeTLS {
		return fmt.Errorf("Secret type %s", s.Type)
	}
	chain, err := pki.DecodeX509CertificateChainBytes(s.Data["tls.crt"])
	if err != nil {
		return err
	}
	leaf := chain[0]
	if leaf.Subject.CommonName != crt.Spec.CommonName || leaf.IsCA != crt.Spec.IsCA {
		return fmt.Errorf("certificate CN %q isCA %v does not match the spec", leaf.Subject.CommonName, leaf.IsCA)
	}
	if t := crt.Spec.SecretTemplate; t != nil {
		for k, v := range t.Labels {
			if s.Labels[k] != v {
				return fmt.Errorf("Secret lacks secretTemplate label %s=%s", k, v)
			}
		}
	}
	if crt.Spec.IsCA && bytes.Equal(leaf.RawIssuer, leaf.RawSubject) {
		return nil // a root
	}
	roots, err := pkitest.Pool(s.Data["ca.crt"])
	if err != nil {
		return fmt.Errorf("ca.crt: %w", err)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	if slices.Contains(crt.Spec.Usages, cmapi.UsageServerAuth) && !crt.Spec.IsCA {
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	for _, dns := range append([]string{""}, crt.Spec.DNSNames...) {
		opts.DNSName = dns
		if _, err := leaf.Verify(opts); err != nil {
			return fmt.Errorf("does not verify against its ca.crt (DNS name %q): %w", dns, err)
		}
	}
	return nil
}

// expectedAnchors reads, from the cluster, the certificate of every anchor
// the spec lists: what trust-manager must publish.
func expectedAnchors(ctx context.Context, c *harness.Cluster, m *v1alpha1.MeshTLS) ([]*x509.Certificate, error) {
	ns := m.Spec.Trust.Namespace
	var out []*x509.Certificate
	for i := range m.Spec.Trust.Anchors {
		a := &m.Spec.Trust.Anchors[i]
		var pemBytes []byte
		switch {
		case a.External != nil && a.External.CA.ConfigMap != nil:
			cm, err := c.Admin.Kube.CoreV1().ConfigMaps(ns).Get(ctx, a.External.CA.ConfigMap.Name, metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			pemBytes = []byte(cm.Data[a.External.CA.ConfigMap.Key])
		case a.External != nil:
			s, err := c.Admin.Kube.CoreV1().Secrets(ns).Get(ctx, a.External.CA.Secret.Name, metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			pemBytes = s.Data[a.External.CA.Secret.Key]
		default:
			s, err := c.Admin.Kube.CoreV1().Secrets(ns).Get(ctx, generator.AnchorSecretName(a), metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			pemBytes = s.Data["tls.crt"]
		}
		cert, err := pki.DecodeX509CertificateBytes(pemBytes)
		if err != nil {
			return nil, fmt.Errorf("anchor %s: %w", a.Name, err)
		}
		out = append(out, cert)
	}
	return out, nil
}

// trustState is what the mesh sees in one cluster: the bundle trust-manager
// published and the identity issuer.
type trustState struct {
	BundlePEM string
	Bundle    []*x509.Certificate
	Issuer    *pkitest.Secret
}

// checkTrust checks that trust-manager published ConfigMap
// linkerd-identity-trust-roots in the Linkerd namespace, key ca-bundle.crt,
// holding exactly the listed anchors (no more, no fewer, no leaf), and that
// the identity issuer Secret is a CA that verifies against it with
// crypto/x509, as Linkerd's identity controller requires.
func checkTrust(ctx context.Context, c *harness.Cluster, m *v1alpha1.MeshTLS) (*trustState, error) {
	ln := m.Spec.Linkerd.Namespace
	want, err := expectedAnchors(ctx, c, m)
	if err != nil {
		return nil, err
	}
	cm, err := c.Admin.Kube.CoreV1().ConfigMaps(ln).Get(ctx, generator.TrustRootsName, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("trust-manager has not published the trust roots: %w", err)
	}
	text, ok := cm.Data[generator.TrustRootsKey]
	if !ok {
		return nil, fmt.Errorf("ConfigMap %s/%s has no key %s (keys: %v)", ln, cm.Name, generator.TrustRootsKey, keys(cm.Data))
	}
	got, err := pki.DecodeX509CertificateSetBytes([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", generator.TrustRootsKey, err)
	}
	if d := diffCerts(want, got); d != "" {
		return nil, fmt.Errorf("the bundle does not hold exactly the listed anchors: %s", d)
	}
	s, err := c.Admin.Kube.CoreV1().Secrets(ln).Get(ctx, generator.IdentityIssuerName, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("identity issuer: %w", err)
	}
	issuer, err := secretKeypair(s)
	if err != nil {
		return nil, err
	}
	if !issuer.Cert.IsCA || issuer.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, errors.New("the identity issuer is not a CA")
	}
	pool, err := pkitest.Pool([]byte(text))
	if err != nil {
		return nil, err
	}
	if _, err := issuer.Cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("the identity issuer (issued by %q) does not verify against the bundle: %w", issuer.Cert.Issuer.CommonName, err)
	}
	for _, b := range got {
		if b.Equal(issuer.Cert) {
			return nil, errors.New("the bundle holds the identity issuer")
		}
	}
	return &trustState{BundlePEM: text, Bundle: got, Issuer: issuer}, nil
}

// waitTrust waits until checkTrust passes, and then so does each extra
// condition.
func waitTrust(t *testing.T, c *harness.Cluster, m *v1alpha1.MeshTLS, also ...func(*trustState) error) *trustState {
	t.Helper()
	ctx := ctxFor(t)
	var st *trustState
	err := harness.Eventually(ctx, issueTimeout, func() error {
		if err := c.TrustManager.Running(); err != nil {
			return err
		}
		var err error
		if st, err = checkTrust(ctx, c, m); err != nil {
			return err
		}
		for _, f := range also {
			if err := f(st); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v\n(cert-manager: %v; external issuers: %v; trust-manager log: %s)", err, c.CertManager.Err(), c.Issuer.Err(), c.TrustManager.Log())
	}
	return st
}

func secretKeypair(s *corev1.Secret) (*pkitest.Secret, error) {
	cert, err := pki.DecodeX509CertificateBytes(s.Data["tls.crt"])
	if err != nil {
		return nil, fmt.Errorf("Secret %s/%s: %w", s.Namespace, s.Name, err)
	}
	key, err := pki.DecodePrivateKeyBytes(s.Data["tls.key"])
	if err != nil {
		return nil, fmt.Errorf("Secret %s/%s: %w", s.Namespace, s.Name, err)
	}
	return &pkitest.Secret{TLSCrt: s.Data["tls.crt"], TLSKey: s.Data["tls.key"], CACrt: s.Data["ca.crt"], Key: key, Cert: cert}, nil
}

// diffCerts compares two certificate lists as multisets.
func diffCerts(want, got []*x509.Certificate) string {
	var missing, extra []string
	rest := slices.Clone(got)
	for _, w := range want {
		i := slices.IndexFunc(rest, w.Equal)
		if i < 0 {
			missing = append(missing, w.Subject.CommonName)
			continue
		}
		rest = slices.Delete(rest, i, i+1)
	}
	for _, r := range rest {
		extra = append(extra, r.Subject.CommonName)
	}
	if len(missing)+len(extra) == 0 {
		return ""
	}
	return fmt.Sprintf("missing %q, unexpected %q", missing, extra)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func subjects(certs []*x509.Certificate) []string {
	var out []string
	for _, c := range certs {
		out = append(out, c.Subject.CommonName)
	}
	slices.Sort(out)
	return out
}

// caIssuersGuarded asks, as a namespace editor would, for a copy of every
// Certificate that names one of mtlsgen's CA ClusterIssuers, in another
// namespace: the
// admission policy in the output must refuse each (issued has shown it
// admits the originals, and their CertificateRequests).
func caIssuersGuarded(ctx context.Context, c *harness.Cluster, certs []*cmapi.Certificate) error {
	const tenant = "tenant"
	if err := c.CreateNamespace(ctx, tenant, nil); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	gvr := cmapi.SchemeGroupVersion.WithResource("certificates")
	tried := 0
	for _, crt := range certs {
		ref := crt.Spec.IssuerRef
		if ref.Kind != cmapi.ClusterIssuerKind || !strings.HasPrefix(ref.Name, generator.AnchorPrefix) && ref.Name != generator.WebhookCAName {
			continue // an external anchor's issuer is the user's to guard
		}
		tried++
		rogue := &cmapi.Certificate{
			TypeMeta:   metav1.TypeMeta{APIVersion: cmapi.SchemeGroupVersion.String(), Kind: cmapi.CertificateKind},
			ObjectMeta: metav1.ObjectMeta{Name: "rogue-" + crt.Name, Namespace: tenant},
			Spec:       *crt.Spec.DeepCopy(),
		}
		rogue.Spec.SecretName = "rogue-" + crt.Spec.SecretName
		raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(rogue)
		if err != nil {
			return err
		}
		// A new policy takes a moment to reach the API server's admission.
		err = harness.Eventually(ctx, 30*time.Second, func() error {
			_, err := c.Admin.Dynamic.Resource(gvr).Namespace(tenant).Create(ctx, &unstructured.Unstructured{Object: raw}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			switch {
			case err == nil:
				return fmt.Errorf("a Certificate in namespace %s naming ClusterIssuer %s was admitted", tenant, crt.Spec.IssuerRef.Name)
			case !strings.Contains(err.Error(), "may be named only by"):
				return fmt.Errorf("a Certificate in namespace %s naming ClusterIssuer %s: refused for another reason: %v", tenant, crt.Spec.IssuerRef.Name, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if tried == 0 {
		return errors.New("no Certificate names a ClusterIssuer: the admission policy was not tried")
	}
	return nil
}
