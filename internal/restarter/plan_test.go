package restarter_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

// settledControlPlane is a control plane that holds hash and has rolled out.
func settledControlPlane(hash string) []restarter.Workload {
	return []restarter.Workload{
		restarter.DeploymentWorkload(deployment("linkerd", "linkerd-destination", hash)),
		restarter.DeploymentWorkload(deployment("linkerd", "linkerd-identity", hash)),
		restarter.DeploymentWorkload(deployment("linkerd-viz", "web", hash)),
	}
}

// shop is a data plane with one workload of every kind, all holding hash,
// plus pods the restarter must leave alone whatever they hold.
func shop(hash string) *restarter.Snapshot {
	return &restarter.Snapshot{
		Bundle:       newBundle,
		ControlPlane: settledControlPlane(newHash),
		Pods: []corev1.Pod{
			pod("shop", "web-6d4f-a", hash, controller("apps/v1", "ReplicaSet", "web-6d4f")),
			pod("shop", "web-6d4f-b", hash, controller("apps/v1", "ReplicaSet", "web-6d4f")),
			pod("shop", "db-0", hash, controller("apps/v1", "StatefulSet", "db")),
			pod("shop", "agent-x", hash, controller("apps/v1", "DaemonSet", "agent")),
			pod("shop", "canary-7f9c-a", hash, controller("apps/v1", "ReplicaSet", "canary-7f9c")),
			pod("shop", "migrate-q", hash, controller("batch/v1", "Job", "migrate")),
			pod("shop", "debug", hash, nil),
			pod("shop", "legacy-1", "", controller("apps/v1", "ReplicaSet", "legacy-1")),
		},
		ReplicaSets: []appsv1.ReplicaSet{
			rs("shop", "web-6d4f", controller("apps/v1", "Deployment", "web")),
			rs("shop", "canary-7f9c", controller("argoproj.io/v1alpha1", "Rollout", "canary")),
			rs("shop", "legacy-1", controller("apps/v1", "Deployment", "legacy")),
		},
		Workloads: []restarter.Workload{
			restarter.DeploymentWorkload(deployment("shop", "web", "")),
			restarter.StatefulSetWorkload(statefulSet("shop", "db", "")),
			restarter.DaemonSetWorkload(daemonSet("shop", "agent", "")),
			restarter.RolloutWorkload(&restarter.Rollout{Namespace: "shop", Name: "canary"}),
		},
	}
}

type row struct {
	ref   string
	state restarter.State
}

func rows(p restarter.Plan) []row {
	var out []row
	for _, d := range p.Decisions {
		out = append(out, row{d.Ref.String(), d.State})
	}
	return out
}

func TestDecide_everythingCurrentRestartsNothing(t *testing.T) {
	cfg := config()
	cfg.ArgoRollouts = true
	s := shop(newHash)
	p := restarter.Decide(s, cfg, 20)
	if len(p.Restarts()) != 0 || !p.ControlPlaneSettled || len(p.Unmanaged) != 0 {
		t.Fatalf("plan %+v", p)
	}
	// Three control-plane workloads and four data-plane ones; the Job and
	// the bare pod hold current roots, so nothing needs attention.
	want := restarter.Counts{Current: 7}
	if c := p.Counts(); c != want || !c.Converged() {
		t.Errorf("counts %+v, want %+v", c, want)
	}
}

func TestDecide_staleDataPlaneEveryOwnerKind(t *testing.T) {
	cfg := config()
	cfg.ArgoRollouts = true
	p := restarter.Decide(shop(oldHash), cfg, 20)
	want := []row{
		{"Deployment linkerd/linkerd-destination", restarter.StateCurrent},
		{"Deployment linkerd/linkerd-identity", restarter.StateCurrent},
		{"Deployment linkerd-viz/web", restarter.StateCurrent},
		{"DaemonSet shop/agent", restarter.StateRestart},
		{"Deployment shop/web", restarter.StateRestart},
		{"Rollout shop/canary", restarter.StateRestart},
		{"StatefulSet shop/db", restarter.StateRestart},
	}
	if diff := cmp.Diff(want, rows(p), cmp.AllowUnexported(row{})); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	// The Job's pod and the bare pod are reported, never restarted; the
	// unmeshed pod of an otherwise known Deployment is not even seen.
	var unmanaged []string
	for _, u := range p.Unmanaged {
		unmanaged = append(unmanaged, u.Name+": "+u.Reason)
	}
	wantU := []string{
		"debug: no controller: a bare pod, restart it yourself",
		"migrate-q: owned by Job migrate, which the restarter does not restart",
	}
	if diff := cmp.Diff(wantU, unmanaged); diff != "" {
		t.Errorf("unmanaged (-want +got):\n%s", diff)
	}
	for _, d := range p.Restarts() {
		if d.FromHash != oldHash {
			t.Errorf("%s: from %s", d.Ref, d.FromHash)
		}
	}
	if d := p.Decisions[4]; d.StalePods != 2 || !strings.Contains(d.Reason, "2 running pods hold roots "+oldHash[:12]) {
		t.Errorf("web: %+v", d)
	}
	c := p.Counts()
	if c.Restarted != 4 || c.Pending != 4 || c.Current != 3 || c.Unmanaged != 2 || c.Converged() {
		t.Errorf("counts %+v", c)
	}
}

func TestDecide_rolloutsOffReportsRolloutPods(t *testing.T) {
	s := shop(oldHash)
	p := restarter.Decide(s, config(), 20)
	for _, d := range p.Restarts() {
		if d.Ref.Kind == restarter.KindRollout {
			t.Errorf("restarted %s with Argo Rollouts support off", d.Ref)
		}
	}
	if !slices.ContainsFunc(p.Unmanaged, func(u restarter.PodRef) bool {
		return u.Name == "canary-7f9c-a" && strings.Contains(u.Reason, "spec.restarter.argoRollouts")
	}) {
		t.Errorf("the Rollout's pod is not reported: %+v", p.Unmanaged)
	}
}

func TestDecide_controlPlaneFirst(t *testing.T) {
	cfg := config()
	cfg.ArgoRollouts = true
	s := shop(oldHash)
	s.ControlPlane = []restarter.Workload{
		restarter.DeploymentWorkload(deployment("linkerd", "linkerd-destination", "")),
		restarter.DeploymentWorkload(deployment("linkerd", "linkerd-identity", oldHash)),
		restarter.DeploymentWorkload(deployment("linkerd-viz", "web", oldHash)),
	}
	p := restarter.Decide(s, cfg, 20)
	if p.ControlPlaneSettled {
		t.Fatal("control plane reported settled")
	}
	var restarted []string
	for _, d := range p.Restarts() {
		restarted = append(restarted, d.Ref.String())
	}
	// The extension waits: the proxy injector, restarting, would give its
	// new pods the old roots.
	want := []string{"Deployment linkerd/linkerd-destination", "Deployment linkerd/linkerd-identity"}
	if diff := cmp.Diff(want, restarted); diff != "" {
		t.Errorf("restarts (-want +got):\n%s", diff)
	}
	if d := p.Decisions[0]; !strings.Contains(d.Reason, "not stamped") {
		t.Errorf("unstamped: %q", d.Reason)
	}
	if d := p.Decisions[2]; d.State != restarter.StateStale || !strings.Contains(d.Reason, "waiting for the Linkerd control plane to roll out: its proxy injector gives these pods their roots") {
		t.Errorf("%s: %s %q, want stale waiting for the Linkerd control plane", d.Ref, d.State, d.Reason)
	}
	for _, d := range p.Decisions[3:] {
		if d.State != restarter.StateStale || !strings.Contains(d.Reason, "waiting for the control plane") {
			t.Errorf("%s: %s %q, want stale waiting for the control plane", d.Ref, d.State, d.Reason)
		}
	}
}

// The extensions' pods get their roots from the proxy injector, like the
// data plane's: once the Linkerd control plane has rolled out, a stamped
// extension whose pods still hold other roots (injected while the injector
// held the old ones) is restarted again, and one whose pods are current is
// left.
func TestDecide_extensionsJudgedByTheirPods(t *testing.T) {
	cfg := config()
	viz := func(stamp, podHash string) *restarter.Snapshot {
		return &restarter.Snapshot{
			Bundle: newBundle,
			ControlPlane: []restarter.Workload{
				restarter.DeploymentWorkload(deployment("linkerd", "linkerd-proxy-injector", newHash)),
				restarter.DeploymentWorkload(deployment("linkerd-viz", "web", stamp)),
			},
			ExtensionPods: []corev1.Pod{pod("linkerd-viz", "web-5c7d-a", podHash, controller("apps/v1", "ReplicaSet", "web-5c7d"))},
			ReplicaSets:   []appsv1.ReplicaSet{rs("linkerd-viz", "web-5c7d", controller("apps/v1", "Deployment", "web"))},
		}
	}
	for name, tc := range map[string]struct {
		s      *restarter.Snapshot
		state  restarter.State
		reason string
	}{
		"stamped, pods current": {s: viz(newHash, newHash), state: restarter.StateCurrent},
		"stamped, pods injected with the old roots": {s: viz(newHash, oldHash), state: restarter.StateRestart,
			reason: "1 running pods hold roots " + oldHash[:12] + "; injected before the proxy injector held the current roots"},
		"not stamped yet": {s: viz(oldHash, oldHash), state: restarter.StateRestart, reason: "pod template stamped with roots " + oldHash[:12]},
	} {
		t.Run(name, func(t *testing.T) {
			p := restarter.Decide(tc.s, cfg, 20)
			d := p.Decisions[1]
			if d.Ref.String() != "Deployment linkerd-viz/web" || d.State != tc.state || d.Reason != tc.reason {
				t.Errorf("%s: %s %q, want %s %q", d.Ref, d.State, d.Reason, tc.state, tc.reason)
			}
			if got := restarter.ReplicaSetNamespaces(tc.s, cfg); (tc.s.ExtensionPods[0].Annotations[restarter.AnnotationProxyTrustRoot] == oldHash) != slices.Contains(got, "linkerd-viz") {
				t.Errorf("ReplicaSet namespaces %v: the extension's stale pods need theirs", got)
			}
		})
	}
}

func TestDecide_perRunBound(t *testing.T) {
	cfg := config()
	s := &restarter.Snapshot{Bundle: newBundle, ControlPlane: settledControlPlane(newHash)}
	for i := range 5 {
		name := fmt.Sprintf("app-%d", i)
		s.Pods = append(s.Pods, pod("shop", name+"-0", oldHash, controller("apps/v1", "StatefulSet", name)))
		s.Workloads = append(s.Workloads, restarter.StatefulSetWorkload(statefulSet("shop", name, "")))
	}
	p := restarter.Decide(s, cfg, 2)
	var got []row
	for _, d := range p.Decisions[3:] {
		got = append(got, row{d.Ref.Name, d.State})
		if d.State == restarter.StateStale && !strings.Contains(d.Reason, "per-run restart limit") {
			t.Errorf("%s: reason %q", d.Ref, d.Reason)
		}
	}
	want := []row{{"app-0", restarter.StateRestart}, {"app-1", restarter.StateRestart},
		{"app-2", restarter.StateStale}, {"app-3", restarter.StateStale}, {"app-4", restarter.StateStale}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(row{})); diff != "" {
		t.Errorf("bounded plan (-want +got):\n%s", diff)
	}

	// The bound counts the control plane too.
	s.ControlPlane = []restarter.Workload{
		restarter.DeploymentWorkload(deployment("linkerd", "a", oldHash)),
		restarter.DeploymentWorkload(deployment("linkerd", "b", oldHash)),
	}
	p = restarter.Decide(s, cfg, 1)
	if n := len(p.Restarts()); n != 1 || p.Decisions[0].State != restarter.StateRestart || p.Decisions[1].State != restarter.StateStale {
		t.Errorf("budget 1 over two stale control-plane workloads: %v", rows(p))
	}
	if p := restarter.Decide(s, cfg, 0); len(p.Restarts()) != 0 {
		t.Error("budget 0 restarted something")
	}
}

// apply simulates the cluster after a plan: each restarted workload is
// stamped and rolling out; then, with rolledOut, its pods are replaced by
// pods injected with the current bundle.
func apply(s *restarter.Snapshot, p restarter.Plan, rolledOut bool) {
	restarted := map[restarter.Ref]bool{}
	for _, d := range p.Restarts() {
		restarted[d.Ref] = true
	}
	stamp := func(w *restarter.Workload) {
		if restarted[w.Ref] || (rolledOut && w.Hash == p.Hash) {
			w.Hash = p.Hash
			w.Settled = rolledOut
			w.Progress = map[bool]string{false: "1 of 2 replicas updated"}[rolledOut]
		}
	}
	for i := range s.ControlPlane {
		stamp(&s.ControlPlane[i])
	}
	for i := range s.Workloads {
		stamp(&s.Workloads[i])
	}
	if !rolledOut {
		return
	}
	rss := restarter.IndexReplicaSets(s.ReplicaSets)
	for i := range s.Pods {
		if ref, ok, _ := restarter.ResolveOwner(&s.Pods[i], rss, true); ok && restarted[ref] {
			s.Pods[i].Annotations[restarter.AnnotationProxyTrustRoot] = p.Hash
		}
	}
}

func TestDecide_idempotent(t *testing.T) {
	cfg := config()
	cfg.ArgoRollouts = true
	s := shop(oldHash)
	first := restarter.Decide(s, cfg, 20)
	if len(first.Restarts()) != 4 {
		t.Fatalf("first run: %v", rows(first))
	}

	// Right after: every restart is rolling out; nothing is restarted
	// twice.
	apply(s, first, false)
	second := restarter.Decide(s, cfg, 20)
	if n := len(second.Restarts()); n != 0 {
		t.Fatalf("a second run right after restarted %d workloads: %v", n, rows(second))
	}
	if c := second.Counts(); c.Pending != 4 || c.Stale != 0 {
		t.Errorf("second run counts %+v", c)
	}

	// Once rolled out: everything current, still nothing to do.
	apply(s, first, true)
	third := restarter.Decide(s, cfg, 20)
	if n := len(third.Restarts()); n != 0 || third.Counts().Current != 7 {
		t.Fatalf("after the rollout: %v %+v", rows(third), third.Counts())
	}
}

func TestDecide_restartsAgainWhenARestartLeftStalePods(t *testing.T) {
	// Stamped for the current roots and rolled out, yet a pod still holds
	// stale ones (the bundle went A -> B -> A, say): restart again, which
	// the restarted-at stamp makes a real template change.
	s := &restarter.Snapshot{
		Bundle:       newBundle,
		ControlPlane: settledControlPlane(newHash),
		Pods:         []corev1.Pod{pod("shop", "db-0", oldHash, controller("apps/v1", "StatefulSet", "db"))},
		Workloads:    []restarter.Workload{restarter.StatefulSetWorkload(statefulSet("shop", "db", newHash))},
	}
	p := restarter.Decide(s, config(), 20)
	if r := p.Restarts(); len(r) != 1 || !strings.Contains(r[0].Reason, "restarted for the current roots before") {
		t.Fatalf("plan %v", p.Decisions)
	}
}

func TestDecide_blocked(t *testing.T) {
	onDelete := statefulSet("shop", "db", "")
	onDelete.Spec.UpdateStrategy.Type = appsv1.OnDeleteStatefulSetStrategyType
	s := &restarter.Snapshot{
		Bundle:       newBundle,
		ControlPlane: settledControlPlane(newHash),
		Pods: []corev1.Pod{
			pod("shop", "db-0", oldHash, controller("apps/v1", "StatefulSet", "db")),
			pod("shop", "gone-0", oldHash, controller("apps/v1", "StatefulSet", "gone")),
		},
		Workloads: []restarter.Workload{restarter.StatefulSetWorkload(onDelete)},
	}
	p := restarter.Decide(s, config(), 20)
	got := map[string]string{}
	for _, d := range p.Decisions[3:] {
		got[d.Ref.Name] = string(d.State) + ": " + d.Reason
	}
	want := map[string]string{
		"db":   "blocked: updateStrategy OnDelete: delete its pods to restart them",
		"gone": "blocked: owner not found",
	}
	if diff := cmp.Diff(want, got); diff != "" || len(p.Restarts()) != 0 {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDecide_pendingControlPlaneHoldsTheDataPlane(t *testing.T) {
	s := shop(oldHash)
	s.ControlPlane[1] = restarter.DeploymentWorkload(rolling(deployment("linkerd", "linkerd-identity", newHash)))
	p := restarter.Decide(s, config(), 20)
	if p.ControlPlaneSettled || len(p.Restarts()) != 0 {
		t.Fatalf("plan %v", rows(p))
	}
	if d := p.Decisions[1]; d.State != restarter.StatePending || !strings.Contains(d.Reason, "observe the new generation") {
		t.Errorf("identity: %+v", d)
	}
}

func TestDecide_scope(t *testing.T) {
	cfg := config()
	cfg.DataPlane = restarter.DataPlane{Namespaces: []string{"shop"}}
	s := &restarter.Snapshot{
		Bundle:              newBundle,
		ControlPlane:        settledControlPlane(newHash),
		DataPlaneNamespaces: []string{"shop"},
		Pods: []corev1.Pod{
			pod("shop", "db-0", oldHash, controller("apps/v1", "StatefulSet", "db")),
			// Outside the selected namespaces, and in the control plane:
			// neither is the data plane's business.
			pod("billing", "ledger-0", oldHash, controller("apps/v1", "StatefulSet", "ledger")),
			pod("linkerd-viz", "prometheus-0", oldHash, controller("apps/v1", "StatefulSet", "prometheus")),
		},
	}
	owners := restarter.StaleOwners(s, cfg)
	if diff := cmp.Diff([]restarter.Ref{{Kind: restarter.KindStatefulSet, Namespace: "shop", Name: "db"}}, owners); diff != "" {
		t.Fatalf("stale owners (-want +got):\n%s", diff)
	}
	s.Workloads = []restarter.Workload{restarter.StatefulSetWorkload(statefulSet("shop", "db", ""))}
	p := restarter.Decide(s, cfg, 20)
	if r := p.Restarts(); len(r) != 1 || r[0].Ref.Name != "db" {
		t.Errorf("restarts %v", r)
	}
}

func TestDecide_ignoresPodsThatHoldNothing(t *testing.T) {
	done := pod("shop", "web-6d4f-done", oldHash, controller("apps/v1", "ReplicaSet", "web-6d4f"))
	done.Status.Phase = corev1.PodSucceeded
	leaving := pod("shop", "web-6d4f-leaving", oldHash, controller("apps/v1", "ReplicaSet", "web-6d4f"))
	leaving.DeletionTimestamp = &metav1.Time{Time: time.Unix(0, 0)}
	unmeshed := pod("shop", "web-6d4f-plain", "", controller("apps/v1", "ReplicaSet", "web-6d4f"))
	s := &restarter.Snapshot{
		Bundle: newBundle, ControlPlane: settledControlPlane(newHash),
		Pods:        []corev1.Pod{done, leaving, unmeshed},
		ReplicaSets: []appsv1.ReplicaSet{rs("shop", "web-6d4f", controller("apps/v1", "Deployment", "web"))},
	}
	if o := restarter.StaleOwners(s, config()); len(o) != 0 {
		t.Errorf("stale owners %v", o)
	}
	if ns := restarter.ReplicaSetNamespaces(s, config()); len(ns) != 0 {
		t.Errorf("replica set namespaces %v", ns)
	}
}

func TestReplicaSetNamespaces(t *testing.T) {
	s := shop(oldHash)
	s.Pods = append(s.Pods, pod("other", "x-1-a", oldHash, controller("apps/v1", "ReplicaSet", "x-1")),
		pod("calm", "y-1-a", newHash, controller("apps/v1", "ReplicaSet", "y-1")))
	if diff := cmp.Diff([]string{"other", "shop"}, restarter.ReplicaSetNamespaces(s, config())); diff != "" {
		t.Error(diff)
	}
}

// A control-plane workload paused (or partitioned) after it rolled out the
// current roots is current, and holds nothing back; one stamped with the
// current roots but not rolled out, or still on old ones, is blocked with
// what to do, never pending for ever.
func TestDecide_pausedAndPartitionedControlPlane(t *testing.T) {
	paused := func(stamp string) restarter.Workload {
		d := deployment("linkerd", "linkerd-destination", stamp)
		d.Spec.Paused = true
		return restarter.DeploymentWorkload(d)
	}
	partitioned := func(stamp string) restarter.Workload {
		sts := statefulSet("linkerd", "linkerd-destination", stamp)
		sts.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To(int32(1))}
		return restarter.StatefulSetWorkload(sts)
	}
	// Stamped with the current roots, and rolled out from the partition up
	// only: kubectl calls that complete; the pod below keeps old roots.
	partitionedHalfway := func() restarter.Workload {
		sts := statefulSet("linkerd", "linkerd-destination", newHash)
		sts.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To(int32(1))}
		sts.Status.UpdatedReplicas, sts.Status.CurrentRevision, sts.Status.UpdateRevision = 2, "r1", "r2"
		return restarter.StatefulSetWorkload(sts)
	}
	pausedMidRollout := func() restarter.Workload {
		d := rolling(deployment("linkerd", "linkerd-destination", newHash))
		d.Spec.Paused = true
		return restarter.DeploymentWorkload(d)
	}
	for name, tc := range map[string]struct {
		w      restarter.Workload
		state  restarter.State
		reason string
	}{
		"paused, current, rolled out":          {paused(newHash), restarter.StateCurrent, ""},
		"paused, stale":                        {paused(oldHash), restarter.StateBlocked, "kubectl rollout resume"},
		"paused mid-rollout":                   {pausedMidRollout(), restarter.StateBlocked, "kubectl rollout resume"},
		"partitioned, current, rolled out":     {partitioned(newHash), restarter.StateCurrent, ""},
		"partitioned, stale":                   {partitioned(oldHash), restarter.StateBlocked, "rollingUpdate.partition 1"},
		"partitioned, stamped, old pods below": {partitionedHalfway(), restarter.StateBlocked, "rollingUpdate.partition 1"},
	} {
		t.Run(name, func(t *testing.T) {
			s := shop(oldHash)
			s.ControlPlane[0] = tc.w
			p := restarter.Decide(s, config(), 10)
			d := p.Decisions[0]
			if d.State != tc.state || !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("%s (%s), want %s (%s)", d.State, d.Reason, tc.state, tc.reason)
			}
			if tc.state == restarter.StateCurrent && len(p.Restarts()) == 0 {
				t.Error("a current control plane held back the data plane")
			}
		})
	}
}
