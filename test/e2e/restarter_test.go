//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/test/e2e/harness"
)

// The restarter's contract (README: The restarter).
const (
	restarterCronJob = "mtlsgen-restarter"
	statusConfigMap  = "mtlsgen-trust-status"
	// annotationPodRoots is what Linkerd's proxy injector stamps on each
	// meshed pod: the hex sha256 of the ca-bundle.crt it was given.
	annotationPodRoots = "linkerd.io/trust-root-sha256"
	// annotationTemplateRoots is what the restarter stamps on the pod
	// template of control-plane workloads; stamping it is the restart.
	annotationTemplateRoots = "mtlsgen.dev/trust-roots-sha256"
)

// TestRestarter runs `mtlsgen restarter` exactly as the rendered CronJob
// would (its container's arguments and environment, plus --kubeconfig),
// authenticated as the rendered ServiceAccount with a token from the
// TokenRequest API, so the rendered RBAC is what allows or denies it.
// Workloads, ReplicaSets and Pods are created through the API (no kubelet
// and no controllers run), some with pods holding the current trust roots
// and some stale, some in enrolled namespaces without the proxy their
// injection asks for. The restarter must restart the stale control plane
// first and alone, then exactly the stale or mis-injected data plane, write
// its status ConfigMap, be denied everything else by the real RBAC, and
// restart nothing once the workloads have rolled.
func TestRestarter(t *testing.T) {
	bin := env.Tools.Mtlsgen
	has, err := harness.HasCommand(bin, "restarter")
	if err != nil {
		t.Fatal(err)
	}
	if !has {
		t.Skipf("SKIP: %s has no `restarter` command yet (issue 5); this test runs as soon as it does", bin)
	}
	start := time.Now()
	defer func() { env.Timing.Since("restarter", start) }()

	// A spec that enrolls namespaces (issue 11), so the run also restarts
	// workloads whose pods do not match their namespace's injection.
	file := filepath.Join(repoRoot, "examples", "mesh-2-audit.yaml")
	m := loadSpec(t, file)
	objs := render(t, file).Clusters[v1alpha1.InClusterName]
	ln := m.Spec.Linkerd.Namespace
	var cj *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "CronJob" && o.GetName() == restarterCronJob && o.GetNamespace() == ln {
			cj = o
		}
	}
	if cj == nil {
		t.Fatalf("mtlsgen has a restarter command but render emits no CronJob %s/%s", ln, restarterCronJob)
	}
	inv, err := harness.InvocationFromCronJob(cj, "restarter")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the CronJob runs: mtlsgen %s (as %s/%s, env %q)", strings.Join(inv.Args, " "), inv.Namespace, inv.ServiceAccount, inv.Env)

	c := newCluster(t, "restarter", m.Spec.Trust.Namespace, objs)
	setUp(t, c, m, provided{})
	mustAccept(t, c, objs)
	if err := issued(ctxFor(t), c, certificates(t, objs)); err != nil {
		t.Fatal(err)
	}
	st := waitTrust(t, c, m)
	sum := sha256.Sum256([]byte(st.BundlePEM))
	current := hex.EncodeToString(sum[:])
	stale := strings.Repeat("0", 64)

	ctx := ctxFor(t)
	w := &world{t: t, ctx: ctx, kube: c.Admin.Kube}
	app, other := w.dataPlaneNamespaces(m)
	w.namespace(ln, nil)
	w.namespace(app, nil)

	// Control plane: the template annotation decides.
	w.deployment(ln, "linkerd-destination", stale, true, stale, stale)
	w.deployment(ln, "linkerd-identity", current, true, current)
	// Data plane: the pods' annotation decides.
	w.deployment(app, "web", "", false, stale, stale)
	w.deployment(app, "api", "", false, current, current)
	w.deployment(app, "rollout", "", false, current, stale) // half rolled
	w.deployment(app, "plain", "", false, "", "")           // not meshed
	w.statefulSet(app, "db", stale, stale)
	w.statefulSet(app, "cache", current)
	w.daemonSet(app, "logs", stale)
	w.daemonSet(app, "agent", current)
	// Enrolled namespaces: shop is rendered with injection enabled, billing
	// is not mtlsgen's and its owner disabled injection. A pod without a
	// proxy in shop is restarted so the injector sees it; billing's plain
	// pods are left alone.
	w.namespace("shop", nil) // rendered; this adds its default ServiceAccount
	w.deployment("shop", "checkout", "", false, "")
	w.deployment("shop", "inventory", "", false, "") // the injector will decline its new pods
	w.deployment("shop", "cart", "", false, current)
	w.namespace("billing", nil)
	w.annotateNamespace("billing", map[string]string{"linkerd.io/inject": "disabled"})
	w.deployment("billing", "ledger", "", false, "")
	wantControlPlane := []string{"Deployment " + ln + "/linkerd-destination"}
	wantDataPlane := []string{
		"Deployment " + app + "/web", "Deployment " + app + "/rollout",
		"StatefulSet " + app + "/db", "DaemonSet " + app + "/logs",
		"Deployment shop/checkout", "Deployment shop/inventory",
	}
	// declined are restarted for their injection and roll out without the
	// proxy anyway, as when the injector is down or excludes them.
	declined := map[string]bool{"Deployment shop/inventory": true}
	if other != "" {
		// A namespace the restarter was not given: left alone.
		w.namespace(other, nil)
		w.deployment(other, "elsewhere", "", false, stale)
	}
	if max := m.Spec.Restarter.MaxRestartsPerRun; max != nil && int(*max) < len(wantDataPlane) {
		t.Fatalf("the test restarts %d workloads in one run but the spec allows %d per run", len(wantDataPlane), *max)
	}

	sa, err := restarterClient(ctx, c, inv)
	if err != nil {
		t.Fatal(err)
	}
	// No controllers run, so nothing rolls a restarted control plane out
	// while the restarter waits: it is told not to wait (a later flag wins
	// over the CronJob's), and the test rolls it out between runs instead.
	run := func(extra ...string) string {
		t.Helper()
		out, err := runRestarter(bin, inv, sa.kubeconfig, append([]string{"--control-plane-timeout=0"}, extra...)...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// restarts runs the restarter and checks that it restarted exactly want,
	// each with a new generation (a rollout), then rolls them out as their
	// controllers, the kubelet and the proxy injector would.
	restarts := func(what string, want []string) string {
		t.Helper()
		before := w.snapshot()
		out := run()
		t.Logf("restarter output (%s):\n%s", what, out)
		changed := w.changedSince(before)
		if strings.Join(changed, "\n") != strings.Join(sorted(want), "\n") {
			t.Errorf("%s: restarted %q, want exactly %q", what, changed, sorted(want))
		}
		for _, ref := range changed {
			if !w.generationBumped(before, ref) {
				t.Errorf("%s: %s changed but its spec did not (no rollout)", what, ref)
			}
			roots := current
			if declined[ref] {
				roots = ""
			}
			w.roll(ref, roots)
		}
		return out
	}

	// --dry-run changes no workload.
	before := w.snapshot()
	out := run("--dry-run")
	if changed := w.changedSince(before); len(changed) > 0 {
		t.Errorf("restarter --dry-run changed %v\n%s", changed, out)
	}

	// The control plane goes first, alone: the data plane waits until it
	// has rolled out the current roots.
	restarts("first run", wantControlPlane)
	if got := w.templateAnnotation(ln, "linkerd-destination", annotationTemplateRoots); got != current {
		t.Errorf("control plane linkerd-destination: template %s = %q, want the current bundle's %s", annotationTemplateRoots, got, current)
	}
	cm, err := c.Admin.Kube.CoreV1().ConfigMaps(ln).Get(ctx, statusConfigMap, metav1.GetOptions{})
	if err != nil {
		t.Errorf("no status ConfigMap: %v", err)
	} else {
		t.Logf("status ConfigMap %s/%s: %v", ln, statusConfigMap, cm.Data)
		if len(cm.Data)+len(cm.BinaryData) == 0 {
			t.Error("the status ConfigMap is empty")
		}
	}

	// With the control plane current, the stale data plane and the shop
	// workload missing its proxy are restarted.
	restarts("second run", wantDataPlane)

	// The real RBAC denies everything else.
	for _, err := range sa.forbidden(ctx, ln, app) {
		t.Error(err)
	}

	// Everything has rolled: a third run restarts nothing, not even the
	// workload the injector declined (restarting it again would not
	// change that), and says why in its status.
	restarts("third run", nil)
	status := w.restarterStatus(ln)
	if status.Counts.EnrollingBlocked != 1 {
		t.Errorf("status counts %+v, want 1 blocked enrollment", status.Counts)
	}
	listed := false
	for _, d := range status.Workloads {
		if d.Ref.Namespace == "shop" && d.Ref.Name == "inventory" {
			listed = true
			if d.State != "blocked" || !strings.Contains(d.Reason, "the proxy injector declined") {
				t.Errorf("inventory: %s %q, want blocked as declined by the injector", d.State, d.Reason)
			}
		}
	}
	if !listed {
		t.Errorf("the status does not list shop/inventory: %+v", status.Workloads)
	}
}

// restarterStatus reads the status.json the restarter's last run wrote.
func (w *world) restarterStatus(ns string) (st struct {
	Counts struct {
		EnrollingBlocked int `json:"enrollingBlocked"`
	} `json:"counts"`
	Workloads []struct {
		Ref    struct{ Namespace, Name string } `json:"ref"`
		State  string                           `json:"state"`
		Reason string                           `json:"reason"`
	} `json:"workloads"`
}) {
	w.t.Helper()
	cm, err := w.kube.CoreV1().ConfigMaps(ns).Get(w.ctx, statusConfigMap, metav1.GetOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(cm.Data["status.json"]), &st); err != nil {
		w.t.Fatalf("status.json: %v", err)
	}
	return st
}

// world creates workloads the way their controllers would have: a
// Deployment with a ReplicaSet and Pods, StatefulSets and DaemonSets with
// Pods, each Pod Running and owned by its controller.
type world struct {
	t    *testing.T
	ctx  context.Context
	kube kubernetes.Interface
	refs []string
}

// dataPlaneNamespaces picks an application namespace the restarter acts
// in, labelled to match its selector if the spec has one, and, when the
// spec limits the restarter, one it does not act in.
func (w *world) dataPlaneNamespaces(m *v1alpha1.MeshTLS) (app, other string) {
	dp := m.Spec.Restarter.DataPlane
	switch {
	case len(dp.Namespaces) > 0:
		return dp.Namespaces[0], "e2e-not-selected"
	case dp.Selector != nil:
		w.namespace("e2e-shop", dp.Selector.MatchLabels)
		return "e2e-shop", "e2e-not-selected"
	}
	return "e2e-shop", ""
}

func (w *world) namespace(name string, labels map[string]string) {
	w.t.Helper()
	_, err := w.kube.CoreV1().Namespaces().Create(w.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		w.t.Fatal(err)
	}
	// No controller manager runs to create the default ServiceAccount,
	// which Pod admission needs.
	_, err = w.kube.CoreV1().ServiceAccounts(name).Create(w.ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		w.t.Fatal(err)
	}
}

func podTemplate(ns, name, templateRoots string, controlPlane bool) corev1.PodTemplateSpec {
	labels := map[string]string{"app": name}
	if controlPlane {
		labels["linkerd.io/control-plane-ns"] = ns
		labels["linkerd.io/control-plane-component"] = strings.TrimPrefix(name, "linkerd-")
	}
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/" + name + ":1"}}},
	}
	if templateRoots != "" {
		tmpl.Annotations = map[string]string{annotationTemplateRoots: templateRoots}
	}
	return tmpl
}

func (w *world) deployment(ns, name, templateRoots string, controlPlane bool, podRoots ...string) {
	w.t.Helper()
	tmpl := podTemplate(ns, name, templateRoots, controlPlane)
	d, err := w.kube.AppsV1().Deployments(ns).Create(w.ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: tmpl.Labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: to(int32(len(podRoots))),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: tmpl,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	w.refs = append(w.refs, "Deployment "+ns+"/"+name)
	w.replicaSet(d, "1", podRoots)
	w.settle("Deployment " + ns + "/" + name)
}

func (w *world) replicaSet(d *appsv1.Deployment, revision string, podRoots []string) {
	w.t.Helper()
	hash := fmt.Sprintf("%x", sha256.Sum256([]byte(d.Name+revision)))[:10]
	tmpl := *d.Spec.Template.DeepCopy()
	tmpl.Labels["pod-template-hash"] = hash
	rs, err := w.kube.AppsV1().ReplicaSets(d.Namespace).Create(w.ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: d.Name + "-" + hash, Namespace: d.Namespace, Labels: tmpl.Labels,
			Annotations:     map[string]string{"deployment.kubernetes.io/revision": revision},
			OwnerReferences: []metav1.OwnerReference{owner("apps/v1", "Deployment", d.Name, d.UID)},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: to(int32(len(podRoots))),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": d.Name, "pod-template-hash": hash}},
			Template: tmpl,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	for i, roots := range podRoots {
		w.pod(d.Namespace, fmt.Sprintf("%s-%d", rs.Name, i), tmpl, roots, owner("apps/v1", "ReplicaSet", rs.Name, rs.UID))
	}
}

func (w *world) statefulSet(ns, name string, podRoots ...string) {
	w.t.Helper()
	tmpl := podTemplate(ns, name, "", false)
	s, err := w.kube.AppsV1().StatefulSets(ns).Create(w.ctx, &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.StatefulSetSpec{
			Replicas: to(int32(len(podRoots))), ServiceName: name,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: tmpl,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	w.refs = append(w.refs, "StatefulSet "+ns+"/"+name)
	for i, roots := range podRoots {
		w.pod(ns, fmt.Sprintf("%s-%d", name, i), tmpl, roots, owner("apps/v1", "StatefulSet", s.Name, s.UID))
	}
	w.settle("StatefulSet " + ns + "/" + name)
}

func (w *world) daemonSet(ns, name string, podRoots ...string) {
	w.t.Helper()
	tmpl := podTemplate(ns, name, "", false)
	d, err := w.kube.AppsV1().DaemonSets(ns).Create(w.ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: tmpl,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	w.refs = append(w.refs, "DaemonSet "+ns+"/"+name)
	for i, roots := range podRoots {
		w.pod(ns, fmt.Sprintf("%s-node%d", name, i), tmpl, roots, owner("apps/v1", "DaemonSet", d.Name, d.UID))
	}
	w.settle("DaemonSet " + ns + "/" + name)
}

// pod creates a Running pod from a template; a meshed one (roots set)
// carries what Linkerd's proxy injector adds.
func (w *world) pod(ns, name string, tmpl corev1.PodTemplateSpec, roots string, ref metav1.OwnerReference) {
	w.t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, Labels: map[string]string{}, Annotations: map[string]string{},
			OwnerReferences: []metav1.OwnerReference{ref},
		},
		Spec: *tmpl.Spec.DeepCopy(),
	}
	for k, v := range tmpl.Labels {
		p.Labels[k] = v
	}
	for k, v := range tmpl.Annotations {
		p.Annotations[k] = v
	}
	if roots != "" {
		p.Annotations[annotationPodRoots] = roots
		p.Annotations["linkerd.io/proxy-version"] = "edge-e2e"
		p.Labels["linkerd.io/control-plane-ns"] = "linkerd"
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "linkerd-proxy", Image: "cr.l5d.io/linkerd/proxy:edge-e2e"})
	}
	p, err := w.kube.CoreV1().Pods(ns).Create(w.ctx, p, metav1.CreateOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	now := metav1.Now()
	p.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, StartTime: &now,
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}},
	}
	if _, err := w.kube.CoreV1().Pods(ns).UpdateStatus(w.ctx, p, metav1.UpdateOptions{}); err != nil {
		w.t.Fatal(err)
	}
}

func owner(apiVersion, kind, name string, uid types.UID) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: to(true), BlockOwnerDeletion: to(true)}
}

// state is what a restart changes.
type state struct {
	resourceVersion string
	generation      int64
}

func (w *world) get(ref string) (metav1.Object, *corev1.PodTemplateSpec) {
	w.t.Helper()
	kind, nsName, _ := strings.Cut(ref, " ")
	ns, name, _ := strings.Cut(nsName, "/")
	var err error
	switch kind {
	case "Deployment":
		var d *appsv1.Deployment
		if d, err = w.kube.AppsV1().Deployments(ns).Get(w.ctx, name, metav1.GetOptions{}); err == nil {
			return d, &d.Spec.Template
		}
	case "StatefulSet":
		var s *appsv1.StatefulSet
		if s, err = w.kube.AppsV1().StatefulSets(ns).Get(w.ctx, name, metav1.GetOptions{}); err == nil {
			return s, &s.Spec.Template
		}
	case "DaemonSet":
		var d *appsv1.DaemonSet
		if d, err = w.kube.AppsV1().DaemonSets(ns).Get(w.ctx, name, metav1.GetOptions{}); err == nil {
			return d, &d.Spec.Template
		}
	}
	w.t.Fatalf("%s: %v", ref, err)
	return nil, nil
}

func (w *world) snapshot() map[string]state {
	out := map[string]state{}
	for _, ref := range w.refs {
		o, _ := w.get(ref)
		out[ref] = state{o.GetResourceVersion(), o.GetGeneration()}
	}
	return out
}

// changedSince lists the workloads written since a snapshot, sorted.
func (w *world) changedSince(before map[string]state) []string {
	var out []string
	for ref, s := range w.snapshot() {
		if s.resourceVersion != before[ref].resourceVersion {
			out = append(out, ref)
		}
	}
	sort.Strings(out)
	return out
}

func (w *world) generationBumped(before map[string]state, ref string) bool {
	o, _ := w.get(ref)
	return o.GetGeneration() > before[ref].generation
}

func (w *world) templateAnnotation(ns, name, key string) string {
	_, tmpl := w.get("Deployment " + ns + "/" + name)
	return tmpl.Annotations[key]
}

// roll replaces a restarted workload's pods with pods holding the current
// roots, as its controller and the proxy injector would.
func (w *world) roll(ref, roots string) {
	w.t.Helper()
	o, tmpl := w.get(ref)
	kind, _, _ := strings.Cut(ref, " ")
	ns := o.GetNamespace()
	pods, err := w.kube.CoreV1().Pods(ns).List(w.ctx, metav1.ListOptions{LabelSelector: "app=" + o.GetName()})
	if err != nil {
		w.t.Fatal(err)
	}
	n := len(pods.Items)
	for _, p := range pods.Items {
		if err := w.kube.CoreV1().Pods(ns).Delete(w.ctx, p.Name, metav1.DeleteOptions{}); err != nil {
			w.t.Fatal(err)
		}
	}
	newRoots := make([]string, n)
	for i := range newRoots {
		newRoots[i] = roots
	}
	switch kind {
	case "Deployment":
		d := o.(*appsv1.Deployment)
		rss, err := w.kube.AppsV1().ReplicaSets(ns).List(w.ctx, metav1.ListOptions{LabelSelector: "app=" + d.Name})
		if err != nil {
			w.t.Fatal(err)
		}
		for _, rs := range rss.Items {
			rs.Spec.Replicas = to(int32(0))
			if _, err := w.kube.AppsV1().ReplicaSets(ns).Update(w.ctx, &rs, metav1.UpdateOptions{}); err != nil {
				w.t.Fatal(err)
			}
		}
		w.replicaSet(d, fmt.Sprint(d.Generation), newRoots)
	default:
		for i := range newRoots {
			w.pod(ns, fmt.Sprintf("%s-rolled-%d", o.GetName(), i), *tmpl, roots, owner("apps/v1", kind, o.GetName(), o.GetUID()))
		}
	}
	w.settle(ref)
}

// settle writes the status a workload's controller reports once its
// current generation has rolled out to all its running pods, which is
// what the restarter reads (as kubectl rollout status does) before it
// counts a workload as done.
func (w *world) settle(ref string) {
	w.t.Helper()
	o, _ := w.get(ref)
	pods, err := w.kube.CoreV1().Pods(o.GetNamespace()).List(w.ctx, metav1.ListOptions{LabelSelector: "app=" + o.GetName()})
	if err != nil {
		w.t.Fatal(err)
	}
	n := int32(len(pods.Items))
	switch o := o.(type) {
	case *appsv1.Deployment:
		o.Status = appsv1.DeploymentStatus{ObservedGeneration: o.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n}
		_, err = w.kube.AppsV1().Deployments(o.Namespace).UpdateStatus(w.ctx, o, metav1.UpdateOptions{})
	case *appsv1.StatefulSet:
		rev := fmt.Sprintf("%s-%d", o.Name, o.Generation)
		o.Status = appsv1.StatefulSetStatus{ObservedGeneration: o.Generation, Replicas: n, ReadyReplicas: n, CurrentReplicas: n, UpdatedReplicas: n,
			AvailableReplicas: n, CurrentRevision: rev, UpdateRevision: rev}
		_, err = w.kube.AppsV1().StatefulSets(o.Namespace).UpdateStatus(w.ctx, o, metav1.UpdateOptions{})
	case *appsv1.DaemonSet:
		o.Status = appsv1.DaemonSetStatus{ObservedGeneration: o.Generation, CurrentNumberScheduled: n, DesiredNumberScheduled: n,
			NumberReady: n, UpdatedNumberScheduled: n, NumberAvailable: n}
		_, err = w.kube.AppsV1().DaemonSets(o.Namespace).UpdateStatus(w.ctx, o, metav1.UpdateOptions{})
	}
	if err != nil {
		w.t.Fatalf("%s: %v", ref, err)
	}
}

func (w *world) annotateNamespace(name string, annotations map[string]string) {
	w.t.Helper()
	ns, err := w.kube.CoreV1().Namespaces().Get(w.ctx, name, metav1.GetOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	if ns.Annotations == nil {
		ns.Annotations = map[string]string{}
	}
	for k, v := range annotations {
		ns.Annotations[k] = v
	}
	if _, err := w.kube.CoreV1().Namespaces().Update(w.ctx, ns, metav1.UpdateOptions{}); err != nil {
		w.t.Fatal(err)
	}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

// saClient is the restarter's identity: a kubeconfig holding a token of the
// rendered ServiceAccount, and a client using it.
type saClient struct {
	user       string
	groups     []string
	kubeconfig string
	kube       kubernetes.Interface
	admin      kubernetes.Interface
}

func restarterClient(ctx context.Context, c *harness.Cluster, inv *harness.Invocation) (*saClient, error) {
	tr, err := c.Admin.Kube.CoreV1().ServiceAccounts(inv.Namespace).CreateToken(ctx, inv.ServiceAccount,
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: to(int64(3600))}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token for ServiceAccount %s/%s (is it rendered?): %w", inv.Namespace, inv.ServiceAccount, err)
	}
	cfg := c.API.TokenConfig(tr.Status.Token)
	path := filepath.Join(c.Dir, "restarter.kubeconfig")
	if err := harness.WriteKubeconfig(cfg, path); err != nil {
		return nil, err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &saClient{
		user:       "system:serviceaccount:" + inv.Namespace + ":" + inv.ServiceAccount,
		groups:     []string{"system:serviceaccounts", "system:serviceaccounts:" + inv.Namespace, "system:authenticated"},
		kubeconfig: path, kube: kube, admin: c.Admin.Kube,
	}, nil
}

// forbidden tries, as the restarter, what it must never do, and asks the
// authorizer about more: every attempt must be denied.
func (s *saClient) forbidden(ctx context.Context, ln, app string) []error {
	var errs []error
	deny := func(what string, err error) {
		if !apierrors.IsForbidden(err) {
			errs = append(errs, fmt.Errorf("as the restarter, %s: got %v, want Forbidden", what, err))
		}
	}
	_, err := s.kube.CoreV1().Secrets(ln).Get(ctx, "linkerd-identity-issuer", metav1.GetOptions{})
	deny("reading Secret "+ln+"/linkerd-identity-issuer", err)
	_, err = s.kube.CoreV1().Secrets(app).List(ctx, metav1.ListOptions{})
	deny("listing Secrets in "+app, err)
	deny("deleting Deployment "+app+"/api", s.kube.AppsV1().Deployments(app).Delete(ctx, "api", metav1.DeleteOptions{}))
	deny("deleting a Pod", s.kube.CoreV1().Pods(app).Delete(ctx, "api-x", metav1.DeleteOptions{}))
	deny("deleting the trust roots ConfigMap", s.kube.CoreV1().ConfigMaps(ln).Delete(ctx, "linkerd-identity-trust-roots", metav1.DeleteOptions{}))

	// RBAC's patch grants the whole object; the rendered admission policy
	// allows the restarter nothing but its stamps on a pod template.
	d, err := s.admin.AppsV1().Deployments(app).Get(ctx, "api", metav1.GetOptions{})
	if err != nil {
		return append(errs, err)
	}
	container := d.Spec.Template.Spec.Containers[0].Name
	for what, patch := range map[string]string{
		"changing a container's image":        `{"spec":{"template":{"spec":{"containers":[{"name":"` + container + `","image":"attacker.example/steal:1"}]}}}}`,
		"adding a pod template label":         `{"spec":{"template":{"metadata":{"labels":{"x":"y"}}}}}`,
		"adding another template annotation":  `{"spec":{"template":{"metadata":{"annotations":{"linkerd.io/inject":"disabled"}}}}}`,
		"scaling to zero":                     `{"spec":{"replicas":0}}`,
		"giving it an owner to be deleted by": `{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"gone","uid":"00000000-0000-0000-0000-000000000000"}]}}`,
	} {
		_, err := s.kube.AppsV1().Deployments(app).Patch(ctx, "api", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "ValidatingAdmissionPolicy '"+restarterCronJob+"'") {
			errs = append(errs, fmt.Errorf("as the restarter, %s on Deployment %s/api: got %v, want the admission policy's refusal", what, app, err))
		}
	}

	// The authorizer's answer for the rest, cluster-wide.
	checks := []authzv1.ResourceAttributes{}
	for _, verb := range []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"} {
		checks = append(checks, authzv1.ResourceAttributes{Verb: verb, Resource: "secrets"})
	}
	for _, r := range []struct{ group, resource string }{
		{"", "pods"}, {"apps", "deployments"}, {"apps", "statefulsets"}, {"apps", "daemonsets"}, {"apps", "replicasets"},
		{"", "configmaps"}, {"", "namespaces"}, {"", "serviceaccounts"},
	} {
		checks = append(checks, authzv1.ResourceAttributes{Verb: "delete", Group: r.group, Resource: r.resource})
	}
	for _, r := range []struct{ group, resource, verb string }{
		{"rbac.authorization.k8s.io", "clusterroles", "escalate"}, {"rbac.authorization.k8s.io", "clusterroles", "bind"},
		{"", "users", "impersonate"}, {"", "serviceaccounts", "impersonate"}, {"", "serviceaccounts/token", "create"},
		{"", "pods/exec", "create"}, {"cert-manager.io", "certificates", "update"},
	} {
		ra := authzv1.ResourceAttributes{Verb: r.verb, Group: r.group, Resource: r.resource}
		if sub, ok := strings.CutPrefix(r.resource, "serviceaccounts/"); ok {
			ra.Resource, ra.Subresource = "serviceaccounts", sub
		}
		if sub, ok := strings.CutPrefix(r.resource, "pods/"); ok {
			ra.Resource, ra.Subresource = "pods", sub
		}
		checks = append(checks, ra)
	}
	for _, ra := range checks {
		sar, err := s.admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
			User: s.user, Groups: s.groups, ResourceAttributes: &ra,
		}}, metav1.CreateOptions{})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if sar.Status.Allowed {
			errs = append(errs, fmt.Errorf("the restarter's RBAC allows %s %s/%s%s in every namespace (%s)", ra.Verb, ra.Group, ra.Resource, sub(ra.Subresource), sar.Status.Reason))
		}
	}
	return errs
}

func sub(s string) string {
	if s == "" {
		return ""
	}
	return "/" + s
}

// runRestarter runs the binary under test as the CronJob would, plus
// --kubeconfig and extra flags, with a time limit.
func runRestarter(bin string, inv *harness.Invocation, kubeconfig string, extra ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append(append(append([]string(nil), inv.Args...), "--kubeconfig", kubeconfig), extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), inv.Env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("mtlsgen %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

func to[T any](v T) *T { return &v }
