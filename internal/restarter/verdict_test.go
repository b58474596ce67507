package restarter_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

func TestStatus_configMapRoundTrip(t *testing.T) {
	s := shop(oldHash)
	cfg := config()
	p := restarter.Decide(s, cfg, 20)
	now := time.Date(2026, 8, 22, 10, 25, 0, 0, time.UTC)
	st := restarter.NewStatus(&p, []restarter.Anchor{{Subject: "CN=a", KeySHA256: "ab", NotAfter: now}}, now, 3)
	st.IdentityIssuer = restarter.ObserveIssuer(nil, "ClusterIssuer", "linkerd-anchor-a", true, now)
	data, err := st.ConfigMapData()
	if err != nil {
		t.Fatal(err)
	}
	if data[restarter.StatusKeyHash] != newHash || data[restarter.StatusKeyRestarted] != "3" || data[restarter.StatusKeyTime] != "2026-08-22T10:25:00Z" {
		t.Errorf("summary keys %v", data)
	}
	back, ok, err := restarter.StatusFromConfigMapData(data)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if diff := cmp.Diff(&st, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, ok, err := restarter.StatusFromConfigMapData(nil); ok || err != nil {
		t.Error("an empty ConfigMap holds no status")
	}
	if _, _, err := restarter.StatusFromConfigMapData(map[string]string{restarter.StatusKeyJSON: "{"}); err == nil {
		t.Error("a broken status.json must be an error")
	}

	// The issuer's "since" survives runs that see the same issuer.
	later := restarter.ObserveIssuer(&st, "ClusterIssuer", "linkerd-anchor-a", true, now.Add(6*time.Hour))
	if !later.Since.Equal(now) {
		t.Errorf("since moved to %s", later.Since)
	}
	if other := restarter.ObserveIssuer(&st, "ClusterIssuer", "linkerd-anchor-b", true, now.Add(6*time.Hour)); !other.Since.Equal(now.Add(6 * time.Hour)) {
		t.Errorf("a new issuer keeps the old since %s", other.Since)
	}
	// Named but not issued by it yet: not dated, and dated by the first
	// run that sees it issued.
	pending := restarter.ObserveIssuer(&st, "ClusterIssuer", "linkerd-anchor-b", false, now.Add(6*time.Hour))
	if !pending.Since.IsZero() {
		t.Errorf("an issuer that has not issued is dated %s", pending.Since)
	}
	st.IdentityIssuer = pending
	if issued := restarter.ObserveIssuer(&st, "ClusterIssuer", "linkerd-anchor-b", true, now.Add(9*time.Hour)); !issued.Since.Equal(now.Add(9 * time.Hour)) {
		t.Errorf("issued after a pending run: dated %s, want the run that saw it issued", issued.Since)
	}
}

func observation(now time.Time, anchors ...string) *restarter.Observation {
	o := &restarter.Observation{
		Now: now, BundleHash: newHash, ProxyLifetime: 24*time.Hour + 20*time.Second,
		Certificates: []restarter.CertificateReadiness{{Namespace: "linkerd", Name: "linkerd-identity-issuer", Ready: true}},
		Status: &restarter.Status{
			Time: now.Add(-time.Hour), BundleSHA256: newHash, Counts: restarter.Counts{Current: 42},
			IdentityIssuer: &restarter.IssuerObservation{Kind: "ClusterIssuer", Name: "linkerd-anchor-root-2026", Since: now.Add(-48 * time.Hour)},
		},
	}
	for _, a := range anchors {
		o.Anchors = append(o.Anchors, restarter.Anchor{Subject: "CN=" + a + ".linkerd.cluster.local", KeySHA256: strings.Repeat("a", 64)})
	}
	return o
}

func TestJudge(t *testing.T) {
	now := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		o    *restarter.Observation
		safe bool
		line string
	}{
		"step 1 done: safe to make the new anchor active": {
			o: observation(now, "root-2026", "root-2027"), safe: true,
			line: "SAFE: all 42 workloads trust anchors root-2026, root-2027; safe to make root-2027 active (step 2)",
		},
		"step 2 done long ago: safe to remove the others": {
			o: func() *restarter.Observation {
				o := observation(now, "root-2026", "root-2027")
				o.Status.IdentityIssuer.Name = "linkerd-anchor-root-2027"
				return o
			}(), safe: true,
			line: "also safe: remove root-2026, keeping the active root-2027 (step 3 if root-2027 is the new anchor, else undoing step 1)",
		},
		"step 2 just done: removing waits for the proxy certificates": {
			o: func() *restarter.Observation {
				o := observation(now, "root-2026", "root-2027")
				o.Status.IdentityIssuer = &restarter.IssuerObservation{Kind: "ClusterIssuer", Name: "linkerd-anchor-root-2027", Since: now.Add(-time.Hour)}
				return o
			}(), safe: true,
			line: "not yet: removing root-2026 (step 3) is safe only after 2026-08-23T11:00:20Z",
		},
		"one anchor: add one": {
			o: observation(now, "root-2026"), safe: true,
			line: "the only one; to rotate, add a new anchor",
		},
		"no run yet": {
			o:    func() *restarter.Observation { o := observation(now, "a", "b"); o.Status = nil; return o }(),
			line: "NOT SAFE: the restarter has not recorded a run yet",
		},
		"bundle changed since the last run": {
			o: func() *restarter.Observation {
				o := observation(now, "a", "b")
				o.Status.BundleSHA256 = oldHash
				return o
			}(),
			line: "NOT SAFE: the trust bundle changed after the restarter's last run",
		},
		"stale workloads left": {
			o: func() *restarter.Observation {
				o := observation(now, "a", "b")
				o.Status.Counts = restarter.Counts{Current: 40, Pending: 1, Restarted: 1, Stale: 1, Unmanaged: 2}
				o.Status.Workloads = []restarter.Decision{{Ref: restarter.Ref{Kind: restarter.KindDeployment, Namespace: "shop", Name: "web"}, State: restarter.StateStale, Reason: "per-run restart limit reached"}}
				return o
			}(),
			line: "NOT SAFE: 2 of 42 workloads do not hold the current roots yet, and 2 pods need attention",
		},
		"a certificate not ready": {
			o: func() *restarter.Observation {
				o := observation(now, "a", "b")
				o.Certificates = append(o.Certificates, restarter.CertificateReadiness{Namespace: "cert-manager", Name: "linkerd-anchor-b", Message: "Issuing"})
				return o
			}(),
			line: "NOT SAFE: 1 certificates are not Ready",
		},
	} {
		t.Run(name, func(t *testing.T) {
			v := restarter.Judge(tc.o)
			text := strings.Join(v.Lines, "\n")
			if v.Safe != tc.safe || !strings.Contains(text, tc.line) {
				t.Errorf("safe %v, want %v, with line %q; got:\n%s", v.Safe, tc.safe, tc.line, text)
			}
		})
	}
}

// Workloads held up by their injection are shown with the mesh coverage,
// once, and change nothing about safety.
func TestJudge_enrollmentBlocked(t *testing.T) {
	now := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)
	web := restarter.Decision{Ref: restarter.Ref{Kind: restarter.KindDeployment, Namespace: "shop", Name: "web"}, Injection: true,
		State: restarter.StateBlocked, Reason: "2 running pods have no proxy though injection is enabled, also after a restart for it"}
	cart := restarter.Decision{Ref: restarter.Ref{Kind: restarter.KindDeployment, Namespace: "shop", Name: "cart"}, Injection: true,
		State: restarter.StatePending, Reason: "restarted; 1 of 2 replicas updated"}
	db := restarter.Decision{Ref: restarter.Ref{Kind: restarter.KindStatefulSet, Namespace: "shop", Name: "db"},
		State: restarter.StateStale, Reason: "per-run restart limit reached"}
	wantLine := "  enrollment blocked: Deployment shop/web: 2 running pods have no proxy though injection is enabled, also after a restart for it"

	o := observation(now, "a", "b")
	o.Status.Counts.Enrolling, o.Status.Counts.EnrollingBlocked = 2, 1
	o.Status.Workloads = []restarter.Decision{cart, web}
	o.Status.Mesh = []restarter.Coverage{{Namespace: "shop", Inject: "enabled", Meshed: 3, NotYetMeshed: 4}}
	v := restarter.Judge(o)
	if !v.Safe || !slices.Contains(v.Lines, wantLine) || strings.Contains(strings.Join(v.Lines, "\n"), "shop/cart") {
		t.Errorf("safe %v, want true, with %q and no pending enrollment; got:\n%s", v.Safe, wantLine, strings.Join(v.Lines, "\n"))
	}

	o.Status.Counts.Stale = 1
	o.Status.Workloads = []restarter.Decision{cart, web, db}
	v = restarter.Judge(o)
	want := []string{wantLine, "NOT SAFE: 1 of 43 workloads do not hold the current roots yet, and 0 pods need attention",
		"  StatefulSet shop/db: stale per-run restart limit reached"}
	if got := v.Lines[len(v.Lines)-3:]; v.Safe || !slices.Equal(got, want) {
		t.Errorf("safe %v, want false, ending in:\n%s\ngot:\n%s", v.Safe, strings.Join(want, "\n"), strings.Join(v.Lines, "\n"))
	}
}

// Bring-your-own and external anchors carry their own subjects, not the
// spec's names: the verdict must not guess which one is active, and never
// offer to remove it.
func TestJudge_anchorsNotNamedBySpec(t *testing.T) {
	now := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)
	byo := func(issuer string, since time.Duration) *restarter.Observation {
		o := observation(now)
		o.Anchors = []restarter.Anchor{{Subject: "CN=Corp Mesh Root 2026,O=Corp"}, {Subject: "CN=Corp Mesh Root 2027,O=Corp"}}
		o.Status.IdentityIssuer = &restarter.IssuerObservation{Kind: "ClusterIssuer", Name: issuer, Since: now.Add(-since)}
		return o
	}
	for name, tc := range map[string]struct {
		o     *restarter.Observation
		lines []string
	}{
		"bring your own, switched long ago": {
			o: byo("linkerd-anchor-fleet-root-2026", 48*time.Hour),
			lines: []string{
				"SAFE: all 42 workloads trust anchors CN=Corp Mesh Root 2026,O=Corp, CN=Corp Mesh Root 2027,O=Corp; safe to make another anchor active (step 2)",
				"also safe: remove every anchor but the active one (the anchor of ClusterIssuer linkerd-anchor-fleet-root-2026) (step 3 if it is the new anchor, else undoing step 1): proxy certificates signed under the others expired before 2026-08-21T12:00:20Z",
			},
		},
		"bring your own, named but not issued yet": {
			o: func() *restarter.Observation {
				o := byo("linkerd-anchor-fleet-root-2027", 0)
				o.Status.IdentityIssuer.Since = time.Time{}
				return o
			}(),
			lines: []string{
				"identity issuer named for ClusterIssuer linkerd-anchor-fleet-root-2027, not yet issued by it",
				"not yet: removing the anchors but the active one (the anchor of ClusterIssuer linkerd-anchor-fleet-root-2027) (step 3) waits until the identity issuer is issued by it",
			},
		},
		"external issuer, just switched": {
			o: byo("vault-linkerd", time.Hour),
			lines: []string{
				"not yet: removing the anchors but the active one (the anchor of ClusterIssuer vault-linkerd) (step 3) is safe only after 2026-08-23T11:00:20Z, when the last proxy certificate signed under another before it became active has expired",
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			v := restarter.Judge(tc.o)
			text := strings.Join(v.Lines, "\n")
			for _, l := range tc.lines {
				if !slices.Contains(v.Lines, l) {
					t.Errorf("no line %q in:\n%s", l, text)
				}
			}
			if !v.Safe || strings.Contains(text, "keeping the active") || strings.Contains(text, "remove CN=") {
				t.Errorf("safe %v; names an anchor to remove:\n%s", v.Safe, text)
			}
		})
	}
}

// Self-signed anchors named by the spec: while the identity issuer is named
// for the new anchor but not yet issued by it, step 3 waits, however long
// ago the spec changed; once issued, it waits a proxy lifetime and the
// identity controller's reload from then.
func TestJudge_step3WaitsForTheIssuance(t *testing.T) {
	now := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)
	o := observation(now, "root-2026", "root-2027")
	o.ReloadAllowance = 5 * time.Minute
	o.Status.IdentityIssuer = &restarter.IssuerObservation{Kind: "ClusterIssuer", Name: "linkerd-anchor-root-2027"}
	want := "not yet: removing the anchors but root-2027 (step 3) waits until the identity issuer is issued by ClusterIssuer linkerd-anchor-root-2027"
	v := restarter.Judge(o)
	if text := strings.Join(v.Lines, "\n"); !v.Safe || !slices.Contains(v.Lines, want) || strings.Contains(text, "also safe") {
		t.Errorf("not issued: safe %v, want the line %q in:\n%s", v.Safe, want, text)
	}
	o.Status.IdentityIssuer.Since = now.Add(-24*time.Hour - 20*time.Second - 4*time.Minute)
	want = "not yet: removing root-2026 (step 3) is safe only after 2026-08-22T12:01:00Z, when the last proxy certificate signed under it before root-2027 became active has expired"
	if v := restarter.Judge(o); !slices.Contains(v.Lines, want) {
		t.Errorf("issued a proxy lifetime ago, within the reload: want %q in:\n%s", want, strings.Join(v.Lines, "\n"))
	}
}

// Past ten, the workloads not yet current are counted, not listed; the
// count is of those the status lists, and what did not fit is said apart.
func TestJudge_longListIsCounted(t *testing.T) {
	now := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)
	o := observation(now, "a", "b")
	o.Status.Counts.Stale = 12
	for i := range 12 {
		o.Status.Workloads = append(o.Status.Workloads, restarter.Decision{
			Ref: restarter.Ref{Kind: restarter.KindDeployment, Namespace: "shop", Name: fmt.Sprintf("w%02d", i)}, State: restarter.StateStale})
	}
	o.Status.Workloads = append(o.Status.Workloads, restarter.Decision{
		Ref: restarter.Ref{Kind: restarter.KindDeployment, Namespace: "shop", Name: "enrolling"}, Injection: true, State: restarter.StatePending})
	o.Status.Truncated = 3
	o.LinkerdNamespace = "linkerd"
	want := "  ... and 2 more (kubectl get configmap mtlsgen-trust-status -n linkerd -o jsonpath='{.data.status\\.json}'); 3 entries did not fit in the status"
	if v := restarter.Judge(o); !slices.Contains(v.Lines, want) {
		t.Errorf("no line %q in:\n%s", want, strings.Join(v.Lines, "\n"))
	}
}

// Anchors are named only when every one is mtlsgen's self-signed kind and
// the names are unique: an old anchor whose common name looks like the
// active bring-your-own anchor's spec name must not make the verdict take
// it for the active one (and offer to remove the real one).
func TestJudge_activeAnchorNotGuessed(t *testing.T) {
	now := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)
	for name, subjects := range map[string][]string{
		"a lookalike common name": {"CN=root.linkerd.cluster.local", "CN=Corp Mesh Root 2027,O=Corp"},
		"the same subject twice":  {"CN=root.linkerd.cluster.local", "CN=root.linkerd.cluster.local"},
		"a bare common name":      {"CN=root", "CN=other.linkerd.cluster.local"},
	} {
		t.Run(name, func(t *testing.T) {
			o := observation(now)
			for _, s := range subjects {
				o.Anchors = append(o.Anchors, restarter.Anchor{Subject: s})
			}
			o.Status.IdentityIssuer = &restarter.IssuerObservation{Kind: "ClusterIssuer", Name: "linkerd-anchor-root", Since: now.Add(-48 * time.Hour)}
			v := restarter.Judge(o)
			text := strings.Join(v.Lines, "\n")
			if !strings.Contains(text, "also safe: remove every anchor but the active one (the anchor of ClusterIssuer linkerd-anchor-root)") ||
				strings.Contains(text, "keeping the active") || strings.Contains(text, "safe to make CN=") {
				t.Errorf("names an anchor it cannot tell apart:\n%s", text)
			}
		})
	}
}

// Pods the restarter cannot see block the next step as its own do; when
// they cannot be listed, the verdict says it knows less.
func TestJudge_stalePodsElsewhere(t *testing.T) {
	now := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)
	o := observation(now, "root-2026", "root-2027")
	o.StalePods = map[string]int{"billing": 2, "audit": 1}
	v := restarter.Judge(o)
	want := "NOT SAFE: 3 meshed pods hold other trust roots than the bundle, in namespaces the restarter does not restart or has not reached: audit (1), billing (2); restart their workloads (kubectl rollout restart) or add the namespaces to spec.restarter.dataPlane"
	if v.Safe || !slices.Contains(v.Lines, want) {
		t.Errorf("safe %v; want %q in:\n%s", v.Safe, want, strings.Join(v.Lines, "\n"))
	}
	// Unlisted: not safe (a script reads only the exit code), unless asked
	// to judge by the restarter's namespaces alone.
	o.StalePods, o.StalePodsUnread = nil, "pods is forbidden"
	v = restarter.Judge(o)
	if v.Safe || !slices.Contains(v.Lines, "NOT SAFE: the meshed pods of every namespace could not be listed (pods is forbidden), and pods outside the restarter's namespaces may hold the old roots; grant list on pods cluster-wide, or pass --only-restarter-namespaces to judge by the restarter's namespaces alone") {
		t.Errorf("unlisted: safe %v:\n%s", v.Safe, strings.Join(v.Lines, "\n"))
	}
	o.OnlyRestarterNamespaces = true
	v = restarter.Judge(o)
	if !v.Safe || !slices.Contains(v.Lines, "note: the meshed pods of other namespaces could not be listed (pods is forbidden): this verdict knows only the restarter's namespaces") {
		t.Errorf("unlisted, judged by the restarter's namespaces: safe %v:\n%s", v.Safe, strings.Join(v.Lines, "\n"))
	}
}

// Without the proxy lifetime (linkerd-config unreadable, no flag), no
// removal is called safe, however long ago the switch was.
func TestJudge_unknownProxyLifetime(t *testing.T) {
	now := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)
	o := observation(now, "root-2026", "root-2027")
	o.ProxyLifetime, o.ProxyLifetimeFrom = 0, "linkerd-config could not be read: forbidden"
	v := restarter.Judge(o)
	text := strings.Join(v.Lines, "\n")
	want := "not yet: removing root-2027 (step 3) is safe a proxy certificate lifetime after 2026-08-20T12:00:00Z, which is not known here (pass --proxy-certificate-lifetime)"
	if !v.Safe || !slices.Contains(v.Lines, want) || strings.Contains(text, "also safe") || !strings.Contains(text, "proxy certificates live for an unknown time (linkerd-config could not be read: forbidden)") {
		t.Errorf("safe %v; want %q in:\n%s", v.Safe, want, text)
	}
}

// The same bundle text written again since the restarter's run (changed
// and changed back in between) is not the bundle it judged.
func TestJudge_bundleWrittenAgain(t *testing.T) {
	now := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)
	o := observation(now, "root-2026", "root-2027")
	o.Status.BundleVersion, o.BundleVersion = "4711", "4790"
	v := restarter.Judge(o)
	want := "NOT SAFE: the trust bundle was written again after the restarter's last run (version 4711, now 4790); wait for its next run"
	if v.Safe || !slices.Contains(v.Lines, want) {
		t.Errorf("safe %v; want %q in:\n%s", v.Safe, want, strings.Join(v.Lines, "\n"))
	}
	for _, versions := range [][2]string{{"4711", "4711"}, {"", "4790"}} { // unchanged; a status from before versions were recorded
		o.Status.BundleVersion, o.BundleVersion = versions[0], versions[1]
		if v := restarter.Judge(o); !v.Safe {
			t.Errorf("versions %q: not safe:\n%s", versions, strings.Join(v.Lines, "\n"))
		}
	}
}
