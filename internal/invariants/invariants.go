// Package invariants checks the promises of DESIGN.md ("Invariants") on a set
// of Kubernetes objects: who issues, mounts, injects and trusts what. It reads
// plain decoded YAML, not mtlsgen's own types, so the same checks apply to
// generated output (in tests, for every example) and to hand-written
// manifests (mtlsgen check).
package invariants

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	trustapi "github.com/cert-manager/trust-manager/pkg/apis/trust/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/mtlsgen/mtlsgen/generator"
)

// Violation is one broken invariant.
type Violation struct {
	// Invariant is its number in DESIGN.md (1-7).
	Invariant int
	// Object is kind/namespace/name, or kind/name for cluster-scoped ones.
	Object string
	// Message says what is broken and what breaks because of it.
	Message string
}

func (v Violation) String() string {
	return fmt.Sprintf("invariant %d: %s: %s", v.Invariant, v.Object, v.Message)
}

// Options describe what the cluster's objects must provide.
type Options struct {
	// LinkerdNamespace is the control plane's namespace (default linkerd).
	LinkerdNamespace string
	// Webhooks are the webhooks that must have serving certificates. Nil
	// checks only the webhook certificates present.
	Webhooks []generator.Webhook
	// ProxyLifetime is Linkerd's issuanceLifetime plus clockSkewAllowance;
	// zero skips that check.
	ProxyLifetime time.Duration
	// InjectCAFrom are the injectCaFrom values of the Linkerd Helm values
	// ("NS/NAME"), each of which must name a Certificate.
	InjectCAFrom []string
}

// cluster is one cluster's objects, decoded into the upstream types.
type cluster struct {
	certs      []*cmapi.Certificate
	issuers    map[string]*cmapi.Issuer // namespace/name
	clusterIss map[string]*cmapi.ClusterIssuer
	bundles    []*trustapi.Bundle
	namespaces map[string]*corev1.Namespace
	raw        []map[string]any
}

func decode(objs []map[string]any) (*cluster, []Violation) {
	c := &cluster{issuers: map[string]*cmapi.Issuer{}, clusterIss: map[string]*cmapi.ClusterIssuer{}, namespaces: map[string]*corev1.Namespace{}, raw: objs}
	var vs []Violation
	for _, o := range objs {
		kind, _ := o["kind"].(string)
		apiVersion, _ := o["apiVersion"].(string)
		var err error
		switch {
		case kind == cmapi.CertificateKind && strings.HasPrefix(apiVersion, "cert-manager.io/"):
			var v cmapi.Certificate
			err = into(o, &v)
			c.certs = append(c.certs, &v)
		case kind == cmapi.IssuerKind && strings.HasPrefix(apiVersion, "cert-manager.io/"):
			var v cmapi.Issuer
			err = into(o, &v)
			c.issuers[v.Namespace+"/"+v.Name] = &v
		case kind == cmapi.ClusterIssuerKind && strings.HasPrefix(apiVersion, "cert-manager.io/"):
			var v cmapi.ClusterIssuer
			err = into(o, &v)
			c.clusterIss[v.Name] = &v
		case kind == trustapi.BundleKind && strings.HasPrefix(apiVersion, "trust.cert-manager.io/"):
			var v trustapi.Bundle
			err = into(o, &v)
			c.bundles = append(c.bundles, &v)
		case kind == "Namespace" && apiVersion == "v1":
			var v corev1.Namespace
			err = into(o, &v)
			c.namespaces[v.Name] = &v
		}
		if err != nil {
			vs = append(vs, Violation{0, ref(kind, "", name(o)), "cannot be decoded: " + err.Error()})
		}
	}
	return c, vs
}

func into(o map[string]any, out any) error {
	raw, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

func name(o map[string]any) string {
	md, _ := o["metadata"].(map[string]any)
	n, _ := md["name"].(string)
	return n
}

func ref(kind, ns, name string) string {
	if ns == "" {
		return kind + "/" + name
	}
	return kind + "/" + ns + "/" + name
}

func certRef(c *cmapi.Certificate) string { return ref("Certificate", c.Namespace, c.Name) }

// CheckCluster checks invariants 1-5 and 7 on the objects of one cluster.
func CheckCluster(objs []map[string]any, opts Options) []Violation {
	if opts.LinkerdNamespace == "" {
		opts.LinkerdNamespace = "linkerd"
	}
	c, vs := decode(objs)
	vs = append(vs, c.injectCAFrom(opts)...)
	vs = append(vs, c.webhookCertificates(opts)...)
	vs = append(vs, c.identityIssuer(opts)...)
	vs = append(vs, c.trustBundle(opts)...)
	vs = append(vs, c.lifetimes(opts)...)
	vs = append(vs, noPrivateKeys(objs)...)
	return vs
}

// 1. Every injectCaFrom names a Certificate in the output.
func (c *cluster) injectCAFrom(opts Options) []Violation {
	var vs []Violation
	for _, v := range opts.InjectCAFrom {
		ns, n, ok := strings.Cut(v, "/")
		if !ok {
			vs = append(vs, Violation{1, "values", fmt.Sprintf("injectCaFrom %q lacks the namespace/ prefix cert-manager's cainjector requires", v)})
			continue
		}
		if c.findCert(func(x *cmapi.Certificate) bool { return x.Namespace == ns && x.Name == n }) == nil {
			vs = append(vs, Violation{1, "values", fmt.Sprintf("injectCaFrom %q names no Certificate: the webhook would get no caBundle and the API server could not call it", v)})
		}
	}
	return vs
}

// 2. Every webhook Certificate writes exactly the Secret the chart mounts,
// and its DNS names cover the webhook Service.
func (c *cluster) webhookCertificates(opts Options) []Violation {
	var vs []Violation
	for _, w := range opts.Webhooks {
		crt := c.findCert(func(x *cmapi.Certificate) bool { return x.Namespace == w.Namespace && x.Spec.SecretName == w.Secret })
		if crt == nil {
			vs = append(vs, Violation{2, ref("Certificate", w.Namespace, w.Certificate),
				fmt.Sprintf("no Certificate writes Secret %s/%s, which %s mounts", w.Namespace, w.Secret, w.Service)})
			continue
		}
		if !slices.Contains(crt.Spec.DNSNames, w.Host()) {
			vs = append(vs, Violation{2, certRef(crt), fmt.Sprintf("dnsNames %v do not cover %s: the API server would refuse the webhook's certificate", crt.Spec.DNSNames, w.Host())})
		}
		if crt.Spec.IsCA || !usesServerAuth(crt) {
			vs = append(vs, Violation{2, certRef(crt), "a webhook serving certificate must be a leaf with the server auth usage"})
		}
	}
	return vs
}

func usesServerAuth(crt *cmapi.Certificate) bool {
	return slices.Contains(crt.Spec.Usages, cmapi.UsageServerAuth)
}

// 3. The identity issuer is a CA certificate in the Linkerd namespace,
// Secret linkerd-identity-issuer, ECDSA P-256, signed by a trust anchor.
func (c *cluster) identityIssuer(opts Options) []Violation {
	crt := c.findCert(func(x *cmapi.Certificate) bool {
		return x.Namespace == opts.LinkerdNamespace && x.Spec.SecretName == generator.IdentityIssuerName
	})
	if crt == nil {
		return []Violation{{3, ref("Certificate", opts.LinkerdNamespace, generator.IdentityIssuerName),
			"no Certificate writes Secret " + opts.LinkerdNamespace + "/" + generator.IdentityIssuerName + ": the identity controller cannot start"}}
	}
	var vs []Violation
	if !crt.Spec.IsCA {
		vs = append(vs, Violation{3, certRef(crt), "isCA is false: Linkerd refuses an issuer that is not a CA"})
	}
	if pk := crt.Spec.PrivateKey; pk == nil || pk.Algorithm != cmapi.ECDSAKeyAlgorithm || (pk.Size != 0 && pk.Size != 256) {
		vs = append(vs, Violation{3, certRef(crt), "the key must be ECDSA P-256: linkerd check refuses other issuer keys"})
	}
	if sec := c.caSecret(crt.Spec.IssuerRef.Kind, crt.Spec.IssuerRef.Name, crt.Namespace); sec != "" && !c.inBundle(sec) {
		vs = append(vs, Violation{3, certRef(crt), fmt.Sprintf("signed by the CA in Secret %s, which the trust bundle does not publish: the identity controller would reject the issuer", sec)})
	}
	return vs
}

// 4. The trust bundle publishes anchors (never a leaf) as ConfigMap
// linkerd-identity-trust-roots, key ca-bundle.crt, in the Linkerd namespace.
func (c *cluster) trustBundle(opts Options) []Violation {
	var b *trustapi.Bundle
	for _, x := range c.bundles {
		if x.Name == generator.TrustRootsName {
			b = x
		}
	}
	if b == nil {
		return []Violation{{4, ref("Bundle", "", generator.TrustRootsName), "no trust Bundle named " + generator.TrustRootsName + ": Linkerd's control plane would find no trust roots"}}
	}
	var vs []Violation
	obj := ref("Bundle", b.Namespace, b.Name)
	if b.Namespace != "" {
		vs = append(vs, Violation{4, obj, "a Bundle is cluster-scoped: it must have no namespace"})
	}
	if b.Spec.Target.ConfigMap == nil || b.Spec.Target.ConfigMap.Key != generator.TrustRootsKey {
		vs = append(vs, Violation{4, obj, "the target must be a ConfigMap with key " + generator.TrustRootsKey + ", the key Linkerd reads"})
	}
	if ns, ok := c.namespaces[opts.LinkerdNamespace]; ok {
		sel, err := metav1.LabelSelectorAsSelector(b.Spec.Target.NamespaceSelector)
		if err != nil || !sel.Matches(labels.Set(ns.Labels)) {
			vs = append(vs, Violation{4, obj, "the namespaceSelector does not match Namespace " + opts.LinkerdNamespace + ": no trust roots would reach the control plane"})
		}
	}
	for i, s := range b.Spec.Sources {
		if s.Secret == nil {
			continue
		}
		crt := c.findCert(func(x *cmapi.Certificate) bool { return x.Spec.SecretName == s.Secret.Name })
		switch {
		case crt == nil:
			// A Secret made outside this set (a bring-your-own anchor).
		case !crt.Spec.IsCA:
			vs = append(vs, Violation{4, obj, fmt.Sprintf("source %d publishes Secret %s of %s, a leaf certificate, not an anchor", i, s.Secret.Name, certRef(crt))})
		case s.Secret.Key != "tls.crt":
			vs = append(vs, Violation{4, obj, fmt.Sprintf("source %d publishes key %s of Secret %s; only tls.crt is the anchor itself", i, s.Secret.Key, s.Secret.Name)})
		case crt.Namespace == opts.LinkerdNamespace:
			vs = append(vs, Violation{4, obj, fmt.Sprintf("source %d publishes %s, a CA in the Linkerd namespace (the identity issuer?), not an anchor", i, certRef(crt))})
		}
	}
	return vs
}

// inBundle reports whether the trust bundle publishes a Secret.
func (c *cluster) inBundle(secret string) bool {
	for _, b := range c.bundles {
		if b.Name != generator.TrustRootsName {
			continue
		}
		for _, s := range b.Spec.Sources {
			if s.Secret != nil && s.Secret.Name == secret {
				return true
			}
		}
	}
	return false
}

// 5. Lifetimes nest: renewBefore < duration; no certificate can outlive the
// CA certificate that signs it; proxy certificates are shorter than the
// identity issuer's renewal window.
func (c *cluster) lifetimes(opts Options) []Violation {
	var vs []Violation
	for _, crt := range c.certs {
		d, r := lifetime(crt)
		if r >= d {
			vs = append(vs, Violation{5, certRef(crt), fmt.Sprintf("renewBefore %s is not shorter than duration %s", r, d)})
		}
		if parent := c.signer(crt); parent != nil {
			if _, pr := lifetime(parent); d > pr {
				vs = append(vs, Violation{5, certRef(crt), fmt.Sprintf("duration %s is longer than the renewBefore %s of %s, which signs it: it can outlive its issuer's certificate", d, pr, certRef(parent))})
			}
		}
		if opts.ProxyLifetime > 0 && crt.Namespace == opts.LinkerdNamespace && crt.Spec.SecretName == generator.IdentityIssuerName && opts.ProxyLifetime >= r {
			vs = append(vs, Violation{5, certRef(crt), fmt.Sprintf("proxy certificates (%s with clock skew) are not shorter than the issuer's renewBefore %s: a proxy certificate could outlive its issuer", opts.ProxyLifetime, r)})
		}
	}
	return vs
}

// lifetime applies cert-manager's defaults: 90 days, renewed at two thirds.
func lifetime(crt *cmapi.Certificate) (time.Duration, time.Duration) {
	d := 90 * 24 * time.Hour
	if crt.Spec.Duration != nil {
		d = crt.Spec.Duration.Duration
	}
	r := d / 3
	if crt.Spec.RenewBefore != nil {
		r = crt.Spec.RenewBefore.Duration
	}
	return d, r
}

// signer returns the Certificate whose Secret the issuer of crt signs with,
// if it is in the set.
func (c *cluster) signer(crt *cmapi.Certificate) *cmapi.Certificate {
	sec := c.caSecret(crt.Spec.IssuerRef.Kind, crt.Spec.IssuerRef.Name, crt.Namespace)
	if sec == "" {
		return nil
	}
	return c.findCert(func(x *cmapi.Certificate) bool { return x.Spec.SecretName == sec && x != crt })
}

// caSecret returns the Secret of a CA Issuer or ClusterIssuer in the set.
func (c *cluster) caSecret(kind, name, ns string) string {
	var spec *cmapi.IssuerSpec
	switch kind {
	case cmapi.ClusterIssuerKind:
		if x, ok := c.clusterIss[name]; ok {
			spec = &x.Spec
		}
	case "", cmapi.IssuerKind:
		if x, ok := c.issuers[ns+"/"+name]; ok {
			spec = &x.Spec
		}
	}
	if spec == nil || spec.CA == nil {
		return ""
	}
	return spec.CA.SecretName
}

// 7. No private key material in the output, ever.
func noPrivateKeys(objs []map[string]any) []Violation {
	var vs []Violation
	for _, o := range objs {
		kind, _ := o["kind"].(string)
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch t := v.(type) {
			case map[string]any:
				keys := make([]string, 0, len(t))
				for k := range t {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					walk(path+"."+k, t[k])
				}
			case []any:
				for i, e := range t {
					walk(fmt.Sprintf("%s[%d]", path, i), e)
				}
			case string:
				if strings.Contains(t, "PRIVATE KEY") {
					vs = append(vs, Violation{7, ref(kind, "", name(o)), "private key material at " + strings.TrimPrefix(path, ".")})
				}
			}
		}
		walk("", o)
		if kind == "Secret" {
			for _, field := range []string{"data", "stringData"} {
				if d, ok := o[field].(map[string]any); ok {
					if _, has := d["tls.key"]; has {
						vs = append(vs, Violation{7, ref(kind, "", name(o)), "a Secret carrying tls.key: private keys are made in the cluster, never shipped"})
					}
				}
			}
		}
	}
	return vs
}

func (c *cluster) findCert(match func(*cmapi.Certificate) bool) *cmapi.Certificate {
	for _, x := range c.certs {
		if match(x) {
			return x
		}
	}
	return nil
}

// CheckFleet checks invariant 6 across the clusters of a fleet: every
// cluster's bundle publishes the same anchors, and none of them is
// self-signed per cluster.
func CheckFleet(clusters map[string][]map[string]any) []Violation {
	if len(clusters) < 2 {
		return nil
	}
	names := make([]string, 0, len(clusters))
	for n := range clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	var vs []Violation
	var first string
	var firstSources []string
	for _, n := range names {
		c, _ := decode(clusters[n])
		sources := c.bundleSources()
		if first == "" {
			first, firstSources = n, sources
		} else if !slices.Equal(sources, firstSources) {
			vs = append(vs, Violation{6, "cluster " + n, fmt.Sprintf("its bundle publishes %v but cluster %s's publishes %v: the clusters would not trust each other", sources, first, firstSources)})
		}
		for _, crt := range c.certs {
			if !crt.Spec.IsCA || !c.inBundle(crt.Spec.SecretName) {
				continue
			}
			if iss, ok := c.issuers[crt.Namespace+"/"+crt.Spec.IssuerRef.Name]; ok && iss.Spec.SelfSigned != nil {
				vs = append(vs, Violation{6, "cluster " + n, fmt.Sprintf("anchor %s is self-signed in each cluster: every cluster would have its own root", certRef(crt))})
			}
		}
	}
	return vs
}

func (c *cluster) bundleSources() []string {
	var out []string
	for _, b := range c.bundles {
		for _, s := range b.Spec.Sources {
			switch {
			case s.Secret != nil:
				out = append(out, "secret:"+s.Secret.Name+"/"+s.Secret.Key)
			case s.ConfigMap != nil:
				out = append(out, "configMap:"+s.ConfigMap.Name+"/"+s.ConfigMap.Key)
			case s.InLine != "":
				out = append(out, "inLine")
			}
		}
	}
	return out
}
