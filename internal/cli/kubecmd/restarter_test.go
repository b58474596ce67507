package kubecmd

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/cli"
	"github.com/mtlsgen/mtlsgen/internal/load"
	"github.com/mtlsgen/mtlsgen/internal/pkitest"
	"github.com/mtlsgen/mtlsgen/internal/restarter"
	"github.com/mtlsgen/mtlsgen/internal/restarter/cluster"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

const argsSpecHead = `apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata: {name: x}
spec:
  trust: {anchors: [{name: r, active: true, selfSigned: {}}]}
  argocd: {enabled: false}
  linkerd: {extensions: {viz: {enabled: true}, jaeger: {enabled: true}}, version: "2.18"}
`

// The CronJob's arguments, parsed by the real command's flags, give exactly
// the configuration the spec asks for: the generator and the command cannot
// drift apart.
func TestRestarter_cronJobArgsAreTheCommandsFlags(t *testing.T) {
	specs := map[string]*v1alpha1.MeshTLS{}
	for _, f := range examples(t) {
		m, err := load.LoadFile(f, nil, load.Options{})
		if err != nil {
			t.Fatal(err)
		}
		specs[f] = m
	}
	for name, extra := range map[string]string{
		"list": "  restarter: {dataPlane: {namespaces: [shop, billing]}}\n",
		"selector": "  restarter:\n    argoRollouts: true\n    maxRestartsPerRun: 3\n    dataPlane:\n      selector:\n" +
			"        matchLabels: {mesh: linkerd, team: shop}\n" +
			"        matchExpressions:\n        - {key: tier, operator: In, values: [web, api]}\n        - {key: legacy, operator: DoesNotExist}\n",
	} {
		m, err := load.Parse(name+".yaml", []byte(argsSpecHead+extra), load.Options{})
		if err != nil {
			t.Fatal(err)
		}
		specs[name] = m
	}
	root := NewRootCommand(cli.IOStreams{}, goldenVersion)
	for name, m := range specs {
		t.Run(name, func(t *testing.T) {
			objs, err := generator.RenderAll(m, generator.Options{Version: goldenVersion})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, o := range objs {
				cj, ok := o.Object.(*batchv1.CronJob)
				if !ok {
					continue
				}
				n++
				args := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args
				if sub, _, err := root.Find(args); err != nil || sub.Name() != "restarter" {
					t.Fatalf("args %v do not name the restarter command: %v", args, err)
				}
				f := &restarterFlags{}
				cmd := &cobra.Command{}
				bindRestarterFlags(cmd, f)
				if err := cmd.Flags().Parse(args[1:]); err != nil {
					t.Fatalf("the command rejects the CronJob's args %v: %v", args, err)
				}
				want := generator.RestarterConfig(&m.Spec)
				if diff := cmp.Diff(want, f.cfg); diff != "" {
					t.Errorf("args %v parse into another config (-want +got):\n%s", args, diff)
				}
				if err := f.cfg.Validate(); err != nil {
					t.Errorf("args %v: %v", args, err)
				}
				if f.dryRun || f.kubeconfig != "" {
					t.Error("the CronJob must run for real, in-cluster")
				}
			}
			if n != len(m.Spec.Clusters) {
				t.Errorf("%d CronJobs for %d clusters", n, len(m.Spec.Clusters))
			}
		})
	}
}

var fakeListKinds = map[schema.GroupVersionResource]string{
	cluster.ConfigMaps: "ConfigMapList", cluster.Pods: "PodList", cluster.Namespaces: "NamespaceList",
	cluster.CertificateRequests: "CertificateRequestList",
	cluster.Deployments:         "DeploymentList", cluster.StatefulSets: "StatefulSetList", cluster.DaemonSets: "DaemonSetList",
	cluster.ReplicaSets: "ReplicaSetList", cluster.Rollouts: "RolloutList", cluster.Certificates: "CertificateList",
}

// fakeCluster holds a trust bundle, a control plane stamped with another
// hash, and whatever else is passed.
func fakeCluster(t testing.TB, objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	t.Helper()
	base := []runtime.Object{
		testutil.Unstructured(t, "v1", "ConfigMap", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: restarter.TrustRootsConfigMap},
			Data: map[string]string{restarter.TrustRootsKey: testBundle}}),
		&unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"namespace": "linkerd", "name": "linkerd-identity"}}},
	}
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), fakeListKinds, append(base, objs...)...)
}

// testBundle is one self-signed P-256 anchor, CN root-2026.linkerd.cluster.local,
// made for these tests with openssl req -x509 (its key was thrown away).
const testBundle = `-----BEGIN CERTIFICATE-----
MIIBujCCAV+gAwIBAgIUHiSJJxJrOBu075s9OlheDzepEQYwCgYIKoZIzj0EAwIw
KjEoMCYGA1UEAwwfcm9vdC0yMDI2LmxpbmtlcmQuY2x1c3Rlci5sb2NhbDAeFw0y
NjExMjMxNzUwNDBaFw0zNjExMjAxNzUwNDBaMCoxKDAmBgNVBAMMH3Jvb3QtMjAy
Ni5saW5rZXJkLmNsdXN0ZXIubG9jYWwwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AAQMQrx3BYiAjA7m31gpWCVZrcgSCT9ui98A8vvK42oG5Yr9mU4o8wMOvg5BAOLB
+R/8gIW0rTOp+lVDCwUH3CgUo2MwYTAdBgNVHQ4EFgQUyAV05q7oFoqbUIc/Ptzb
L6fcbl0wHwYDVR0jBBgwFoAUyAV05q7oFoqbUIc/PtzbL6fcbl0wDwYDVR0TAQH/
BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwCgYIKoZIzj0EAwIDSQAwRgIhALHtpxCB
4idqQehuv80xjrvMDEESfzCyo9FwkmJ4YPj6AiEAxPZJRLbKM2mtSN00TJtFZ5nN
4U0SxJOfjHgJOiDCZjU=
-----END CERTIFICATE-----
`

func connectTo(dyn dynamic.Interface) connectFunc {
	return func(string, string, string) (dynamic.Interface, string, error) { return dyn, "https://fake", nil }
}

var fixedNow = func() time.Time { return time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC) }

func TestRestarterCommand_dryRun(t *testing.T) {
	dyn := fakeCluster(t)
	var out, errOut bytes.Buffer
	streams := cli.IOStreams{Out: &out, ErrOut: &errOut}
	cmd := newRestarterCommandWith(streams, goldenVersion, connectTo(dyn), fixedNow)
	root := NewRootCommand(streams, goldenVersion)
	replaceCommand(root, cmd)
	code := cli.Execute(root, []string{"restarter", "--dry-run", "--all-meshed", "--kubeconfig", "/dev/null"}, streams)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "would restart  control  Deployment  linkerd    linkerd-identity  pod template not stamped") {
		t.Errorf("plan:\n%s", out.String())
	}
	for _, a := range dyn.Actions() {
		if a.GetVerb() != "get" && a.GetVerb() != "list" {
			t.Errorf("a dry run did %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
	if !strings.Contains(errOut.String(), `"msg":"would restart"`) {
		t.Errorf("log:\n%s", errOut.String())
	}
}

func TestRestarterCommand_usage(t *testing.T) {
	_, errOut, code := run(t, "", "restarter", "--data-plane-namespaces", "shop", "--all-meshed")
	if code != cli.ExitUsage || !strings.Contains(errOut, "exactly one of --data-plane-namespaces, --data-plane-selector and --all-meshed") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func TestStatusCommand_usage(t *testing.T) {
	_, errOut, code := run(t, "", "status", "--proxy-certificate-lifetime", "0s")
	if code != cli.ExitUsage || !strings.Contains(errOut, "--proxy-certificate-lifetime 0s: must be positive") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	for _, ns := range []string{"", "Bad NS"} {
		_, errOut, code := run(t, "", "status", "--linkerd-namespace", ns)
		if code != cli.ExitUsage || !strings.Contains(errOut, fmt.Sprintf("--linkerd-namespace %q: ", ns)) {
			t.Errorf("namespace %q: exit %d: %s", ns, code, errOut)
		}
	}
}

func TestStatusCommand(t *testing.T) {
	hash := restarter.TrustRootsHash(testBundle)
	st := restarter.Status{
		Time: fixedNow().Add(-time.Hour), BundleSHA256: hash, Counts: restarter.Counts{Current: 12},
		IdentityIssuer: &restarter.IssuerObservation{Kind: "ClusterIssuer", Name: "linkerd-anchor-root-2026", Since: fixedNow().Add(-72 * time.Hour)},
	}
	data, err := st.ConfigMapData()
	if err != nil {
		t.Fatal(err)
	}
	statusCM := testutil.Unstructured(t, "v1", "ConfigMap", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: restarter.StatusConfigMap}, Data: data})
	ready := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
		"metadata": map[string]any{"namespace": "linkerd", "name": "linkerd-identity-issuer", "uid": "issuer-uid", "labels": map[string]any{generator.LabelManagedBy: generator.ManagedByValue}},
		"status":   map[string]any{"revision": int64(3), "conditions": []any{map[string]any{"type": "Ready", "status": "True"}}},
	}}

	// A meshed pod in a namespace the restarter does not act in, with an
	// old bundle baked in; and the core control plane's own pods, whose
	// chart-made hash says nothing.
	meshedPod := func(ns, name, roots string, labels map[string]string) runtime.Object {
		labels[restarter.LabelControlPlaneNS] = "linkerd"
		return testutil.Unstructured(t, "v1", "Pod", &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, Annotations: map[string]string{restarter.AnnotationProxyTrustRoot: roots}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning}})
	}
	stale := meshedPod("billing", "ledger-0", restarter.TrustRootsHash("old bundle"), map[string]string{})
	current := meshedPod("shop", "web-0", hash, map[string]string{})
	core := meshedPod("linkerd", "linkerd-identity-0", restarter.TrustRootsHash(""), map[string]string{restarter.LabelControlPlaneComponent: "identity"})

	// The identity issuer's CertificateRequest, signed by a CA that is not
	// the bundle's anchor (step 3 made before step 2); and requests that
	// say nothing about the issuer in use: another Certificate's, one left
	// by an earlier Certificate of the same name, and a revision signed
	// but not yet written to the Secret.
	request := func(certificate, revision string, owner types.UID, signer string) runtime.Object {
		return testutil.Unstructured(t, "cert-manager.io/v1", "CertificateRequest", &cmapi.CertificateRequest{
			ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: certificate + "-" + revision + "-" + string(owner),
				Annotations:     map[string]string{cmapi.CertificateNameKey: certificate, cmapi.CertificateRequestRevisionAnnotationKey: revision},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "cert-manager.io/v1", Kind: "Certificate", Name: certificate, UID: owner}}},
			Status: cmapi.CertificateRequestStatus{
				Certificate: []byte(signer), CA: []byte(signer),
				Conditions: []cmapi.CertificateRequestCondition{{Type: cmapi.CertificateRequestConditionReady, Status: cmmeta.ConditionTrue}},
			}})
	}
	ca, err := pkitest.NewCA("root-2025.linkerd.cluster.local", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherCA := string(ca.TLSCrt)
	strayIssuer := request(generator.IdentityIssuerName, "3", "issuer-uid", otherCA)
	unrelated := []runtime.Object{
		request("linkerd-proxy-injector", "1", "injector-uid", otherCA),
		request(generator.IdentityIssuerName, "2", "deleted-uid", otherCA),
		request(generator.IdentityIssuerName, "4", "issuer-uid", otherCA),
	}
	with := func(objs ...runtime.Object) []runtime.Object { return append(objs, unrelated...) }
	linkerdConfig := testutil.Unstructured(t, "v1", "ConfigMap", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: cluster.LinkerdConfig},
		Data: map[string]string{"values": "identity:\n  issuer:\n    scheme: kubernetes.io/tls\n    issuanceLifetime: 1h0m0s\n    clockSkewAllowance: 20s\n"}})

	for name, tc := range map[string]struct {
		objs []runtime.Object
		code int
		want string
	}{
		"safe": {objs: with(statusCM, ready, current, core), code: 0, want: "SAFE: all 12 workloads trust anchor root-2026, the only one"},
		"proxy lifetime from linkerd-config": {objs: with(statusCM, ready, current, core, linkerdConfig), code: 0,
			want: "proxy certificates live at most 1h0m20s (issuanceLifetime plus clockSkewAllowance in linkerd-config)"},
		"proxy lifetime unknown": {objs: with(statusCM, ready, current, core), code: 0,
			want: "proxy certificates live for an unknown time (linkerd-config could not be read: reading ConfigMap linkerd/linkerd-config: "},
		"identity issuer under an anchor not in the bundle": {objs: with(statusCM, ready, current, core, strayIssuer), code: cli.ExitInvalid,
			want: "NOT SAFE: the identity issuer (CertificateRequest linkerd-identity-issuer-3-issuer-uid, revision 3) chains to no anchor of the trust bundle"},
		"never run": {objs: []runtime.Object{ready}, code: cli.ExitInvalid, want: "NOT SAFE: the restarter has not recorded a run yet"},
		"stale pods the restarter does not see": {objs: []runtime.Object{statusCM, ready, stale, current, core}, code: cli.ExitInvalid,
			want: "NOT SAFE: 1 meshed pods hold other trust roots than the bundle, in namespaces the restarter does not restart or has not reached: billing (1)"},
	} {
		t.Run(name, func(t *testing.T) {
			dyn := fakeCluster(t, tc.objs...)
			var out, errOut bytes.Buffer
			streams := cli.IOStreams{Out: &out, ErrOut: &errOut}
			root := NewRootCommand(streams, goldenVersion)
			replaceCommand(root, newStatusCommandWith(streams, goldenVersion, connectTo(dyn), fixedNow))
			code := cli.Execute(root, []string{"status"}, streams)
			if code != tc.code || !strings.Contains(out.String(), tc.want) || !strings.Contains(out.String(), "certificates: 1 of 1 Ready") {
				t.Errorf("exit %d (want %d):\n%s%s", code, tc.code, out.String(), errOut.String())
			}
			if errOut.Len() != 0 {
				t.Errorf("stderr: %s", errOut.String())
			}
		})
	}
}
