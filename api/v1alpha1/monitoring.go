package v1alpha1

import (
	"errors"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// MonitoringSpec configures the alerts mtlsgen generates for the
// certificates and the restarter it generates: a Prometheus Operator
// PrometheusRule per cluster.
type MonitoringSpec struct {
	// PrometheusRule emits, in every cluster, a PrometheusRule
	// (monitoring.coreos.com/v1) alerting on the generated Certificates (not
	// Ready, renewal overdue, expiring) and on the restarter. Every cluster
	// then needs the Prometheus Operator's CRDs. When mtlsgen installs
	// cert-manager it also turns on cert-manager's ServiceMonitor, so the
	// metrics the alerts read are scraped.
	// +optional
	PrometheusRule bool `json:"prometheusRule,omitempty"`
	// Namespace of the PrometheusRule; the Linkerd namespace when empty.
	// Another namespace must exist already: mtlsgen creates only Linkerd's.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Labels put on the PrometheusRule and on cert-manager's ServiceMonitor,
	// so that a Prometheus's ruleSelector and serviceMonitorSelector pick
	// them (kube-prometheus-stack selects release: RELEASE-NAME).
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// CertificateNamespaceLabel is the label that carries a Certificate's
	// namespace on cert-manager's metrics in Prometheus: namespace when
	// cert-manager is scraped with honorLabels (as mtlsgen configures the
	// cert-manager it installs), exported_namespace when it is scraped
	// without.
	// +optional
	CertificateNamespaceLabel string `json:"certificateNamespaceLabel,omitempty"`
	// NotReadyFor is how long a generated Certificate may stay not Ready, or
	// unreported by cert-manager, before an alert (at least 1m, as every
	// alert duration here).
	// +optional
	NotReadyFor Duration `json:"notReadyFor,omitempty"`
	// StaleTrustRootsFor is how long the restarter may report workloads
	// holding stale trust roots before an alert. It must be longer than the
	// longest interval between two restarter runs.
	// +optional
	StaleTrustRootsFor Duration `json:"staleTrustRootsFor,omitempty"`
	// RootCAs are the thresholds of the self-signed anchors and the webhook
	// CA, whose lifetime is trust.anchorLifetime.
	// +optional
	RootCAs ExpiryAlerts `json:"rootCAs,omitzero"`
	// IdentityIssuer are the thresholds of the identity issuer, whose
	// lifetime is identityIssuer.
	// +optional
	IdentityIssuer ExpiryAlerts `json:"identityIssuer,omitzero"`
	// Webhooks are the thresholds of the webhook serving certificates, whose
	// lifetime is webhooks.
	// +optional
	Webhooks ExpiryAlerts `json:"webhooks,omitzero"`
}

// ExpiryAlerts are the thresholds of the alerts on one kind of certificate.
// Empty fields are derived from the certificates' renewBefore, so that a 48h
// issuer and a ten-year anchor never share a threshold.
type ExpiryAlerts struct {
	// ExpiringWithin raises a critical alert when a certificate expires
	// within this time: cert-manager should have renewed it long before.
	// Default: half of renewBefore, at most 720h. Must be shorter than
	// renewBefore, or the alert would fire on every renewal.
	// +optional
	ExpiringWithin Duration `json:"expiringWithin,omitempty"`
	// RenewalOverdueBy raises a warning when a certificate's renewal time
	// has passed by this much and cert-manager has not renewed it. Default:
	// a tenth of renewBefore, between 75m and 24h, at most a quarter of
	// renewBefore and half of renewBefore minus expiringWithin. Must be
	// shorter than renewBefore minus expiringWithin, so that the warning
	// comes before the critical alert.
	// +optional
	RenewalOverdueBy Duration `json:"renewalOverdueBy,omitempty"`
}

// ExpiryThresholds are the effective thresholds of one kind of certificate.
type ExpiryThresholds struct {
	// ExpiringWithin: a critical alert when less than this is left.
	ExpiringWithin time.Duration
	// RenewalOverdueBy: a warning when renewal is this late.
	RenewalOverdueBy time.Duration
}

// Bounds of the derived thresholds.
const (
	// maxExpiringWithin caps the critical threshold: a month is time enough
	// to fix any renewal, and paging a year ahead for a ten-year anchor would
	// teach people to ignore the page.
	maxExpiringWithin = 720 * time.Hour
	// minRenewalOverdueBy lets one failed issuance retry before anyone is
	// warned: cert-manager retries a failed request after an hour (its
	// default minimum backoff), doubling up to 32h.
	minRenewalOverdueBy = 75 * time.Minute
	// maxRenewalOverdueBy: a renewal a day late is stuck, whatever the
	// lifetime.
	maxRenewalOverdueBy = 24 * time.Hour
)

// Thresholds returns the thresholds for certificates with lifetime l: those
// set in a, the others derived from l.RenewBefore. Durations that do not
// parse count as unset; validation reports them.
func (a ExpiryAlerts) Thresholds(l Lifetime) ExpiryThresholds {
	renew := l.RenewBefore.MustParse()
	t := ExpiryThresholds{ExpiringWithin: a.ExpiringWithin.MustParse(), RenewalOverdueBy: a.RenewalOverdueBy.MustParse()}
	if t.ExpiringWithin <= 0 {
		t.ExpiringWithin = min(renew/2, maxExpiringWithin).Truncate(time.Second)
	}
	if t.RenewalOverdueBy <= 0 {
		o := max(renew/10, minRenewalOverdueBy)
		o = min(o, renew/4, maxRenewalOverdueBy)
		if room := (renew - t.ExpiringWithin) / 2; room > 0 {
			o = min(o, room)
		}
		t.RenewalOverdueBy = o.Truncate(time.Second)
	}
	return t
}

// CertificateNamespaceLabelOrDefault returns the label carrying a
// Certificate's namespace on cert-manager's metrics.
func (m *MonitoringSpec) CertificateNamespaceLabelOrDefault() string {
	if m.CertificateNamespaceLabel == "" {
		return "namespace"
	}
	return m.CertificateNamespaceLabel
}

// scheduleHorizon bounds the search for the longest gap between two runs of
// a cron schedule: eight years, long enough for monthly, yearly and even
// leap-day schedules.
const scheduleHorizon = 8 * 366 * 24 * time.Hour

// scheduleEpochYear is when the search starts, at midnight on 1 January in
// the schedule's zone: a fixed date, so the result does not depend on when
// mtlsgen runs.
const scheduleEpochYear = 2025

// ErrScheduleNeverRuns is returned by ScheduleGap for a schedule that
// parses but names no date that exists, such as "0 0 30 2 *": a CronJob
// with it is accepted and never runs.
var ErrScheduleNeverRuns = errors.New("the schedule never runs: no date matches it")

// LongestScheduleGap returns the longest time between two consecutive runs
// of a five-field cron schedule (in UTC, Kubernetes' default for CronJobs),
// over its first runs from a fixed date. It returns 0 for a schedule that
// does not parse or never runs; ScheduleGap tells those apart.
func LongestScheduleGap(schedule string) time.Duration {
	gap, _ := ScheduleGap(schedule)
	return gap
}

// ScheduleGap is LongestScheduleGap with the reason when there is no gap:
// the parse error, or ErrScheduleNeverRuns.
func ScheduleGap(schedule string) (time.Duration, error) {
	return ScheduleGapIn(schedule, "")
}

// ScheduleGapIn is ScheduleGap for a CronJob whose spec.timeZone is
// timeZone ("" for UTC). The CronJob controller reads the schedule as
// "TZ=ZONE SCHEDULE", with the cron library used here, so across a daylight
// saving change a run can be skipped (02:30 on the night clocks jump from
// 02:00 to 03:00) or repeated: a daily schedule can then wait 47 hours.
//
// It walks the schedule day by day, not run by run: every day a five-field
// schedule runs, it runs at the same times of day, so the times of the
// first such day give the gaps within a day, and one step per day from the
// day's last run to the next day's first gives the gaps between days. Days
// on which the zone's offset changes are walked run by run. A schedule
// every few minutes on a few days of the month thus shows its gap of weeks,
// whatever the number of runs in between.
func ScheduleGapIn(schedule, timeZone string) (time.Duration, error) {
	spec := schedule
	if timeZone != "" {
		spec = "TZ=" + timeZone + " " + schedule
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return 0, err
	}
	if every, ok := s.(cron.ConstantDelaySchedule); ok {
		return every.Delay, nil // @every: no calendar
	}
	loc := time.UTC
	if ss, ok := s.(*cron.SpecSchedule); ok && ss.Location != time.Local {
		loc = ss.Location // TZ= or CRON_TZ=, in timeZone or the schedule
	}
	// A schedule that names no day, month or weekday repeats every day, and
	// one that names only weekdays every week: scanning two periods finds
	// its longest gap (wrap-around included) without years of days. In a
	// zone other than UTC, a year, for its daylight saving changes.
	horizon := scheduleHorizon
	if f := strings.Fields(schedule); len(f) == 5 && f[2] == "*" && f[3] == "*" {
		horizon = 2 * 24 * time.Hour
		if f[4] != "*" {
			horizon = 15 * 24 * time.Hour
		}
		if loc != time.UTC {
			horizon += 366 * 24 * time.Hour
		}
	}
	epoch := time.Date(scheduleEpochYear, 1, 1, 0, 0, 0, 0, loc)
	end := epoch.Add(horizon)
	// cron's Next looks five years ahead and returns the zero time when
	// nothing matches: longer than any date that exists takes to come
	// round (29 February, every four years). From a second before
	// midnight, so that the first day's runs are all there.
	first := s.Next(epoch.Add(-time.Second))
	if first.IsZero() {
		return 0, ErrScheduleNeverRuns
	}
	first = first.In(loc)
	longest, span := dayGaps(s, first)
	days := 0
	for day := first; ; days++ {
		last := day.Add(span)
		if offsetChanges(day) {
			within, daySpan := dayGaps(s, day)
			longest = max(longest, within)
			last = day.Add(daySpan)
		}
		next := s.Next(last) // the first run of the next day it runs
		if next.IsZero() || next.After(end) {
			break
		}
		longest = max(longest, next.Sub(last))
		day = next
	}
	if days == 0 {
		return horizon, nil // it runs on one day only: the gap is longer than we looked
	}
	return longest, nil
}

// offsetChanges reports whether t's zone changes its offset from UTC
// between the start of the day before t's and the start of the day after:
// on such a day a schedule's runs are not at the usual instants.
func offsetChanges(t time.Time) bool {
	y, m, d := t.Date()
	_, before := time.Date(y, m, d-1, 0, 0, 0, 0, t.Location()).Zone()
	_, after := time.Date(y, m, d+1, 0, 0, 0, 0, t.Location()).Zone()
	return before != after
}

// dayGaps returns the longest gap between the runs of s on the day of its
// run first, the first of that day, and the time from first to the day's
// last run.
func dayGaps(s cron.Schedule, first time.Time) (longest, span time.Duration) {
	y, m, d := first.Date()
	prev := first
	for {
		next := s.Next(prev)
		if ny, nm, nd := next.Date(); next.IsZero() || ny != y || nm != m || nd != d {
			return longest, prev.Sub(first)
		}
		longest = max(longest, next.Sub(prev))
		prev = next
	}
}
