package v1alpha1

import (
	"strings"
	"testing"
	"time"

	_ "github.com/mtlsgen/mtlsgen/internal/testutil"
)

func TestDuration_Parse(t *testing.T) {
	cases := map[string]struct {
		in      Duration
		want    time.Duration
		wantErr string
	}{
		"hours":                {in: "48h", want: 48 * time.Hour},
		"compound":             {in: "1h30m", want: 90 * time.Minute},
		"bare number":          {in: "24", wantErr: "missing unit, e.g. 24h"},
		"bare decimal":         {in: "1.5", wantErr: "missing unit, e.g. 1.5h"},
		"days are not Go":      {in: "2d", wantErr: "not a duration (use Go syntax with a unit, e.g. 48h, 90m or 8760h)"},
		"empty":                {in: "", wantErr: "empty duration (use Go syntax, e.g. 48h)"},
		"surrounding space ok": {in: " 25h ", want: 25 * time.Hour},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := tc.in.Parse()
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestDurationOf(t *testing.T) {
	for in, want := range map[time.Duration]Duration{
		48 * time.Hour:   "48h",
		90 * time.Minute: "1h30m",
		20 * time.Second: "20s",
		25 * time.Minute: "25m",
	} {
		if got := DurationOf(in); got != want {
			t.Errorf("DurationOf(%v) = %q, want %q", in, got, want)
		}
		if back := DurationOf(in).MustParse(); back != in {
			t.Errorf("round trip of %v gave %v", in, back)
		}
	}
}

// A message quotes what the user wrote, cut short when it is long, and
// never in the middle of a character.
func TestQuoteValue(t *testing.T) {
	for in, want := range map[string]string{
		"yes":                        `"yes"`,
		strings.Repeat("y", 5000000): `"` + strings.Repeat("y", 64) + `"... (5000000 bytes)`,
		strings.Repeat("é", 40):      `"` + strings.Repeat("é", 32) + `"... (80 bytes)`,
	} {
		if got := QuoteValue(in); got != want {
			t.Errorf("QuoteValue(%.20q...) = %.80s, want %.80s", in, got, want)
		}
	}
}
