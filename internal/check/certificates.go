package check

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// cert-manager's limits (internal/apis/certmanager/validation).
const (
	minDuration    = time.Hour
	minRenewBefore = 5 * time.Minute
)

// maxCommonName is the longest commonName cert-manager's webhook admits.
const maxCommonName = 64

// checkDurations: MTLS001-006.
func checkDurations(c *cluster) []Finding {
	var out []Finding
	for _, crt := range c.certs {
		d := crt.doc
		for _, f := range []struct {
			key string
			set bool
			ok  bool
			v   time.Duration
			min time.Duration
		}{
			{"duration", crt.durationSet, crt.durationOK, crt.duration, minDuration},
			{"renewBefore", crt.renewIsSet, crt.renewOK, crt.renewBefore, minRenewBefore},
		} {
			if !f.set {
				continue
			}
			path := "spec." + f.key
			raw := get(d.Obj, "spec", f.key)
			if !f.ok {
				msg := fmt.Sprintf("%s: %v is not a duration; cert-manager's webhook rejects the Certificate when it is applied", f.key, raw)
				fix := "use Go syntax with a unit, e.g. 48h or 90m"
				if _, isString := raw.(string); !isString {
					msg = fmt.Sprintf("%s: %v has no unit; the API server refuses the Certificate when it is applied (its CRD schema takes a string)", f.key, raw)
					fix = fmt.Sprintf("write %vh (or the unit you meant)", raw)
					if x, ok := raw.(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
						// .nan and .inf are YAML's, not a number of hours.
						msg = fmt.Sprintf("%s: %v is not a duration; the API server refuses the Certificate when it is applied (its CRD schema takes a string)", f.key, raw)
						fix = "use Go syntax with a unit, e.g. 48h or 90m"
					}
				}
				out = append(out, at(RuleDurationUnit, d, path, msg, fix))
				continue
			}
			if f.v < f.min {
				out = append(out, at(RuleDurationMinimum, d, path,
					fmt.Sprintf("%s %s is below cert-manager's minimum %s; the Certificate is rejected when applied", f.key, f.v, f.min),
					fmt.Sprintf("make it at least %s", f.min)))
			}
		}
		out = append(out, checkRenewBeforePercentage(crt)...)
		if n := len(crt.commonName); n > maxCommonName {
			out = append(out, at(RuleCommonNameLength, d, "spec.commonName",
				fmt.Sprintf("commonName %q is %d bytes, more than the %d cert-manager's webhook admits; the Certificate is rejected when applied", crt.commonName, n, maxCommonName),
				"shorten the name it is made from (an anchor name, a namespace, the trust domain)"))
		}
		if crt.durationOK && crt.renewOK && crt.renewBefore >= crt.duration && (crt.durationSet || crt.renewIsSet) {
			out = append(out, at(RuleRenewBeforeDuration, d, "spec.renewBefore",
				fmt.Sprintf("renewBefore %s is not shorter than duration %s; cert-manager rejects it", crt.renewBefore, crt.duration),
				"make renewBefore shorter than duration (a third of it is cert-manager's default)"))
		}
		if s := c.signer(crt); s != nil && crt.durationOK && s.renewOK && crt.duration > s.renewBefore {
			out = append(out, at(RuleOutlivesSigner, d, "spec.duration",
				fmt.Sprintf("duration %s is longer than the renewBefore %s of %s, which signs it: a certificate issued just before that CA renews outlives the CA certificate it chains to",
					crt.duration, s.renewBefore, s.doc.Ref()),
				fmt.Sprintf("make duration at most %s", s.renewBefore)))
		}
	}
	return out
}

// checkRenewBeforePercentage: MTLS005, as cert-manager's webhook
// (validation.ValidateDuration) has it. The webhook checks the percentage
// only when duration or renewBefore is set too; otherwise an out-of-range
// one is accepted and ignored.
func checkRenewBeforePercentage(crt *certificate) []Finding {
	if !crt.percentSet {
		return nil
	}
	d, path := crt.doc, "spec.renewBeforePercentage"
	raw := get(d.Obj, "spec", "renewBeforePercentage")
	var out []Finding
	if crt.renewIsSet {
		out = append(out, at(RuleRenewBeforePercentage, d, path,
			"renewBefore and renewBeforePercentage are both set; cert-manager's webhook rejects the Certificate when it is applied: they are mutually exclusive",
			"remove one of them"))
	}
	validated := crt.durationSet || crt.renewIsSet
	switch {
	case !crt.percentOK:
		out = append(out, at(RuleRenewBeforePercentage, d, path,
			fmt.Sprintf("renewBeforePercentage: %v is not an integer; the API server rejects the Certificate when it is applied", raw),
			"write a whole number of percent from 1 to 99, without %"))
	case (crt.percent <= 0 || crt.percent >= 100) && validated:
		out = append(out, at(RuleRenewBeforePercentage, d, path,
			fmt.Sprintf("renewBeforePercentage %d is not within 1 to 99; cert-manager's webhook rejects the Certificate when it is applied", crt.percent),
			"set the percent of the duration left at renewal, from 1 to 99"))
	case crt.percent <= 0 || crt.percent >= 100:
		f := at(RuleRenewBeforePercentage, d, path,
			fmt.Sprintf("renewBeforePercentage %d is not within 1 to 99; without duration or renewBefore cert-manager's webhook lets it through, and cert-manager ignores it and renews at two thirds of the duration", crt.percent),
			"set the percent of the duration left at renewal, from 1 to 99, or remove it")
		f.Severity = Warning
		out = append(out, f)
	case validated && crt.durationOK:
		// The webhook checks duration × (100 − percentage) against the
		// minimum renewBefore, though renewal uses duration × percentage.
		if rb := percentOf(crt.duration, 100-crt.percent); rb < minRenewBefore {
			fix := "lengthen duration"
			if p := maxPercent(crt.duration); p > 0 {
				fix = fmt.Sprintf("make renewBeforePercentage at most %d, or lengthen duration", p)
			}
			out = append(out, at(RuleRenewBeforePercentage, d, path,
				fmt.Sprintf("with duration %s, renewBeforePercentage %d is rejected by cert-manager's webhook: it requires %d%% of the duration (%s) to be at least %s",
					crt.duration, crt.percent, 100-crt.percent, rb, minRenewBefore),
				fix))
		}
	}
	return out
}

// percentOf is p percent of d, in floating point as cert-manager computes
// it (in int64 nanoseconds, 99 times a long duration overflows).
func percentOf(d time.Duration, p int) time.Duration {
	return time.Duration(float64(d) * float64(p) / 100)
}

// maxPercent is the largest renewBeforePercentage cert-manager's webhook
// accepts with duration d, or 0 for none.
func maxPercent(d time.Duration) int {
	for p := 99; p > 0; p-- {
		if percentOf(d, 100-p) >= minRenewBefore {
			return p
		}
	}
	return 0
}

// checkIdentityIssuer: MTLS010-014.
func checkIdentityIssuer(c *cluster) []Finding {
	var out []Finding
	for _, crt := range c.identityIssuers() {
		d := crt.doc
		if crt.secret != identityIssuerName {
			out = append(out, at(RuleIssuerPlacement, d, "spec.secretName",
				fmt.Sprintf("the identity issuer writes Secret %q, but Linkerd's identity controller mounts %q: it starts without an issuer", crt.secret, identityIssuerName),
				"secretName: "+identityIssuerName))
		}
		if crt.ns != c.linkerdNS {
			out = append(out, at(RuleIssuerPlacement, d, "metadata.namespace",
				fmt.Sprintf("the identity issuer is in namespace %q, but Linkerd's control plane is in %q and can only mount Secrets of its own namespace", crt.ns, c.linkerdNS),
				"namespace: "+c.linkerdNS))
		}
		if !crt.isCA {
			out = append(out, at(RuleIssuerNotCA, d, "spec.isCA",
				"the identity issuer is not a CA: Linkerd's identity controller refuses it and no proxy gets a certificate", "isCA: true"))
		}
		if crt.keyAlgorithm != "ECDSA" || (crt.keySize != 0 && crt.keySize != 256) {
			alg := crt.keyAlgorithm
			if alg == "" {
				alg = "RSA (cert-manager's default)"
			}
			out = append(out, at(RuleIssuerKey, d, "spec.privateKey",
				fmt.Sprintf("the identity issuer key is %s, size %d: linkerd check requires ECDSA P-256", alg, crt.keySize),
				"privateKey: {algorithm: ECDSA, size: 256}"))
		}
		external := crt.issuerGroup != "" && crt.issuerGroup != "cert-manager.io"
		if crt.isCA && external && len(crt.usages) > 0 && !slices.Contains(crt.usages, "cert sign") {
			out = append(out, at(RuleIssuerCertSign, d, "spec.usages",
				fmt.Sprintf("usages %v lack cert sign, and %s/%s is an external issuer that may issue exactly these usages: the issuer could not sign proxy certificates",
					crt.usages, crt.issuerGroup, crt.issuerName),
				"add cert sign and crl sign to usages"))
		}
		if lacksServerAuth(crt.usages) {
			out = append(out, at(RuleIssuerNoServerAuth, d, "spec.usages",
				fmt.Sprintf("usages %v list extended key usages without server auth: Linkerd's identity controller refuses an issuer that does not allow server auth (pkg/tls/cred.go verifies with Go's defaults)", crt.usages),
				"add server auth to usages (Linkerd's issuers carry server auth and client auth)"))
		}
		if i := c.issuerFor(crt); i != nil && i.caSecret != "" && len(c.linkerdBundles()) > 0 && !c.publishes(i.caSecret) {
			out = append(out, at(RuleIssuerUntrusted, d, "spec.issuerRef",
				fmt.Sprintf("signed by %s, whose CA Secret %s the trust bundle does not publish: the identity controller rejects the issuer at start", i.doc.Ref(), i.caSecret),
				fmt.Sprintf("add Secret %s (key tls.crt) to the Bundle's sources, or sign with an issuer whose CA is published", i.caSecret)))
		}
	}
	return out
}

// anchors are the CA Certificates the mesh trusts: those a Linkerd bundle
// publishes, and those that sign an identity issuer.
func (c *cluster) anchors() []*certificate {
	var out []*certificate
	for _, crt := range c.certs {
		if !crt.isCA || strings.HasPrefix(crt.commonName, "identity.") || crt.secret == identityIssuerName {
			continue
		}
		signsIssuer := false
		for _, id := range c.identityIssuers() {
			signsIssuer = signsIssuer || c.signer(id) == crt
		}
		if signsIssuer || c.publishes(crt.secret) {
			out = append(out, crt)
		}
	}
	return out
}

// rotatesKey reports whether renewals make a new key: rotationPolicy Always,
// or unset (Always since cert-manager 1.18).
func (crt *certificate) rotatesKey() bool { return crt.rotationPolicy != "Never" }

// checkAnchors: MTLS020, MTLS021.
func checkAnchors(c *cluster) []Finding {
	var out []Finding
	sources := 0
	for _, b := range c.linkerdBundles() {
		sources = max(sources, len(b.sources))
	}
	for _, a := range c.anchors() {
		// Go's verification, which Linkerd's identity controller and
		// proxies use, asks every certificate of a chain for server auth.
		if lacksServerAuth(a.usages) {
			out = append(out, at(RuleIssuerNoServerAuth, a.doc, "spec.usages",
				fmt.Sprintf("anchor %s lists extended key usages %v without server auth: Go's verification asks every certificate of the chain for it, so the identity issuer signed under it is refused", a.name, extendedUsages(a.usages)),
				"add server auth to usages, or list no extended usage (cert sign and crl sign are enough for an anchor)"))
		}
		if a.rotatesKey() && sources <= 1 {
			policy := "unset (Always since cert-manager 1.18)"
			if a.rotationPolicy != "" {
				policy = a.rotationPolicy
			}
			out = append(out, at(RuleAnchorRotatesKey, a.doc, "spec.privateKey.rotationPolicy",
				fmt.Sprintf("anchor %s renews with a new key (rotationPolicy %s) and the bundle holds only this anchor: at its first renewal (%s after it is issued) every proxy stops trusting the re-signed issuer",
					a.name, policy, a.duration-a.renewBefore),
				"rotationPolicy: Never; rotate by adding a second anchor to the bundle"))
		}
	}
	for _, b := range c.linkerdBundles() {
		for _, s := range b.sources {
			if s.kind != "secret" || s.key != "ca.crt" {
				continue
			}
			crt := c.certBySecret("", s.name)
			if crt == nil {
				continue
			}
			if i := c.issuerFor(crt); i != nil && i.selfSigned {
				continue // ca.crt of a self-signed certificate is the certificate itself
			}
			out = append(out, at(RuleBundleIssuerCA, b.doc, s.path,
				fmt.Sprintf("publishes ca.crt of Secret %s (written by %s): that is its signer as of the last issuance, so when the anchor renews the old anchor leaves the bundle while proxies still present chains to it",
					s.name, crt.doc.Ref()),
				"source the anchor's own Secret, key tls.crt"))
		}
	}
	return out
}

// extendedKeyUsages are cert-manager's usages that become extended key
// usages (the keys of extKeyUsages in its pkg/api/util/usages.go); the
// rest are key usages. Listed here rather than imported: that package would
// add its dependencies to mtlsgen's start-up.
var extendedKeyUsages = []string{"any", "server auth", "client auth", "code signing", "email protection", "s/mime",
	"ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc"}

// lacksServerAuth reports usages that list extended key usages, none of
// them server auth or any: Go's default verification then refuses the
// certificate in a chain.
func lacksServerAuth(usages []string) bool {
	ekus := extendedUsages(usages)
	return len(ekus) > 0 && !slices.Contains(ekus, "server auth") && !slices.Contains(ekus, "any")
}

// extendedUsages picks the extended key usages out of a Certificate's usages.
func extendedUsages(usages []string) []string {
	var out []string
	for _, u := range usages {
		if slices.Contains(extendedKeyUsages, u) {
			out = append(out, u)
		}
	}
	return out
}
