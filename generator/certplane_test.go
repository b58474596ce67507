package generator_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"testing"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/invariants"
	"github.com/mtlsgen/mtlsgen/internal/pkitest"
)

// Every example, every cluster: invariants 1-7 hold.
func TestInvariants_everyExample(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			m := loadExample(t, name)
			clusters := byCluster(t, m)
			fleet := map[string][]map[string]any{}
			for _, c := range clusterNames(clusters) {
				objs := plain(t, clusters[c])
				fleet[c] = objs
				for _, v := range invariants.CheckCluster(objs, invariantOptions(m)) {
					t.Errorf("cluster %s: %s", c, v)
				}
			}
			for _, v := range invariants.CheckFleet(fleet) {
				t.Error(v)
			}
		})
	}
}

// The checker must catch each way the output could be wrong; otherwise the
// test above proves nothing.
func TestInvariants_catchBreakage(t *testing.T) {
	cases := map[string]struct {
		breakIt func(objs []map[string]any, opts *invariants.Options) []map[string]any
		want    int
	}{
		"injectCaFrom naming no Certificate": {
			breakIt: func(o []map[string]any, opts *invariants.Options) []map[string]any {
				controlPlaneValues(opts)["proxyInjector"].(map[string]any)["injectCaFrom"] = "linkerd/linkerd-proxy-injektor"
				return o
			},
			want: 1,
		},
		"webhook certificate for the wrong Service": {
			breakIt: func(o []map[string]any, _ *invariants.Options) []map[string]any {
				set(find(o, "Certificate", "linkerd-proxy-injector"), []any{"linkerd-proxy-injector.linkerd.svc.cluster.local"}, "spec", "dnsNames")
				return o
			},
			want: 2,
		},
		"webhook certificate writing another Secret": {
			breakIt: func(o []map[string]any, _ *invariants.Options) []map[string]any {
				set(find(o, "Certificate", "linkerd-policy-validator"), "linkerd-policy-validator-tls", "spec", "secretName")
				return o
			},
			want: 2,
		},
		"identity issuer that is not a CA": {
			breakIt: func(o []map[string]any, _ *invariants.Options) []map[string]any {
				delete(find(o, "Certificate", "linkerd-identity-issuer")["spec"].(map[string]any), "isCA")
				return o
			},
			want: 3,
		},
		"identity issuer with an RSA key": {
			breakIt: func(o []map[string]any, _ *invariants.Options) []map[string]any {
				set(find(o, "Certificate", "linkerd-identity-issuer"), "RSA", "spec", "privateKey", "algorithm")
				return o
			},
			want: 3,
		},
		"identity issuer signed by a CA outside the bundle": {
			breakIt: func(o []map[string]any, _ *invariants.Options) []map[string]any {
				set(find(o, "Certificate", "linkerd-identity-issuer"), "linkerd-webhook-ca", "spec", "issuerRef", "name")
				return o
			},
			want: 3,
		},
		"bundle publishing a leaf": {
			breakIt: func(o []map[string]any, _ *invariants.Options) []map[string]any {
				spec := find(o, "Bundle", "linkerd-identity-trust-roots")["spec"].(map[string]any)
				spec["sources"] = append(spec["sources"].([]any), map[string]any{"secret": map[string]any{"name": "tap-k8s-tls", "key": "tls.crt"}})
				return o
			},
			want: 4,
		},
		"bundle publishing the identity issuer's ca.crt": {
			breakIt: func(o []map[string]any, _ *invariants.Options) []map[string]any {
				spec := find(o, "Bundle", "linkerd-identity-trust-roots")["spec"].(map[string]any)
				spec["sources"] = append(spec["sources"].([]any), map[string]any{"secret": map[string]any{"name": "linkerd-identity-issuer", "key": "ca.crt"}})
				return o
			},
			want: 4,
		},
		"bundle in a namespace, with the wrong key and selector": {
			breakIt: func(o []map[string]any, _ *invariants.Options) []map[string]any {
				b := find(o, "Bundle", "linkerd-identity-trust-roots")
				set(b, "linkerd", "metadata", "namespace")
				set(b, "ca.crt", "spec", "target", "configMap", "key")
				set(b, map[string]any{"matchLabels": map[string]any{"linkerd.io/control-plane-ns": "other"}}, "spec", "target", "namespaceSelector")
				return o
			},
			want: 4,
		},
		"renewBefore as long as duration": {
			breakIt: func(o []map[string]any, _ *invariants.Options) []map[string]any {
				set(find(o, "Certificate", "tap"), "8760h0m0s", "spec", "renewBefore")
				return o
			},
			want: 5,
		},
		"issuer outliving the anchor": {
			breakIt: func(o []map[string]any, _ *invariants.Options) []map[string]any {
				set(find(o, "Certificate", "linkerd-identity-issuer"), "9000h0m0s", "spec", "duration")
				return o
			},
			want: 5,
		},
		"proxy certificates outliving the issuer's renewal": {
			breakIt: func(o []map[string]any, opts *invariants.Options) []map[string]any {
				controlPlaneValues(opts)["identity"].(map[string]any)["issuer"].(map[string]any)["issuanceLifetime"] = "26h0m0s"
				return o
			},
			want: 5,
		},
		"a private key in the output": {
			breakIt: func(o []map[string]any, _ *invariants.Options) []map[string]any {
				return append(o, map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "root"},
					"stringData": map[string]any{"tls.key": "-----BEGIN EC PRIVATE KEY-----\n..."}})
			},
			want: 7,
		},
	}
	m := loadExample(t, "prod")
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			objs := plain(t, byCluster(t, m)[v1alpha1.InClusterName])
			opts := invariantOptions(m)
			got := invariants.CheckCluster(tc.breakIt(objs, &opts), opts)
			if len(got) == 0 {
				t.Fatal("no violation found")
			}
			for _, v := range got {
				if v.Invariant != tc.want {
					t.Errorf("unexpected %s", v)
				}
			}
		})
	}
}

func TestInvariants_fleetBreakage(t *testing.T) {
	m := loadExample(t, "multicluster")
	clusters := byCluster(t, m)
	fleet := map[string][]map[string]any{}
	for _, c := range clusterNames(clusters) {
		fleet[c] = plain(t, clusters[c])
	}
	set(find(fleet["west"], "Bundle", "linkerd-identity-trust-roots"), []any{map[string]any{"secret": map[string]any{"name": "west-root", "key": "tls.crt"}}}, "spec", "sources")
	got := invariants.CheckFleet(fleet)
	if len(got) != 1 || got[0].Invariant != 6 || !strings.Contains(got[0].Message, "would not trust") {
		t.Errorf("got %v", got)
	}

	// A fleet with a self-signed anchor: the loader refuses the spec, so
	// build the objects from a single-cluster spec copied per cluster.
	single := byCluster(t, loadExample(t, "prod"))[v1alpha1.InClusterName]
	got = invariants.CheckFleet(map[string][]map[string]any{"a": plain(t, single), "b": plain(t, single)})
	if len(got) != 2 || got[0].Invariant != 6 || !strings.Contains(got[0].Message, "self-signed") {
		t.Errorf("got %v", got)
	}
}

func find(objs []map[string]any, kind, name string) map[string]any {
	for _, o := range objs {
		if o["kind"] == kind && o["metadata"].(map[string]any)["name"] == name {
			return o
		}
	}
	panic(fmt.Sprintf("no %s %s", kind, name))
}

func set(o map[string]any, v any, path ...string) {
	for _, p := range path[:len(path)-1] {
		next, ok := o[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			o[p] = next
		}
		o = next
	}
	o[path[len(path)-1]] = v
}

// setUpCluster prepares a simulated cluster for a spec: the CA Secrets of
// bring-your-own anchors and the CAs of external issuers exist before
// mtlsgen's objects are applied, as the user or their PKI provides them.
func setUpCluster(t testing.TB, m *v1alpha1.MeshTLS, objs typed, provided map[string]*pkitest.Secret) *pkitest.Cluster {
	t.Helper()
	c := pkitest.NewCluster(m.Spec.Trust.Namespace)
	for _, i := range objs.issuers {
		c.Issuers[i.Namespace+"/"+i.Name] = i
	}
	for _, i := range objs.clusterIssuers {
		c.ClusterIssuers[i.Name] = i
	}
	for _, a := range m.Spec.Trust.Anchors {
		ca, ok := provided[a.Name]
		if !ok && a.SelfSigned == nil {
			var err error
			if ca, err = pkitest.NewCA(a.Name, hours(87600)); err != nil {
				t.Fatal(err)
			}
			provided[a.Name] = ca
		}
		switch {
		case a.Secret != nil:
			c.Secrets[m.Spec.Trust.Namespace+"/"+a.Secret.Name] = ca
		case a.External != nil:
			r := a.External.IssuerRef
			c.External[pkitest.ExternalKey(r.Kind, r.Group, r.Name)] = ca
			if cm := a.External.CA.ConfigMap; cm != nil {
				c.ConfigMaps[m.Spec.Trust.Namespace+"/"+cm.Name] = map[string]string{cm.Key: string(ca.TLSCrt)}
			} else {
				s := a.External.CA.Secret
				c.Secrets[m.Spec.Trust.Namespace+"/"+s.Name] = &pkitest.Secret{TLSCrt: ca.TLSCrt, CACrt: ca.TLSCrt}
			}
		}
	}
	return c
}

// For every example and cluster, issue everything as cert-manager would,
// publish the bundle as trust-manager would, and check the chain with
// crypto/x509 the way Linkerd, the API server and the proxies do.
func TestPKI_everyExample(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			m := loadExample(t, name)
			clusters := byCluster(t, m)
			// Bring-your-own and external CAs are the same in every cluster.
			provided := map[string]*pkitest.Secret{}
			for _, cname := range clusterNames(clusters) {
				objs := pick(clusters[cname])
				c := setUpCluster(t, m, objs, provided)
				pending, err := c.Issue(objs.certs, false)
				if err != nil {
					t.Fatal(err)
				}
				if len(pending) > 0 {
					t.Fatalf("cluster %s: could not issue %s/%s (its issuer never became ready)", cname, pending[0].Namespace, pending[0].Name)
				}
				checkPKI(t, m, c, objs)
			}
		})
	}
}

func checkPKI(t *testing.T, m *v1alpha1.MeshTLS, c *pkitest.Cluster, objs typed) {
	t.Helper()
	ln := m.Spec.Linkerd.Namespace
	bundle, err := c.BundlePEM(objs.bundle)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := pkitest.Pool(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(bundle), "BEGIN CERTIFICATE"); got != len(m.Spec.Trust.Anchors) {
		t.Errorf("bundle holds %d certificates, want one per anchor (%d)", got, len(m.Spec.Trust.Anchors))
	}

	issuer := c.Secrets[ln+"/"+generator.IdentityIssuerName]
	if issuer == nil {
		t.Fatal("no identity issuer Secret")
	}
	ic := issuer.Cert
	if !ic.IsCA || ic.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("identity issuer: IsCA %v, key usage %b", ic.IsCA, ic.KeyUsage)
	}
	if pub, ok := ic.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("identity issuer key is %T, want ECDSA P-256", ic.PublicKey)
	}
	if _, err := ic.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("identity issuer does not verify against the bundle: %v", err)
	}
	if strings.Contains(string(bundle), string(issuer.TLSCrt)) {
		t.Error("the bundle contains the identity issuer")
	}

	for _, wh := range generator.Webhooks(&m.Spec) {
		s := c.Secrets[wh.Namespace+"/"+wh.Secret]
		if s == nil {
			t.Errorf("no Secret %s/%s for %s", wh.Namespace, wh.Secret, wh.Service)
			continue
		}
		// The API server trusts what cainjector injects: the Secret's ca.crt.
		caPool, err := pkitest.Pool(s.CACrt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Cert.Verify(x509.VerifyOptions{Roots: caPool, DNSName: wh.Host(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("%s: serving certificate does not verify for %s: %v", wh.Certificate, wh.Host(), err)
		}
		if _, err := s.Cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: wh.Host()}); err == nil {
			t.Errorf("%s: a webhook certificate verifies against the mesh's trust roots; the webhook CA must be separate", wh.Certificate)
		}
		if !strings.HasPrefix(string(s.TLSKey), "-----BEGIN PRIVATE KEY-----") {
			t.Errorf("%s: key is not PKCS8", wh.Certificate)
		}
	}

	id := "default." + ln + ".serviceaccount.identity." + ln + "." + m.Spec.Linkerd.TrustDomain
	w, err := pkitest.IssueWorkload(issuer, id, m.Spec.IdentityIssuer.IssuanceLifetime.MustParse())
	if err != nil {
		t.Fatal(err)
	}
	if err := pkitest.VerifyWorkload(w, roots); err != nil {
		t.Errorf("a workload certificate for %s does not verify against the bundle: %v", id, err)
	}
}

// The three-step rotation (README: Rotating the trust anchor), certificate by certificate: pods
// keep working at every step, provided they restart between the second and
// the third.
func TestPKI_rotation(t *testing.T) {
	const base = `apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata: {name: rot}
spec:
  argocd: {enabled: false}
  trust:
    anchors:
`
	v1 := loadSpec(t, base+"      - {name: a, active: true, selfSigned: {}}\n")
	v2 := loadSpec(t, base+"      - {name: a, active: true, selfSigned: {}}\n      - {name: b, selfSigned: {}}\n")
	v3 := loadSpec(t, base+"      - {name: a, selfSigned: {}}\n      - {name: b, active: true, selfSigned: {}}\n")
	v4 := loadSpec(t, base+"      - {name: b, active: true, selfSigned: {}}\n")
	ns := v1.Spec.Linkerd.Namespace
	id := "default.shop.serviceaccount.identity.linkerd.cluster.local"

	objs1 := pick(byCluster(t, v1)[v1alpha1.InClusterName])
	c := setUpCluster(t, v1, objs1, map[string]*pkitest.Secret{})
	issueAll(t, c, objs1.certs)
	bundle1 := mustBundle(t, c, objs1)
	oldLeaf, _ := pkitest.IssueWorkload(c.Secrets[ns+"/"+generator.IdentityIssuerName], id, hours(24))
	issuerA := c.Secrets[ns+"/"+generator.IdentityIssuerName]

	// Step 1: add B, not active. The identity issuer is untouched, the
	// bundle now holds A and B, and leaves chained to A still verify.
	objs2 := pick(byCluster(t, v2)[v1alpha1.InClusterName])
	c.ClusterIssuers[generator.AnchorPrefix+"b"] = objs2.clusterIssuers[slices.IndexFunc(objs2.clusterIssuers, func(x *cmapi.ClusterIssuer) bool { return x.Name == generator.AnchorPrefix+"b" })]
	issueAll(t, c, objs2.certs)
	if c.Secrets[ns+"/"+generator.IdentityIssuerName] != issuerA {
		t.Fatal("adding an inactive anchor re-issued the identity issuer")
	}
	bundle2 := mustBundle(t, c, objs2)
	if err := pkitest.VerifyWorkload(oldLeaf, bundle2); err != nil {
		t.Errorf("step 1: a leaf under A no longer verifies: %v", err)
	}

	// Step 2: make B active. The identity issuer's issuerRef changed, so
	// cert-manager re-issues it under B at once.
	objs3 := pick(byCluster(t, v3)[v1alpha1.InClusterName])
	idCrt := objs3.cert(ns, generator.IdentityIssuerName)
	if idCrt.Spec.IssuerRef.Name != generator.AnchorPrefix+"b" {
		t.Fatalf("identity issuer still signed by %s", idCrt.Spec.IssuerRef.Name)
	}
	if _, err := c.Issue([]*cmapi.Certificate{idCrt}, true); err != nil {
		t.Fatal(err)
	}
	newLeaf, _ := pkitest.IssueWorkload(c.Secrets[ns+"/"+generator.IdentityIssuerName], id, hours(24))
	if err := pkitest.VerifyWorkload(newLeaf, bundle2); err != nil {
		t.Errorf("step 2: a leaf under B does not verify for pods holding the A+B bundle: %v", err)
	}
	if err := pkitest.VerifyWorkload(oldLeaf, bundle2); err != nil {
		t.Errorf("step 2: a leaf still under A stopped verifying: %v", err)
	}
	if err := pkitest.VerifyWorkload(newLeaf, bundle1); err == nil {
		t.Error("a pod that never restarted (bundle A only) accepted a leaf under B: the test cannot tell why restarts matter")
	}

	// Step 3: remove A. Only leaves under B remain valid.
	objs4 := pick(byCluster(t, v4)[v1alpha1.InClusterName])
	bundle4 := mustBundle(t, c, objs4)
	if err := pkitest.VerifyWorkload(newLeaf, bundle4); err != nil {
		t.Errorf("step 3: a leaf under B does not verify: %v", err)
	}
	if err := pkitest.VerifyWorkload(oldLeaf, bundle4); err == nil {
		t.Error("step 3: a leaf under the removed anchor A still verifies")
	}
}

// Renewing an anchor under rotationPolicy: Never keeps its key, so chains
// issued before the renewal verify against the renewed anchor alone.
func TestPKI_anchorRenewalKeepsKey(t *testing.T) {
	m := loadExample(t, "prod")
	objs := pick(byCluster(t, m)[v1alpha1.InClusterName])
	c := setUpCluster(t, m, objs, map[string]*pkitest.Secret{})
	issueAll(t, c, objs.certs)
	ns := m.Spec.Linkerd.Namespace
	leaf, _ := pkitest.IssueWorkload(c.Secrets[ns+"/"+generator.IdentityIssuerName], "default.shop.serviceaccount.identity.linkerd.cluster.local", hours(24))

	anchor := objs.cert(m.Spec.Trust.Namespace, generator.AnchorPrefix+"root-2026")
	before := c.Secrets[m.Spec.Trust.Namespace+"/"+anchor.Spec.SecretName]
	if _, err := c.Issue([]*cmapi.Certificate{anchor}, true); err != nil {
		t.Fatal(err)
	}
	after := c.Secrets[m.Spec.Trust.Namespace+"/"+anchor.Spec.SecretName]
	if string(after.TLSCrt) == string(before.TLSCrt) {
		t.Fatal("the anchor was not renewed")
	}
	if eq, _ := pkitest.PublicKeysEqual(before.Cert.PublicKey, after.Cert.PublicKey); !eq {
		t.Fatal("renewal changed the anchor's key despite rotationPolicy: Never")
	}
	if err := pkitest.VerifyWorkload(leaf, mustBundle(t, c, objs)); err != nil {
		t.Errorf("a leaf issued before the anchor renewed does not verify against the renewed anchor: %v", err)
	}
}

func issueAll(t *testing.T, c *pkitest.Cluster, certs []*cmapi.Certificate) {
	t.Helper()
	pending, err := c.Issue(certs, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) > 0 {
		t.Fatalf("could not issue %s", pending[0].Name)
	}
}

func mustBundle(t *testing.T, c *pkitest.Cluster, objs typed) *x509.CertPool {
	t.Helper()
	pem, err := c.BundlePEM(objs.bundle)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pkitest.Pool(pem)
	if err != nil {
		t.Fatal(err)
	}
	return pool
}
