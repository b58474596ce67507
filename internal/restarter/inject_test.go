package restarter_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

// enrolledPod is a running pod of an enrolled namespace, with or without the
// proxy, and the pod-level linkerd.io/inject annotation its template gave it
// ("" for none).
func enrolledPod(ns, name string, proxy bool, inject string, owners []metav1.OwnerReference) corev1.Pod {
	p := pod(ns, name, "", owners)
	p.Spec.Containers = []corev1.Container{{Name: "app"}}
	if proxy {
		p = pod(ns, name, newHash, owners)
		p.Spec.Containers = []corev1.Container{{Name: "app"}, {Name: restarter.ProxyContainer}}
	}
	if inject != "" {
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[restarter.AnnotationInject] = inject
	}
	return p
}

// enrollment is a cluster whose control plane holds the current roots, with
// two enrolled namespaces: shop (injection enabled) and legacy (rolled
// back: injection disabled).
func enrollment() (*restarter.Snapshot, *restarter.Config) {
	cfg := config()
	cfg.MeshNamespaces = []string{"shop", "legacy"}
	s := &restarter.Snapshot{
		Bundle:         newBundle,
		ControlPlane:   settledControlPlane(newHash),
		MeshNamespaces: map[string]string{"shop": "enabled", "legacy": "disabled"},
		MeshPods: []corev1.Pod{
			// started before the namespace was annotated: no proxy
			enrolledPod("shop", "web-1-a", false, "", controller("apps/v1", "ReplicaSet", "web-1")),
			enrolledPod("shop", "web-1-b", false, "", controller("apps/v1", "ReplicaSet", "web-1")),
			// meshed already
			enrolledPod("shop", "db-0", true, "", controller("apps/v1", "StatefulSet", "db")),
			// opted out by its own annotation
			enrolledPod("shop", "batch-0", false, "disabled", controller("apps/v1", "StatefulSet", "batch")),
			// a Job's pod: reported, never restarted
			enrolledPod("shop", "migrate-q", false, "", controller("batch/v1", "Job", "migrate")),
			// rolled back, still running a proxy
			enrolledPod("legacy", "api-0", true, "", controller("apps/v1", "StatefulSet", "api")),
			// opted in by its own annotation in a disabled namespace: fine
			enrolledPod("legacy", "edge-0", true, "enabled", controller("apps/v1", "StatefulSet", "edge")),
		},
		ReplicaSets: []appsv1.ReplicaSet{rs("shop", "web-1", controller("apps/v1", "Deployment", "web"))},
		Workloads: []restarter.Workload{
			restarter.DeploymentWorkload(deployment("shop", "web", "")),
			restarter.StatefulSetWorkload(statefulSet("legacy", "api", "")),
		},
	}
	return s, cfg
}

func TestDecide_enrollment(t *testing.T) {
	s, cfg := enrollment()
	if diff := cmp.Diff([]restarter.Ref{{Kind: "StatefulSet", Namespace: "legacy", Name: "api"}, {Kind: "Deployment", Namespace: "shop", Name: "web"}},
		restarter.StaleOwners(s, cfg)); diff != "" {
		t.Errorf("owners to fetch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"shop"}, restarter.ReplicaSetNamespaces(s, cfg)); diff != "" {
		t.Errorf("replica set namespaces (-want +got):\n%s", diff)
	}
	p := restarter.Decide(s, cfg, 20)
	var got []string
	for _, d := range p.Restarts() {
		got = append(got, d.Ref.String()+": "+d.Reason)
	}
	want := []string{
		"StatefulSet legacy/api: 1 running pod runs a proxy though injection is disabled",
		"Deployment shop/web: 2 running pods have no proxy though injection is enabled",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("restarts (-want +got):\n%s", diff)
	}
	if len(p.UnmanagedEnrollment) != 1 || p.UnmanagedEnrollment[0].Name != "migrate-q" {
		t.Errorf("unmanaged %+v", p.UnmanagedEnrollment)
	}
	// Enrollment says nothing about trust roots: the stale-roots state
	// (and its alert) must not change with it.
	c := p.Counts()
	if c.Enrolling != 2 || c.Restarted != 2 || !c.Converged() {
		t.Errorf("counts %+v", c)
	}
	wantCov := []restarter.Coverage{
		{Namespace: "legacy", Inject: "disabled", Meshed: 1, ToUnmesh: 1},
		{Namespace: "shop", Inject: "enabled", Meshed: 1, NotYetMeshed: 3, OptedOut: 1},
	}
	if diff := cmp.Diff(wantCov, p.Coverage); diff != "" {
		t.Errorf("coverage (-want +got):\n%s", diff)
	}
}

// After the restarts roll out, the pods match: a second run restarts
// nothing; while they roll out, the workloads are pending.
func TestDecide_enrollmentIdempotent(t *testing.T) {
	s, cfg := enrollment()
	s.Workloads[0] = restarter.DeploymentWorkload(rolling(deployment("shop", "web", newHash)))
	p := restarter.Decide(s, cfg, 20)
	for _, d := range p.Decisions {
		if d.Ref.Namespace == "shop" && d.Ref.Name == "web" && d.State != restarter.StatePending {
			t.Errorf("a rolling workload: %s %s", d.State, d.Reason)
		}
	}
	s, cfg = enrollment()
	s.MeshPods = []corev1.Pod{
		enrolledPod("shop", "web-2-a", true, "", controller("apps/v1", "ReplicaSet", "web-2")),
		enrolledPod("legacy", "api-0", false, "", controller("apps/v1", "StatefulSet", "api")),
	}
	s.ReplicaSets = []appsv1.ReplicaSet{rs("shop", "web-2", controller("apps/v1", "Deployment", "web"))}
	if p := restarter.Decide(s, cfg, 20); len(p.Restarts()) != 0 {
		t.Errorf("second run restarts %v", p.Restarts())
	}
}

// Enrollment restarts share the per-run bound with trust-root restarts and
// wait for the control plane like them.
func TestDecide_enrollmentBoundAndGate(t *testing.T) {
	s, cfg := enrollment()
	if p := restarter.Decide(s, cfg, 1); len(p.Restarts()) != 1 || !strings.Contains(p.Decisions[len(p.Decisions)-1].Reason, "limit") {
		t.Errorf("bound 1: %+v", p.Decisions)
	}
	s.ControlPlane[0] = restarter.DeploymentWorkload(deployment("linkerd", "linkerd-destination", oldHash))
	p := restarter.Decide(s, cfg, 20)
	for _, d := range p.Decisions {
		if !d.ControlPlane && d.State == restarter.StateRestart {
			t.Errorf("%s restarted before the control plane rolled out", d.Ref)
		}
	}
}

// stampedForInjection is deployment shop/web as a restart for inject left
// it: rolled out, its template stamped for that injection.
func stampedForInjection(inject string) *appsv1.Deployment {
	d := deployment("shop", "web", newHash)
	d.Spec.Template.Annotations[restarter.AnnotationRestartedForInjection] = restarter.InjectionStamp(inject, restarter.TemplateHash(&d.Spec.Template))
	return d
}

// decisionFor is the plan's decision for ref.
func decisionFor(t *testing.T, p restarter.Plan, ref string) restarter.Decision {
	t.Helper()
	for _, d := range p.Decisions {
		if d.Ref.String() == ref {
			return d
		}
	}
	t.Fatalf("no decision for %s in %+v", ref, p.Decisions)
	return restarter.Decision{}
}

// A restart for injection is stamped with the injection and the template
// it restarted, and nothing else is.
func TestDecide_enrollmentRestartIsStamped(t *testing.T) {
	s, cfg := enrollment()
	p := restarter.Decide(s, cfg, 20)
	web := decisionFor(t, p, "Deployment shop/web")
	wantStamp := restarter.InjectionStamp("enabled", restarter.TemplateHash(&deployment("shop", "web", "").Spec.Template))
	if web.State != restarter.StateRestart || web.InjectionStamp != wantStamp {
		t.Errorf("web: %s, stamp %q, want restart stamped %q", web.State, web.InjectionStamp, wantStamp)
	}
	if api := decisionFor(t, p, "StatefulSet legacy/api"); !strings.HasPrefix(api.InjectionStamp, "disabled/") {
		t.Errorf("api (rolled back) stamped %q", api.InjectionStamp)
	}
	s, cfg = shop(oldHash), config()
	roots := restarter.Decide(s, cfg, 20)
	for _, d := range roots.Restarts() {
		if d.InjectionStamp != "" {
			t.Errorf("a trust-roots restart of %s is stamped for injection: %q", d.Ref, d.InjectionStamp)
		}
	}
}

// Pods that still do not match after a restart for their injection rolled
// out were declined by the injector: the workload is blocked, not restarted
// every run, until its template or its injection changes.
func TestDecide_enrollmentDeclinedByTheInjector(t *testing.T) {
	web := restarter.Ref{Kind: restarter.KindDeployment, Namespace: "shop", Name: "web"}
	api := restarter.Ref{Kind: restarter.KindStatefulSet, Namespace: "legacy", Name: "api"}
	// The previous run restarted web (or saw it rolling, or blocked it).
	for _, previous := range []restarter.State{restarter.StateRestart, restarter.StatePending, restarter.StateBlocked} {
		s, cfg := enrollment()
		s.Workloads[0] = restarter.DeploymentWorkload(stampedForInjection("enabled"))
		s.Enrolling = map[restarter.Ref]restarter.State{web: previous}
		p := restarter.Decide(s, cfg, 20)
		d := decisionFor(t, p, web.String())
		if d.State != restarter.StateBlocked || !strings.Contains(d.Reason, "also after a restart for it: the proxy injector declined") {
			t.Errorf("previously %s: web %s %q, want blocked as declined", previous, d.State, d.Reason)
		}
		if c := p.Counts(); c.Enrolling != 2 || c.EnrollingBlocked != 1 || c.Restarted != 1 || c.Blocked != 0 || !c.Converged() {
			t.Errorf("previously %s: counts %+v", previous, c)
		}
	}

	s, cfg := enrollment()
	s.Enrolling = map[restarter.Ref]restarter.State{web: restarter.StateRestart}
	decide := func() restarter.Decision { return decisionFor(t, restarter.Decide(s, cfg, 20), web.String()) }

	// Still rolling out: pending, as before.
	s.Workloads[0] = restarter.DeploymentWorkload(rolling(stampedForInjection("enabled")))
	if d := decide(); d.State != restarter.StatePending {
		t.Errorf("rolling: %s %q", d.State, d.Reason)
	}

	// The owner changed the template since (a new image, kubectl rollout
	// restart): the injector gets another chance.
	d := stampedForInjection("enabled")
	d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Image: "web:2"}}
	s.Workloads[0] = restarter.DeploymentWorkload(d)
	if d := decide(); d.State != restarter.StateRestart {
		t.Errorf("new template: %s %q", d.State, d.Reason)
	}

	// Stamped for the other injection (enrolled, rolled back, enrolled
	// again): restarted.
	s.Workloads[0] = restarter.DeploymentWorkload(stampedForInjection("disabled"))
	if d := decide(); d.State != restarter.StateRestart {
		t.Errorf("stamped for disabled, enabled now: %s %q", d.State, d.Reason)
	}

	// Restarted for injection long ago and fine since: the previous run
	// listed nothing for it. Its pods were recreated while the injector
	// was down (an eviction during an upgrade): a restart heals them.
	s.Workloads[0] = restarter.DeploymentWorkload(stampedForInjection("enabled"))
	s.Enrolling = nil
	if d := decide(); d.State != restarter.StateRestart {
		t.Errorf("pods recreated since a good restart: %s %q", d.State, d.Reason)
	}

	// A rollback the injector does not honour.
	s, cfg = enrollment()
	set := statefulSet("legacy", "api", newHash)
	set.Spec.Template.Annotations[restarter.AnnotationRestartedForInjection] = restarter.InjectionStamp("disabled", restarter.TemplateHash(&set.Spec.Template))
	s.Workloads[1] = restarter.StatefulSetWorkload(set)
	s.Enrolling = map[restarter.Ref]restarter.State{api: restarter.StateRestart}
	if d := decisionFor(t, restarter.Decide(s, cfg, 20), api.String()); d.State != restarter.StateBlocked ||
		!strings.Contains(d.Reason, "runs a proxy though injection is disabled, also after a restart for it") {
		t.Errorf("api: %s %q", d.State, d.Reason)
	}
}

// The template hash ignores what the restarter stamps and nothing else.
func TestTemplateHash(t *testing.T) {
	plain := deployment("shop", "web", "").Spec.Template
	stamped := stampedForInjection("enabled").Spec.Template
	stamped.Annotations[restarter.AnnotationRestartedAt] = "2026-11-24T00:00:00Z"
	if restarter.TemplateHash(&plain) != restarter.TemplateHash(&stamped) {
		t.Error("the restarter's own annotations change the template hash")
	}
	if len(stamped.Annotations) != 3 {
		t.Errorf("TemplateHash modified its argument: %v", stamped.Annotations)
	}
	for name, change := range map[string]func(*corev1.PodTemplateSpec){
		"kubectl rollout restart": func(t *corev1.PodTemplateSpec) {
			t.Annotations = map[string]string{"kubectl.kubernetes.io/restartedAt": "2026-11-24T00:00:00Z"}
		},
		"new image": func(t *corev1.PodTemplateSpec) { t.Spec.Containers = []corev1.Container{{Name: "app", Image: "web:2"}} },
		"pod opt-in": func(t *corev1.PodTemplateSpec) {
			t.Annotations = map[string]string{restarter.AnnotationInject: "enabled"}
		},
	} {
		changed := *plain.DeepCopy()
		change(&changed)
		if restarter.TemplateHash(&changed) == restarter.TemplateHash(&plain) {
			t.Errorf("%s: template hash unchanged", name)
		}
	}
}

func TestWantsProxy(t *testing.T) {
	for name, tc := range map[string]struct {
		pod       string
		namespace string
		host      bool
		want      bool
	}{
		"namespace enabled":            {"", "enabled", false, true},
		"namespace disabled":           {"", "disabled", false, false},
		"namespace not annotated":      {"", "", false, false},
		"pod opts out":                 {"disabled", "enabled", false, false},
		"pod opts in":                  {"enabled", "disabled", false, true},
		"ingress mode":                 {"ingress", "", false, true},
		"host network is never meshed": {"", "enabled", true, false},
	} {
		p := pod("shop", "x", "", nil)
		if tc.pod != "" {
			p.Annotations = map[string]string{restarter.AnnotationInject: tc.pod}
		}
		p.Spec.HostNetwork = tc.host
		if got := restarter.WantsProxy(&p, tc.namespace); got != tc.want {
			t.Errorf("%s: %v", name, got)
		}
	}
	p := pod("shop", "x", "", nil)
	p.Spec.InitContainers = []corev1.Container{{Name: restarter.ProxyContainer}}
	if !restarter.HasProxy(&p) {
		t.Error("a native-sidecar proxy (init container) is a proxy")
	}
}

// More enrolled workloads than the status lists decline their injection:
// each is restarted once for it, and never again, whether or not the
// Workloads list (bounded, injection last) has room for it.
func TestDecide_declinedEnrollmentBeyondTheListIsRemembered(t *testing.T) {
	cfg := config()
	cfg.DataPlane = restarter.DataPlane{Namespaces: []string{"shop"}}
	cfg.MeshNamespaces = []string{"shop"}
	const n = 210
	s := &restarter.Snapshot{Bundle: newBundle, ControlPlane: settledControlPlane(newHash), DataPlaneNamespaces: []string{"shop"},
		MeshNamespaces: map[string]string{"shop": "enabled"}}
	name := func(i int) string { return fmt.Sprintf("s%03d", i) }
	for i := range n {
		p := pod("shop", name(i)+"-0", "", controller("apps/v1", "StatefulSet", name(i)))
		p.Spec.Containers = []corev1.Container{{Name: "app"}}
		s.MeshPods = append(s.MeshPods, p)
	}
	workloads := func(stamped bool) []restarter.Workload {
		var out []restarter.Workload
		for i := range n {
			sts := statefulSet("shop", name(i), newHash)
			if stamped {
				sts.Spec.Template.Annotations[restarter.AnnotationRestartedForInjection] = restarter.InjectionStamp("enabled", restarter.TemplateHash(&sts.Spec.Template))
			}
			out = append(out, restarter.StatefulSetWorkload(sts))
		}
		return out
	}
	// The first run restarts them all; from then on they are stamped and
	// rolled out, and their pods still have no proxy.
	s.Workloads = workloads(false)
	p := restarter.Decide(s, cfg, 1000)
	if len(p.Restarts()) != n {
		t.Fatalf("first run: %d restarts, want %d", len(p.Restarts()), n)
	}
	st := restarter.NewStatus(&p, nil, time.Time{}, len(p.Restarts()))
	s.Workloads = workloads(true)
	for run := 2; run <= 4; run++ {
		back, err := st.ConfigMapData() // through the ConfigMap, as the next run reads it
		if err != nil {
			t.Fatal(err)
		}
		prev, _, err := restarter.StatusFromConfigMapData(back)
		if err != nil {
			t.Fatal(err)
		}
		s.Enrolling = prev.EnrollingStates()
		p = restarter.Decide(s, cfg, 1000)
		if run > 2 && len(p.Restarts()) > 0 {
			t.Errorf("run %d restarts %d declined workloads again (%s ...)", run, len(p.Restarts()), p.Restarts()[0].Ref)
		}
		st = restarter.NewStatus(&p, nil, time.Time{}, len(p.Restarts()))
	}
}
