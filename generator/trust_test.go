package generator_test

import (
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
)

func TestIdentityIssuerRevisionHistory(t *testing.T) {
	for _, tc := range []struct {
		name                                  string
		duration, renewBefore, issuance, skew string
		want                                  int32
	}{
		// Renewed every 23h: a 24h proxy lifetime spans two renewals.
		{"profile defaults", "48h", "25h", "24h", "20s", 6},
		// Renewed every 2h: 1h5m20s of proxy lifetime spans one.
		{"short proxy lifetime", "4h", "2h", "1h", "20s", 5},
		// Renewed every 10m: 2h5m20s spans thirteen.
		{"frequent renewals", "3h", "2h50m", "2h", "20s", 17},
		// Renewed every minute: bounded, so the CertificateRequests stay few.
		{"bounded", "26h", "25h59m", "24h", "0s", 104},
		// Near the largest durations: no overflow.
		{"huge", "2562047h47m16s", "10m", "9m", "30s", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ii := &v1alpha1.IdentityIssuerSpec{
				Lifetime:           v1alpha1.Lifetime{Duration: v1alpha1.Duration(tc.duration), RenewBefore: v1alpha1.Duration(tc.renewBefore)},
				IssuanceLifetime:   v1alpha1.Duration(tc.issuance),
				ClockSkewAllowance: v1alpha1.Duration(tc.skew),
			}
			if got := generator.IdentityIssuerRevisionHistory(ii); got != tc.want {
				t.Errorf("revisionHistoryLimit %d, want %d", got, tc.want)
			}
		})
	}
}

// Every webhook's Service name is within the longest one validation bounds
// the serving certificate's common name by.
func TestKnownWebhooks_withinLongestService(t *testing.T) {
	for _, w := range generator.KnownWebhooks {
		longest, ok := v1alpha1.LongestWebhookService[w.Chart]
		if !ok || len(w.Service) > len(longest) {
			t.Errorf("webhook %s of chart %s: longer than v1alpha1.LongestWebhookService[%s] %q", w.Service, w.Chart, w.Chart, longest)
		}
	}
}

// Specs at validation's bounds render common names of exactly 64 bytes, the
// most cert-manager admits: validation and the generator agree on how
// common names are made.
func TestCommonNames_atTheBound(t *testing.T) {
	for name, spec := range map[string]string{
		"anchor name":       "trust: {anchors: [{name: " + strings.Repeat("a", 42) + ", active: true, selfSigned: {}}]}",
		"linkerd namespace": "trust: {anchors: [{name: r, active: true, selfSigned: {}}]}\n  linkerd: {namespace: " + strings.Repeat("l", 35) + "}",
		"viz namespace":     "trust: {anchors: [{name: r, active: true, selfSigned: {}}]}\n  linkerd: {extensions: {viz: {enabled: true, namespace: " + strings.Repeat("v", 47) + "}}}",
		"trust domain":      "trust: {anchors: [{name: r, active: true, selfSigned: {}}]}\n  linkerd: {trustDomain: " + strings.Repeat("t", 39) + ".local}",
	} {
		t.Run(name, func(t *testing.T) {
			m := loadSpec(t, "apiVersion: mtlsgen.dev/v1alpha1\nkind: MeshTLS\nmetadata: {name: x}\nspec:\n  argocd: {enabled: false}\n  "+spec+"\n")
			longest := ""
			for _, objs := range byCluster(t, m) {
				for _, c := range pick(objs).certs {
					if len(c.Spec.CommonName) > len(longest) {
						longest = c.Spec.CommonName
					}
				}
			}
			if len(longest) != v1alpha1.MaxCommonNameLength {
				t.Errorf("longest common name %q is %d bytes, want %d", longest, len(longest), v1alpha1.MaxCommonNameLength)
			}
		})
	}
}
