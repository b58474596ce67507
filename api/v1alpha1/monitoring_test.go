package v1alpha1

import (
	"errors"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

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

// In a zone with daylight saving, the CronJob controller's cron library
// skips a run that falls in the hour clocks jump over and repeats one in the
// hour they go back over: a daily run at 02:30 in New York then waits 47
// hours in March. Zones without daylight saving, and runs outside those
// hours, keep their gap.
func TestScheduleGapIn(t *testing.T) {
	for _, tc := range []struct {
		schedule, zone string
		want           time.Duration
	}{
		{"30 2 * * *", "America/New_York", 47 * time.Hour},
		{"30 2 * * *", "Europe/Berlin", 47 * time.Hour},
		{"30 2 * * *", "", 24 * time.Hour},
		{"30 2 * * *", "Etc/UTC", 24 * time.Hour},
		{"30 2 * * *", "Asia/Tokyo", 24 * time.Hour},
		{"30 4 * * *", "America/New_York", 25 * time.Hour}, // 04:30 EST to 04:30 EDT is 23h, back is 25h
		{"*/30 * * * *", "America/New_York", 30 * time.Minute},
		{"0 */6 * * *", "Europe/Berlin", 7 * time.Hour},             // 00:00 to 06:00 the night clocks go back
		{"0 2 * * 0", "Europe/Berlin", 14*24*time.Hour - time.Hour}, // clocks jump from 02:00 on a Sunday
		{"0 4 * * 0", "Europe/Berlin", 7*24*time.Hour + time.Hour},
		{"30 2 * * 0", "America/New_York", 14*24*time.Hour - time.Hour}, // the Sunday it is skipped
		{"0 0 1 * *", "Europe/Berlin", 31*24*time.Hour + time.Hour},     // October has 31 days and an extra hour
		{"30 2 * * *", "CRON_TZ=bad", 0},
	} {
		got, err := ScheduleGapIn(tc.schedule, tc.zone)
		if got != tc.want || (err != nil) != (tc.want == 0) {
			t.Errorf("%q in %q: %s, %v; want %s", tc.schedule, tc.zone, got, err, tc.want)
		}
		if err == nil && tc.want < 30*24*time.Hour {
			if walked := walkedGap(t, tc.schedule, tc.zone); walked != got {
				t.Errorf("%q in %q: %s, but run by run over the year %s", tc.schedule, tc.zone, got, walked)
			}
		}
	}
}

// walkedGap is the longest gap between runs of schedule in zone over 2025,
// walked run by run: slow, and what ScheduleGapIn's day steps must equal.
func walkedGap(t *testing.T, schedule, zone string) time.Duration {
	t.Helper()
	if zone != "" {
		schedule = "TZ=" + zone + " " + schedule
	}
	s, err := cron.ParseStandard(schedule)
	if err != nil {
		t.Fatal(err)
	}
	var longest time.Duration
	end := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	for prev := s.Next(time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)); prev.Before(end); {
		next := s.Next(prev)
		longest = max(longest, next.Sub(prev))
		prev = next
	}
	return longest
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
