package kubecmd

import (
	"bytes"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/cli"
	"github.com/mtlsgen/mtlsgen/internal/load"
	"github.com/mtlsgen/mtlsgen/internal/restarter"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// rbacWorld is a cluster in which a run does everything it can: the control
// plane holds the current roots, an extension (viz) is stamped with them but
// has a pod the injector gave stale ones, and the shop namespace (labelled
// for the selector) holds a Deployment and a Rollout with stale pods.
func rbacWorld(t *testing.T) []runtime.Object {
	hash := restarter.TrustRootsHash(testBundle)
	ctrl := func(apiVersion, kind, name string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, Controller: ptr.To(true)}}
	}
	pod := func(ns, name string, owners []metav1.OwnerReference) runtime.Object {
		return testutil.Unstructured(t, "v1", "Pod", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, OwnerReferences: owners,
			Labels:      map[string]string{restarter.LabelControlPlaneNS: "linkerd"},
			Annotations: map[string]string{restarter.AnnotationProxyTrustRoot: "stale"}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning}})
	}
	return []runtime.Object{
		testutil.Unstructured(t, "v1", "ConfigMap", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: restarter.TrustRootsConfigMap},
			Data: map[string]string{restarter.TrustRootsKey: testBundle}}),
		testutil.Unstructured(t, "v1", "ConfigMap", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: restarter.StatusConfigMap}}),
		testutil.Unstructured(t, "v1", "Namespace", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"mesh": "linkerd"}}}),
		testutil.Unstructured(t, "apps/v1", "Deployment", &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: "linkerd-destination"},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{
				Annotations: map[string]string{restarter.AnnotationTrustRootsHash: hash}}}},
			Status: appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1}}),
		testutil.Unstructured(t, "apps/v1", "Deployment", &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}),
		testutil.Unstructured(t, "apps/v1", "ReplicaSet", &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", OwnerReferences: ctrl("apps/v1", "Deployment", "web")}}),
		pod("shop", "web-1-a", ctrl("apps/v1", "ReplicaSet", "web-1")),
		&unstructured.Unstructured{Object: map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
			"metadata": map[string]any{"namespace": "shop", "name": "canary"}}},
		testutil.Unstructured(t, "apps/v1", "ReplicaSet", &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "canary-1", OwnerReferences: ctrl("argoproj.io/v1alpha1", "Rollout", "canary")}}),
		pod("shop", "canary-1-a", ctrl("apps/v1", "ReplicaSet", "canary-1")),
		testutil.Unstructured(t, "apps/v1", "Deployment", &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd-viz", Name: "web"},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{
				Annotations: map[string]string{restarter.AnnotationTrustRootsHash: hash}}}},
			Status: appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1}}),
		testutil.Unstructured(t, "apps/v1", "ReplicaSet", &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd-viz", Name: "web-1", OwnerReferences: ctrl("apps/v1", "Deployment", "web")}}),
		pod("linkerd-viz", "web-1-a", ctrl("apps/v1", "ReplicaSet", "web-1")),
		&unstructured.Unstructured{Object: map[string]any{"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
			"metadata": map[string]any{"namespace": "linkerd", "name": "linkerd-identity-issuer"}}},
	}
}

// allows reports whether a rule grants an API request.
func allows(r rbacv1.PolicyRule, verb, group, resource, name string) bool {
	return slices.Contains(r.Verbs, verb) && slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) &&
		(len(r.ResourceNames) == 0 || name != "" && slices.Contains(r.ResourceNames, name))
}

// Every request a run makes, with the arguments the CronJob passes, is
// granted by the RBAC rendered next to it: the Roles of the request's
// namespace and the ClusterRole. Least privilege that is too little fails
// here; too much fails TestRestarter_RBACLeastPrivilege in the generator.
func TestRestarter_renderedRBACCoversEveryRequest(t *testing.T) {
	for name, extra := range map[string]string{
		"namespaces": "  restarter: {argoRollouts: true, dataPlane: {namespaces: [shop]}}\n",
		"selector":   "  restarter: {argoRollouts: true, dataPlane: {selector: {matchLabels: {mesh: linkerd}}}}\n",
		"all meshed": "  restarter: {argoRollouts: true}\n",
	} {
		t.Run(name, func(t *testing.T) {
			m, err := load.Parse(name+".yaml", []byte(argsSpecHead+extra), load.Options{})
			if err != nil {
				t.Fatal(err)
			}
			objs, err := generator.RenderAll(m, generator.Options{Version: goldenVersion})
			if err != nil {
				t.Fatal(err)
			}
			roles := map[string][]rbacv1.PolicyRule{} // namespace -> rules; "" for the ClusterRole
			var args []string
			for _, o := range objs {
				switch x := o.Object.(type) {
				case *rbacv1.Role:
					roles[x.Namespace] = append(roles[x.Namespace], x.Rules...)
				case *rbacv1.ClusterRole:
					roles[""] = append(roles[""], x.Rules...)
				case *batchv1.CronJob:
					args = x.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args
				}
			}
			dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), fakeListKinds, rbacWorld(t)...)
			var out, errOut bytes.Buffer
			streams := cli.IOStreams{Out: &out, ErrOut: &errOut}
			root := NewRootCommand(streams, goldenVersion)
			replaceCommand(root, newRestarterCommandWith(streams, goldenVersion, connectTo(dyn), fixedNow))
			if code := cli.Execute(root, args, streams); code != 0 {
				t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
			}
			patched := 0
			for _, a := range dyn.Actions() {
				res := a.GetResource()
				var objName string
				switch x := a.(type) { // PatchAction is a GetAction too: order matters
				case k8stesting.PatchAction:
					objName = x.GetName()
					patched++
				case k8stesting.UpdateAction:
					objName = x.GetObject().(*unstructured.Unstructured).GetName()
				case k8stesting.GetAction:
					objName = x.GetName()
				}
				rules := append(slices.Clone(roles[""]), roles[a.GetNamespace()]...)
				if !slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
					return allows(r, a.GetVerb(), res.Group, res.Resource, objName)
				}) {
					t.Errorf("not granted: %s %s.%s %s/%s", a.GetVerb(), res.Resource, res.Group, a.GetNamespace(), objName)
				}
			}
			if patched != 3 {
				t.Errorf("%d workloads restarted, want the Deployment, the Rollout and the viz extension's", patched)
			}
		})
	}
}
