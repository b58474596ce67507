package generator

import (
	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// Webhook is one admission webhook (or aggregated API) of Linkerd whose
// serving certificate cert-manager issues. The names are Linkerd's: the
// chart mounts Secret and serves Service on :443 (shared/facts/linkerd.md §2).
type Webhook struct {
	// Chart is the chart that runs it.
	Chart string
	// Certificate is the name of the cert-manager Certificate.
	Certificate string
	// Secret is the kubernetes.io/tls Secret the chart mounts.
	Secret string
	// Service is the Service the API server calls.
	Service string
	// ValuesKey is the chart values block with externalSecret and
	// injectCaFrom for it.
	ValuesKey string
	// Namespace is where it runs.
	Namespace string
}

// Host is the name the API server connects to, which the certificate must
// carry.
func (w Webhook) Host() string { return w.Service + "." + w.Namespace + ".svc" }

// Webhooks lists the webhooks the enabled components of a validated spec
// run, in a fixed order.
func Webhooks(s *v1alpha1.MeshTLSSpec) []Webhook {
	l := s.Linkerd
	ns := l.Namespace
	out := []Webhook{
		{v1alpha1.ChartControlPlane, "linkerd-proxy-injector", "linkerd-proxy-injector-k8s-tls", "linkerd-proxy-injector", "proxyInjector", ns},
		{v1alpha1.ChartControlPlane, "linkerd-sp-validator", "linkerd-sp-validator-k8s-tls", "linkerd-sp-validator", "profileValidator", ns},
		{v1alpha1.ChartControlPlane, "linkerd-policy-validator", "linkerd-policy-validator-k8s-tls", "linkerd-policy-validator", "policyValidator", ns},
	}
	if l.Extensions.Viz.Enabled {
		vns := l.Extensions.Viz.Namespace
		out = append(out,
			Webhook{v1alpha1.ChartViz, "tap", "tap-k8s-tls", "tap", "tap", vns},
			Webhook{v1alpha1.ChartViz, "linkerd-tap-injector", "tap-injector-k8s-tls", "tap-injector", "tapInjector", vns})
	}
	if l.Extensions.Jaeger.Enabled && l.Release().HasJaeger() {
		out = append(out, Webhook{v1alpha1.ChartJaeger, "jaeger-injector", "jaeger-injector-k8s-tls", "jaeger-injector", "webhook", l.Extensions.Jaeger.Namespace})
	}
	return out
}

// webhookCertificates makes one serving certificate per webhook, signed by
// the webhook CA.
func webhookCertificates(c *clusterContext) []Object {
	w := c.spec.Webhooks
	key := cmapi.CertificatePrivateKey{
		Algorithm: cmapi.ECDSAKeyAlgorithm, Size: 256,
		// PKCS8 for all: the policy validator (Rust, kubert) can load an
		// ECDSA key in no other encoding, and Linkerd's Go webhooks read
		// PKCS8 as well, so one encoding serves every webhook.
		Encoding: cmapi.PKCS8,
		// Always: webhooks hot-reload their serving certificate, and the
		// CA that signs the new key is unchanged.
		RotationPolicy: cmapi.RotationPolicyAlways,
	}
	if w.KeyAlgorithm == v1alpha1.KeyAlgorithmRSA {
		key.Algorithm, key.Size = cmapi.RSAKeyAlgorithm, 2048
	}
	var out []Object
	for _, wh := range Webhooks(c.spec) {
		out = append(out, mesh(newCertificate(certificateSpec{
			name:         wh.Certificate,
			namespace:    wh.Namespace,
			secretName:   wh.Secret,
			commonName:   wh.Host(),
			dnsNames:     []string{wh.Host()},
			usages:       []cmapi.KeyUsage{cmapi.UsageServerAuth},
			lifetime:     w.Lifetime,
			issuer:       issuerRef(WebhookCAName, cmapi.ClusterIssuerKind),
			key:          key,
			secretLabels: map[string]string{LabelPartOf: PartOfValue},
		})))
	}
	return out
}
