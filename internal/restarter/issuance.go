package restarter

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"time"
)

// Issuance is one CertificateRequest of the identity issuer Certificate.
// cert-manager keeps the newest spec.revisionHistoryLimit of them, and each
// holds the certificate it got signed: together they say which anchor
// signed the identity issuer, and from when, whatever its issuer is called.
type Issuance struct {
	// Name of the CertificateRequest, and its revision
	// (cert-manager.io/certificate-revision).
	Name     string
	Revision int
	// Issued is when it was signed: its Ready condition's last transition.
	Issued time.Time
	// Chain is status.certificate followed by status.ca, as PEM; empty
	// while the request is not signed (or was refused).
	Chain []byte
}

// IssuerHistory is what the identity issuer's CertificateRequests say.
type IssuerHistory struct {
	// Newest is the newest signed request; nil if none is kept.
	Newest *Issuance
	// Active is the index, among the bundle's anchors, of the one Newest
	// chains to; -1 if it chains to none of them.
	Active int
	// Since is when the newest run of requests chaining to the active
	// anchor began, if an older request kept chains elsewhere or the run
	// starts at revision 1: from then on the identity issuer was signed
	// under the active anchor only. Zero when the kept requests cannot
	// tell: all chain to the active anchor and older ones were deleted.
	Since time.Time
}

// ReadIssuerHistory orders the requests by revision and finds, by
// signature, the anchor each chains to. Requests not signed yet are
// skipped: they changed nothing the identity controller uses.
func ReadIssuerHistory(requests []Issuance, anchors []Anchor) IssuerHistory {
	signed := slices.DeleteFunc(slices.Clone(requests), func(i Issuance) bool { return len(i.Chain) == 0 })
	slices.SortFunc(signed, func(a, b Issuance) int { return a.Revision - b.Revision })
	h := IssuerHistory{Active: -1}
	if len(signed) == 0 {
		return h
	}
	h.Newest = &signed[len(signed)-1]
	h.Active = chainsTo(h.Newest.Chain, anchors)
	if h.Active < 0 {
		return h
	}
	start := len(signed) - 1
	for start > 0 && chainsTo(signed[start-1].Chain, anchors) == h.Active {
		start--
	}
	if start > 0 || signed[0].Revision == 1 {
		h.Since = signed[start].Issued
	}
	return h
}

// chainsTo is the index of the anchor the first certificate of a PEM chain
// was signed under, with the rest as intermediates; -1 for none. Only
// signatures are checked, not validity periods: a request signed before the
// anchor certificate was last renewed (same key, later notBefore) still
// chains to it.
func chainsTo(chain []byte, anchors []Anchor) int {
	var certs []*x509.Certificate
	for rest := chain; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil {
			certs = append(certs, c)
		}
	}
	if len(certs) == 0 {
		return -1
	}
	// Each step goes one link up; a chain of n certificates has n links.
	cur := certs[0]
	for range certs {
		for i, a := range anchors {
			if a.Certificate != nil && cur.CheckSignatureFrom(a.Certificate) == nil {
				return i
			}
		}
		next := slices.IndexFunc(certs, func(c *x509.Certificate) bool {
			return c != cur && bytes.Equal(c.RawSubject, cur.RawIssuer) && cur.CheckSignatureFrom(c) == nil
		})
		if next < 0 {
			return -1
		}
		cur = certs[next]
	}
	return -1
}
