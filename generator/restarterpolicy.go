package generator

import (
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

// restarterPolicy limits what the restarter's ServiceAccount may change in
// the workloads RBAC lets it patch. RBAC's patch grants the whole object,
// so without this a stolen token could change any meshed Deployment's
// containers (Argo CD's own, which run with cluster-admin, among them),
// scale it to nothing, or hand it a dangling owner for the garbage
// collector to delete. A restart changes only the stamps on the pod
// template, or, for an Argo Rollout, the stamps on the Rollout and its
// spec.restartAt; the policy admits nothing else.
func restarterPolicy(c *clusterContext) []Object {
	if !v1alpha1.KubeAtLeast(c.spec.KubeVersion, AdmissionPolicyMinKube) {
		return nil
	}
	const (
		tmpl    = "object.spec.template.metadata"
		oldTmpl = "oldObject.spec.template.metadata"
		rollout = "variables.rollout"
	)
	// annotationsKept: every annotation of a but those exempt is in b with
	// the same value.
	annotationsKept := func(a, b, exempt string) string {
		return "!has(" + a + ".annotations) || " + a + ".annotations.all(k, k in " + exempt + " || " +
			"has(" + b + ".annotations) && k in " + b + ".annotations && " + b + ".annotations[k] == " + a + ".annotations[k])"
	}
	onlyChanged := func(a, b string, exempt []string) string {
		list := celList(exempt)
		return "(" + annotationsKept(a, b, list) + ") && (" + annotationsKept(b, a, list) + ")"
	}
	// The API server itself bumps this annotation of a DaemonSet whose
	// template changes (the DaemonSet registry strategy's PrepareForUpdate).
	workloadAnnotations := append(slices.Clone(restarter.StampAnnotations), "deprecated.daemonset.template.generation")
	rules := []admissionv1.NamedRuleWithOperations{resourceRule([]admissionv1.OperationType{admissionv1.Update}, "apps", "v1", "deployments", "statefulsets", "daemonsets")}
	if c.spec.Restarter.ArgoRollouts {
		rules = append(rules, resourceRule([]admissionv1.OperationType{admissionv1.Update}, restarter.GroupArgoRollouts, "*", "rollouts"))
	}
	stampList := strings.Join(restarter.StampAnnotations, ", ")
	policy, binding := denyPolicy(RestarterName, admissionv1.ValidatingAdmissionPolicySpec{
		MatchConstraints: &admissionv1.MatchResources{ResourceRules: rules},
		MatchConditions: []admissionv1.MatchCondition{{
			Name:       "restarter",
			Expression: "request.userInfo.username == " + celString("system:serviceaccount:"+c.spec.Linkerd.Namespace+":"+RestarterName),
		}},
		Variables: []admissionv1.Variable{{
			// A Rollout is restarted through its spec.restartAt and stamped
			// on its own metadata; the others on their pod template.
			Name:       "rollout",
			Expression: "request.resource.group == " + celString(restarter.GroupArgoRollouts),
		}},
		Validations: []admissionv1.Validation{
			// Every field of the spec but the one a restart changes.
			forbidden("object.spec.all(k, k == ("+rollout+` ? "restartAt" : "template") || k in oldObject.spec && oldObject.spec[k] == object.spec[k]) && `+
				"oldObject.spec.all(k, k in object.spec)",
				"the restarter may change only its own annotations on a pod template (a Rollout's spec.restartAt), no other field of the spec (mtlsgen)"),
			// Owners (a dangling one has the garbage collector delete the
			// workload), finalizers and labels of the workload itself.
			forbidden(`["ownerReferences", "finalizers", "labels"].all(k, (k in object.metadata) == (k in oldObject.metadata) && (!(k in object.metadata) || object.metadata[k] == oldObject.metadata[k]))`,
				"the restarter may not change a workload's owners, finalizers or labels (mtlsgen)"),
			forbidden(onlyChanged("object.metadata", "oldObject.metadata", workloadAnnotations),
				"the restarter may change only its own annotations on a workload: "+stampList+" (mtlsgen)"),
			forbidden(rollout+" || object.spec.template.spec == oldObject.spec.template.spec",
				"the restarter may change only its own annotations on a pod template, not the pod spec (mtlsgen)"),
			// Labels, finalizers and owners of the template, which the
			// controllers copy onto every pod they make.
			forbidden(rollout+" || "+tmpl+`.all(k, k == "annotations" || k in `+oldTmpl+" && "+oldTmpl+"[k] == "+tmpl+"[k]) && "+
				oldTmpl+`.all(k, k == "annotations" || k in `+tmpl+")",
				"the restarter may change only its own annotations on a pod template, not its labels, finalizers or owners (mtlsgen)"),
			forbidden(rollout+" || "+onlyChanged(tmpl, oldTmpl, restarter.StampAnnotations),
				"the restarter may change only its own annotations on a pod template: "+stampList+" (mtlsgen)"),
		},
	})
	return []Object{mesh(restarterMeta(policy)), mesh(restarterMeta(binding))}
}
