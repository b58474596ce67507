package generator

import (
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

// restarterPolicy limits what the restarter's ServiceAccount may change in
// the workloads RBAC lets it patch. RBAC's patch grants the whole object,
// so without this a stolen token could change any meshed Deployment's
// containers (Argo CD's own, which run with cluster-admin, among them)
// while the restarter only ever stamps annotations on the pod template.
// A Rollout is patched on its own metadata and spec.restartAt instead, and
// is not covered: its template lives in a CRD whose shape varies.
func restarterPolicy(c *clusterContext) []Object {
	if !v1alpha1.KubeAtLeast(c.spec.KubeVersion, AdmissionPolicyMinKube) {
		return nil
	}
	const (
		tmpl    = "object.spec.template.metadata"
		oldTmpl = "oldObject.spec.template.metadata"
	)
	stamps := celList(restarter.StampAnnotations)
	// annotationsKept: every annotation of a, other than the restarter's
	// stamps, is in b with the same value.
	annotationsKept := func(a, b string) string {
		return "!has(" + a + ".annotations) || " + a + ".annotations.all(k, k in " + stamps + " || " +
			"has(" + b + ".annotations) && k in " + b + ".annotations && " + b + ".annotations[k] == " + a + ".annotations[k])"
	}
	policy, binding := denyPolicy(RestarterName, admissionv1.ValidatingAdmissionPolicySpec{
		MatchConstraints: matchResources([]admissionv1.OperationType{admissionv1.Update}, "apps", "v1", "deployments", "statefulsets", "daemonsets"),
		MatchConditions: []admissionv1.MatchCondition{{
			Name:       "restarter",
			Expression: "request.userInfo.username == " + celString("system:serviceaccount:"+c.spec.Linkerd.Namespace+":"+RestarterName),
		}},
		Validations: []admissionv1.Validation{
			forbidden("object.spec.template.spec == oldObject.spec.template.spec",
				"the restarter may change only its own annotations on a pod template, not the pod spec (mtlsgen)"),
			forbidden("has("+tmpl+".labels) == has("+oldTmpl+".labels) && (!has("+tmpl+".labels) || "+tmpl+".labels == "+oldTmpl+".labels)",
				"the restarter may change only its own annotations on a pod template, not its labels (mtlsgen)"),
			forbidden("("+annotationsKept(tmpl, oldTmpl)+") && ("+annotationsKept(oldTmpl, tmpl)+")",
				"the restarter may change only its own annotations on a pod template: "+strings.Join(restarter.StampAnnotations, ", ")+" (mtlsgen)"),
		},
	})
	return []Object{mesh(restarterMeta(policy)), mesh(restarterMeta(binding))}
}
