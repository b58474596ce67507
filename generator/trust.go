package generator

import (
	"math"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// AnnotationNote carries a short explanation for a reviewer on objects whose
// settings look surprising.
const AnnotationNote = "mtlsgen.dev/note"

// anchorKeyNote explains rotationPolicy: Never on anchors and the webhook CA.
const anchorKeyNote = "rotationPolicy Never: renewal keeps the key, so all this CA signed keeps verifying; a new key is a new anchor in the spec"

// trustAnchors makes, in the trust namespace, the bootstrap self-signing
// Issuer, a CA Certificate per self-signed anchor, the webhook CA, and a CA
// ClusterIssuer per anchor and for the webhook CA.
func trustAnchors(c *clusterContext) []Object {
	t := c.spec.Trust
	out := []Object{mesh(&cmapi.Issuer{
		TypeMeta:   metav1.TypeMeta{APIVersion: cmapi.SchemeGroupVersion.String(), Kind: cmapi.IssuerKind},
		ObjectMeta: objectMeta(SelfSignedIssuerName, t.Namespace),
		Spec:       cmapi.IssuerSpec{IssuerConfig: cmapi.IssuerConfig{SelfSigned: &cmapi.SelfSignedIssuer{}}},
	})}
	for i := range t.Anchors {
		a := &t.Anchors[i]
		if a.SelfSigned != nil {
			out = append(out, mesh(caCertificate(c, AnchorPrefix+a.Name, v1alpha1.AnchorCommonName(a.Name, c.spec.Linkerd.TrustDomain))))
		}
		if a.External == nil {
			// An external anchor has no key here: the identity issuer is
			// requested from the external issuer directly.
			out = append(out, mesh(clusterCAIssuer(AnchorIssuerName(a), AnchorSecretName(a))))
		}
	}
	// The webhook CA is separate from the identity anchors: the API server
	// trusts it (through injected caBundles), proxies never do.
	out = append(out,
		mesh(caCertificate(c, WebhookCAName, v1alpha1.WebhookCACommonName(c.spec.Linkerd.TrustDomain))),
		mesh(clusterCAIssuer(WebhookCAName, WebhookCAName)))
	return out
}

// caCertificate is a self-signed CA in the trust namespace that keeps its key
// across renewals.
func caCertificate(c *clusterContext, name, commonName string) *cmapi.Certificate {
	return newCertificate(certificateSpec{
		name:       name,
		namespace:  c.spec.Trust.Namespace,
		commonName: commonName,
		isCA:       true,
		usages:     []cmapi.KeyUsage{cmapi.UsageCertSign, cmapi.UsageCRLSign},
		lifetime:   c.spec.Trust.AnchorLifetime,
		issuer:     issuerRef(SelfSignedIssuerName, cmapi.IssuerKind),
		// Never: since cert-manager 1.18 a renewal makes a new key by
		// default, and a CA with a new key breaks every proxy that still
		// trusts the old one. Keeping the key makes renewal harmless;
		// changing it is an explicit rotation (a new anchor in the spec).
		key:         ecdsaP256(cmapi.RotationPolicyNever),
		annotations: map[string]string{AnnotationNote: anchorKeyNote},
	})
}

// identityIssuer is the per-cluster identity issuer: a CA in the Linkerd
// namespace, in the Secret the identity controller mounts, signed by the
// active anchor.
func identityIssuer(c *clusterContext) []Object {
	s := c.spec
	active := s.Trust.ActiveAnchor()
	ref := issuerRef(AnchorIssuerName(active), cmapi.ClusterIssuerKind)
	if active.External != nil {
		ref = active.External.IssuerRef
	}
	crt := newCertificate(certificateSpec{
		name:       IdentityIssuerName,
		namespace:  s.Linkerd.Namespace,
		commonName: v1alpha1.IdentityIssuerCommonName(s.Linkerd.Namespace, s.Linkerd.TrustDomain),
		isCA:       true,
		// cert sign and crl sign to issue proxy certificates; server and
		// client auth as Linkerd's own issuer certificates carry them.
		usages:   []cmapi.KeyUsage{cmapi.UsageCertSign, cmapi.UsageCRLSign, cmapi.UsageServerAuth, cmapi.UsageClientAuth},
		lifetime: s.IdentityIssuer.Lifetime,
		// Naming the active anchor here means making another anchor
		// active re-issues the identity issuer at once.
		issuer: ref,
		// Always: the identity controller hot-reloads the issuer, and
		// every renewal under the same anchor verifies against the bundle.
		key:          ecdsaP256(cmapi.RotationPolicyAlways),
		secretLabels: map[string]string{LabelPartOf: PartOfValue},
	})
	limit := IdentityIssuerRevisionHistory(&s.IdentityIssuer)
	crt.Spec.RevisionHistoryLimit = &limit
	return []Object{mesh(crt)}
}

// IdentityIssuerReloadAllowance bounds how long Linkerd's identity
// controller may go on signing proxy certificates with the previous identity
// issuer after cert-manager has signed a new one: it reads the issuer from
// its mounted Secret, which the kubelet refreshes on its own sync, a minute
// or two later.
const IdentityIssuerReloadAllowance = 5 * time.Minute

// IdentityIssuerRevisionHistory is how many CertificateRequests cert-manager
// keeps for the identity issuer (its default is one). `mtlsgen status` reads
// them to learn which anchor signed the issuer over the last proxy
// certificate lifetime, so that a switch to another anchor and back between
// two restarter runs still delays removing that anchor. The count covers the
// scheduled renewals within a proxy certificate's lifetime (plus the reload
// allowance), the revision just before them, and two unscheduled ones: a
// switch of anchor and its revert.
func IdentityIssuerRevisionHistory(ii *v1alpha1.IdentityIssuerSpec) int32 {
	// Validated: issuance + skew < renewBefore < duration, all positive,
	// so only the reload allowance can overflow the window.
	window := ii.IssuanceLifetime.MustParse() + ii.ClockSkewAllowance.MustParse()
	window = min(window, math.MaxInt64-IdentityIssuerReloadAllowance) + IdentityIssuerReloadAllowance
	interval := ii.Duration.MustParse() - ii.RenewBefore.MustParse()
	renewals := window / interval
	if window%interval != 0 {
		renewals++
	}
	// Bounded, so the requests stay few: an issuer renewed every few
	// minutes keeps a shorter history, and status then falls back on the
	// restarter's runs for an older switch.
	return int32(min(renewals, maxIssuanceRenewals)) + 4
}

// maxIssuanceRenewals bounds the renewals IdentityIssuerRevisionHistory
// keeps.
const maxIssuanceRenewals = 100
