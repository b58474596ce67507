package restarter_test

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

// testCA is a certificate and its key, made here as cert-manager would
// make them in a cluster.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var serial int64

func makeCert(t *testing.T, subject pkix.Name, key *ecdsa.PrivateKey, parent *testCA, notBefore time.Time) testCA {
	t.Helper()
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: subject,
		NotBefore: notBefore, NotAfter: notBefore.Add(48 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	signer, parentCert := key, tmpl
	if parent != nil {
		signer, parentCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{cert: c, key: key}
}

func newRoot(t *testing.T, cn string, notBefore time.Time) testCA {
	return makeCert(t, pkix.Name{CommonName: cn}, newKey(t), nil, notBefore)
}

// sign issues a CA certificate under ca, as the CA issuer signs the
// identity issuer.
func (ca testCA) sign(t *testing.T, cn string, notBefore time.Time) testCA {
	return makeCert(t, pkix.Name{CommonName: cn}, newKey(t), &ca, notBefore)
}

func pemOf(cas ...testCA) []byte {
	var out []byte
	for _, c := range cas {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})...)
	}
	return out
}

func anchorsOf(t *testing.T, cas ...testCA) []restarter.Anchor {
	t.Helper()
	a, err := restarter.ParseAnchors(string(pemOf(cas...)))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// issued is a signed CertificateRequest of the identity issuer, at revision
// rev, signed under ca at the given time (status.certificate then status.ca).
func issued(t *testing.T, rev int, ca testCA, at time.Time) restarter.Issuance {
	leaf := ca.sign(t, "identity.linkerd.cluster.local", at)
	return restarter.Issuance{Name: "linkerd-identity-issuer-" + string(rune('0'+rev)), Revision: rev, Issued: at, Chain: pemOf(leaf, ca)}
}

func TestReadIssuerHistory(t *testing.T) {
	t0 := time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC)
	a, b := newRoot(t, "root-a", t0.Add(-time.Hour)), newRoot(t, "root-b", t0.Add(-time.Hour))
	anchors := anchorsOf(t, a, b)

	t.Run("a switch away and back", func(t *testing.T) {
		pending := restarter.Issuance{Name: "linkerd-identity-issuer-6", Revision: 6} // not signed yet
		h := restarter.ReadIssuerHistory([]restarter.Issuance{
			issued(t, 4, a, t0.Add(4*time.Hour)), pending, issued(t, 2, a, t0.Add(2*time.Hour)),
			issued(t, 5, a, t0.Add(5*time.Hour)), issued(t, 3, b, t0.Add(3*time.Hour)),
		}, anchors)
		if h.Active != 0 || h.Newest.Revision != 5 || !h.Since.Equal(t0.Add(4*time.Hour)) {
			t.Errorf("active %d, newest %d, since %s; want 0, 5 and revision 4's signing", h.Active, h.Newest.Revision, h.Since)
		}
	})
	t.Run("older requests deleted", func(t *testing.T) {
		h := restarter.ReadIssuerHistory([]restarter.Issuance{issued(t, 7, b, t0), issued(t, 8, b, t0.Add(time.Hour))}, anchors)
		if h.Active != 1 || !h.Since.IsZero() {
			t.Errorf("active %d, since %s; want 1 and unknown", h.Active, h.Since)
		}
	})
	t.Run("the whole history", func(t *testing.T) {
		h := restarter.ReadIssuerHistory([]restarter.Issuance{issued(t, 1, b, t0), issued(t, 2, b, t0.Add(time.Hour))}, anchors)
		if h.Active != 1 || !h.Since.Equal(t0) {
			t.Errorf("active %d, since %s; want 1 and revision 1's signing", h.Active, h.Since)
		}
	})
	t.Run("through an intermediate", func(t *testing.T) {
		intermediate := b.sign(t, "vault-intermediate", t0)
		leaf := intermediate.sign(t, "identity.linkerd.cluster.local", t0)
		h := restarter.ReadIssuerHistory([]restarter.Issuance{{Name: "x", Revision: 3, Issued: t0, Chain: pemOf(leaf, intermediate)}}, anchors)
		if h.Active != 1 {
			t.Errorf("active %d, want 1", h.Active)
		}
	})
	t.Run("an anchor renewed with its key since", func(t *testing.T) {
		old := issued(t, 1, a, t0)
		renewed := makeCert(t, a.cert.Subject, a.key, nil, t0.Add(24*time.Hour))
		if h := restarter.ReadIssuerHistory([]restarter.Issuance{old}, anchorsOf(t, b, renewed)); h.Active != 1 {
			t.Errorf("active %d, want 1: the renewed anchor has the key that signed it", h.Active)
		}
	})
	t.Run("no anchor of the bundle", func(t *testing.T) {
		other := newRoot(t, "root-c", t0)
		if h := restarter.ReadIssuerHistory([]restarter.Issuance{issued(t, 1, other, t0)}, anchors); h.Active != -1 || h.Newest == nil {
			t.Errorf("active %d, newest %v; want -1 and the request", h.Active, h.Newest)
		}
	})
	t.Run("nothing signed", func(t *testing.T) {
		if h := restarter.ReadIssuerHistory([]restarter.Issuance{{Name: "x", Revision: 1}}, anchors); h.Newest != nil || h.Active != -1 {
			t.Errorf("newest %v, active %d", h.Newest, h.Active)
		}
	})
}

// The CertificateRequests name the active anchor by its key, whatever its
// subject, and show switches the restarter's runs did not see.
func TestJudge_issuerHistory(t *testing.T) {
	now := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)
	root26 := newRoot(t, "root-2026.linkerd.cluster.local", now.Add(-400*24*time.Hour))
	root27 := newRoot(t, "root-2027.linkerd.cluster.local", now.Add(-10*24*time.Hour))
	corp26 := makeCert(t, pkix.Name{CommonName: "Corp Mesh Root", Organization: []string{"Corp"}}, newKey(t), nil, now.Add(-400*24*time.Hour))
	corp27 := makeCert(t, pkix.Name{CommonName: "Corp Mesh Root", Organization: []string{"Corp"}}, newKey(t), nil, now.Add(-10*24*time.Hour))
	with := func(anchors []restarter.Anchor, issuances ...restarter.Issuance) *restarter.Observation {
		o := observation(now)
		o.Anchors, o.Issuances, o.ReloadAllowance = anchors, issuances, 5*time.Minute
		return o
	}
	for name, tc := range map[string]struct {
		o     *restarter.Observation
		safe  bool
		lines []string
	}{
		// The restarter saw root-2026 all along; in between two of its
		// runs the issuer was signed under root-2027 and then under
		// root-2026 again, and proxies hold certificates from that hour.
		"switched and back between two restarter runs": {
			o: with(anchorsOf(t, root26, root27),
				issued(t, 1, root26, now.Add(-72*time.Hour)), issued(t, 2, root27, now.Add(-2*time.Hour)), issued(t, 3, root26, now.Add(-110*time.Minute))),
			safe: true,
			lines: []string{
				"identity issuer: CertificateRequest linkerd-identity-issuer-3 (revision 3, signed 2026-08-22T10:10:00Z) chains to root-2026 (key " + shortKey(t, root26) + ")",
				"not yet: removing root-2027 (step 3) is safe only after 2026-08-23T10:15:20Z, when the last proxy certificate signed under it before root-2026 became active has expired",
			},
		},
		// Bring-your-own anchors with one subject: told apart by key.
		"bring your own, told apart by key": {
			o: with(anchorsOf(t, corp26, corp27),
				issued(t, 4, corp26, now.Add(-96*time.Hour)), issued(t, 5, corp27, now.Add(-48*time.Hour))),
			safe: true,
			lines: []string{
				"also safe: remove CN=Corp Mesh Root,O=Corp (key " + shortKey(t, corp26) + "), keeping the active CN=Corp Mesh Root,O=Corp (key " + shortKey(t, corp27) + ")" +
					" (step 3 if CN=Corp Mesh Root,O=Corp (key " + shortKey(t, corp27) + ") is the new anchor, else undoing step 1): proxy certificates signed under CN=Corp Mesh Root,O=Corp (key " + shortKey(t, corp26) + ") expired before 2026-08-21T12:05:20Z",
			},
		},
		// Step 3 made before step 2: the issuer's anchor left the bundle.
		"issuer's anchor removed": {
			o:    with(anchorsOf(t, root27), issued(t, 9, root26, now.Add(-48*time.Hour))),
			safe: false,
			lines: []string{
				"NOT SAFE: the identity issuer (CertificateRequest linkerd-identity-issuer-9, revision 9) chains to no anchor of the trust bundle, so no proxy can verify the certificates it signs; its anchor must stay in spec.trust.anchors",
			},
		},
		"requests unreadable": {
			o: func() *restarter.Observation {
				o := with(anchorsOf(t, root26, root27))
				o.IssuancesUnread = "certificaterequests.cert-manager.io is forbidden"
				return o
			}(),
			safe: true,
			lines: []string{
				"note: the identity issuer's CertificateRequests could not be listed (certificaterequests.cert-manager.io is forbidden): its anchor is known only by its issuer's name",
				"also safe: remove root-2027, keeping the active root-2026 (step 3 if root-2026 is the new anchor, else undoing step 1): proxy certificates signed under root-2027 expired before 2026-08-21T12:05:20Z",
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			v := restarter.Judge(tc.o)
			text := strings.Join(v.Lines, "\n")
			if v.Safe != tc.safe {
				t.Errorf("safe %v, want %v:\n%s", v.Safe, tc.safe, text)
			}
			for _, l := range tc.lines {
				if !slices.Contains(v.Lines, l) {
					t.Errorf("no line %q in:\n%s", l, text)
				}
			}
		})
	}
}

func shortKey(t *testing.T, ca testCA) string {
	return anchorsOf(t, ca)[0].KeySHA256[:12]
}

// undatedIssuer is a bundle of root-2026 and root-2027 whose only request
// chains to root-2026, with the identity issuer named for issuer and not
// yet seen issued by it.
func undatedIssuer(t *testing.T, issuer string) *restarter.Observation {
	now := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)
	root26 := newRoot(t, "root-2026.linkerd.cluster.local", now.Add(-400*24*time.Hour))
	root27 := newRoot(t, "root-2027.linkerd.cluster.local", now.Add(-10*24*time.Hour))
	o := observation(now)
	o.Anchors = anchorsOf(t, root26, root27)
	o.Issuances = []restarter.Issuance{issued(t, 1, root26, now.Add(-72*time.Hour))}
	o.ReloadAllowance = 5 * time.Minute
	o.Status.IdentityIssuer = &restarter.IssuerObservation{Kind: "ClusterIssuer", Name: issuer}
	return o
}

// Step 2 made, not yet issued: the identity issuer names root-2027 while the
// newest request still chains to root-2026. The verdict says step 2 is under
// way (it does not offer it again) and that step 3 keeps root-2027.
func TestJudge_step2UnderWay(t *testing.T) {
	o := undatedIssuer(t, "linkerd-anchor-root-2027")
	v := restarter.Judge(o)
	text := strings.Join(v.Lines, "\n")
	for _, want := range []string{
		"SAFE: all 42 workloads trust anchors root-2026, root-2027; step 2 is under way: root-2027 is made active, and cert-manager has not issued the identity issuer under it yet",
		"not yet: removing the anchors but root-2027 (step 3) waits until the identity issuer is issued by ClusterIssuer linkerd-anchor-root-2027",
	} {
		if !slices.Contains(v.Lines, want) {
			t.Errorf("no line %q in:\n%s", want, text)
		}
	}
	if strings.Contains(text, "safe to make") {
		t.Errorf("offers step 2 again:\n%s", text)
	}
}

// "Step 2 under way" only when the requests show another anchor than the
// one named: not on a fresh install whose issuer is merely not dated yet,
// and never by naming the old one of a bring-your-own pair.
func TestJudge_step2UnderWayOnlyWhenItIs(t *testing.T) {
	o := undatedIssuer(t, "linkerd-anchor-root-2026")
	now := o.Now
	text := strings.Join(restarter.Judge(o).Lines, "\n")
	if strings.Contains(text, "under way") || !strings.Contains(text, "safe to make root-2027 active (step 2)") {
		t.Errorf("named as the requests show, not dated yet:\n%s", text)
	}

	byo := observation(now)
	corp26 := newRoot(t, "Corp Mesh Root 2026", now.Add(-400*24*time.Hour))
	corp27 := newRoot(t, "Corp Mesh Root 2027", now.Add(-10*24*time.Hour))
	byo.Anchors = anchorsOf(t, corp26, corp27)
	byo.Issuances = []restarter.Issuance{issued(t, 1, corp26, now.Add(-72*time.Hour))}
	byo.Status.IdentityIssuer = &restarter.IssuerObservation{Kind: "ClusterIssuer", Name: "linkerd-anchor-corp-2027"}
	text = strings.Join(restarter.Judge(byo).Lines, "\n")
	if strings.Contains(text, "under way") || strings.Contains(text, "removing the anchors but CN=Corp Mesh Root 2026") ||
		!strings.Contains(text, "waits until the identity issuer is issued by it") {
		t.Errorf("a bring-your-own anchor named, not issued:\n%s", text)
	}
}
