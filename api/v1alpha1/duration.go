package v1alpha1

import (
	"fmt"
	"strings"
	"time"
)

// Duration is a length of time in Go's syntax: "48h", "90m", "8760h". A bare
// number is refused: cert-manager and Linkerd both need a unit, and "24"
// silently meaning nanoseconds (or being rejected by the API server after the
// commit) is the mistake this type exists to catch.
type Duration string

// Parse returns the duration, or an error that says what is wrong with it.
func (d Duration) Parse() (time.Duration, error) {
	s := strings.TrimSpace(string(d))
	if s == "" {
		return 0, fmt.Errorf("empty duration (use Go syntax, e.g. 48h)")
	}
	if isDigits(s) {
		return 0, fmt.Errorf("missing unit, e.g. %sh", s)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("not a duration (use Go syntax with a unit, e.g. 48h, 90m or 8760h)")
	}
	return v, nil
}

// MustParse returns the duration of a Duration that validation accepted. It
// returns 0 for an invalid one, which validation has already reported.
func (d Duration) MustParse() time.Duration {
	v, _ := d.Parse()
	return v
}

// DurationOf formats a time.Duration the way a spec file writes it: "48h",
// "25h", "90m", "20s".
func DurationOf(v time.Duration) Duration {
	s := v.String()
	// time.Duration prints 48h0m0s; trim the zero tail a human would not write.
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return Duration(s)
}

func isDigits(s string) bool {
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' && r != '-' && r != '+' {
			return false
		}
	}
	return s != ""
}
