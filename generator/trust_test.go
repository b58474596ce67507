package generator_test

import (
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
