package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// MTLS090's bad fixture (a rotating anchor, an identity issuer re-signed
// within 23h) with the restarter's schedule replaced.
func cadenceInput(t *testing.T, schedule string) *Input {
	t.Helper()
	return cadenceSpec(t, `schedule: "`+schedule+`"`)
}

// cadenceSpec is that fixture with its CronJob's schedule line replaced by
// lines (of its spec, indented by two).
func cadenceSpec(t *testing.T, lines string) *Input {
	t.Helper()
	file := filepath.Join("testdata", "rules", "MTLS090", "bad.yaml")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	const weekly = `schedule: "0 0 * * 0"`
	if !strings.Contains(string(raw), weekly) {
		t.Fatalf("%s no longer has %s", file, weekly)
	}
	in := &Input{}
	in.AddManifests(file, []byte(strings.Replace(string(raw), weekly, lines, 1)))
	return in
}

// Schedules that run once a year or less, or never, are far too rare; the
// gap is found however far apart the runs are.
func TestCheckCadence_rareSchedules(t *testing.T) {
	for schedule, want := range map[string]string{
		"0 0 1 1 *":  "restarts every 8784h0m0s at most", // 2028 is a leap year
		"@yearly":    "restarts every 8784h0m0s at most",
		"0 0 29 2 *": "restarts every 35064h0m0s at most", // leap days, 2028 to 2032
		"0 0 30 2 *": `schedule "0 0 30 2 *" never runs`,
		// Every 5 minutes in the first week of the month: thousands of runs,
		// then 24 days without.
		"*/5 * 1-7 * *": "restarts every 576h5m0s at most",
		"0 */6 * * *":   "",
	} {
		t.Run(schedule, func(t *testing.T) {
			var got []string
			for _, f := range Run(cadenceInput(t, schedule), Options{}) {
				if f.Rule != RuleCadence {
					t.Errorf("unexpected %s: %s", f.Rule.ID, f.Message)
					continue
				}
				got = append(got, f.Message)
			}
			switch {
			case want == "" && len(got) > 0:
				t.Errorf("findings for a schedule every 6h: %q", got)
			case want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], want)):
				t.Errorf("got %q, want one MTLS090 starting %q", got, want)
			}
		})
	}
}

// The gap is the CronJob controller's, in the CronJob's timeZone: a daily
// run at 02:30 in New York is skipped the night clocks jump to 03:00.
func TestCheckCadence_timeZone(t *testing.T) {
	for zone, want := range map[string]string{
		"":                 "restarts every 24h0m0s at most, but",
		"Etc/UTC":          "restarts every 24h0m0s at most (in time zone Etc/UTC), but",
		"America/New_York": "restarts every 47h0m0s at most (in time zone America/New_York), but",
		"Not/AZone":        "", // the API server refuses it
		"Local":            "", // so it does these two
		`""`:               "",
	} {
		lines := `schedule: "30 2 * * *"`
		if zone != "" {
			lines += "\n  timeZone: " + zone
		}
		var got []string
		for _, f := range Run(cadenceSpec(t, lines), Options{}) {
			got = append(got, f.Message)
		}
		if want == "" && len(got) > 0 || want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], want)) {
			t.Errorf("timeZone %q: got %q, want one finding starting %q", zone, got, want)
		}
	}
}

// A suspended restart job runs on no schedule at all.
func TestCheckCadence_suspended(t *testing.T) {
	fs := Run(cadenceSpec(t, "schedule: \"0 */6 * * *\"\n  suspend: true"), Options{})
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule.ID+" "+f.Path+": "+f.Message)
	}
	if len(fs) != 1 || fs[0].Rule != RuleCadence || fs[0].Path != "spec.suspend" || !strings.HasPrefix(fs[0].Message, "the restart job is suspended") {
		t.Errorf("got %q, want one MTLS090 on spec.suspend", got)
	}
}
