package generator_test

import (
	"encoding/json"
	"slices"
	"testing"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	"github.com/google/cel-go/cel"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

// admits evaluates a ValidatingAdmissionPolicy's variables and validations
// with cel-go on the objects' JSON (the API server declares object as dyn
// too, and adds its own libraries, which these expressions do not use), for
// obj created in namespace. It
// returns the messages of the validations that deny it; an evaluation error
// fails the test (with failurePolicy Fail it would refuse the request).
func admits(t *testing.T, p *admissionv1.ValidatingAdmissionPolicy, obj any, namespace string) []string {
	t.Helper()
	return evaluate(t, p, obj, nil, map[string]any{"namespace": namespace})
}

// evaluate runs a policy's match conditions, variables and validations on
// an admission request, with object and oldObject as JSON would give them.
func evaluate(t *testing.T, p *admissionv1.ValidatingAdmissionPolicy, obj, old any, request map[string]any) []string {
	t.Helper()
	asMap := func(v any) map[string]any {
		if v == nil {
			return nil
		}
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	object, oldObject := asMap(obj), asMap(old)
	env, err := cel.NewEnv(cel.Variable("object", cel.DynType), cel.Variable("oldObject", cel.DynType),
		cel.Variable("request", cel.DynType), cel.Variable("variables", cel.DynType))
	if err != nil {
		t.Fatal(err)
	}
	eval := func(expr string, vars map[string]any) any {
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			t.Fatalf("%s: %v", expr, iss.Err())
		}
		prg, err := env.Program(ast)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := prg.Eval(map[string]any{"object": object, "oldObject": oldObject, "request": request, "variables": vars})
		if err != nil {
			t.Fatalf("%s on %v: %v", expr, object, err)
		}
		return out.Value()
	}
	for _, c := range p.Spec.MatchConditions {
		if ok, _ := eval(c.Expression, nil).(bool); !ok {
			return nil // not this policy's request
		}
	}
	vars := map[string]any{}
	for _, v := range p.Spec.Variables {
		vars[v.Name] = eval(v.Expression, vars)
	}
	var denied []string
	for _, v := range p.Spec.Validations {
		if ok, _ := eval(v.Expression, vars).(bool); !ok {
			denied = append(denied, v.Message)
		}
	}
	return denied
}

// The policy admits every Certificate of every example where it is
// rendered, and refuses each one naming a CA ClusterIssuer once moved to
// another namespace: mtlsgen's own issuance works, and nobody else's does.
func TestCAIssuerPolicy_admitsTheOutputOnly(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			objs, err := generator.RenderAll(loadExample(t, name), generator.Options{Version: testVersion})
			if err != nil {
				t.Fatal(err)
			}
			policies := map[string]*admissionv1.ValidatingAdmissionPolicy{}
			bound := map[string]bool{}
			var certs []generator.Object
			caIssuers := map[string]bool{}
			for _, o := range objs {
				switch x := o.Object.(type) {
				case *admissionv1.ValidatingAdmissionPolicy:
					if x.Name == generator.CAIssuerPolicyName {
						policies[o.Cluster] = x
					}
				case *admissionv1.ValidatingAdmissionPolicyBinding:
					if x.Name == generator.CAIssuerPolicyName {
						bound[o.Cluster] = x.Spec.PolicyName == generator.CAIssuerPolicyName && slices.Equal(x.Spec.ValidationActions, []admissionv1.ValidationAction{admissionv1.Deny})
					}
				case *cmapi.ClusterIssuer:
					if x.Spec.CA != nil {
						caIssuers[x.Name] = true
					}
				case *cmapi.Certificate:
					certs = append(certs, o)
				}
			}
			if len(policies) == 0 {
				t.Fatal("no ValidatingAdmissionPolicy")
			}
			for cluster, p := range policies {
				if !bound[cluster] {
					t.Errorf("cluster %s: the policy has no Deny binding", cluster)
				}
				if p.Spec.FailurePolicy == nil || *p.Spec.FailurePolicy != admissionv1.Fail {
					t.Errorf("cluster %s: failurePolicy %v, want Fail", cluster, p.Spec.FailurePolicy)
				}
			}
			guarded := 0
			for _, o := range certs {
				crt := o.Object.(*cmapi.Certificate)
				p := policies[o.Cluster]
				if denied := admits(t, p, crt, crt.Namespace); denied != nil {
					t.Errorf("%s/%s refused in its own namespace: %v", crt.Namespace, crt.Name, denied)
				}
				// The CertificateRequest cert-manager makes for it names the
				// same issuer, in the same namespace.
				req := &cmapi.CertificateRequest{Spec: cmapi.CertificateRequestSpec{IssuerRef: crt.Spec.IssuerRef}}
				if denied := admits(t, p, req, crt.Namespace); denied != nil {
					t.Errorf("the CertificateRequest of %s/%s refused: %v", crt.Namespace, crt.Name, denied)
				}
				ref := crt.Spec.IssuerRef
				if ref.Kind != cmapi.ClusterIssuerKind || !caIssuers[ref.Name] {
					continue
				}
				guarded++
				if denied := admits(t, p, crt, "tenant"); len(denied) != 1 {
					t.Errorf("%s/%s in namespace tenant: refused by %d validations, want 1: %v", crt.Namespace, crt.Name, len(denied), denied)
				}
				if denied := admits(t, p, req, "tenant"); len(denied) != 1 {
					t.Errorf("the CertificateRequest of %s/%s in namespace tenant: refused by %d validations, want 1", crt.Namespace, crt.Name, len(denied))
				}
				// Another issuer of the same name: a namespaced Issuer, or
				// an external issuer's kind, is the namespace's own.
				for _, other := range []string{cmapi.IssuerKind, "VaultIssuer"} {
					c := crt.DeepCopy()
					c.Spec.IssuerRef.Kind = other
					if other == "VaultIssuer" {
						c.Spec.IssuerRef.Group = "vault.example.com"
					}
					if denied := admits(t, p, c, "tenant"); denied != nil {
						t.Errorf("kind %s named %s in namespace tenant refused: %v", other, ref.Name, denied)
					}
				}
				// An update that keeps the issuer (an object from before
				// the policy, losing its finalizer) goes through; one that
				// turns to the CA does not.
				tenant := map[string]any{"namespace": "tenant"}
				if denied := evaluate(t, p, crt, crt, tenant); denied != nil {
					t.Errorf("%s/%s updated in namespace tenant, issuer kept: refused: %v", crt.Namespace, crt.Name, denied)
				}
				other := crt.DeepCopy()
				other.Spec.IssuerRef.Name = "someone-elses"
				if denied := evaluate(t, p, crt, other, tenant); len(denied) != 1 {
					t.Errorf("%s/%s updated in namespace tenant to name %s: refused by %d validations, want 1", crt.Namespace, crt.Name, ref.Name, len(denied))
				}
				// The group may be left out (cert-manager's default).
				c := crt.DeepCopy()
				c.Spec.IssuerRef.Group = ""
				if denied := admits(t, p, c, "tenant"); len(denied) != 1 {
					t.Errorf("%s/%s without issuerRef.group in namespace tenant: refused by %d validations, want 1", crt.Namespace, crt.Name, len(denied))
				}
			}
			if guarded == 0 {
				t.Error("no Certificate names a CA ClusterIssuer: nothing was tried")
			}
			// An anchor not in the spec yet: a request filed now would be
			// signed the moment it is added.
			future := &cmapi.Certificate{Spec: cmapi.CertificateSpec{IssuerRef: cmmeta.IssuerReference{Name: generator.AnchorPrefix + "next", Kind: cmapi.ClusterIssuerKind, Group: "cert-manager.io"}}}
			for _, p := range policies {
				if denied := admits(t, p, future, "tenant"); len(denied) != 1 {
					t.Errorf("a Certificate in namespace tenant naming a future anchor: refused by %d validations, want 1", len(denied))
				}
			}
			// An object without the fields the policy reads: no error (that
			// would refuse it), no refusal.
			for _, obj := range []any{map[string]any{}, map[string]any{"spec": map[string]any{}}, map[string]any{"spec": map[string]any{"issuerRef": map[string]any{"name": "x"}}}} {
				for _, p := range policies {
					if denied := admits(t, p, obj, "tenant"); denied != nil {
						t.Errorf("%v refused: %v", obj, denied)
					}
				}
			}
		})
	}
}

// Below Kubernetes 1.30 the API server serves no ValidatingAdmissionPolicy,
// so neither policy is rendered; from 1.30, and with no version given, both
// are.
func TestAdmissionPolicies_kubeVersion(t *testing.T) {
	for version, want := range map[string]int{"": 2, "1.29": 0, "1.29.9": 0, "v1.30": 2, "1.34.1": 2} {
		m := loadExample(t, "prod")
		m.Spec.KubeVersion = version
		objs, err := generator.RenderAll(m, generator.Options{Version: testVersion})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range objs {
			if p, ok := o.Object.(*admissionv1.ValidatingAdmissionPolicy); ok {
				got = append(got, p.Name)
			}
		}
		if len(got) != want {
			t.Errorf("kubeVersion %q: policies %v, want %d", version, got, want)
		}
	}
}

// The restarter's policy lets its ServiceAccount stamp a pod template (a
// Rollout: its metadata and spec.restartAt) and nothing else, and leaves
// everyone else alone.
func TestRestarterPolicy(t *testing.T) {
	m := loadExample(t, "prod")
	m.Spec.Restarter.ArgoRollouts = true
	objs, err := generator.RenderAll(m, generator.Options{Version: testVersion})
	if err != nil {
		t.Fatal(err)
	}
	var p *admissionv1.ValidatingAdmissionPolicy
	for _, o := range objs {
		if x, ok := o.Object.(*admissionv1.ValidatingAdmissionPolicy); ok && x.Name == generator.RestarterName {
			p = x
		}
	}
	if p == nil {
		t.Fatal("no restarter policy")
	}
	old := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Labels: map[string]string{"app": "api"}},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "api"}, Annotations: map[string]string{"linkerd.io/inject": "enabled"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "api:1"}}},
		}},
	}
	change := func(f func(*appsv1.Deployment)) *appsv1.Deployment {
		d := old.DeepCopy()
		f(d)
		return d
	}
	stamped := change(func(d *appsv1.Deployment) {
		for _, k := range restarter.StampAnnotations {
			d.Spec.Template.Annotations[k] = "x"
		}
	})
	user := map[string]any{"username": "system:serviceaccount:linkerd:" + generator.RestarterName}
	apps := map[string]any{"userInfo": user, "resource": map[string]any{"group": "apps"}}
	rollouts := map[string]any{"userInfo": user, "resource": map[string]any{"group": "argoproj.io"}}
	someoneElse := map[string]any{"userInfo": map[string]any{"username": "alice"}, "resource": map[string]any{"group": "apps"}}
	rollout := map[string]any{
		"metadata": map[string]any{"name": "web", "annotations": map[string]any{"team": "web"}},
		"spec":     map[string]any{"replicas": 3, "workloadRef": map[string]any{"kind": "Deployment", "name": "web"}},
	}
	changeRollout := func(f func(spec, meta map[string]any)) map[string]any {
		raw, _ := json.Marshal(rollout)
		var r map[string]any
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		f(r["spec"].(map[string]any), r["metadata"].(map[string]any))
		return r
	}
	for name, tc := range map[string]struct {
		obj, old any
		request  map[string]any
		denied   bool
	}{
		"stamping": {stamped, old, apps, false},
		"stamping again": {change(func(d *appsv1.Deployment) {
			d.Spec.Template.Annotations = map[string]string{"linkerd.io/inject": "enabled"}
		}), stamped, apps, false},
		"stamping a template without annotations": {change(func(d *appsv1.Deployment) {
			d.Spec.Template.Annotations = map[string]string{restarter.AnnotationRestartedAt: "x"}
		}), change(func(d *appsv1.Deployment) { d.Spec.Template.Annotations = nil }), apps, false},
		"changing the image":           {change(func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "evil:1" }), old, apps, true},
		"adding a template label":      {change(func(d *appsv1.Deployment) { d.Spec.Template.Labels["x"] = "y" }), old, apps, true},
		"removing the template labels": {change(func(d *appsv1.Deployment) { d.Spec.Template.Labels = nil }), old, apps, true},
		"a template finalizer":         {change(func(d *appsv1.Deployment) { d.Spec.Template.Finalizers = []string{"example.com/wedge"} }), stamped, apps, true},
		"a template owner": {change(func(d *appsv1.Deployment) {
			d.Spec.Template.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "gone", UID: "0"}}
		}), old, apps, true},
		"changing another annotation": {change(func(d *appsv1.Deployment) { d.Spec.Template.Annotations["linkerd.io/inject"] = "disabled" }), old, apps, true},
		"removing another annotation": {change(func(d *appsv1.Deployment) { delete(d.Spec.Template.Annotations, "linkerd.io/inject") }), old, apps, true},
		"scaling to zero":             {change(func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](0) }), old, apps, true},
		"pausing":                     {change(func(d *appsv1.Deployment) { d.Spec.Paused = true }), old, apps, true},
		"a dangling owner": {change(func(d *appsv1.Deployment) {
			d.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "gone", UID: "0"}}
		}), old, apps, true},
		"a finalizer":                     {change(func(d *appsv1.Deployment) { d.Finalizers = []string{"example.com/wedge"} }), old, apps, true},
		"a workload label":                {change(func(d *appsv1.Deployment) { d.Labels["x"] = "y" }), old, apps, true},
		"someone else changing the image": {change(func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "new:2" }), old, someoneElse, false},
		"restarting a Rollout": {changeRollout(func(spec, meta map[string]any) {
			spec["restartAt"] = "2026-11-24T00:00:00Z"
			meta["annotations"].(map[string]any)[restarter.AnnotationTrustRootsHash] = "x"
		}), rollout, rollouts, false},
		"scaling a Rollout":          {changeRollout(func(spec, meta map[string]any) { spec["replicas"] = 0 }), rollout, rollouts, true},
		"another Rollout annotation": {changeRollout(func(spec, meta map[string]any) { meta["annotations"].(map[string]any)["team"] = "evil" }), rollout, rollouts, true},
	} {
		t.Run(name, func(t *testing.T) {
			denied := evaluate(t, p, tc.obj, tc.old, tc.request)
			if (denied != nil) != tc.denied {
				t.Errorf("denied by %v, want denied %v", denied, tc.denied)
			}
		})
	}
}
