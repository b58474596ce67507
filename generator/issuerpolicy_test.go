package generator_test

import (
	"encoding/json"
	"slices"
	"testing"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"github.com/google/cel-go/cel"
	admissionv1 "k8s.io/api/admissionregistration/v1"

	"github.com/mtlsgen/mtlsgen/generator"
)

// admits evaluates a ValidatingAdmissionPolicy's variables and validations
// with CEL, as the API server does, for obj created in namespace. It
// returns the messages of the validations that deny it; an evaluation error
// fails the test (with failurePolicy Fail it would refuse the request).
func admits(t *testing.T, p *admissionv1.ValidatingAdmissionPolicy, obj any, namespace string) []string {
	t.Helper()
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var object map[string]any
	if err := json.Unmarshal(raw, &object); err != nil {
		t.Fatal(err)
	}
	env, err := cel.NewEnv(cel.Variable("object", cel.DynType), cel.Variable("request", cel.DynType), cel.Variable("variables", cel.DynType))
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
		out, _, err := prg.Eval(map[string]any{"object": object, "request": map[string]any{"namespace": namespace}, "variables": vars})
		if err != nil {
			t.Fatalf("%s on %s: %v", expr, raw, err)
		}
		return out.Value()
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
					policies[o.Cluster] = x
				case *admissionv1.ValidatingAdmissionPolicyBinding:
					bound[o.Cluster] = x.Spec.PolicyName == generator.CAIssuerPolicyName && slices.Equal(x.Spec.ValidationActions, []admissionv1.ValidationAction{admissionv1.Deny})
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
// so the policy is not rendered; from 1.30, and with no version given, it is.
func TestCAIssuerPolicy_kubeVersion(t *testing.T) {
	for version, want := range map[string]bool{"": true, "1.29": false, "1.29.9": false, "v1.30": true, "1.34.1": true} {
		m := loadExample(t, "prod")
		m.Spec.KubeVersion = version
		objs, err := generator.RenderAll(m, generator.Options{Version: testVersion})
		if err != nil {
			t.Fatal(err)
		}
		got := slices.ContainsFunc(objs, func(o generator.Object) bool {
			_, ok := o.Object.(*admissionv1.ValidatingAdmissionPolicy)
			return ok
		})
		if got != want {
			t.Errorf("kubeVersion %q: policy rendered %v, want %v", version, got, want)
		}
	}
}
