package generator_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/generator"
)

// promtool returns the path of Prometheus's promtool. CI installs it (the
// Debian package prometheus); elsewhere the test is skipped without it.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed; .ci/run installs it (apt-get install prometheus)")
		}
		t.Skip("promtool not found: install Prometheus's promtool (Debian: apt-get install prometheus) to check the rules with it")
	}
	return path
}

// rulesFile writes a rule's groups as a Prometheus rules file, what the
// Prometheus Operator hands Prometheus. Without annotations when asked: the
// unit tests below compare alert labels, not rendered text.
func rulesFile(t *testing.T, dir string, r *monitoringv1.PrometheusRule, annotations bool) string {
	t.Helper()
	groups := r.DeepCopy().Spec.Groups
	if !annotations {
		for i := range groups {
			for j := range groups[i].Rules {
				groups[i].Rules[j].Annotations = nil
			}
		}
	}
	b, err := yaml.Marshal(map[string]any{"groups": groups})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runPromtool(t *testing.T, bin string, args ...string) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// promtool check rules accepts every example's rule: expressions, durations,
// and the annotation templates.
func TestAlerts_promtoolCheckRules(t *testing.T) {
	bin := promtool(t)
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			m := loadExample(t, name)
			runPromtool(t, bin, "check", "rules", rulesFile(t, t.TempDir(), generator.PrometheusRule(&m.Spec), true))
		})
	}
}

// The prod example's alerts, evaluated by promtool on made-up metrics: they
// fire for the broken Certificates and Jobs, at the times the thresholds
// derived from prod's lifetimes say, and stay quiet for healthy ones, for
// Certificates cert-manager has not issued yet (timestamps 0), and for a
// restarter Job that failed before the last success.
func TestAlerts_promtoolUnitTests(t *testing.T) {
	bin := promtool(t)
	m := loadExample(t, "prod")
	dir := t.TempDir()
	rules := rulesFile(t, dir, generator.PrometheusRule(&m.Spec), false)

	// Thirty hours of samples, one a minute.
	const steps = 30 * 60
	series := func(sel string, v int64) map[string]string {
		return map[string]string{"series": sel, "values": fmt.Sprintf("%dx%d", v, steps)}
	}
	cert := func(metric, ns, name string, extra ...string) string {
		return fmt.Sprintf(`%s{namespace=%q, name=%q%s}`, metric, ns, name, strings.Join(extra, ""))
	}
	const far = 4_000_000_000
	certs := []struct{ ns, name string }{
		{"cert-manager", "linkerd-anchor-root-2026"}, {"cert-manager", "linkerd-webhook-ca"},
		{"linkerd", "linkerd-identity-issuer"}, {"linkerd", "linkerd-proxy-injector"}, {"linkerd", "linkerd-sp-validator"},
		{"linkerd", "linkerd-policy-validator"}, {"linkerd-viz", "linkerd-tap-injector"}, {"linkerd-viz", "tap"},
	}
	var certSeries []map[string]string
	for _, c := range certs {
		ready, expiry, renewal := int64(1), int64(far), int64(far)
		switch c.name {
		case "tap":
			continue // cert-manager reports nothing for it
		case "linkerd-proxy-injector":
			ready, expiry, renewal = 0, 0, 0 // not Ready, never issued
			certSeries = append(certSeries, series(cert("certmanager_certificate_ready_status", c.ns, c.name, `, condition="False"`), 1))
		case "linkerd-identity-issuer":
			expiry, renewal = 40_000, 1 // 11h06m40s left at t=0; renewal due at t=1s
		case "linkerd-anchor-root-2026":
			renewal = 1
		}
		certSeries = append(certSeries,
			series(cert("certmanager_certificate_ready_status", c.ns, c.name, `, condition="True"`), ready),
			series(cert("certmanager_certificate_expiration_timestamp_seconds", c.ns, c.name), expiry),
			series(cert("certmanager_certificate_renewal_timestamp_seconds", c.ns, c.name), renewal))
	}
	type alert = map[string]any
	labels := func(kv ...string) alert {
		l := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			l[kv[i]] = kv[i+1]
		}
		return alert{"exp_labels": l}
	}
	check := func(at, name string, alerts ...alert) map[string]any {
		if alerts == nil {
			alerts = []alert{}
		}
		return map[string]any{"eval_time": at, "alertname": name, "exp_alerts": alerts}
	}
	issuer := labels("severity", "critical", "namespace", "linkerd", "name", "linkerd-identity-issuer")
	certTests := []map[string]any{
		check("10m", generator.AlertCertificateNotReady),
		check("10m", generator.AlertCertificateNotReported),
		check("10m", generator.AlertIdentityIssuerExpiring),
		check("20m", generator.AlertCertificateNotReady, labels("severity", "warning", "namespace", "linkerd", "name", "linkerd-proxy-injector")),
		check("20m", generator.AlertCertificateNotReported, labels("severity", "warning", "namespace", "linkerd-viz", "name", "tap")),
		check("20m", generator.AlertIdentityIssuerExpiring, issuer),
		// Timestamps 0 (not issued yet) are not "expired".
		check("20m", generator.AlertWebhookCertExpiring),
		check("20m", generator.AlertWebhookCertRenewalOverdue),
		// Renewal due at 1s, overdue after 2h30m, for 15m.
		check("2h40m", generator.AlertIdentityIssuerRenewalOverdue),
		check("2h50m", generator.AlertIdentityIssuerRenewalOverdue, labels("severity", "warning", "namespace", "linkerd", "name", "linkerd-identity-issuer")),
		// Anchors: overdue after 24h; nothing expiring a year out.
		check("24h10m", generator.AlertRootCARenewalOverdue),
		check("24h20m", generator.AlertRootCARenewalOverdue, labels("severity", "warning", "namespace", "cert-manager", "name", "linkerd-anchor-root-2026")),
		check("24h20m", generator.AlertRootCAExpiring),
	}

	ksm := func(metric, labels string, v int64) map[string]string {
		return series(fmt.Sprintf(`%s{namespace="linkerd", %s}`, metric, labels), v)
	}
	restarter := []map[string]string{
		ksm("kube_cronjob_created", `cronjob="mtlsgen-restarter"`, 1),
		ksm("kube_cronjob_status_last_successful_time", `cronjob="mtlsgen-restarter"`, 3600),
		// Failed before the last success: history, not news.
		ksm("kube_job_failed", `job_name="mtlsgen-restarter-1", condition="true"`, 1),
		ksm("kube_job_status_start_time", `job_name="mtlsgen-restarter-1"`, 600),
		ksm("kube_job_owner", `job_name="mtlsgen-restarter-1", owner_kind="CronJob", owner_name="mtlsgen-restarter", owner_is_controller="true"`, 1),
		// Failed after it.
		ksm("kube_job_failed", `job_name="mtlsgen-restarter-2", condition="true"`, 1),
		ksm("kube_job_status_start_time", `job_name="mtlsgen-restarter-2"`, 7200),
		ksm("kube_job_owner", `job_name="mtlsgen-restarter-2", owner_kind="CronJob", owner_name="mtlsgen-restarter", owner_is_controller="true"`, 1),
		// Another CronJob's failure is not the restarter's.
		ksm("kube_job_failed", `job_name="other-1", condition="true"`, 1),
		ksm("kube_job_status_start_time", `job_name="other-1"`, 7200),
		ksm("kube_job_owner", `job_name="other-1", owner_kind="CronJob", owner_name="other", owner_is_controller="true"`, 1),
		ksm("kube_configmap_labels", `configmap="mtlsgen-trust-status", label_mtlsgen_dev_trust_roots_stale="true"`, 1),
	}
	restarterTests := []map[string]any{
		check("5m", generator.AlertRestarterJobFailed, labels("severity", "warning", "namespace", "linkerd", "job_name", "mtlsgen-restarter-2", "condition", "true")),
		// Last success at 1h; two 6h intervals later, plus a late start (5m)
		// and a whole run (15m), plus for: 15m: 13h35m. From the CronJob's
		// creation it would be 12h35m.
		check("12h30m", generator.AlertRestarterNotSucceeding),
		check("13h30m", generator.AlertRestarterNotSucceeding),
		check("13h40m", generator.AlertRestarterNotSucceeding, labels("severity", "warning", "namespace", "linkerd", "cronjob", "mtlsgen-restarter")),
		check("23h50m", generator.AlertStaleTrustRoots),
		check("24h10m", generator.AlertStaleTrustRoots, labels("severity", "warning", "namespace", "linkerd", "configmap", "mtlsgen-trust-status")),
		check("24h10m", generator.AlertRestarterStatusNotExported),
	}
	// A healthy restarter: its label says "false", so nothing is stale and
	// nothing is missing.
	healthy := []map[string]string{ksm("kube_configmap_labels", `configmap="mtlsgen-trust-status", label_mtlsgen_dev_trust_roots_stale="false"`, 1)}
	healthyTests := []map[string]any{
		check("24h10m", generator.AlertStaleTrustRoots),
		check("24h10m", generator.AlertRestarterStatusNotExported),
	}
	// No status label at all: the stale alert is blind, and says so after
	// two intervals.
	blind := []map[string]string{ksm("kube_configmap_labels", `configmap="mtlsgen-trust-status"`, 1)}
	blindTests := []map[string]any{
		check("11h50m", generator.AlertRestarterStatusNotExported),
		check("12h10m", generator.AlertRestarterStatusNotExported, labels("severity", "warning", "namespace", "linkerd", "configmap", "mtlsgen-trust-status")),
	}

	// Identity pods whose issuers have, with prod's renewBefore 25h
	// (90000s), RenewalOverdue after 2h30m and Expiring within 12h30m:
	// a: 200000s, fresh;
	// b: 85000s, renewal an hour late (cert-manager retries after an hour):
	//    nothing, as RenewalOverdue says nothing yet;
	// c: 80000s, under 25h - 2h30m - 10m (80400s): a warning;
	// d: 44000s, under 12h30m (45000s): critical, and the warning.
	// Their TTLs fall one second a second.
	issuerLoaded := []map[string]string{}
	for pod, ttl := range map[string]int{"a": 200000, "b": 85000, "c": 80000, "d": 44000} {
		issuerLoaded = append(issuerLoaded, map[string]string{
			"series": fmt.Sprintf(`issuer_cert_ttl_seconds{namespace="linkerd", pod="linkerd-identity-%s", job="linkerd-identity"}`, pod),
			"values": fmt.Sprintf("%d-60x%d", ttl, steps)})
	}
	slices.SortFunc(issuerLoaded, func(a, b map[string]string) int { return strings.Compare(a["series"], b["series"]) })
	issuerLoadedTests := []map[string]any{
		check("10m", generator.AlertIdentityIssuerNotLoaded),
		check("10m", generator.AlertIdentityIssuerInUseExpiring),
		check("20m", generator.AlertIdentityIssuerNotLoaded,
			labels("severity", "warning", "namespace", "linkerd", "pod", "linkerd-identity-c"),
			labels("severity", "warning", "namespace", "linkerd", "pod", "linkerd-identity-d")),
		check("20m", generator.AlertIdentityIssuerInUseExpiring, labels("severity", "critical", "namespace", "linkerd", "pod", "linkerd-identity-d")),
	}

	// cert-manager's pod is replaced at 10m (a rollout, a drain): the
	// target's labels change, and so would the series; the alert, judged
	// per Certificate, keeps its for: clock and fires at 15m as it would.
	podReplaced := []map[string]string{
		{"series": `certmanager_certificate_expiration_timestamp_seconds{namespace="linkerd", name="linkerd-identity-issuer", pod="cert-manager-a", instance="10.0.0.1:9402"}`, "values": "40000x10"},
		{"series": `certmanager_certificate_expiration_timestamp_seconds{namespace="linkerd", name="linkerd-identity-issuer", pod="cert-manager-b", instance="10.0.0.2:9402"}`, "values": "_x10 40000x60"},
	}
	podReplacedTests := []map[string]any{
		check("14m", generator.AlertIdentityIssuerExpiring),
		check("16m", generator.AlertIdentityIssuerExpiring, labels("severity", "critical", "namespace", "linkerd", "name", "linkerd-identity-issuer")),
	}

	// The root CAs' and webhook certificates' own thresholds, with prod's
	// lifetimes: a root CA expiring within 30 days (2592000s), a webhook
	// certificate within 15 days (1296000s), a webhook renewal 24h late.
	// Each expiry crosses its threshold at 20m, so fires at 35m, not 30m.
	// The injector's renewal was due at 1s, so is overdue from 24h, firing
	// at 24h15m.
	thresholds := []map[string]string{
		series(cert("certmanager_certificate_expiration_timestamp_seconds", "cert-manager", "linkerd-anchor-root-2026"), 2592000+1200),
		series(cert("certmanager_certificate_renewal_timestamp_seconds", "cert-manager", "linkerd-anchor-root-2026"), far),
		series(cert("certmanager_certificate_expiration_timestamp_seconds", "cert-manager", "linkerd-webhook-ca"), far),
		series(cert("certmanager_certificate_renewal_timestamp_seconds", "cert-manager", "linkerd-webhook-ca"), far),
		series(cert("certmanager_certificate_expiration_timestamp_seconds", "linkerd", "linkerd-sp-validator"), 1296000+1200),
		series(cert("certmanager_certificate_renewal_timestamp_seconds", "linkerd", "linkerd-sp-validator"), far),
		series(cert("certmanager_certificate_expiration_timestamp_seconds", "linkerd", "linkerd-proxy-injector"), far),
		series(cert("certmanager_certificate_renewal_timestamp_seconds", "linkerd", "linkerd-proxy-injector"), 1),
	}
	thresholdTests := []map[string]any{
		check("30m", generator.AlertRootCAExpiring),
		check("30m", generator.AlertWebhookCertExpiring),
		check("36m", generator.AlertRootCAExpiring, labels("severity", "critical", "namespace", "cert-manager", "name", "linkerd-anchor-root-2026")),
		check("36m", generator.AlertWebhookCertExpiring, labels("severity", "critical", "namespace", "linkerd", "name", "linkerd-sp-validator")),
		check("24h10m", generator.AlertWebhookCertRenewalOverdue),
		check("24h20m", generator.AlertWebhookCertRenewalOverdue, labels("severity", "warning", "namespace", "linkerd", "name", "linkerd-proxy-injector")),
	}

	test := map[string]any{
		"rule_files":          []string{filepath.Base(rules)},
		"evaluation_interval": "1m",
		"tests": []map[string]any{
			{"interval": "1m", "input_series": certSeries, "alert_rule_test": certTests},
			{"interval": "1m", "input_series": restarter, "alert_rule_test": restarterTests},
			{"interval": "1m", "input_series": blind, "alert_rule_test": blindTests},
			{"interval": "1m", "input_series": healthy, "alert_rule_test": healthyTests},
			{"interval": "1m", "input_series": issuerLoaded, "alert_rule_test": issuerLoadedTests},
			{"interval": "1m", "input_series": podReplaced, "alert_rule_test": podReplacedTests},
			{"interval": "1m", "input_series": thresholds, "alert_rule_test": thresholdTests},
		},
	}
	b, err := yaml.Marshal(test)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tests.yaml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, bin, "test", "rules", path)
}
