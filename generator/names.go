package generator

import "github.com/mtlsgen/mtlsgen/api/v1alpha1"

// Names of the objects mtlsgen generates. The ones Linkerd reads are fixed by
// Linkerd's charts and code (shared/facts/linkerd.md §2); the others are
// mtlsgen's, prefixed so they cannot collide with anything else in
// cert-manager's namespace.
const (
	// SelfSignedIssuerName is the bootstrap Issuer that self-signs anchors
	// and the webhook CA, in the trust namespace.
	SelfSignedIssuerName = "linkerd-selfsigned"
	// AnchorPrefix prefixes the Certificate, Secret and ClusterIssuer of
	// each anchor.
	AnchorPrefix = v1alpha1.AnchorObjectPrefix
	// WebhookCAName is the Certificate, Secret and ClusterIssuer of the CA
	// that signs the webhook serving certificates.
	WebhookCAName = v1alpha1.WebhookCAObjectName
	// IdentityIssuerName is the identity issuer Certificate and the Secret
	// Linkerd's identity controller mounts (scheme kubernetes.io/tls).
	IdentityIssuerName = "linkerd-identity-issuer"
	// TrustRootsName is the trust Bundle and the ConfigMap trust-manager
	// writes: Linkerd's control plane mounts this name.
	TrustRootsName = "linkerd-identity-trust-roots"
	// TrustRootsKey is the ConfigMap key Linkerd reads the anchors from.
	TrustRootsKey = "ca-bundle.crt"
)

// Labels Linkerd's own certificate Secrets carry, copied onto the Secrets
// cert-manager writes through secretTemplate.
const (
	LabelPartOf = "app.kubernetes.io/part-of"
	PartOfValue = "Linkerd"
)

// AnchorSecretName is the Secret holding an anchor's certificate (and, except
// for external anchors, its key) in the trust namespace.
func AnchorSecretName(a *v1alpha1.TrustAnchor) string {
	if a.Secret != nil {
		return a.Secret.Name
	}
	return AnchorPrefix + a.Name
}

// AnchorIssuerName is the CA ClusterIssuer of an anchor.
func AnchorIssuerName(a *v1alpha1.TrustAnchor) string { return AnchorPrefix + a.Name }
