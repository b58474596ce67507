package v1alpha1

import (
	"errors"
	"testing"
	"time"

	_ "github.com/mtlsgen/mtlsgen/internal/testutil"
)

func TestLongestScheduleGap(t *testing.T) {
	for schedule, want := range map[string]time.Duration{
		"25 */6 * * *":      6 * time.Hour,
		"*/15 * * * *":      15 * time.Minute,
		"0 */7 * * *":       7 * time.Hour,                 // 0, 7, 14, 21, then 3h to midnight
		"*/15 8-17 * * 1-5": 62*time.Hour + 15*time.Minute, // Friday 17:45 to Monday 08:00
		"0 0 1 * *":         31 * 24 * time.Hour,
		"0 3 * * 0":         7 * 24 * time.Hour,
		"0 0 29 2 *":        1461 * 24 * time.Hour, // leap days, 2028 to 2032
		// Thousands of runs close together, then weeks without: every 5
		// minutes in the first week of the month (7 January 23:55 to
		// 1 February), every 15 minutes in January (to 2029, after a leap
		// year), every minute on 1 January.
		"*/5 * 1-7 * *":  24*24*time.Hour + 5*time.Minute,
		"*/15 * * 1 *":   335*24*time.Hour + 15*time.Minute,
		"* * 1 1 *":      365*24*time.Hour + time.Minute,
		"@every 90m":     90 * time.Minute,
		"not a schedule": 0,
	} {
		if got := LongestScheduleGap(schedule); got != want {
			t.Errorf("%q: %s, want %s", schedule, got, want)
		}
	}
}

// A schedule that never runs and one that does not parse both have no gap,
// and ScheduleGap says which; yearly schedules have one of a leap year.
func TestScheduleGap(t *testing.T) {
	for schedule, want := range map[string]time.Duration{
		"0 0 1 1 *": 366 * 24 * time.Hour, // 2028 to 2029
		"@yearly":   366 * 24 * time.Hour,
	} {
		if got, err := ScheduleGap(schedule); err != nil || got != want {
			t.Errorf("%q: %s, %v; want %s", schedule, got, err, want)
		}
	}
	if got, err := ScheduleGap("0 0 30 2 *"); !errors.Is(err, ErrScheduleNeverRuns) || got != 0 {
		t.Errorf("30 February: %s, %v; want ErrScheduleNeverRuns", got, err)
	}
	if _, err := ScheduleGap("not a schedule"); err == nil || errors.Is(err, ErrScheduleNeverRuns) {
		t.Errorf("not a schedule: %v, want a parse error", err)
	}
}

// Thresholds derive from renewBefore, within their bounds, unless set; the
// derived ones always pass validation: warning before critical, critical
// before expiry, nothing firing on a normal renewal.
func TestExpiryAlerts_Thresholds(t *testing.T) {
	h := time.Hour
	for _, tc := range []struct {
		renew             time.Duration
		set               ExpiryAlerts
		expiring, overdue time.Duration
	}{
		{renew: 25 * h, expiring: 12*h + 30*time.Minute, overdue: 2*h + 30*time.Minute},
		{renew: 720 * h, expiring: 360 * h, overdue: 24 * h},
		{renew: 8760 * h, expiring: 720 * h, overdue: 24 * h},
		{renew: 2 * h, expiring: h, overdue: 30 * time.Minute},
		{renew: 5 * time.Minute, expiring: 150 * time.Second, overdue: 75 * time.Second},
		{renew: 25 * h, set: ExpiryAlerts{ExpiringWithin: "24h"}, expiring: 24 * h, overdue: 30 * time.Minute},
		{renew: 25 * h, set: ExpiryAlerts{ExpiringWithin: "6h", RenewalOverdueBy: "1h"}, expiring: 6 * h, overdue: h},
	} {
		l := Lifetime{Duration: DurationOf(2 * tc.renew), RenewBefore: DurationOf(tc.renew)}
		got := tc.set.Thresholds(l)
		if got.ExpiringWithin != tc.expiring || got.RenewalOverdueBy != tc.overdue {
			t.Errorf("renewBefore %s, set %+v: %+v, want expiring %s overdue %s", tc.renew, tc.set, got, tc.expiring, tc.overdue)
		}
		if tc.set == (ExpiryAlerts{}) || tc.set.RenewalOverdueBy == "" {
			if !(got.ExpiringWithin < tc.renew && got.RenewalOverdueBy > 0 && got.RenewalOverdueBy < tc.renew-got.ExpiringWithin) {
				t.Errorf("renewBefore %s: derived %+v break the ordering", tc.renew, got)
			}
		}
	}
}
