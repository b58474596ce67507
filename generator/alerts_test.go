package generator_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/template"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// promql parses with the parser Prometheus itself uses, without
// experimental features: what parses here parses in any Prometheus 3.
var promql = parser.NewParser(parser.Options{})

func parseExpr(t testing.TB, alert, expr string) parser.Expr {
	t.Helper()
	e, err := promql.ParseExpr(expr)
	if err != nil {
		t.Fatalf("%s: expression does not parse: %v\n%s", alert, err, expr)
	}
	return e
}

// selectorsOf lists the vector selectors of an expression.
func selectorsOf(e parser.Expr) []*parser.VectorSelector {
	var out []*parser.VectorSelector
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			out = append(out, vs)
		}
		return nil
	})
	return out
}

func matcher(vs *parser.VectorSelector, name string) *labels.Matcher {
	for _, m := range vs.LabelMatchers {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// exactValues returns the values a matcher accepts when it accepts a finite
// set of literal strings: an equality, or a regex that is an alternation of
// literals. Anything broader (a wildcard, a negation) fails the test.
func exactValues(t testing.TB, alert string, m *labels.Matcher) []string {
	t.Helper()
	switch m.Type {
	case labels.MatchEqual:
		return []string{m.Value}
	case labels.MatchRegexp:
		// Prometheus anchors the regex; each alternative must be a
		// literal (parsed on its own, so that grouping cannot hide a
		// wildcard).
		var out []string
		for _, alt := range strings.Split(m.Value, "|") {
			re, err := syntax.Parse(alt, syntax.Perl)
			if err != nil || re.Op != syntax.OpLiteral {
				t.Fatalf("%s: %s=~%q matches more than a list of names (%q)", alert, m.Name, m.Value, alt)
			}
			out = append(out, string(re.Rune))
		}
		return out
	}
	t.Fatalf("%s: %s matcher %s selects by exclusion, not by name", alert, m.Name, m)
	return nil
}

// selectedCertificates returns namespace/name of every Certificate the
// cert-manager selectors of an expression select.
func selectedCertificates(t testing.TB, alert, nsLabel string, e parser.Expr) []string {
	t.Helper()
	var out []string
	for _, vs := range selectorsOf(e) {
		if !strings.HasPrefix(vs.Name, "certmanager_certificate_") {
			continue
		}
		ns, name := matcher(vs, nsLabel), matcher(vs, "name")
		if ns == nil || name == nil {
			t.Fatalf("%s: %s selects Certificates without both %s and name", alert, vs, nsLabel)
		}
		for _, n := range exactValues(t, alert, ns) {
			for _, c := range exactValues(t, alert, name) {
				out = append(out, n+"/"+c)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// comparison splits "LHS op NUMBER" at the top of an expression.
func comparison(t testing.TB, alert string, e parser.Expr) (*parser.BinaryExpr, float64) {
	t.Helper()
	b, ok := e.(*parser.BinaryExpr)
	if !ok || !b.Op.IsComparisonOperator() {
		t.Fatalf("%s: %s is not a comparison", alert, e)
	}
	n, ok := b.RHS.(*parser.NumberLiteral)
	if !ok {
		t.Fatalf("%s: %s does not compare with a number", alert, e)
	}
	return b, n.Val
}

func isTime(e parser.Expr) bool {
	c, ok := e.(*parser.Call)
	return ok && c.Func.Name == "time"
}

func forOf(t testing.TB, r monitoringv1.Rule) time.Duration {
	t.Helper()
	if r.For == nil {
		return 0
	}
	d, err := model.ParseDuration(string(*r.For))
	if err != nil {
		t.Fatalf("%s: for: %q: %v", r.Alert, *r.For, err)
	}
	return time.Duration(d)
}

func seconds(f float64) time.Duration { return time.Duration(f) * time.Second }

// readmeAnchors are the fragment identifiers GitHub gives README.md's
// headings.
func readmeAnchors(t testing.TB) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(testutil.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	heading := regexp.MustCompile(`^#{1,6} (.+)$`)
	drop := regexp.MustCompile(`[^a-z0-9 _-]`)
	out := map[string]bool{}
	inFence := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if m := heading.FindStringSubmatch(line); m != nil && !inFence {
			out[strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(m[1]), ""), " ", "-")] = true
		}
	}
	return out
}

// rulesOf returns the alerts of a rule by name.
func rulesOf(r *monitoringv1.PrometheusRule) map[string]monitoringv1.Rule {
	out := map[string]monitoringv1.Rule{}
	for _, g := range r.Spec.Groups {
		for _, rule := range g.Rules {
			out[rule.Alert] = rule
		}
	}
	return out
}

// The rule each example renders: in every cluster where the spec turns it
// on, and the same rule --only alerts prints. Every expression parses, every
// Certificate selector names Certificates of the same render, exactly, and
// every threshold is consistent with the lifetime of the Certificates it
// watches, read from the rendered Certificates.
func TestAlerts_everyExample(t *testing.T) {
	anchors := readmeAnchors(t)
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			m := loadExample(t, name)
			want := generator.PrometheusRule(&m.Spec)
			clusters := byCluster(t, m)
			for _, cluster := range clusterNames(clusters) {
				var rendered *monitoringv1.PrometheusRule
				for _, o := range clusters[cluster] {
					if r, ok := o.Object.(*monitoringv1.PrometheusRule); ok {
						rendered = r
					}
				}
				if m.Spec.Monitoring.PrometheusRule != (rendered != nil) {
					t.Fatalf("cluster %s: monitoring.prometheusRule is %v, rendered rule: %v", cluster, m.Spec.Monitoring.PrometheusRule, rendered != nil)
				}
				if rendered != nil && !slices.EqualFunc(rendered.Spec.Groups, want.Spec.Groups, func(a, b monitoringv1.RuleGroup) bool {
					return a.Name == b.Name && len(a.Rules) == len(b.Rules)
				}) {
					t.Errorf("cluster %s: rendered rule differs from PrometheusRule()", cluster)
				}
				checkRule(t, m, want, clusters[cluster], anchors)
			}
		})
	}
}

func checkRule(t *testing.T, m *v1alpha1.MeshTLS, r *monitoringv1.PrometheusRule, objs []generator.Object, anchors map[string]bool) {
	t.Helper()
	s := &m.Spec
	if r.Namespace != s.Monitoring.Namespace || r.Namespace == "" {
		t.Errorf("rule in namespace %q, spec says %q", r.Namespace, s.Monitoring.Namespace)
	}
	nsl := s.Monitoring.CertificateNamespaceLabel
	certs := map[string]*cmapi.Certificate{}
	var all []string
	for _, c := range pick(objs).certs {
		certs[c.Namespace+"/"+c.Name] = c
		all = append(all, c.Namespace+"/"+c.Name)
	}
	sort.Strings(all)

	watched := map[string][]string{} // certificate -> kind alerts watching it
	seen := map[string]bool{}
	for _, g := range r.Spec.Groups {
		for _, rule := range g.Rules {
			if seen[rule.Alert] {
				t.Errorf("alert %s defined twice", rule.Alert)
			}
			seen[rule.Alert] = true
			checkAnnotations(t, rule, anchors)
			e := parseExpr(t, rule.Alert, exprOf(rule))
			selected := selectedCertificates(t, rule.Alert, nsl, e)
			for _, c := range selected {
				if certs[c] == nil {
					t.Errorf("%s selects Certificate %s, which the render does not have (it has %v)", rule.Alert, c, all)
				}
			}
			switch {
			case rule.Alert == generator.AlertCertificateNotReady || rule.Alert == generator.AlertCertificateNotReported:
				if !slices.Equal(selected, all) {
					t.Errorf("%s selects %v, want every rendered Certificate %v", rule.Alert, selected, all)
				}
				if f := forOf(t, rule); f != s.Monitoring.NotReadyFor.MustParse() {
					t.Errorf("%s: for %s, want notReadyFor %s", rule.Alert, f, s.Monitoring.NotReadyFor)
				}
			case strings.HasSuffix(rule.Alert, "Expiring") || strings.HasSuffix(rule.Alert, "RenewalOverdue"):
				for _, c := range selected {
					watched[c] = append(watched[c], rule.Alert)
				}
			}
		}
	}
	// Every Certificate has exactly one overdue and one expiry alert.
	for _, c := range all {
		if len(watched[c]) != 2 {
			t.Errorf("Certificate %s is watched by %v, want one RenewalOverdue and one Expiring alert", c, watched[c])
		}
	}
	rules := rulesOf(r)
	for _, kind := range []string{"RootCA", "IdentityIssuer", "WebhookCertificate"} {
		checkKind(t, kind, rules, certs, nsl)
	}
	if v1alpha1.IsEnabled(s.Restarter.Enabled) {
		checkRestarter(t, m, rules, objs)
	}
}

// checkKind checks the two alerts of one kind of certificate against the
// renewBefore of the Certificates they select.
func checkKind(t *testing.T, kind string, rules map[string]monitoringv1.Rule, certs map[string]*cmapi.Certificate, nsl string) {
	t.Helper()
	overdue, expiring := rules["Mtlsgen"+kind+"RenewalOverdue"], rules["Mtlsgen"+kind+"Expiring"]
	if overdue.Alert == "" || expiring.Alert == "" {
		t.Fatalf("no alerts for %s", kind)
	}
	oe, ee := parseExpr(t, overdue.Alert, exprOf(overdue)), parseExpr(t, expiring.Alert, exprOf(expiring))
	selected := selectedCertificates(t, expiring.Alert, nsl, ee)
	if o := selectedCertificates(t, overdue.Alert, nsl, oe); !slices.Equal(o, selected) {
		t.Errorf("%s selects %v but %s %v", overdue.Alert, o, expiring.Alert, selected)
	}
	if len(selected) == 0 {
		t.Fatalf("%s selects no Certificate", expiring.Alert)
	}
	renew := certs[selected[0]].Spec.RenewBefore.Duration
	for _, c := range selected {
		if d := certs[c].Spec.RenewBefore.Duration; d != renew {
			t.Errorf("%s mixes lifetimes: %s renews %s before expiry, %s %s", expiring.Alert, selected[0], renew, c, d)
		}
	}

	// (SEL > 0) - time() < T: the time left, compared with T.
	b, T := comparison(t, expiring.Alert, ee)
	if sub, ok := b.LHS.(*parser.BinaryExpr); b.Op != parser.LSS || !ok || sub.Op != parser.SUB || !isTime(sub.RHS) {
		t.Errorf("%s: %s is not (expiry - time()) < T", expiring.Alert, ee)
	}
	// time() - (SEL > 0) > O: the time since renewal was due, compared with O.
	b, O := comparison(t, overdue.Alert, oe)
	if sub, ok := b.LHS.(*parser.BinaryExpr); b.Op != parser.GTR || !ok || sub.Op != parser.SUB || !isTime(sub.LHS) {
		t.Errorf("%s: %s is not (time() - renewal) > O", overdue.Alert, oe)
	}
	fT, fO := forOf(t, expiring), forOf(t, overdue)
	tT, tO := seconds(T), seconds(O)
	switch {
	case tT <= 0 || tT >= renew:
		t.Errorf("%s: fires with %s left, want between 0 and renewBefore %s (or it fires on every renewal)", expiring.Alert, tT, renew)
	case fT >= tT:
		t.Errorf("%s: for %s is not shorter than the %s threshold: it would fire after expiry", expiring.Alert, fT, tT)
	case tO <= 0 || tO+fO >= renew-tT:
		t.Errorf("%s: fires %s+%s after renewal was due, want before %s fires (renewBefore %s - %s)", overdue.Alert, tO, fO, expiring.Alert, renew, tT)
	}
	if expiring.Labels["severity"] != "critical" || overdue.Labels["severity"] != "warning" {
		t.Errorf("severities %s %s", expiring.Labels["severity"], overdue.Labels["severity"])
	}
}

// checkRestarter checks the restarter's alerts against its schedule and, when
// the render has the restarter's CronJob, against its name.
func checkRestarter(t *testing.T, m *v1alpha1.MeshTLS, rules map[string]monitoringv1.Rule, objs []generator.Object) {
	t.Helper()
	s := &m.Spec
	// The longest interval between two runs, by hand for the schedules the
	// examples and profiles use.
	gaps := map[string]time.Duration{"25 */6 * * *": 6 * time.Hour, "*/15 * * * *": 15 * time.Minute}
	gap, ok := gaps[s.Restarter.Schedule]
	if !ok {
		t.Fatalf("no known interval for schedule %q: add it to the table", s.Restarter.Schedule)
	}
	cronJobs := map[string]bool{}
	for _, o := range objs {
		if o.Object.GetObjectKind().GroupVersionKind().Kind == "CronJob" {
			cronJobs[o.Object.GetNamespace()+"/"+o.Object.GetName()] = true
		}
	}
	for _, name := range []string{generator.AlertStaleTrustRoots, generator.AlertRestarterStatusNotExported, generator.AlertRestarterJobFailed, generator.AlertRestarterNotSucceeding} {
		rule, ok := rules[name]
		if !ok {
			t.Fatalf("no %s", name)
		}
		e := parseExpr(t, name, exprOf(rule))
		for _, vs := range selectorsOf(e) {
			if ns := matcher(vs, "namespace"); ns == nil || ns.Type != labels.MatchEqual || ns.Value != s.Linkerd.Namespace {
				t.Errorf("%s: %s is not limited to namespace %s", name, vs, s.Linkerd.Namespace)
			}
			for _, l := range []string{"cronjob", "owner_name"} {
				if cj := matcher(vs, l); cj != nil {
					if cj.Type != labels.MatchEqual {
						t.Errorf("%s: %s does not name the CronJob", name, vs)
					} else if len(cronJobs) > 0 && !cronJobs[s.Linkerd.Namespace+"/"+cj.Value] {
						t.Errorf("%s: CronJob %s/%s is not in the render (%v)", name, s.Linkerd.Namespace, cj.Value, cronJobs)
					}
				}
			}
		}
		switch name {
		case generator.AlertStaleTrustRoots:
			if f := forOf(t, rule); f != s.Monitoring.StaleTrustRootsFor.MustParse() || f <= gap {
				t.Errorf("%s: for %s, want staleTrustRootsFor %s, longer than the %s between runs", name, f, s.Monitoring.StaleTrustRootsFor, gap)
			}
		case generator.AlertRestarterStatusNotExported:
			if f := forOf(t, rule); f <= gap {
				t.Errorf("%s: for %s fires before the restarter's first run (every %s)", name, f, gap)
			}
		case generator.AlertRestarterNotSucceeding:
			b, S := comparison(t, name, e)
			if sub, ok := b.LHS.(*parser.BinaryExpr); b.Op != parser.GTR || !ok || sub.Op != parser.SUB || !isTime(sub.LHS) {
				t.Errorf("%s: %s is not (time() - last success) > S", name, e)
			}
			if seconds(S) < 2*gap {
				t.Errorf("%s: fires after %s without success, less than two runs (every %s)", name, seconds(S), gap)
			}
		}
	}
}

// checkAnnotations: severity, summary, a description that names a first
// command, a runbook in the README, and templates Prometheus can expand.
func checkAnnotations(t *testing.T, r monitoringv1.Rule, anchors map[string]bool) {
	t.Helper()
	if sev := r.Labels["severity"]; sev != "critical" && sev != "warning" {
		t.Errorf("%s: severity %q", r.Alert, sev)
	}
	a := r.Annotations
	if a["summary"] == "" || strings.Contains(a["summary"], "\n") {
		t.Errorf("%s: summary %q", r.Alert, a["summary"])
	}
	if _, cmd, ok := strings.Cut(a["description"], "First run: "); !ok || !strings.HasPrefix(cmd, "kubectl ") {
		t.Errorf("%s: description does not end with the first command to run: %q", r.Alert, a["description"])
	}
	url, fragment, _ := strings.Cut(a["runbook_url"], "#")
	if url+"#" != generator.RunbookBaseURL || !anchors[fragment] {
		t.Errorf("%s: runbook_url %q does not point at a README section", r.Alert, a["runbook_url"])
	}
	// Prometheus expands annotations as Go templates with these functions.
	funcs := template.FuncMap{"humanizeDuration": func(any) string { return "" }}
	for k, v := range a {
		if _, err := template.New(k).Funcs(funcs).Parse("{{ $labels := .Labels }}{{ $value := .Value }}" + v); err != nil {
			t.Errorf("%s: annotation %s: %v", r.Alert, k, err)
		}
	}
}

// Thresholds follow each kind's lifetime, and a threshold set in the spec
// wins.
func TestAlerts_thresholdsFollowLifetimes(t *testing.T) {
	base := `apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata: {name: mesh}
spec:
  trust:
    anchors: [{name: root, active: true, selfSigned: {}}]
  argocd: {enabled: false}
`
	threshold := func(r *monitoringv1.PrometheusRule, alert string) time.Duration {
		rule := rulesOf(r)[alert]
		_, v := comparison(t, alert, parseExpr(t, alert, exprOf(rule)))
		return seconds(v)
	}
	m := loadSpec(t, base)
	r := generator.PrometheusRule(&m.Spec)
	want := map[string]time.Duration{
		generator.AlertIdentityIssuerExpiring:       12*time.Hour + 30*time.Minute, // half of 25h
		generator.AlertIdentityIssuerRenewalOverdue: 2*time.Hour + 30*time.Minute,  // a tenth of 25h
		generator.AlertRootCAExpiring:               720 * time.Hour,               // capped: half of 8760h is more
		generator.AlertRootCARenewalOverdue:         24 * time.Hour,                // capped
		generator.AlertWebhookCertExpiring:          360 * time.Hour,               // half of 720h
		generator.AlertWebhookCertRenewalOverdue:    24 * time.Hour,                // capped: a tenth of 720h is more
	}
	for alert, d := range want {
		if got := threshold(r, alert); got != d {
			t.Errorf("%s: threshold %s, want %s", alert, got, d)
		}
	}

	m = loadSpec(t, base+`  identityIssuer: {duration: 4h, renewBefore: 2h, issuanceLifetime: 1h}
  monitoring:
    webhooks: {expiringWithin: 100h, renewalOverdueBy: 3h}
    certificateNamespaceLabel: exported_namespace
`)
	r = generator.PrometheusRule(&m.Spec)
	for alert, d := range map[string]time.Duration{
		generator.AlertIdentityIssuerExpiring:       time.Hour,
		generator.AlertIdentityIssuerRenewalOverdue: 30 * time.Minute, // a quarter of 2h: below the 75m floor
		generator.AlertWebhookCertExpiring:          100 * time.Hour,
		generator.AlertWebhookCertRenewalOverdue:    3 * time.Hour,
	} {
		if got := threshold(r, alert); got != d {
			t.Errorf("overridden: %s: threshold %s, want %s", alert, got, d)
		}
	}
	// The namespace label is the one the spec names.
	e := parseExpr(t, "ready", exprOf(rulesOf(r)[generator.AlertCertificateNotReady]))
	if got := selectedCertificates(t, "ready", "exported_namespace", e); len(got) == 0 {
		t.Error("certificateNamespaceLabel exported_namespace not used")
	}
	checkRule(t, m, r, byCluster(t, m)[v1alpha1.InClusterName], readmeAnchors(t))
}

// The selector checks catch what they are for.
func TestAlerts_selectorChecksCatchBreakage(t *testing.T) {
	for expr, want := range map[string]string{
		`certmanager_certificate_ready_status{namespace="linkerd", name=~"linkerd-.*"}`: "matches more than a list of names",
		`certmanager_certificate_ready_status{namespace="linkerd", name!="x"}`:          "selects by exclusion",
		`certmanager_certificate_ready_status{name="x"}`:                                "without both",
	} {
		ft := &fatalRecorder{TB: t}
		func() {
			defer func() { recover() }()
			selectedCertificates(ft, "test", "namespace", parseExpr(t, "test", expr))
		}()
		if !strings.Contains(ft.msg, want) {
			t.Errorf("%s: got %q, want a failure containing %q", expr, ft.msg, want)
		}
	}
	if got := selectedCertificates(t, "test", "namespace", parseExpr(t, "test",
		`certmanager_certificate_ready_status{namespace="a", name=~"x|y\\.z"} or certmanager_certificate_ready_status{namespace="b", name="w"}`)); !slices.Equal(got, []string{"a/x", "a/y.z", "b/w"}) {
		t.Errorf("selected %v", got)
	}
}

type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = strings.TrimSpace(fmt.Sprintf(format, args...))
	panic("fatal")
}

func (f *fatalRecorder) Helper() {}

func exprOf(r monitoringv1.Rule) string { return r.Expr.StrVal }

// Without the restarter there is nothing to alert on for it; with the rule
// off the manifests carry no PrometheusRule (and no ServiceMonitor values
// for cert-manager), but PrometheusRule still returns it for --only alerts.
func TestAlerts_followTheSwitches(t *testing.T) {
	spec := `apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata: {name: mesh}
spec:
  profile: dev
  trust:
    anchors: [{name: root, active: true, selfSigned: {}}]
  restarter: {enabled: false}
  argocd: {repoURL: "https://git.example.com/x.git", path: mesh}
  monitoring: {labels: {release: kps}}
`
	m := loadSpec(t, spec)
	r := generator.PrometheusRule(&m.Spec)
	if len(r.Spec.Groups) != 1 || rulesOf(r)[generator.AlertStaleTrustRoots].Alert != "" {
		t.Errorf("restarter disabled, groups %v", r.Spec.Groups)
	}
	if r.Labels["release"] != "kps" {
		t.Errorf("labels %v", r.Labels)
	}
	objs, err := generator.RenderAll(m, generator.Options{Version: testVersion})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range plain(t, objs) {
		if o["kind"] == "PrometheusRule" {
			t.Error("dev profile renders a PrometheusRule")
		}
		if o["kind"] == "ApplicationSet" && strings.Contains(mustJSON(t, o), "servicemonitor") {
			t.Error("cert-manager ServiceMonitor turned on without alerts")
		}
	}

	m = loadSpec(t, strings.Replace(spec, "labels: {release: kps}", "prometheusRule: true, labels: {release: kps}", 1))
	objs, err = generator.RenderAll(m, generator.Options{Version: testVersion})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range plain(t, objs) {
		if o["kind"] == "ApplicationSet" {
			found = strings.Contains(mustJSON(t, o), `"servicemonitor":{"enabled":true,"honorLabels":true,"labels":{"release":"kps"}}`)
		}
	}
	if !found {
		t.Error("cert-manager's ServiceMonitor is not turned on, with the monitoring labels, when alerts are")
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A render builds the PrometheusRule once for the fleet, but each cluster
// must get an object of its own: rendering labels and annotates what it
// emits, and a caller of RenderAll may change one cluster's objects.
func TestAlerts_eachClusterItsOwnRule(t *testing.T) {
	m := loadExample(t, "multicluster")
	if !m.Spec.Monitoring.PrometheusRule || len(m.Spec.Clusters) < 2 {
		t.Fatalf("examples/multicluster.yaml no longer has monitoring and two clusters")
	}
	var rules []*monitoringv1.PrometheusRule
	for cluster, objs := range byCluster(t, m) {
		for _, o := range objs {
			if r, ok := o.Object.(*monitoringv1.PrometheusRule); ok {
				if cluster == "" {
					t.Errorf("the fleet's objects hold a PrometheusRule")
				}
				rules = append(rules, r)
			}
		}
	}
	if len(rules) != len(m.Spec.Clusters) {
		t.Fatalf("%d PrometheusRules for %d clusters", len(rules), len(m.Spec.Clusters))
	}
	want := mustJSON(t, rules[0])
	rules[1].Labels["changed"] = "in one cluster"
	rules[1].Spec.Groups[0].Rules[0].Alert = "Changed"
	if got := mustJSON(t, rules[0]); got != want {
		t.Errorf("changing one cluster's PrometheusRule changed another's")
	}
	for _, r := range rules[2:] {
		if mustJSON(t, r) != want {
			t.Errorf("clusters' PrometheusRules differ")
		}
	}
}

// Linkerd exports issuer_cert_ttl_seconds from 2.18 on: before, the two
// rules on it would watch nothing, and are not rendered.
func TestAlerts_issuerTTLRulesFromLinkerd218(t *testing.T) {
	for _, r := range v1alpha1.LinkerdReleases {
		m := releaseSpec(t, r.Version, "{enabled: false}")
		var got []string
		for _, g := range generator.PrometheusRule(&m.Spec).Spec.Groups {
			for _, rule := range g.Rules {
				if rule.Alert == generator.AlertIdentityIssuerNotLoaded || rule.Alert == generator.AlertIdentityIssuerInUseExpiring {
					got = append(got, rule.Alert)
				}
			}
		}
		if want := r.ExportsIssuerTTL(); (len(got) == 2) != want || !want && len(got) > 0 {
			t.Errorf("Linkerd %s: rules %v, want them: %v", r.Version, got, want)
		}
		if minor := strings.TrimPrefix(r.Version, "2."); (minor >= "18") != r.ExportsIssuerTTL() {
			t.Errorf("Linkerd %s: ExportsIssuerTTL %v", r.Version, r.ExportsIssuerTTL())
		}
	}
}
