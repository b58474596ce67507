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
func (w Webhook) Host() string { return v1alpha1.WebhookHost(w.Service, w.Namespace) }

// KnownWebhooks is every webhook of every Linkerd chart, without the
// namespaces a spec puts them in.
var KnownWebhooks = []Webhook{
	{v1alpha1.ChartControlPlane, "linkerd-proxy-injector", "linkerd-proxy-injector-k8s-tls", "linkerd-proxy-injector", "proxyInjector", ""},
	{v1alpha1.ChartControlPlane, "linkerd-sp-validator", "linkerd-sp-validator-k8s-tls", "linkerd-sp-validator", "profileValidator", ""},
	{v1alpha1.ChartControlPlane, "linkerd-policy-validator", "linkerd-policy-validator-k8s-tls", "linkerd-policy-validator", "policyValidator", ""},
	{v1alpha1.ChartViz, "tap", "tap-k8s-tls", "tap", "tap", ""},
	{v1alpha1.ChartViz, "linkerd-tap-injector", "tap-injector-k8s-tls", "tap-injector", "tapInjector", ""},
	{v1alpha1.ChartJaeger, "jaeger-injector", "jaeger-injector-k8s-tls", "jaeger-injector", "webhook", ""},
}

// PolicyValidatorSecret is the Secret of the policy validator, the one
// webhook written in Rust, which reads PKCS#8 keys only.
const PolicyValidatorSecret = "linkerd-policy-validator-k8s-tls"

// Webhooks lists the webhooks the enabled components of a validated spec
// run, in a fixed order, each in its namespace.
func Webhooks(s *v1alpha1.MeshTLSSpec) []Webhook {
	l := s.Linkerd
	namespaces := map[string]string{v1alpha1.ChartControlPlane: l.Namespace}
	if l.Extensions.Viz.Enabled {
		namespaces[v1alpha1.ChartViz] = l.Extensions.Viz.Namespace
	}
	if l.Extensions.Jaeger.Enabled && l.Release().HasJaeger() {
		namespaces[v1alpha1.ChartJaeger] = l.Extensions.Jaeger.Namespace
	}
	var out []Webhook
	for _, w := range KnownWebhooks {
		if ns, ok := namespaces[w.Chart]; ok {
			w.Namespace = ns
			out = append(out, w)
		}
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
