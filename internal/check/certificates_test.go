package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// certificateInput is one Certificate with the given spec fields (YAML,
// one a line, indented by two).
func certificateInput(spec string) *Input {
	in := &Input{}
	in.AddManifests("cert.yaml", []byte("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: demo, namespace: default}\nspec:\n"+
		"  secretName: demo\n  issuerRef: {name: ca, kind: ClusterIssuer}\n"+spec))
	return in
}

// The renewBefore check uses is when cert-manager renews: renewBefore,
// else renewBeforePercentage of the duration when it is within (0, 100),
// else a third of the duration.
func TestNewCertificate_renewBefore(t *testing.T) {
	h := time.Hour
	for spec, want := range map[string]time.Duration{
		"  duration: 48h\n":                                  16 * h,
		"  duration: 48h\n  renewBefore: 10h\n":              10 * h,
		"  duration: 48h\n  renewBeforePercentage: 25\n":     12 * h,
		"  duration: 48h\n  renewBeforePercentage: 25.0\n":   12 * h,
		"  renewBeforePercentage: 10\n":                      9 * 24 * h, // of the default 90 days
		"  duration: 87600h\n  renewBeforePercentage: 99\n":  86724 * h,  // no int64 overflow
		"  duration: 48h\n  renewBeforePercentage: 100\n":    16 * h,     // ignored
		"  duration: 48h\n  renewBeforePercentage: \"25\"\n": 16 * h,     // not an integer
		// Both set: cert-manager's webhook refuses it; renewal would use renewBefore.
		"  duration: 48h\n  renewBefore: 10h\n  renewBeforePercentage: 25\n": 10 * h,
	} {
		crt := buildClusters(certificateInput(spec))[0].certs[0]
		if !crt.renewOK || crt.renewBefore != want {
			t.Errorf("%q: renewBefore %s (ok %v), want %s", spec, crt.renewBefore, crt.renewOK, want)
		}
	}
}

// MTLS005 reports what cert-manager's webhook rejects, and as a warning a
// percentage it lets through but ignores.
func TestCheckDurations_renewBeforePercentage(t *testing.T) {
	for spec, want := range map[string]struct {
		severity Severity
		message  string
	}{
		"  duration: 48h\n  renewBefore: 16h\n  renewBeforePercentage: 25\n": {Error, "renewBefore and renewBeforePercentage are both set"},
		"  duration: 48h\n  renewBeforePercentage: 0\n":                      {Error, "renewBeforePercentage 0 is not within 1 to 99; cert-manager's webhook rejects"},
		"  renewBefore: 16h\n  renewBeforePercentage: 25\n":                  {Error, "renewBefore and renewBeforePercentage are both set"},
		"  duration: 48h\n  renewBeforePercentage: -5\n":                     {Error, "renewBeforePercentage -5 is not within 1 to 99; cert-manager's webhook rejects"},
		"  renewBeforePercentage: 150\n":                                     {Warning, "renewBeforePercentage 150 is not within 1 to 99; without duration or renewBefore"},
		"  renewBeforePercentage: \"25%\"\n":                                 {Error, "renewBeforePercentage: 25% is not an integer"},
		// The webhook wants 100 - 95 = 5% of 1h, 3m, to be at least 5m.
		"  duration: 1h\n  renewBeforePercentage: 95\n":  {Error, "with duration 1h0m0s, renewBeforePercentage 95 is rejected"},
		"  duration: 1h\n  renewBeforePercentage: 91\n":  {},
		"  duration: 48h\n  renewBeforePercentage: 1\n":  {},
		"  duration: 48h\n  renewBeforePercentage: 99\n": {},
	} {
		got := Run(certificateInput(spec), Options{})
		switch {
		case want.message == "" && len(got) > 0:
			t.Errorf("%q: unexpected findings:\n%s", spec, lines(got))
		case want.message != "" && (len(got) != 1 || got[0].Rule != RuleRenewBeforePercentage ||
			got[0].Level() != want.severity || !strings.HasPrefix(got[0].Message, want.message)):
			var msgs []string
			for _, f := range got {
				msgs = append(msgs, f.Rule.ID+" "+string(f.Level())+": "+f.Message)
			}
			t.Errorf("%q: got %q, want one MTLS005 %s starting %q", spec, msgs, want.severity, want.message)
		}
	}
}

// MTLS053 compares proxy certificate lifetimes with the renewBefore a
// percentage gives: 25h proxies are fine under an issuer renewed 75% (36h)
// before it expires, not under one renewed 50% (24h) before.
func TestCheckValues_renewBeforePercentage(t *testing.T) {
	dir := filepath.Join("testdata", "rules", "MTLS053")
	raw, err := os.ReadFile(filepath.Join(dir, "bad.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	values, err := os.ReadFile(filepath.Join(dir, "bad.values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for percent, findings := range map[string]int{"75": 0, "50": 1} {
		manifests := strings.Replace(string(raw), "renewBefore: 25h", "renewBeforePercentage: "+percent, 1)
		if manifests == string(raw) {
			t.Fatal("MTLS053's bad.yaml no longer sets renewBefore: 25h")
		}
		in := &Input{}
		in.AddManifests("bad.yaml", []byte(manifests))
		in.AddValues("bad.values.yaml", "", values)
		if got := Run(in, Options{}); len(got) != findings {
			t.Errorf("renewBeforePercentage %s: want %d MTLS053 findings, got\n%s", percent, findings, lines(got))
		}
	}
}

// A number without a unit gets the unit as its fix; YAML's .nan and .inf
// are no number of hours, and get the syntax instead.
func TestCheckDurations_noUnit(t *testing.T) {
	for value, fix := range map[string]string{
		"48":   "write 48h (or the unit you meant)",
		".nan": "use Go syntax with a unit, e.g. 48h or 90m",
		".inf": "use Go syntax with a unit, e.g. 48h or 90m",
	} {
		var got []string
		for _, f := range Run(certificateInput("  duration: "+value+"\n"), Options{}) {
			if f.Rule == RuleDurationUnit {
				got = append(got, f.Fix)
			}
		}
		if len(got) != 1 || got[0] != fix {
			t.Errorf("duration %s: fixes %q, want %q", value, got, fix)
		}
	}
}
