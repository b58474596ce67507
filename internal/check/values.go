package check

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mtlsgen/mtlsgen/generator"
)

// checkValues: MTLS042-044 and MTLS050-055 on Linkerd Helm values.
func checkValues(c *cluster, opts Options) []Finding {
	var out []Finding
	for _, v := range c.values {
		out = append(out, checkWebhookValues(c, v)...)
		switch v.Chart {
		case "linkerd-control-plane":
			out = append(out, checkControlPlaneValues(c, v)...)
		case "linkerd-jaeger":
			if noJaeger(v, c.values, opts.LinkerdVersion) {
				out = append(out, Finding{Rule: RuleJaegerRemoved, File: v.Doc.File, Line: v.Doc.LineOf(v.Prefix), Object: valuesObject(v), Path: v.Prefix,
					Message: "linkerd-jaeger values for Linkerd 2.19 or later, which has no linkerd-jaeger chart (removed in edge-25.10.1): the install fails",
					Fix:     "remove the jaeger extension, or stay on Linkerd 2.18"})
			}
		}
	}
	return out
}

func valuesAt(r *Rule, v *Values, key, msg, fix string) Finding {
	p := v.Path(key)
	return Finding{Rule: r, File: v.Doc.File, Line: v.Doc.LineOf(p), Object: valuesObject(v), Path: p, Message: msg, Fix: fix}
}

func valuesObject(v *Values) string {
	if v.Prefix == "" {
		return v.Chart + " values"
	}
	return v.Doc.Ref()
}

func checkWebhookValues(c *cluster, v *Values) []Finding {
	var out []Finding
	hasCerts := len(c.certs) > 0
	for _, w := range generator.KnownWebhooks {
		if w.Chart != v.Chart {
			continue
		}
		block, _ := v.V[w.ValuesKey].(map[string]any)
		external, _ := block["externalSecret"].(bool)
		from, _ := block["injectCaFrom"].(string)
		fromSecret, _ := block["injectCaFromSecret"].(string)
		bundle, _ := block["caBundle"].(string)
		if !external {
			out = append(out, valuesAt(RuleChartGeneratedCerts, v, w.ValuesKey+".externalSecret",
				fmt.Sprintf("%s uses a certificate the chart generates on every render: Argo CD shows it out of sync forever and its pods restart on each sync", w.Service),
				w.ValuesKey+": {externalSecret: true, injectCaFrom: NAMESPACE/"+w.Certificate+"}"))
			continue
		}
		if from == "" && fromSecret == "" && bundle == "" {
			out = append(out, valuesAt(RuleExternalSecretNoCA, v, w.ValuesKey,
				fmt.Sprintf("externalSecret is true but %s has no injectCaFrom, injectCaFromSecret or caBundle: the chart refuses to render (and the API server could not verify %s)", w.ValuesKey, w.Service),
				w.ValuesKey+".injectCaFrom: NAMESPACE/"+w.Certificate))
			continue
		}
		if from == "" {
			continue
		}
		ns, name, ok := strings.Cut(from, "/")
		if !ok {
			out = append(out, valuesAt(RuleInjectCAFromMissing, v, w.ValuesKey+".injectCaFrom",
				fmt.Sprintf("injectCaFrom %q has no namespace/ prefix: cert-manager's cainjector ignores it and %s never gets a CA", from, w.Service),
				fmt.Sprintf("injectCaFrom: NAMESPACE/%s", from)))
			continue
		}
		found := false
		for _, crt := range c.certs {
			found = found || crt.ns == ns && crt.name == name
		}
		if hasCerts && !found {
			out = append(out, valuesAt(RuleInjectCAFromMissing, v, w.ValuesKey+".injectCaFrom",
				fmt.Sprintf("injectCaFrom %q names no Certificate in the input: %s would get no CA and the API server could not call it", from, w.Service),
				"name the Certificate that writes "+w.Secret))
		}
	}
	return out
}

func checkControlPlaneValues(c *cluster, v *Values) []Finding {
	var out []Finding
	issuers := c.identityIssuers()
	externalCA, _ := get(v.V, "identity", "externalCA").(bool)
	scheme := str(v.V, "identity", "issuer", "scheme")
	if scheme == "" {
		scheme = "linkerd.io/tls" // the chart's default
	}
	if len(issuers) > 0 || scheme == "kubernetes.io/tls" {
		if !externalCA {
			out = append(out, valuesAt(RuleExternalCAOff, v, "identity.externalCA",
				"identity.externalCA is not true while cert-manager issues the identity issuer: the chart renders its own linkerd-identity-trust-roots ConfigMap, fighting trust-manager's",
				"identity.externalCA: true"))
		}
	}
	if len(issuers) > 0 && scheme != "kubernetes.io/tls" {
		out = append(out, valuesAt(RuleIssuerScheme, v, "identity.issuer.scheme",
			fmt.Sprintf("scheme %s: the chart renders its own issuer Secret and the identity controller ignores the one cert-manager writes", scheme),
			"identity.issuer.scheme: kubernetes.io/tls"))
	}
	if pem, _ := v.V["identityTrustAnchorsPEM"].(string); externalCA && strings.TrimSpace(pem) != "" {
		out = append(out, valuesAt(RuleTrustAnchorsPEMWithExternalCA, v, "identityTrustAnchorsPEM",
			"identityTrustAnchorsPEM is set while the trust roots come from the bundle (externalCA): a second copy that goes stale at the first anchor rotation",
			"remove identityTrustAnchorsPEM"))
	}
	lifetime, okL := durationValue(v.V, 24*time.Hour, "identity", "issuer", "issuanceLifetime")
	skew, okS := durationValue(v.V, 20*time.Second, "identity", "issuer", "clockSkewAllowance")
	for _, crt := range issuers {
		if okL && okS && crt.renewOK && lifetime >= crt.renewBefore-skew { // not added: no overflow
			out = append(out, valuesAt(RuleProxyOutlivesIssuer, v, "identity.issuer.issuanceLifetime",
				fmt.Sprintf("proxy certificates live %s (with %s clock skew), not shorter than the renewBefore %s of %s: Linkerd cuts those issued before the issuer renews off at its expiry, and proxies renew early and often",
					lifetime, skew, crt.renewBefore, crt.doc.Ref()),
				fmt.Sprintf("make issuanceLifetime shorter than %s, or lengthen the issuer's renewBefore", crt.renewBefore-skew)))
		}
	}
	disabled, _ := v.V["disableHeartBeat"].(bool)
	if _, fixed := v.V["heartbeatSchedule"]; !fixed && !disabled {
		out = append(out, valuesAt(RuleNoHeartbeatSchedule, v, "heartbeatSchedule",
			"no heartbeatSchedule: the chart derives the heartbeat CronJob's schedule from the render time, so every render differs and Argo CD never settles",
			`heartbeatSchedule: "17 3 * * *" (any fixed time), or disableHeartBeat: true`))
	}
	return out
}

func durationValue(m map[string]any, def time.Duration, path ...string) (time.Duration, bool) {
	raw := get(m, path...)
	if raw == nil {
		return def, true
	}
	return parseDuration(raw)
}

// noJaeger reports whether the jaeger values target Linkerd 2.19 or later:
// from --linkerd-version, or from the chart versions Argo CD Applications
// name (edge charts are YYYY.M.N; jaeger's removal shipped in 2025.10.1).
func noJaeger(jaeger *Values, all []*Values, version string) bool {
	if version != "" {
		minor, ok := LinkerdMinor(version)
		return ok && minor >= 19
	}
	for _, v := range append([]*Values{jaeger}, all...) {
		if v.Version != "" && (v.Chart == "linkerd-jaeger" || v.Chart == "linkerd-control-plane") && edgeOnOrAfter(v.Version, 2025, 10, 1) {
			return true
		}
	}
	return false
}

func edgeOnOrAfter(chartVersion string, y, m, n int) bool {
	parts := strings.Split(chartVersion, ".")
	if len(parts) != 3 {
		return false
	}
	var v [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil {
			return false
		}
		v[i] = x
	}
	if v[0] < 2000 {
		return false // a stable chart version (1.16.11): 2.14
	}
	return v[0] > y || v[0] == y && (v[1] > m || v[1] == m && v[2] >= n)
}

// linkerdVersion is a Linkerd release as --linkerd-version takes it: 2.MINOR
// or 2.MINOR.PATCH.
var linkerdVersion = regexp.MustCompile(`^2\.([0-9]+)(?:\.[0-9]+)?$`)

// LinkerdMinor is the minor release of a Linkerd version such as 2.19 or
// 2.19.1; ok is false for anything else.
func LinkerdMinor(version string) (minor int, ok bool) {
	m := linkerdVersion.FindStringSubmatch(version)
	if m == nil {
		return 0, false
	}
	minor, err := strconv.Atoi(m[1])
	return minor, err == nil
}
