package restarter_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

// The hash is the plain hex SHA-256 of the text, byte for byte, as Linkerd's
// injector computes it. Checked offline against linkerd2's own test data
// (cli/cmd/testdata/install_default.golden, edge-26.8.3): every injected pod
// there carries 8dc603ab..., the SHA-256 of its identityTrustAnchorsPEM
// including the final newline.
func TestTrustRootsHash(t *testing.T) {
	for in, want := range map[string]string{
		// What a chart-rendered control-plane pod carries when the anchors
		// come from an external CA: the hash of the empty values field.
		// It never equals a real bundle's, which is why the control plane
		// is tracked by the restarter's own stamp.
		"":    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	} {
		if got := restarter.TrustRootsHash(in); got != want {
			t.Errorf("TrustRootsHash(%q) = %s, want %s", in, got, want)
		}
	}
	// Not trimmed: a bundle with and without its final newline are two
	// different bundles to the injector.
	if restarter.TrustRootsHash(oldBundle) == restarter.TrustRootsHash(strings.TrimSuffix(oldBundle, "\n")) {
		t.Error("the final newline must change the hash")
	}
}

func TestParseAnchors(t *testing.T) {
	exp := time.Date(2036, 1, 2, 3, 4, 5, 0, time.UTC)
	k1, k2 := newKey(t), newKey(t)
	a := selfSigned(t, k1, "root-2026.linkerd.cluster.local", 1, exp)
	renewed := selfSigned(t, k1, "root-2026.linkerd.cluster.local", 2, exp.Add(time.Hour))
	b := selfSigned(t, k2, "root-2027.linkerd.cluster.local", 3, exp)

	got, err := restarter.ParseAnchors(a + "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" + b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Subject != "CN=root-2026.linkerd.cluster.local" || got[1].Subject != "CN=root-2027.linkerd.cluster.local" {
		t.Fatalf("anchors %+v", got)
	}
	if !got[0].NotAfter.Equal(exp) || len(got[0].KeySHA256) != 64 {
		t.Errorf("anchor 0: %+v", got[0])
	}
	if got[0].KeySHA256 == got[1].KeySHA256 {
		t.Error("two keys, one fingerprint")
	}
	r, err := restarter.ParseAnchors(renewed)
	if err != nil {
		t.Fatal(err)
	}
	if r[0].KeySHA256 != got[0].KeySHA256 {
		t.Error("a renewal that keeps the key must keep the key fingerprint")
	}

	if _, err := restarter.ParseAnchors("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"); err == nil ||
		!strings.Contains(err.Error(), "certificate 1 of the trust bundle") {
		t.Errorf("garbage certificate: %v", err)
	}
}
