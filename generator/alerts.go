package generator

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

// PrometheusRuleName is the PrometheusRule mtlsgen generates in each
// cluster.
const PrometheusRuleName = "mtlsgen-alerts"

// RunbookBaseURL is where every alert's runbook_url points: the README's
// section named after the alert.
const RunbookBaseURL = "https://github.com/mtlsgen/mtlsgen/blob/main/README.md#"

// The restarter's contract with the alerts. kube-state-metrics cannot read a
// ConfigMap's data, so the restarter labels its status ConfigMap, and
// kube-state-metrics exports that label when allow-listed with
// --metric-labels-allowlist=configmaps=[mtlsgen.dev/trust-roots-stale]:
//
//	kube_configmap_labels{namespace="linkerd", configmap="mtlsgen-trust-status",
//	  label_mtlsgen_dev_trust_roots_stale="true"} 1
//
// A label whose value changes only between "true" and "false" keeps one
// series per state, so an alert's for: clock runs as long as the state
// lasts (a count in the label would restart it at every change).
const (
	// LabelTrustRootsStale is the restarter's status label the
	// stale-trust-roots alert reads.
	LabelTrustRootsStale = restarter.LabelTrustRootsStale
)

// Alert names. Each has a section of the same name in the README, where its
// runbook_url points.
const (
	AlertCertificateNotReady          = "MtlsgenCertificateNotReady"
	AlertCertificateNotReported       = "MtlsgenCertificateNotReported"
	AlertRootCARenewalOverdue         = "Mtlsgen" + certificateKindRootCA + "RenewalOverdue"
	AlertRootCAExpiring               = "Mtlsgen" + certificateKindRootCA + "Expiring"
	AlertIdentityIssuerRenewalOverdue = "Mtlsgen" + certificateKindIdentityIssuer + "RenewalOverdue"
	AlertIdentityIssuerExpiring       = "Mtlsgen" + certificateKindIdentityIssuer + "Expiring"
	AlertWebhookCertRenewalOverdue    = "Mtlsgen" + certificateKindWebhook + "RenewalOverdue"
	AlertWebhookCertExpiring          = "Mtlsgen" + certificateKindWebhook + "Expiring"
	AlertIdentityIssuerNotLoaded      = "MtlsgenIdentityIssuerNotLoaded"
	AlertIdentityIssuerInUseExpiring  = "MtlsgenIdentityIssuerInUseExpiring"
	AlertStaleTrustRoots              = "MtlsgenStaleTrustRoots"
	AlertRestarterStatusNotExported   = "MtlsgenRestarterStatusNotExported"
	AlertRestarterJobFailed           = "MtlsgenRestarterJobFailed"
	AlertRestarterNotSucceeding       = "MtlsgenRestarterNotSucceeding"
)

// The kinds of certificate that have their own thresholds, as they appear
// in alert names.
const (
	certificateKindRootCA         = "RootCA"
	certificateKindIdentityIssuer = "IdentityIssuer"
	certificateKindWebhook        = "WebhookCertificate"
)

const (
	groupCertificates = "mtlsgen.certificates"
	groupRestarter    = "mtlsgen.restarter"
	severityCritical  = "critical"
	severityWarning   = "warning"
	// maxDebounce caps the for: of alerts on timestamps, which only rides
	// out a missed scrape or a cert-manager restart.
	maxDebounce = 15 * time.Minute
)

// The metrics the alerts read. cert-manager's are defined in its
// internal/collectors/certificate_collector.go, with labels name, namespace,
// issuer_name, issuer_kind, issuer_group (and condition on the ready
// status); a timestamp is 0 until the Certificate is first issued.
// kube-state-metrics' are in its internal/store (job.go, cronjob.go,
// configmap.go).
const (
	metricReady   = "certmanager_certificate_ready_status"
	metricExpiry  = "certmanager_certificate_expiration_timestamp_seconds"
	metricRenewal = "certmanager_certificate_renewal_timestamp_seconds"
	// metricIssuerTTL is Linkerd's identity controller's own view of the
	// issuer it signs with (pkg/identity/service.go, Linkerd 2.18 and
	// later), per identity pod.
	metricIssuerTTL          = "issuer_cert_ttl_seconds"
	metricConfigMapLabels    = "kube_configmap_labels"
	metricJobFailed          = "kube_job_failed"
	metricJobOwner           = "kube_job_owner"
	metricJobStartTime       = "kube_job_status_start_time"
	metricCronJobLastSuccess = "kube_cronjob_status_last_successful_time"
	metricCronJobCreated     = "kube_cronjob_created"
	// labelStaleInMetrics is LabelTrustRootsStale as kube-state-metrics
	// names it: prefixed, with every character Prometheus does not allow
	// turned into _.
	labelStaleInMetrics = "label_mtlsgen_dev_trust_roots_stale"
)

// AlertedCertificate is a Certificate the alerts watch.
type AlertedCertificate struct {
	Namespace, Name string
}

// CertificateKind is a set of generated Certificates that share a lifetime,
// and so the thresholds of their alerts.
type CertificateKind struct {
	// Kind names the set in alert names: RootCA, IdentityIssuer or
	// WebhookCertificate.
	Kind string
	// Certificates are the generated Certificates of the set.
	Certificates []AlertedCertificate
	// Lifetime is theirs.
	Lifetime v1alpha1.Lifetime
	// Thresholds are the effective alert thresholds.
	Thresholds v1alpha1.ExpiryThresholds
	// breaks says what stops working when one expires.
	breaks string
}

// CertificateKinds lists the Certificates the alerts watch, by kind: the
// Certificates the same spec renders (self-signed anchors and the webhook CA,
// the identity issuer, the webhook serving certificates), taken from the
// builders that render them so the two cannot drift apart.
func CertificateKinds(s *v1alpha1.MeshTLSSpec) []CertificateKind {
	c := &clusterContext{spec: s, release: s.Linkerd.Release()}
	mon := s.Monitoring
	kinds := []CertificateKind{
		{Kind: certificateKindRootCA, Certificates: certificatesOf(trustAnchors(c)), Lifetime: s.Trust.AnchorLifetime,
			Thresholds: mon.RootCAs.Thresholds(s.Trust.AnchorLifetime),
			breaks: "If a trust anchor expires, every identity issuer it signed and every proxy certificate under it stop verifying: " +
				"mTLS between meshed pods fails. If linkerd-webhook-ca expires, the API server cannot call Linkerd's webhooks: " +
				"pods are not injected, or not admitted where the failure policy is Fail."},
		{Kind: certificateKindIdentityIssuer, Certificates: certificatesOf(identityIssuer(c)), Lifetime: s.IdentityIssuer.Lifetime,
			Thresholds: mon.IdentityIssuer.Thresholds(s.IdentityIssuer.Lifetime),
			breaks: fmt.Sprintf("When it expires, the identity controller can no longer issue proxy certificates: new pods get no identity, "+
				"and within %s (the proxy certificate lifetime) every mTLS connection between meshed pods fails.", s.IdentityIssuer.IssuanceLifetime)},
		{Kind: certificateKindWebhook, Certificates: certificatesOf(webhookCertificates(c)), Lifetime: s.Webhooks.Lifetime,
			Thresholds: mon.Webhooks.Thresholds(s.Webhooks.Lifetime),
			breaks: "When it expires, the API server can no longer call that webhook: pods are not injected with the proxy, " +
				"or policy and service-profile changes are not validated; where the failure policy is Fail, they are refused."},
	}
	return kinds
}

func certificatesOf(objs []Object) []AlertedCertificate {
	var out []AlertedCertificate
	for _, o := range objs {
		if crt, ok := o.Object.(*cmapi.Certificate); ok {
			out = append(out, AlertedCertificate{Namespace: crt.Namespace, Name: crt.Name})
		}
	}
	return out
}

// prometheusRules is the cluster builder: the PrometheusRule, when the spec
// asks for it.
func prometheusRules(c *clusterContext) []Object {
	if !c.spec.Monitoring.PrometheusRule {
		return nil
	}
	return []Object{mesh(c.fleet.prometheusRule(c.spec))}
}

// fleetShared holds what a render builds once and gives every cluster a copy
// of: the PrometheusRule is the same for every cluster, and building it
// (hundreds of rule expressions, the restarter schedule's longest gap) was
// a quarter of a large fleet's render.
type fleetShared struct {
	rule *monitoringv1.PrometheusRule
}

// prometheusRule returns a copy of the spec's PrometheusRule: each cluster
// gets its own, because rendering labels and annotates the objects it emits.
func (f *fleetShared) prometheusRule(s *v1alpha1.MeshTLSSpec) *monitoringv1.PrometheusRule {
	if f.rule == nil {
		f.rule = PrometheusRule(s)
	}
	return f.rule.DeepCopy()
}

// PrometheusRule returns the alerts of a validated spec. They are the same
// for every cluster of a fleet: each cluster's Prometheus evaluates them on
// its own cert-manager and kube-state-metrics.
func PrometheusRule(s *v1alpha1.MeshTLSSpec) *monitoringv1.PrometheusRule {
	mon := s.Monitoring
	labels := map[string]string{LabelManagedBy: ManagedByValue}
	for k, v := range mon.Labels {
		labels[k] = v
	}
	groups := []monitoringv1.RuleGroup{{Name: groupCertificates, Rules: certificateRules(s)}}
	if v1alpha1.IsEnabled(s.Restarter.Enabled) {
		groups = append(groups, monitoringv1.RuleGroup{Name: groupRestarter, Rules: restarterRules(s)})
	}
	return &monitoringv1.PrometheusRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.PrometheusRuleKind},
		ObjectMeta: metav1.ObjectMeta{Name: PrometheusRuleName, Namespace: mon.Namespace, Labels: labels},
		Spec:       monitoringv1.PrometheusRuleSpec{Groups: groups},
	}
}

func certificateRules(s *v1alpha1.MeshTLSSpec) []monitoringv1.Rule {
	nsl := s.Monitoring.CertificateNamespaceLabelOrDefault()
	kinds := CertificateKinds(s)
	var all []AlertedCertificate
	for _, k := range kinds {
		all = append(all, k.Certificates...)
	}
	notReady := s.Monitoring.NotReadyFor.MustParse()
	ref := "{{ $labels." + nsl + " }}/{{ $labels.name }}"
	describe := "kubectl describe certificate -n {{ $labels." + nsl + " }} {{ $labels.name }}"

	var absent []string
	for _, c := range all {
		absent = append(absent, fmt.Sprintf("absent(%s{%s=%q, name=%q})", metricReady, nsl, c.Namespace, c.Name))
	}
	rules := []monitoringv1.Rule{
		alert(AlertCertificateNotReady, severityWarning, notReady,
			fmt.Sprintf("max by (%s, name) (%s) == 0", nsl, certSelector(metricReady, nsl, all, `condition="True"`)),
			"Certificate "+ref+" is not Ready",
			fmt.Sprintf("cert-manager has reported the Certificate not Ready for %s: it cannot issue or renew it, and it will expire "+
				"unless fixed (see the expiry alerts for how long is left). First run: %s", v1alpha1.DurationOf(notReady), describe)),
		alert(AlertCertificateNotReported, severityWarning, notReady, strings.Join(absent, " or "),
			"cert-manager reports no Certificate "+ref,
			fmt.Sprintf("Prometheus has no %s for this Certificate mtlsgen generates, so none of the certificate alerts can fire for it. "+
				"Either the Certificate does not exist, or cert-manager is not scraped, or its metrics carry the Certificate's namespace "+
				"in another label than %s (spec.monitoring.certificateNamespaceLabel). First run: kubectl get certificate -n {{ $labels.%s }} {{ $labels.name }}",
				metricReady, nsl, nsl)),
	}
	for _, k := range kinds {
		rules = append(rules, kindRules(k, nsl, ref, describe)...)
		if k.Kind == certificateKindIdentityIssuer && s.Linkerd.Release().ExportsIssuerTTL() {
			rules = append(rules, issuerLoadedRules(s, k)...)
		}
	}
	return rules
}

// issuerLoadGrace is how long an identity controller may take to load a
// renewed issuer: twice the reload allowance status works with, so a slow
// kubelet sync pages no one.
const issuerLoadGrace = 2 * IdentityIssuerReloadAllowance

// issuerLoadedRules fire when an identity controller signs with an issuer
// that should have been replaced. cert-manager's alerts do not see an
// issuer renewed but not loaded (IssuerUpdateSkipped: it does not verify
// against the roots the controller read at start), and when the old one
// expires every proxy loses its certificate. They are timed as the identity
// issuer's own renewal alerts, so that a renewal cert-manager merely retries
// (after an hour) pages no one before those: a warning once renewal is as
// overdue as RenewalOverdue says, and critical as Expiring, on the
// controller's own clock. Each pod is judged on its own series, so a
// Prometheus that holds several clusters compares no cluster with another.
func issuerLoadedRules(s *v1alpha1.MeshTLSSpec, k CertificateKind) []monitoringv1.Rule {
	ns := s.Linkerd.Namespace
	renew := k.Lifetime.RenewBefore.MustParse()
	t := k.Thresholds
	ttl := fmt.Sprintf("max by (namespace, pod) (%s{namespace=%q})", metricIssuerTTL, ns)
	describe := func(left string) string {
		return fmt.Sprintf("The identity issuer this identity controller signs proxy certificates with has {{ $value | humanizeDuration }} left, "+
			"less than %s: either cert-manager has not renewed it (its renewal alerts say so), or the controller did not load the renewed issuer "+
			"from its Secret (an IssuerUpdateSkipped event said why, kept an hour: most often a new issuer that does not verify against the "+
			"trust roots the controller read when it started; cert-manager's alerts then stay quiet). When it expires every proxy loses its "+
			"certificate. First run: kubectl get events -n %s --field-selector reason=IssuerUpdateSkipped; kubectl get certificate -n %s %s; "+
			"then kubectl rollout restart -n %s deployment/linkerd-identity", left, ns, ns, IdentityIssuerName, ns)
	}
	overdue := renew - t.RenewalOverdueBy - issuerLoadGrace
	return []monitoringv1.Rule{
		alert(AlertIdentityIssuerNotLoaded, severityWarning, maxDebounce,
			fmt.Sprintf("%s < %s", ttl, seconds(overdue)),
			"Linkerd identity {{ $labels.namespace }}/{{ $labels.pod }} signs with an identity issuer due for replacement",
			describe(fmt.Sprintf("its renewBefore (%s) minus the %s RenewalOverdue allows and %s to load it", k.Lifetime.RenewBefore,
				v1alpha1.DurationOf(t.RenewalOverdueBy), v1alpha1.DurationOf(issuerLoadGrace)))),
		alert(AlertIdentityIssuerInUseExpiring, severityCritical, min(maxDebounce, t.ExpiringWithin/4).Truncate(time.Second),
			fmt.Sprintf("%s < %s", ttl, seconds(t.ExpiringWithin)),
			"Linkerd identity {{ $labels.namespace }}/{{ $labels.pod }} signs with an identity issuer that expires in {{ $value | humanizeDuration }}",
			describe(fmt.Sprintf("%s, when Expiring fires", v1alpha1.DurationOf(t.ExpiringWithin)))),
	}
}

// kindRules are the renewal-overdue warning and the expiry alert of one kind
// of certificate.
//
// Each is aggregated to the Certificate (its namespace and name): the
// scrape's own labels (pod, instance) would restart the for: clock when
// cert-manager's pod is replaced, and double the alert under two scrapes.
func kindRules(k CertificateKind, nsl, ref, describe string) []monitoringv1.Rule {
	renew := k.Lifetime.RenewBefore.MustParse()
	t := k.Thresholds
	overdueFor := min(maxDebounce, t.RenewalOverdueBy/4, (renew-t.ExpiringWithin-t.RenewalOverdueBy)/2).Truncate(time.Second)
	expiringFor := min(maxDebounce, t.ExpiringWithin/4).Truncate(time.Second)
	overdueName, expiringName := "Mtlsgen"+k.Kind+"RenewalOverdue", "Mtlsgen"+k.Kind+"Expiring"
	return []monitoringv1.Rule{
		alert(overdueName, severityWarning, overdueFor,
			fmt.Sprintf("time() - max by (%s, name) (%s > 0) > %s", nsl, certSelector(metricRenewal, nsl, k.Certificates, ""), seconds(t.RenewalOverdueBy)),
			"Renewal of "+ref+" is {{ $value | humanizeDuration }} overdue",
			fmt.Sprintf("cert-manager should have renewed this certificate %s before expiry (renewBefore) and has not, %s after the renewal time. "+
				"It is still valid. %s First run: %s",
				k.Lifetime.RenewBefore, v1alpha1.DurationOf(t.RenewalOverdueBy), k.breaks, describe)),
		alert(expiringName, severityCritical, expiringFor,
			fmt.Sprintf("max by (%s, name) (%s > 0) - time() < %s", nsl, certSelector(metricExpiry, nsl, k.Certificates, ""), seconds(t.ExpiringWithin)),
			ref+" expires in {{ $value | humanizeDuration }}",
			fmt.Sprintf("Less than %s is left before this certificate expires, and cert-manager should have renewed it %s before expiry. %s "+
				"First run: %s",
				v1alpha1.DurationOf(t.ExpiringWithin), k.Lifetime.RenewBefore, k.breaks, describe)),
	}
}

func restarterRules(s *v1alpha1.MeshTLSSpec) []monitoringv1.Rule {
	ns := s.Linkerd.Namespace
	gap := v1alpha1.LongestScheduleGap(s.Restarter.Schedule)
	// Two runs missed, and the next may start its window late and take its
	// whole deadline: one failed run alone must not fire it.
	notSucceeding := 2*gap + time.Duration(restarterStartingDeadline+restarterActiveDeadline)*time.Second
	stale := s.Monitoring.StaleTrustRootsFor.MustParse()
	status := fmt.Sprintf("%s{namespace=%q, configmap=%q, %s", metricConfigMapLabels, ns, restarter.StatusConfigMap, labelStaleInMetrics)
	cronJob := fmt.Sprintf("{namespace=%q, cronjob=%q}", ns, RestarterName)
	lastSuccess := fmt.Sprintf("max by (namespace, cronjob) (%s%s or %s%s)", metricCronJobLastSuccess, cronJob, metricCronJobCreated, cronJob)
	getStatus := fmt.Sprintf("kubectl get configmap -n %s %s -o yaml", ns, restarter.StatusConfigMap)
	return []monitoringv1.Rule{
		alert(AlertStaleTrustRoots, severityWarning, stale,
			fmt.Sprintf("max by (namespace, configmap) (%s=\"true\"})", status),
			"Workloads still hold stale Linkerd trust roots",
			fmt.Sprintf("For %s the restarter has reported workloads whose proxies hold an older trust bundle than %s. They keep working "+
				"until an anchor they trust is removed or the identity issuer is signed by an anchor they do not trust: the next step of an anchor "+
				"rotation would cut them off. First run: %s", v1alpha1.DurationOf(stale), TrustRootsName, getStatus)),
		alert(AlertRestarterStatusNotExported, severityWarning, 2*gap,
			fmt.Sprintf("absent(%s=~\"true|false\"})", status),
			"The restarter's status is not in Prometheus",
			fmt.Sprintf("kube-state-metrics does not export the %s label of ConfigMap %s/%s, so %s cannot fire. Either the restarter has not run, "+
				"or kube-state-metrics lacks --metric-labels-allowlist=configmaps=[%s]. First run: %s",
				LabelTrustRootsStale, ns, restarter.StatusConfigMap, AlertStaleTrustRoots, LabelTrustRootsStale, getStatus)),
		alert(AlertRestarterJobFailed, severityWarning, 0,
			fmt.Sprintf("(%s{namespace=%q, condition=\"true\"} == 1)"+
				" and on (namespace, job_name) %s{namespace=%q, owner_kind=\"CronJob\", owner_name=%q}"+
				" and on (namespace, job_name) (%s{namespace=%q} > on (namespace) group_left () %s)",
				metricJobFailed, ns, metricJobOwner, ns, RestarterName, metricJobStartTime, ns, lastSuccess),
			"Restarter Job "+ns+"/{{ $labels.job_name }} failed",
			fmt.Sprintf("The latest run of CronJob %s/%s failed after its last success: workloads holding stale trust roots are not being restarted. "+
				"First run: kubectl logs -n %s job/{{ $labels.job_name }}", ns, RestarterName, ns)),
		alert(AlertRestarterNotSucceeding, severityWarning, min(maxDebounce, gap/4),
			fmt.Sprintf("time() - %s > %s", lastSuccess, seconds(notSucceeding)),
			"The restarter has not succeeded for {{ $value | humanizeDuration }}",
			fmt.Sprintf("CronJob %s/%s runs at least every %s (schedule %q) and has not completed a run for more than %s: it is failing, "+
				"suspended or not scheduled. First run: kubectl describe cronjob -n %s %s",
				ns, RestarterName, v1alpha1.DurationOf(gap), s.Restarter.Schedule, v1alpha1.DurationOf(notSucceeding), ns, RestarterName)),
	}
}

// alert is one alerting rule with mtlsgen's labels and annotations.
func alert(name, severity string, forDuration time.Duration, expr, summary, description string) monitoringv1.Rule {
	r := monitoringv1.Rule{
		Alert:  name,
		Expr:   intstr.FromString(expr),
		Labels: map[string]string{"severity": severity},
		Annotations: map[string]string{
			"summary":     summary,
			"description": description,
			"runbook_url": RunbookBaseURL + strings.ToLower(name),
		},
	}
	if forDuration > 0 {
		d := monitoringv1.Duration(PromDuration(forDuration))
		r.For = &d
	}
	return r
}

// certSelector selects metric for exactly the given Certificates: one
// selector per namespace, names matched exactly (an alternation of quoted
// names where there are several), joined with or.
func certSelector(metric, nsLabel string, certs []AlertedCertificate, extra string) string {
	byNS := map[string][]string{}
	for _, c := range certs {
		byNS[c.Namespace] = append(byNS[c.Namespace], c.Name)
	}
	namespaces := make([]string, 0, len(byNS))
	for ns := range byNS {
		namespaces = append(namespaces, ns)
	}
	slices.Sort(namespaces)
	var parts []string
	for _, ns := range namespaces {
		names := byNS[ns]
		slices.Sort(names)
		names = slices.Compact(names)
		nameMatcher := fmt.Sprintf("name=%q", names[0])
		if len(names) > 1 {
			quoted := make([]string, len(names))
			for i, n := range names {
				quoted[i] = regexp.QuoteMeta(n)
			}
			nameMatcher = fmt.Sprintf("name=~%q", strings.Join(quoted, "|"))
		}
		m := fmt.Sprintf("%s=%q, %s", nsLabel, ns, nameMatcher)
		if extra != "" {
			m += ", " + extra
		}
		parts = append(parts, metric+"{"+m+"}")
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, " or ") + ")"
}

// seconds is a duration as a PromQL number of seconds.
func seconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

// PromDuration formats a duration the way Prometheus writes one: 12h30m,
// 15m, 45s; whole seconds only.
func PromDuration(d time.Duration) string {
	d = d.Truncate(time.Second)
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	return b.String()
}
