package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mtlsgen/mtlsgen/generator"
)

// checkWebhookCertificates: MTLS040, MTLS041.
func checkWebhookCertificates(c *cluster) []Finding {
	var out []Finding
	for _, crt := range c.certs {
		d := crt.doc
		for _, w := range generator.KnownWebhooks {
			host := w.Service + "." + crt.ns + ".svc"
			bySecret := crt.secret == w.Secret
			byHost := slices.ContainsFunc(crt.dnsNames, func(n string) bool { return strings.HasPrefix(n, w.Service+".") })
			switch {
			case bySecret && !slices.Contains(crt.dnsNames, host):
				out = append(out, at(RuleWebhookCertificate, d, "spec.dnsNames",
					fmt.Sprintf("writes %s's Secret %s but its DNS names %v do not include %s: the API server refuses the webhook's certificate and every %s call fails",
						w.Service, w.Secret, crt.dnsNames, host, w.Service),
					"dnsNames: ["+host+"]"))
			case byHost && !bySecret && crt.secret != "":
				out = append(out, at(RuleWebhookCertificate, d, "spec.secretName",
					fmt.Sprintf("is for %s but writes Secret %s; the chart mounts %s, so the webhook never serves it", w.Service, crt.secret, w.Secret),
					"secretName: "+w.Secret))
			}
		}
		if crt.secret == generator.PolicyValidatorSecret && crt.keyAlgorithm == "ECDSA" && crt.keyEncoding != "PKCS8" {
			enc := crt.keyEncoding
			if enc == "" {
				enc = "PKCS1 (cert-manager's default)"
			}
			out = append(out, at(RulePolicyValidatorPKCS8, d, "spec.privateKey.encoding",
				fmt.Sprintf("an ECDSA key encoded %s: the policy validator cannot load it and does not start, so policy resources cannot be validated", enc),
				"privateKey.encoding: PKCS8"))
		}
	}
	return out
}
