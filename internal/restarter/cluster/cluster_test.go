package cluster_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/google/go-cmp/cmp"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/mtlsgen/mtlsgen/internal/pkitest"
	"github.com/mtlsgen/mtlsgen/internal/restarter"
	"github.com/mtlsgen/mtlsgen/internal/restarter/cluster"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

var listKinds = map[schema.GroupVersionResource]string{
	cluster.ConfigMaps: "ConfigMapList", cluster.Pods: "PodList", cluster.Namespaces: "NamespaceList",
	cluster.Deployments: "DeploymentList", cluster.StatefulSets: "StatefulSetList", cluster.DaemonSets: "DaemonSetList",
	cluster.ReplicaSets: "ReplicaSetList", cluster.Rollouts: "RolloutList", cluster.Certificates: "CertificateList",
	cluster.CertificateRequests:          "CertificateRequestList",
	{Version: "v1", Resource: "secrets"}: "SecretList",
}

var t0 = time.Date(2026, 8, 22, 10, 25, 0, 0, time.UTC)

// bundlePEM is a trust bundle of one real self-signed anchor.
func bundlePEM(t testing.TB) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "root-2026.linkerd.cluster.local"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(87600 * time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func owner(apiVersion, kind, name string) []metav1.OwnerReference {
	return []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, Controller: ptr.To(true)}}
}

func meshedPod(t testing.TB, ns, name, hash string, owners []metav1.OwnerReference) *unstructured.Unstructured {
	return testutil.Unstructured(t, "v1", "Pod", &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, OwnerReferences: owners,
			Labels:      map[string]string{restarter.LabelControlPlaneNS: "linkerd"},
			Annotations: map[string]string{restarter.AnnotationProxyTrustRoot: hash}},
		Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	})
}

func deploy(t testing.TB, ns, name, stamp string) *unstructured.Unstructured {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(int32(1))},
		Status:     appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1},
	}
	if stamp != "" {
		d.Spec.Template.Annotations = map[string]string{restarter.AnnotationTrustRootsHash: stamp}
	}
	return testutil.Unstructured(t, "apps/v1", "Deployment", d)
}

// world is a cluster whose trust bundle has just changed: the control plane
// is stamped with the old hash (or the new one, with settledControlPlane),
// and the shop namespace holds a Deployment and an Argo Rollout with stale
// pods, a StatefulSet with current pods, a Job's stale pod and an unmeshed
// pod; the Linkerd namespace holds a Secret nothing may touch.
func world(t testing.TB, settledControlPlane bool) (*dynamicfake.FakeDynamicClient, string) {
	t.Helper()
	bundle := bundlePEM(t)
	hash := restarter.TrustRootsHash(bundle)
	old := restarter.TrustRootsHash("old bundle")
	cpStamp := old
	if settledControlPlane {
		cpStamp = hash
	}
	rollout := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
		"metadata": map[string]any{"namespace": "shop", "name": "canary"},
		"spec":     map[string]any{"replicas": int64(1)},
		"status":   map[string]any{"currentPodHash": "7f9c6d"},
	}}
	objs := []runtime.Object{
		testutil.Unstructured(t, "v1", "ConfigMap", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: restarter.TrustRootsConfigMap, ResourceVersion: "4711"},
			Data: map[string]string{restarter.TrustRootsKey: bundle}}),
		testutil.Unstructured(t, "v1", "ConfigMap", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: restarter.StatusConfigMap,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "mtlsgen"}}}),
		testutil.Unstructured(t, "v1", "Secret", &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: "linkerd-identity-issuer"}}),
		&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
			"metadata": map[string]any{"namespace": "linkerd", "name": "linkerd-identity-issuer", "generation": int64(2)},
			"spec":     map[string]any{"issuerRef": map[string]any{"kind": "ClusterIssuer", "name": "linkerd-anchor-root-2026"}},
			"status":   readyFor(2),
		}},
		deploy(t, "linkerd", "linkerd-destination", cpStamp),
		deploy(t, "linkerd", "linkerd-identity", cpStamp),
		deploy(t, "shop", "web", ""),
		testutil.Unstructured(t, "apps/v1", "ReplicaSet", &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", OwnerReferences: owner("apps/v1", "Deployment", "web")}}),
		meshedPod(t, "shop", "web-1-a", old, owner("apps/v1", "ReplicaSet", "web-1")),
		meshedPod(t, "shop", "web-1-b", old, owner("apps/v1", "ReplicaSet", "web-1")),
		rollout,
		testutil.Unstructured(t, "apps/v1", "ReplicaSet", &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "canary-1", OwnerReferences: owner("argoproj.io/v1alpha1", "Rollout", "canary")}}),
		meshedPod(t, "shop", "canary-1-a", old, owner("apps/v1", "ReplicaSet", "canary-1")),
		testutil.Unstructured(t, "apps/v1", "StatefulSet", &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db"}}),
		meshedPod(t, "shop", "db-0", hash, owner("apps/v1", "StatefulSet", "db")),
		meshedPod(t, "shop", "migrate-x", old, owner("batch/v1", "Job", "migrate")),
		testutil.Unstructured(t, "v1", "Pod", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "plain", OwnerReferences: owner("apps/v1", "ReplicaSet", "web-1")},
			Status: corev1.PodStatus{Phase: corev1.PodRunning}}),
		// Meshed by this control plane but outside the selected
		// namespaces in the namespaces mode.
		meshedPod(t, "billing", "ledger-0", old, owner("apps/v1", "StatefulSet", "ledger")),
		testutil.Unstructured(t, "apps/v1", "StatefulSet", &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "billing", Name: "ledger"}}),
		testutil.Unstructured(t, "v1", "Namespace", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"team": "shop"}}}),
		testutil.Unstructured(t, "v1", "Namespace", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "billing"}}),
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, objs...)
	bumpGenerationOnPatch(t, dyn)
	return dyn, hash
}

// bumpGenerationOnPatch does what the API server does and the fake does
// not: a patch to a workload increments metadata.generation, which its
// controller has yet to observe.
func bumpGenerationOnPatch(t testing.TB, dyn *dynamicfake.FakeDynamicClient) {
	dyn.PrependReactor("patch", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.PatchAction)
		o, err := dyn.Tracker().Get(p.GetResource(), p.GetNamespace(), p.GetName())
		if err != nil {
			return false, nil, nil
		}
		u := o.(*unstructured.Unstructured)
		u.SetGeneration(u.GetGeneration() + 1)
		if err := dyn.Tracker().Update(p.GetResource(), u, p.GetNamespace()); err != nil {
			t.Error(err)
		}
		return false, nil, nil // the tracker applies the patch itself
	})
}

func runner(dyn *dynamicfake.FakeDynamicClient, cfg restarter.Config, dryRun bool, out, log io.Writer) *cluster.Runner {
	now := t0
	return &cluster.Runner{
		Client: cluster.New(dyn), Config: cfg, DryRun: dryRun, Out: out,
		Log:    slog.New(slog.NewJSONHandler(log, nil)),
		Now:    func() time.Time { now = now.Add(time.Second); return now },
		Sleep:  func(context.Context, time.Duration) error { return nil },
		Holder: "test/1",
	}
}

func baseConfig() restarter.Config {
	return restarter.Config{
		LinkerdNamespace: "linkerd", DataPlane: restarter.DataPlane{Namespaces: []string{"shop"}},
		MaxRestarts: 20, ArgoRollouts: true,
	}
}

// writes are the actions that change something, but for taking the run
// lock (TestRun_oneRunAtATime tests that).
func writes(dyn *dynamicfake.FakeDynamicClient) []k8stesting.Action {
	var out []k8stesting.Action
	for _, a := range dyn.Actions() {
		switch a.GetVerb() {
		case "get", "list", "watch":
			continue
		}
		if u, ok := a.(k8stesting.UpdateAction); ok && u.GetObject().(*unstructured.Unstructured).GetAnnotations()[restarter.AnnotationRunLock] != "" {
			continue
		}
		out = append(out, a)
	}
	return out
}

func describe(as []k8stesting.Action) []string {
	var out []string
	for _, a := range as {
		s := a.GetVerb() + " " + a.GetResource().Resource + " " + a.GetNamespace()
		if p, ok := a.(k8stesting.PatchAction); ok {
			s += "/" + p.GetName()
		}
		if u, ok := a.(k8stesting.UpdateAction); ok {
			s += "/" + u.GetObject().(*unstructured.Unstructured).GetName()
		}
		out = append(out, s)
	}
	return out
}

func get(t testing.TB, dyn *dynamicfake.FakeDynamicClient, gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := dyn.Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRun_dryRunChangesNothing(t *testing.T) {
	dyn, _ := world(t, true)
	var out, log bytes.Buffer
	res, err := runner(dyn, baseConfig(), true, &out, &log).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if w := writes(dyn); len(w) != 0 {
		t.Fatalf("a dry run wrote: %v", describe(w))
	}
	for _, want := range []string{
		"CN=root-2026.linkerd.cluster.local",
		"would restart  data     Deployment  shop",
		"would restart  data     Rollout     shop",
		"left alone     data     Pod         shop       migrate-x",
		"5 workloads: 3 current, 2 would restart, 0 pending, 0 stale, 0 blocked; 1 pods left alone",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, out.String())
		}
	}
	if len(res.Restarted) != 2 || !strings.Contains(log.String(), `"msg":"would restart"`) {
		t.Errorf("restarted %v, log:\n%s", res.Restarted, log.String())
	}
}

func TestRun_restartsStaleWorkloadsOnce(t *testing.T) {
	dyn, hash := world(t, true)
	var log bytes.Buffer
	res, err := runner(dyn, baseConfig(), false, io.Discard, &log).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"patch deployments shop/web", "patch rollouts shop/canary", "update configmaps linkerd/mtlsgen-trust-status"}
	if got := describe(writes(dyn)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("writes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, a := range dyn.Actions() {
		if a.GetResource().Resource == "secrets" || a.GetVerb() == "delete" {
			t.Errorf("touched %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}

	web := get(t, dyn, cluster.Deployments, "shop", "web")
	ann, _, _ := unstructured.NestedStringMap(web.Object, "spec", "template", "metadata", "annotations")
	if ann[restarter.AnnotationTrustRootsHash] != hash || ann[restarter.AnnotationRestartedAt] == "" {
		t.Errorf("web template annotations %v", ann)
	}
	canary := get(t, dyn, cluster.Rollouts, "shop", "canary")
	if at, _, _ := unstructured.NestedString(canary.Object, "spec", "restartAt"); at == "" || canary.GetAnnotations()[restarter.AnnotationTrustRootsHash] != hash {
		t.Errorf("rollout %v", canary.Object)
	}
	if _, found, _ := unstructured.NestedMap(canary.Object, "spec", "template"); found {
		t.Error("a Rollout's template must not change: that would be a new release")
	}

	// One structured line per action.
	if n := strings.Count(log.String(), `"msg":"restart"`); n != 2 {
		t.Errorf("%d restart log lines:\n%s", n, log.String())
	}

	st := get(t, dyn, cluster.ConfigMaps, "linkerd", restarter.StatusConfigMap)
	data, _, _ := unstructured.NestedStringMap(st.Object, "data")
	status, ok, err := restarter.StatusFromConfigMapData(data)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if status.BundleSHA256 != hash || status.Counts != (restarter.Counts{Current: 3, Pending: 2, Restarted: 2, Unmanaged: 1}) ||
		len(status.Anchors) != 1 || status.IdentityIssuer == nil || status.IdentityIssuer.Name != "linkerd-anchor-root-2026" {
		t.Errorf("status %+v", status)
	}
	if rv := get(t, dyn, cluster.ConfigMaps, "linkerd", restarter.TrustRootsConfigMap).GetResourceVersion(); rv == "" || status.BundleVersion != rv {
		t.Errorf("status records bundle version %q, the ConfigMap is at %q", status.BundleVersion, rv)
	}
	if status.IdentityIssuer != nil && !status.IdentityIssuer.Since.After(status.Time) {
		t.Errorf("issuer seen since %s, the run's start %s: it is dated when it is read", status.IdentityIssuer.Since, status.Time)
	}
	if st.GetLabels()["app.kubernetes.io/managed-by"] != "mtlsgen" {
		t.Error("updating the status dropped the rendered labels")
	}

	if res.Status.Counts.Restarted != 2 {
		t.Errorf("result %+v", res.Status.Counts)
	}

	// The Deployment controller has not caught up with the patch yet (see
	// bumpGenerationOnPatch), and Argo Rollouts has not restarted the
	// canary. A run right after restarts nothing.
	dyn.ClearActions()
	res, err = runner(dyn, baseConfig(), false, io.Discard, io.Discard).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := describe(writes(dyn)); len(got) != 1 || len(res.Restarted) != 0 {
		t.Fatalf("second run wrote %v", got)
	}
	if c := res.Status.Counts; c.Pending != 2 || c.Restarted != 0 {
		t.Errorf("second run counts %+v", c)
	}
}

func TestRun_selectorModeActsOnlyInSelectedNamespaces(t *testing.T) {
	dyn, _ := world(t, true)
	cfg := baseConfig()
	cfg.DataPlane = restarter.DataPlane{Selector: "team=shop"}
	res, err := runner(dyn, cfg, false, io.Discard, io.Discard).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Restarted {
		if r.Namespace != "shop" {
			t.Errorf("restarted %s outside the selected namespaces", r)
		}
	}

	// All meshed reaches billing too.
	dyn, _ = world(t, true)
	cfg.DataPlane = restarter.DataPlane{AllMeshed: true}
	res, err = runner(dyn, cfg, false, io.Discard, io.Discard).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Restarted) != 3 || res.Restarted[0].Namespace != "billing" {
		t.Errorf("all meshed restarted %v", res.Restarted)
	}
}

func TestRun_controlPlaneFirstThenDataPlane(t *testing.T) {
	dyn, _ := world(t, false)
	// An extension: restarted only once the Linkerd namespace has rolled
	// out (its pods get their roots from the proxy injector), and not
	// waited for.
	if _, err := dyn.Resource(cluster.Deployments).Namespace("linkerd-viz").Create(context.Background(),
		deploy(t, "linkerd-viz", "web", ""), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig()
	cfg.ExtensionNamespaces = []string{"linkerd-viz"}
	cfg.ControlPlaneTimeout = time.Minute
	r := runner(dyn, cfg, false, io.Discard, io.Discard)
	// While the run sleeps, the Deployment controller rolls out what the
	// run patched.
	sleeps := 0
	r.Sleep = func(context.Context, time.Duration) error {
		sleeps++
		for _, name := range []string{"linkerd-destination", "linkerd-identity"} {
			u := get(t, dyn, cluster.Deployments, "linkerd", name)
			_ = unstructured.SetNestedField(u.Object, u.GetGeneration(), "status", "observedGeneration")
			if _, err := dyn.Resource(cluster.Deployments).Namespace("linkerd").Update(context.Background(), u, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ref := range res.Restarted {
		got = append(got, ref.String())
	}
	want := "Deployment linkerd/linkerd-destination,Deployment linkerd/linkerd-identity,Deployment linkerd-viz/web,Deployment shop/web,Rollout shop/canary"
	if strings.Join(got, ",") != want || sleeps != 1 {
		t.Errorf("restarted %v (slept %d), want %s", got, sleeps, want)
	}

	// Without waiting, the data plane is left to the next run.
	dyn, _ = world(t, false)
	cfg.ControlPlaneTimeout = 0
	res, err = runner(dyn, cfg, false, io.Discard, io.Discard).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Restarted) != 2 || res.Status.ControlPlaneSettled || res.Status.Counts.Stale != 2 {
		t.Errorf("restarted %v, status %+v", res.Restarted, res.Status.Counts)
	}
}

func TestRun_missingTrustRoots(t *testing.T) {
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds)
	_, err := runner(dyn, baseConfig(), false, io.Discard, io.Discard).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "ConfigMap linkerd/linkerd-identity-trust-roots not found") {
		t.Errorf("error %v", err)
	}
}

func TestWriteStatus_createsWhenNotRendered(t *testing.T) {
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds)
	c := cluster.New(dyn)
	s := &restarter.Status{Time: t0, BundleSHA256: "abc"}
	if err := c.WriteStatus(context.Background(), "linkerd", s, ""); err != nil {
		t.Fatal(err)
	}
	back, err := c.ReadStatus(context.Background(), "linkerd")
	if err != nil || back == nil || back.BundleSHA256 != "abc" {
		t.Fatalf("read back %+v, %v", back, err)
	}
}

// The status ConfigMap carries the stale-trust-roots label the alerts read
// through kube-state-metrics, on create and on every update.
func TestWriteStatus_labelsStaleTrustRoots(t *testing.T) {
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds)
	c := cluster.New(dyn)
	ctx := context.Background()
	label := func() string {
		u, err := dyn.Resource(cluster.ConfigMaps).Namespace("linkerd").Get(ctx, restarter.StatusConfigMap, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return u.GetLabels()[restarter.LabelTrustRootsStale]
	}
	if err := c.WriteStatus(ctx, "linkerd", &restarter.Status{Time: t0, Counts: restarter.Counts{Stale: 2}}, ""); err != nil {
		t.Fatal(err)
	}
	if got := label(); got != "true" {
		t.Errorf("after a run with stale workloads the label is %q", got)
	}
	if err := c.WriteStatus(ctx, "linkerd", &restarter.Status{Time: t0, Counts: restarter.Counts{Current: 5}}, ""); err != nil {
		t.Fatal(err)
	}
	if got := label(); got != "false" {
		t.Errorf("after a converged run the label is %q", got)
	}
}

// An enrolled namespace: the run reads its injection annotation and all its
// pods, restarts the workload whose pods started before injection was
// enabled, and records the coverage.
func TestRun_enrollment(t *testing.T) {
	bundle := bundlePEM(t)
	hash := restarter.TrustRootsHash(bundle)
	withProxy := func(ns, name, owner string, proxy bool) *unstructured.Unstructured {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, OwnerReferences: owner2(owner)},
			Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning}}
		if proxy {
			p.Labels = map[string]string{restarter.LabelControlPlaneNS: "linkerd"}
			p.Annotations = map[string]string{restarter.AnnotationProxyTrustRoot: hash}
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: restarter.ProxyContainer})
		}
		return testutil.Unstructured(t, "v1", "Pod", p)
	}
	objs := []runtime.Object{
		testutil.Unstructured(t, "v1", "ConfigMap", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: restarter.TrustRootsConfigMap},
			Data: map[string]string{restarter.TrustRootsKey: bundle}}),
		testutil.Unstructured(t, "v1", "ConfigMap", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: restarter.StatusConfigMap}}),
		deploy(t, "linkerd", "linkerd-destination", hash),
		testutil.Unstructured(t, "v1", "Namespace", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "billing",
			Annotations: map[string]string{restarter.AnnotationInject: "enabled"}}}),
		testutil.Unstructured(t, "apps/v1", "StatefulSet", &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "billing", Name: "payroll"}}),
		withProxy("billing", "payroll-0", "StatefulSet/payroll", false),
		testutil.Unstructured(t, "apps/v1", "StatefulSet", &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "billing", Name: "ledger"}}),
		withProxy("billing", "ledger-0", "StatefulSet/ledger", true),
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, objs...)
	bumpGenerationOnPatch(t, dyn)
	cfg := restarter.Config{LinkerdNamespace: "linkerd", DataPlane: restarter.DataPlane{Namespaces: []string{"billing"}},
		MaxRestarts: 20, MeshNamespaces: []string{"billing", "not-created-yet"}}
	res, err := runner(dyn, cfg, false, io.Discard, io.Discard).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"patch statefulsets billing/payroll", "update configmaps linkerd/mtlsgen-trust-status"}
	if got := describe(writes(dyn)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("writes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantCov := []restarter.Coverage{{Namespace: "billing", Inject: "enabled", Meshed: 1, NotYetMeshed: 1}}
	if diff := cmp.Diff(wantCov, res.Status.Mesh); diff != "" {
		t.Errorf("coverage (-want +got):\n%s", diff)
	}
	st := get(t, dyn, cluster.ConfigMaps, "linkerd", restarter.StatusConfigMap)
	if st.GetLabels()[restarter.LabelTrustRootsStale] != "false" {
		t.Error("an enrollment restart marked the trust roots stale")
	}

	// The restart is stamped with the injection and the template it
	// restarted.
	var payroll appsv1.StatefulSet
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(get(t, dyn, cluster.StatefulSets, "billing", "payroll").Object, &payroll); err != nil {
		t.Fatal(err)
	}
	wantStamp := restarter.InjectionStamp("enabled", restarter.TemplateHash(&corev1.PodTemplateSpec{}))
	if got := payroll.Spec.Template.Annotations[restarter.AnnotationRestartedForInjection]; got != wantStamp {
		t.Errorf("payroll's template %s = %q, want %q", restarter.AnnotationRestartedForInjection, got, wantStamp)
	}

	// It rolls out and its pod still has no proxy (the injector declined
	// it): the next run leaves it alone and says why.
	payroll.Status = appsv1.StatefulSetStatus{ObservedGeneration: payroll.Generation, Replicas: 1, ReadyReplicas: 1, UpdatedReplicas: 1,
		CurrentRevision: "payroll-2", UpdateRevision: "payroll-2"}
	if err := dyn.Tracker().Update(cluster.StatefulSets, testutil.Unstructured(t, "apps/v1", "StatefulSet", &payroll), "billing"); err != nil {
		t.Fatal(err)
	}
	dyn.ClearActions()
	var log bytes.Buffer
	res, err = runner(dyn, cfg, false, io.Discard, &log).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := describe(writes(dyn)); strings.Join(got, "\n") != "update configmaps linkerd/mtlsgen-trust-status" {
		t.Errorf("second run writes %q, want only the status", got)
	}
	if c := res.Status.Counts; c.Enrolling != 1 || c.EnrollingBlocked != 1 || c.Restarted != 0 {
		t.Errorf("second run counts %+v", c)
	}
	if !strings.Contains(log.String(), `"msg":"workload left alone","kind":"StatefulSet","namespace":"billing","name":"payroll"`) {
		t.Errorf("no log line for the declined workload:\n%s", log.String())
	}
}

func owner2(kindName string) []metav1.OwnerReference {
	kind, name, _ := strings.Cut(kindName, "/")
	return owner("apps/v1", kind, name)
}

// The client reads what identifies a Rollout's pod template: Argo Rollouts'
// pod hash.
func TestSnapshot_rolloutTemplateHash(t *testing.T) {
	dyn, bundle := world(t, true)
	snap, err := cluster.New(dyn).Snapshot(context.Background(), ptr.To(baseConfig()), bundle)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range snap.Workloads {
		if w.Ref.Kind == restarter.KindRollout {
			if w.TemplateHash != "pod-hash:7f9c6d" {
				t.Errorf("Rollout %s: template hash %q, want its status.currentPodHash", w.Ref, w.TemplateHash)
			}
			return
		}
	}
	t.Fatalf("no Rollout among the workloads: %+v", snap.Workloads)
}

// A run that cannot read the identity issuer keeps the record it had:
// losing it would restart the wait for step 3.
func TestRun_keepsTheIssuerRecordWhenUnreadable(t *testing.T) {
	dyn, _ := world(t, true)
	if _, err := runner(dyn, baseConfig(), false, io.Discard, io.Discard).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	data, _, _ := unstructured.NestedStringMap(get(t, dyn, cluster.ConfigMaps, "linkerd", restarter.StatusConfigMap).Object, "data")
	first, _, err := restarter.StatusFromConfigMapData(data)
	if err != nil || first.IdentityIssuer == nil {
		t.Fatalf("first run's issuer record: %v %+v", err, first)
	}
	dyn.PrependReactor("get", "certificates", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, fmt.Errorf("etcdserver: request timed out")
	})
	res, err := runner(dyn, baseConfig(), false, io.Discard, io.Discard).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Status.IdentityIssuer; got == nil || !got.Since.Equal(first.IdentityIssuer.Since) || got.Name != first.IdentityIssuer.Name {
		t.Errorf("after an unreadable issuer: %+v, want the previous %+v", got, first.IdentityIssuer)
	}
}

// ProxyLifetime reads what Linkerd's chart recorded: issuanceLifetime plus
// clockSkewAllowance, 0 skew counting as Linkerd's 10s, and refuses what
// Linkerd would not run with.
func TestClient_ProxyLifetime(t *testing.T) {
	for values, want := range map[string]string{
		"identity:\n  issuer:\n    issuanceLifetime: 1h0m0s\n    clockSkewAllowance: 20s\n": "1h0m20s",
		"identity:\n  issuer:\n    issuanceLifetime: 1h0m0s\n    clockSkewAllowance: 0s\n":  "1h0m10s",
		"identity:\n  issuer:\n    issuanceLifetime: soon\n    clockSkewAllowance: 20s\n":   `issuanceLifetime "soon"`,
		"identity:\n  issuer:\n    issuanceLifetime: -1h\n    clockSkewAllowance: 20s\n":    "is not positive",
		"identity: [": "values:",
	} {
		cm := testutil.Unstructured(t, "v1", "ConfigMap", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: cluster.LinkerdConfig},
			Data: map[string]string{"values": values}})
		dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, cm)
		d, err := cluster.New(dyn).ProxyLifetime(context.Background(), "linkerd")
		got := d.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, want) {
			t.Errorf("values %q: got %s, want %s", values, got, want)
		}
	}
}

// A YAML file that is not a kubeconfig (a spec, a manifest) is named as what
// it is, not by client-go's scheme.
func TestConnect_notAKubeconfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "out.yaml")
	if err := os.WriteFile(file, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := cluster.Connect(file, "", "test")
	if want := "it is a v1 ConfigMap, not a kubeconfig (apiVersion: v1, kind: Config)"; err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "scheme") {
		t.Errorf("got %v, want %q", err, want)
	}
}

// readyFor is a Certificate's status: Ready as of generation g.
func readyFor(g int64) map[string]any {
	return map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True", "observedGeneration": g}}}
}

// The issuer's clock starts when cert-manager has issued the identity
// issuer for the spec that names it, not when the spec names it: a new
// ClusterIssuer may sign hours later, and until then proxy certificates are
// signed under the old anchor.
func TestRun_issuerDatedWhenIssued(t *testing.T) {
	dyn, _ := world(t, true)
	crt := get(t, dyn, cluster.Certificates, "linkerd", "linkerd-identity-issuer")
	// Step 2: the spec names the new anchor's issuer (generation 3);
	// cert-manager is Ready only for generation 2.
	unstructured.SetNestedField(crt.Object, "linkerd-anchor-root-2027", "spec", "issuerRef", "name")
	crt.SetGeneration(3)
	if _, err := dyn.Resource(cluster.Certificates).Namespace("linkerd").Update(context.Background(), crt, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	status := func() *restarter.Status {
		t.Helper()
		if _, err := runner(dyn, baseConfig(), false, io.Discard, io.Discard).Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		data, _, _ := unstructured.NestedStringMap(get(t, dyn, cluster.ConfigMaps, "linkerd", restarter.StatusConfigMap).Object, "data")
		st, ok, err := restarter.StatusFromConfigMapData(data)
		if err != nil || !ok || st.IdentityIssuer == nil {
			t.Fatalf("status %+v, %v, %v", st, ok, err)
		}
		return st
	}
	if st := status(); st.IdentityIssuer.Name != "linkerd-anchor-root-2027" || !st.IdentityIssuer.Since.IsZero() {
		t.Errorf("before cert-manager issued it: %+v, want the new issuer, not dated", st.IdentityIssuer)
	}
	crt = get(t, dyn, cluster.Certificates, "linkerd", "linkerd-identity-issuer")
	unstructured.SetNestedField(crt.Object, readyFor(3)["conditions"], "status", "conditions")
	if _, err := dyn.Resource(cluster.Certificates).Namespace("linkerd").Update(context.Background(), crt, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	first := status()
	if first.IdentityIssuer.Since.IsZero() {
		t.Fatalf("issued, but not dated: %+v", first.IdentityIssuer)
	}
	if again := status(); !again.IdentityIssuer.Since.Equal(first.IdentityIssuer.Since) {
		t.Errorf("a later run moved the date from %s to %s", first.IdentityIssuer.Since, again.IdentityIssuer.Since)
	}
}

// An admission policy refuses every update of one Deployment: the run
// restarts the workloads after it anyway, writes a status naming it as
// blocked with the API's reason, and fails (so the Job's failure alerts).
func TestRun_refusedRestartBlocksOnlyItsWorkload(t *testing.T) {
	dyn, hash := world(t, true)
	dyn.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.(k8stesting.PatchAction).GetName() == "web" {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web",
				errors.New(`admission webhook "validate.kyverno.svc" denied the request: resources.limits are required`))
		}
		return false, nil, nil
	})
	_, err := runner(dyn, baseConfig(), false, io.Discard, io.Discard).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "1 restarts refused") || !strings.Contains(err.Error(), "validate.kyverno.svc") {
		t.Errorf("run: %v, want it to fail naming the refusal", err)
	}
	if canary := get(t, dyn, cluster.Rollouts, "shop", "canary"); canary.GetAnnotations()[restarter.AnnotationTrustRootsHash] != hash {
		t.Error("Rollout shop/canary, after the refused Deployment, was not restarted")
	}
	data, _, _ := unstructured.NestedStringMap(get(t, dyn, cluster.ConfigMaps, "linkerd", restarter.StatusConfigMap).Object, "data")
	st, ok, err := restarter.StatusFromConfigMapData(data)
	if err != nil || !ok {
		t.Fatalf("no status written: %v %v", ok, err)
	}
	var web *restarter.Decision
	for i, d := range st.Workloads {
		if d.Ref.Namespace == "shop" && d.Ref.Name == "web" {
			web = &st.Workloads[i]
		}
	}
	if web == nil || web.State != restarter.StateBlocked || !strings.Contains(web.Reason, "restart refused: ") || !strings.Contains(web.Reason, "resources.limits are required") {
		t.Errorf("shop/web in the status: %+v, want blocked with the refusal", web)
	}
}

// While the identity issuer in use chains to no anchor of the bundle (an
// anchor's key source changed under its name, before cert-manager re-issued
// the issuer), a restarted identity controller would refuse it and exit, and
// a restarted proxy would reject every certificate it signs: the run
// restarts nothing, says why in the status, and fails.
func TestRun_noRestartWhileTheIssuerIsOutsideTheBundle(t *testing.T) {
	dyn, _ := world(t, false)
	crt := get(t, dyn, cluster.Certificates, "linkerd", "linkerd-identity-issuer")
	crt.SetUID("issuer-uid")
	unstructured.SetNestedField(crt.Object, int64(3), "status", "revision")
	if _, err := dyn.Resource(cluster.Certificates).Namespace("linkerd").Update(context.Background(), crt, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	stray, err := pkitest.NewCA("root-2025.linkerd.cluster.local", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req := testutil.Unstructured(t, "cert-manager.io/v1", "CertificateRequest", &cmapi.CertificateRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: "linkerd-identity-issuer-3",
			Annotations:     map[string]string{cmapi.CertificateNameKey: "linkerd-identity-issuer", cmapi.CertificateRequestRevisionAnnotationKey: "3"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "cert-manager.io/v1", Kind: "Certificate", Name: "linkerd-identity-issuer", UID: "issuer-uid"}}},
		Status: cmapi.CertificateRequestStatus{Certificate: stray.TLSCrt, CA: stray.TLSCrt,
			Conditions: []cmapi.CertificateRequestCondition{{Type: cmapi.CertificateRequestConditionReady, Status: cmmeta.ConditionTrue}}},
	})
	if _, err := dyn.Resource(cluster.CertificateRequests).Namespace("linkerd").Create(context.Background(), req, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dyn.ClearActions()
	_, err = runner(dyn, baseConfig(), false, io.Discard, io.Discard).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no restart: the identity issuer in use (CertificateRequest linkerd-identity-issuer-3, revision 3) chains to no anchor of the trust bundle") {
		t.Errorf("run: %v", err)
	}
	for _, a := range writes(dyn) {
		if _, ok := a.(k8stesting.PatchAction); ok {
			t.Errorf("patched %s", describe([]k8stesting.Action{a}))
		}
	}
	data, _, _ := unstructured.NestedStringMap(get(t, dyn, cluster.ConfigMaps, "linkerd", restarter.StatusConfigMap).Object, "data")
	st, ok, err := restarter.StatusFromConfigMapData(data)
	if err != nil || !ok || st.Counts.Blocked == 0 || st.Counts.Restarted != 0 {
		t.Fatalf("status %+v, %v, %v: want blocked workloads and no restart", st, ok, err)
	}
	for _, d := range st.Workloads {
		if d.State == restarter.StateBlocked && !strings.Contains(d.Reason, "every restart waits until the identity issuer chains to an anchor of the bundle: undo the edit") {
			t.Errorf("%s blocked: %s", d.Ref, d.Reason)
		}
	}
}

// A second run while one is under way (a Job created by hand beside the
// scheduled one) does nothing, rather than restart the same workloads
// again; once the first is done, the next run works, and a lock whose run
// died expires.
func TestRun_oneRunAtATime(t *testing.T) {
	dyn, _ := world(t, true)
	first := runner(dyn, baseConfig(), false, io.Discard, io.Discard)
	var second *cluster.Result
	calls, now := 0, t0
	first.Now = func() time.Time {
		calls++
		if calls == 2 { // the first run has locked and decided: the second starts
			b := runner(dyn, baseConfig(), false, io.Discard, io.Discard)
			b.Holder = "test/2"
			var err error
			if second, err = b.Run(context.Background()); err != nil {
				t.Errorf("second run: %v", err)
			}
		}
		now = now.Add(time.Second)
		return now
	}
	if _, err := first.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if second == nil || len(second.Restarted) != 0 {
		t.Errorf("the second run restarted %v while the first ran", second)
	}
	patches := map[string]int{}
	for _, a := range writes(dyn) {
		if p, ok := a.(k8stesting.PatchAction); ok {
			patches[p.GetNamespace()+"/"+p.GetName()]++
		}
	}
	for w, n := range patches {
		if n != 1 {
			t.Errorf("%s patched %d times", w, n)
		}
	}
	cm := get(t, dyn, cluster.ConfigMaps, "linkerd", restarter.StatusConfigMap)
	if v := cm.GetAnnotations()[restarter.AnnotationRunLock]; v != "" {
		t.Errorf("lock %q left after the run", v)
	}
	// A dead run's lock: live within the TTL, expired after.
	c := cluster.New(dyn)
	if held, err := c.Lock(context.Background(), "linkerd", "dead/1", t0); held != "" || err != nil {
		t.Fatalf("lock: %q %v", held, err)
	}
	if held, _ := c.Lock(context.Background(), "linkerd", "next/1", t0.Add(restarter.RunLockTTL-time.Minute)); !strings.HasSuffix(held, " dead/1") {
		t.Errorf("within the TTL: held by %q, want dead/1", held)
	}
	if held, _ := c.Lock(context.Background(), "linkerd", "next/1", t0.Add(restarter.RunLockTTL+time.Minute)); held != "" {
		t.Errorf("after the TTL: held by %q", held)
	}
}

// No kubeconfig, or an empty one: said in those terms, not client-go's
// KUBERNETES_MASTER advice.
func TestConnect_noConfig(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cluster.Connect(empty, "", "test"); err == nil || !strings.Contains(err.Error(), empty+" names no cluster") {
		t.Errorf("empty kubeconfig: %v", err)
	}
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	if _, _, err := cluster.Connect("", "", "test"); err == nil || !strings.Contains(err.Error(), "none found") || strings.Contains(err.Error(), "KUBERNETES_MASTER") {
		t.Errorf("no kubeconfig: %v", err)
	}
}
