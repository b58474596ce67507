package check

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mtlsgen/mtlsgen/generator"
)

// The graph is built from plain maps with forgiving accessors rather than by
// decoding into cert-manager's types: a field of the wrong type (the very
// mistakes check looks for, like renewBefore: 24) must not hide the rest of
// the object.

// certificate is a cert-manager Certificate.
type certificate struct {
	doc                     *Doc
	name, ns, secret        string
	commonName              string
	isCA                    bool
	dnsNames, usages        []string
	issuerName, issuerKind  string
	issuerGroup             string
	keyAlgorithm            string // "" means cert-manager's default, RSA
	keySize                 int
	keyEncoding             string // "" means PKCS1
	rotationPolicy          string // "" means Always since cert-manager 1.18
	duration, renewBefore   time.Duration
	durationOK, renewOK     bool // parsed and valid
	durationSet, renewIsSet bool
	// percent is spec.renewBeforePercentage; percentOK says it is an
	// integer.
	percent               int
	percentSet, percentOK bool
}

// issuer is a cert-manager Issuer or ClusterIssuer.
type issuer struct {
	doc        *Doc
	name, ns   string
	cluster    bool
	selfSigned bool
	caSecret   string
}

// bundleSource is one source of a trust Bundle.
type bundleSource struct {
	kind      string // secret, configMap, inLine, useDefaultCAs
	name, key string
	path      string // field path, for findings
	// id is what the source publishes, as far as the manifests say: the
	// Secret or ConfigMap and key, the inLine PEM's content, whether the
	// default CAs are used. Equal ids across clusters mean equal anchors.
	id string
}

// bundle is a trust-manager Bundle.
type bundle struct {
	doc       *Doc
	name, ns  string
	sources   []bundleSource
	targetKey string
	selector  *metav1.LabelSelector
}

// cluster is the objects of one cluster (all of them when the input says
// nothing about clusters).
type cluster struct {
	name       string
	docs       []*Doc
	certs      []*certificate
	issuers    []*issuer
	bundles    []*bundle
	namespaces map[string]map[string]string // name -> labels
	values     []*Values
	// linkerdNS is the control plane's namespace: the Namespace labelled
	// linkerd.io/is-control-plane (the first by name if several are), else
	// linkerd.
	linkerdNS string
}

func buildClusters(in *Input) []*cluster {
	byName := map[string]*cluster{}
	var names []string
	for _, d := range in.Docs {
		c, ok := byName[d.Cluster]
		if !ok {
			c = &cluster{name: d.Cluster, namespaces: map[string]map[string]string{}}
			byName[d.Cluster] = c
			names = append(names, d.Cluster)
		}
		c.add(d)
	}
	if len(names) == 0 {
		byName[""] = &cluster{namespaces: map[string]map[string]string{}}
		names = append(names, "")
	}
	sort.Strings(names)
	var out []*cluster
	for _, n := range names {
		c := byName[n]
		c.values = in.Values
		c.linkerdNS = "linkerd"
		// Several labelled namespaces are a mistake, but the choice must not
		// depend on map order: the first by name.
		if cps := c.controlPlaneNamespaces(); len(cps) > 0 {
			c.linkerdNS = cps[0]
		}
		out = append(out, c)
	}
	return out
}

// controlPlaneNamespaces are the Namespaces labelled
// linkerd.io/is-control-plane: "true", sorted.
func (c *cluster) controlPlaneNamespaces() []string {
	var out []string
	for ns, labels := range c.namespaces {
		if labels[controlPlaneLabel] == "true" {
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out
}

func (c *cluster) add(d *Doc) {
	c.docs = append(c.docs, d)
	certManager := d.Group() == "cert-manager.io"
	switch {
	case certManager && d.Kind() == "Certificate":
		c.certs = append(c.certs, newCertificate(d))
	case certManager && (d.Kind() == "Issuer" || d.Kind() == "ClusterIssuer"):
		c.issuers = append(c.issuers, &issuer{
			doc: d, name: d.Name(), ns: d.Namespace(), cluster: d.Kind() == "ClusterIssuer",
			selfSigned: get(d.Obj, "spec", "selfSigned") != nil,
			caSecret:   str(d.Obj, "spec", "ca", "secretName"),
		})
	case d.Group() == "trust.cert-manager.io" && d.Kind() == "Bundle":
		c.bundles = append(c.bundles, newBundle(d))
	case d.APIVersion() == "v1" && d.Kind() == "Namespace":
		labels := map[string]string{}
		if m, ok := get(d.Obj, "metadata", "labels").(map[string]any); ok {
			for k, v := range m {
				labels[k] = fmt.Sprint(v)
			}
		}
		c.namespaces[d.Name()] = labels
	}
}

func newCertificate(d *Doc) *certificate {
	spec, _ := d.Obj["spec"].(map[string]any)
	c := &certificate{
		doc: d, name: d.Name(), ns: d.Namespace(),
		secret:         str(spec, "secretName"),
		commonName:     str(spec, "commonName"),
		dnsNames:       strings_(get(spec, "dnsNames")),
		usages:         strings_(get(spec, "usages")),
		issuerName:     str(spec, "issuerRef", "name"),
		issuerKind:     str(spec, "issuerRef", "kind"),
		issuerGroup:    str(spec, "issuerRef", "group"),
		keyAlgorithm:   str(spec, "privateKey", "algorithm"),
		keyEncoding:    str(spec, "privateKey", "encoding"),
		rotationPolicy: str(spec, "privateKey", "rotationPolicy"),
	}
	c.isCA, _ = get(spec, "isCA").(bool)
	switch n := get(spec, "privateKey", "size").(type) {
	case int:
		c.keySize = n
	case float64:
		c.keySize = int(n)
	}
	if c.issuerKind == "" {
		c.issuerKind = "Issuer" // cert-manager's default
	}
	// cert-manager's defaults: 90 days, renewed at two thirds.
	c.duration, c.durationOK = 90*24*time.Hour, true
	if raw, ok := spec["duration"]; ok {
		c.durationSet = true
		c.duration, c.durationOK = parseDuration(raw)
	}
	if raw, ok := spec["renewBeforePercentage"]; ok {
		c.percentSet = true
		c.percent, c.percentOK = integer(raw)
	}
	// As cert-manager's pki.RenewalTime has it: renewBefore if set, else
	// the percentage of the duration if it is within (0, 100), else a
	// third. (cert-manager ignores a renewBefore not within (0, duration)
	// too, but its webhook refuses one, so the value set is kept for the
	// findings.)
	c.renewBefore, c.renewOK = c.duration/3, c.durationOK
	if c.percentOK && c.percent > 0 && c.percent < 100 {
		c.renewBefore = percentOf(c.duration, c.percent)
	}
	if raw, ok := spec["renewBefore"]; ok {
		c.renewIsSet = true
		c.renewBefore, c.renewOK = parseDuration(raw)
	}
	return c
}

// integer reads a whole number: YAML decodes 25 as an int and 25.0 as a
// float64, which kubectl sends as 25.
func integer(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case float64:
		return int(n), n == float64(int(n))
	}
	return 0, false
}

func parseDuration(v any) (time.Duration, bool) {
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

func newBundle(d *Doc) *bundle {
	spec, _ := d.Obj["spec"].(map[string]any)
	b := &bundle{doc: d, name: d.Name(), ns: d.Namespace(), targetKey: str(spec, "target", "configMap", "key")}
	sources, _ := spec["sources"].([]any)
	for i, s := range sources {
		m, _ := s.(map[string]any)
		src := bundleSource{path: fmt.Sprintf("spec.sources[%d]", i)}
		for _, kind := range []string{"secret", "configMap", "inLine", "useDefaultCAs"} {
			if v, ok := m[kind]; ok {
				src.kind = kind
				if sel, ok := v.(map[string]any); ok {
					src.name, src.key = str(sel, "name"), str(sel, "key")
				}
				src.id = sourceID(kind, v)
			}
		}
		b.sources = append(b.sources, src)
	}
	if sel, ok := get(spec, "target", "namespaceSelector").(map[string]any); ok {
		var ls metav1.LabelSelector
		if decodeInto(sel, &ls) == nil {
			b.selector = &ls
		}
	}
	return b
}

// sourceID identifies what a Bundle source publishes. An inLine source is
// its PEM, so the PEM identifies it: a hash of it, short enough to read in
// a message. A Secret or ConfigMap picked by a selector rather than a name
// is identified by the whole selector.
func sourceID(kind string, v any) string {
	switch v := v.(type) {
	case string:
		sum := sha256.Sum256([]byte(strings.TrimSpace(v)))
		return fmt.Sprintf("%s sha256:%x", kind, sum[:6])
	case map[string]any:
		if name := str(v, "name"); name != "" {
			return fmt.Sprintf("%s %s/%s", kind, name, str(v, "key"))
		}
		raw, _ := json.Marshal(v) // sorts the keys
		return fmt.Sprintf("%s %s", kind, raw)
	}
	return fmt.Sprintf("%s %v", kind, v)
}

// sourceIDs is the set of what a Bundle publishes, sorted: trust-manager
// concatenates its sources into one bundle, in which order does not
// matter for trust.
func (b *bundle) sourceIDs() []string {
	var ids []string
	for _, s := range b.sources {
		ids = append(ids, s.id)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func strings_(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// certBySecret returns the Certificate that writes Secret ns/name.
func (c *cluster) certBySecret(ns, name string) *certificate {
	for _, x := range c.certs {
		if x.secret == name && (ns == "" || x.ns == ns) {
			return x
		}
	}
	return nil
}

// issuerFor returns the Issuer or ClusterIssuer a Certificate names, if it
// is in the input.
func (c *cluster) issuerFor(crt *certificate) *issuer {
	if crt.issuerGroup != "" && crt.issuerGroup != "cert-manager.io" {
		return nil
	}
	for _, i := range c.issuers {
		if i.name != crt.issuerName {
			continue
		}
		if crt.issuerKind == "ClusterIssuer" && i.cluster || crt.issuerKind == "Issuer" && !i.cluster && i.ns == crt.ns {
			return i
		}
	}
	return nil
}

// caSecretNamespace is where a CA issuer's Secret lives: an Issuer's own
// namespace; for a ClusterIssuer, cert-manager's cluster resource namespace,
// which the input does not say — any namespace matches.
func (i *issuer) caSecretNamespace() string {
	if i.cluster {
		return ""
	}
	return i.ns
}

// signer returns the CA Certificate whose Secret signs crt, if any.
func (c *cluster) signer(crt *certificate) *certificate {
	i := c.issuerFor(crt)
	if i == nil || i.caSecret == "" {
		return nil
	}
	s := c.certBySecret(i.caSecretNamespace(), i.caSecret)
	if s == crt {
		return nil
	}
	return s
}

// linkerdBundles are the Bundles meant for Linkerd: named for it, or
// writing its key.
func (c *cluster) linkerdBundles() []*bundle {
	var out []*bundle
	for _, b := range c.bundles {
		if b.name == trustRootsName || b.targetKey == trustRootsKey {
			out = append(out, b)
		}
	}
	return out
}

// publishes reports whether a Linkerd bundle sources Secret name.
func (c *cluster) publishes(secret string) bool {
	for _, b := range c.linkerdBundles() {
		for _, s := range b.sources {
			if s.kind == "secret" && s.name == secret {
				return true
			}
		}
	}
	return false
}

// identityIssuers are the Certificates meant to be Linkerd's identity
// issuer: by Secret name, by name, or by Linkerd's common name.
func (c *cluster) identityIssuers() []*certificate {
	var out []*certificate
	for _, x := range c.certs {
		if x.secret == identityIssuerName || x.name == identityIssuerName || strings.HasPrefix(x.commonName, "identity.") {
			out = append(out, x)
		}
	}
	return out
}

// controlPlaneValues returns the linkerd-control-plane values, if given.
func (c *cluster) controlPlaneValues() []*Values {
	var out []*Values
	for _, v := range c.values {
		if v.Chart == "linkerd-control-plane" {
			out = append(out, v)
		}
	}
	return out
}

// Linkerd's fixed names.
const (
	identityIssuerName = generator.IdentityIssuerName
	trustRootsName     = generator.TrustRootsName
	trustRootsKey      = generator.TrustRootsKey
	controlPlaneLabel  = generator.LabelIsControlPlane
)
