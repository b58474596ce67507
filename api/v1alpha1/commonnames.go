package v1alpha1

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MaxCommonNameLength is the longest subject common name cert-manager's
// webhook admits in a Certificate (RFC 5280's ub-common-name): a longer one
// is refused at apply time and nothing gets issued.
const MaxCommonNameLength = 64

// Names of the trust namespace's objects mtlsgen renders (its Certificates
// write Secrets of these names), which validation keeps a bring-your-own
// anchor's Secret from taking.
const (
	// AnchorObjectPrefix prefixes the Certificate, Secret and ClusterIssuer
	// of each anchor.
	AnchorObjectPrefix = "linkerd-anchor-"
	// WebhookCAObjectName is the Certificate, Secret and ClusterIssuer of
	// the CA that signs the webhook serving certificates.
	WebhookCAObjectName = "linkerd-webhook-ca"
)

// The common names of the certificates mtlsgen renders are made from spec
// fields; the generator uses these, and validation bounds them.

// AnchorCommonName is the common name of a self-signed anchor: its name in
// the spec, under the trust domain, so a certificate viewer shows which
// anchor of the spec it is.
func AnchorCommonName(anchor, trustDomain string) string {
	return anchor + ".linkerd." + trustDomain
}

// WebhookCACommonName is the common name of the webhook CA.
func WebhookCACommonName(trustDomain string) string { return "webhook-ca.linkerd." + trustDomain }

// IdentityIssuerCommonName is the common name of the identity issuer.
func IdentityIssuerCommonName(namespace, trustDomain string) string {
	return "identity." + namespace + "." + trustDomain
}

// WebhookHost is the name the API server connects to a webhook by, which
// its serving certificate carries as common name and DNS name.
func WebhookHost(service, namespace string) string { return service + "." + namespace + ".svc" }

// LongestWebhookService is, for each chart with webhooks, its longest
// webhook Service name (a generator test holds every webhook to it).
var LongestWebhookService = map[string]string{
	ChartControlPlane: "linkerd-policy-validator",
	ChartViz:          "tap-injector",
	ChartJaeger:       "jaeger-injector",
}

// validateCommonNames refuses spec names that make a certificate's common
// name longer than cert-manager admits, at the field that makes it so.
func validateCommonNames(s *MeshTLSSpec, p *field.Path) field.ErrorList {
	var el field.ErrorList
	check := func(at *field.Path, value any, of, cn, shorten string) {
		if len(cn) > MaxCommonNameLength {
			el = append(el, field.Invalid(at, value, fmt.Sprintf("the common name of %s, %q, would be %d bytes, more than the %d cert-manager admits; shorten %s",
				of, cn, len(cn), MaxCommonNameLength, shorten)))
		}
	}
	l := &s.Linkerd
	td := p.Child("linkerd", "trustDomain")
	for i := range s.Trust.Anchors {
		a := &s.Trust.Anchors[i]
		if a.SelfSigned != nil {
			check(p.Child("trust", "anchors").Index(i).Child("name"), a.Name, "the anchor's certificate",
				AnchorCommonName(a.Name, l.TrustDomain), "the anchor's name or "+td.String())
		}
	}
	check(td, l.TrustDomain, "the webhook CA", WebhookCACommonName(l.TrustDomain), "it")
	check(p.Child("linkerd", "namespace"), l.Namespace, "the identity issuer", IdentityIssuerCommonName(l.Namespace, l.TrustDomain),
		"it or "+td.String())
	check(p.Child("linkerd", "namespace"), l.Namespace, "webhook "+LongestWebhookService[ChartControlPlane],
		WebhookHost(LongestWebhookService[ChartControlPlane], l.Namespace), "it")
	if l.Extensions.Viz.Enabled {
		check(p.Child("linkerd", "extensions", "viz", "namespace"), l.Extensions.Viz.Namespace, "webhook "+LongestWebhookService[ChartViz],
			WebhookHost(LongestWebhookService[ChartViz], l.Extensions.Viz.Namespace), "it")
	}
	if l.Extensions.Jaeger.Enabled && l.Release().HasJaeger() {
		check(p.Child("linkerd", "extensions", "jaeger", "namespace"), l.Extensions.Jaeger.Namespace, "webhook "+LongestWebhookService[ChartJaeger],
			WebhookHost(LongestWebhookService[ChartJaeger], l.Extensions.Jaeger.Namespace), "it")
	}
	return el
}
