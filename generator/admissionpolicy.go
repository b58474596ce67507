package generator

import (
	"strconv"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// AdmissionPolicyMinKube is the first Kubernetes release that serves
// admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies.
const AdmissionPolicyMinKube = "1.30"

// denyPolicy is a ValidatingAdmissionPolicy named name with spec, and the
// binding that makes it refuse what it does not admit, everywhere. Its
// failure policy is Fail: a guard that lets requests through when it
// cannot evaluate them guards nothing, so its expressions must not fail.
func denyPolicy(name string, spec admissionv1.ValidatingAdmissionPolicySpec) (*admissionv1.ValidatingAdmissionPolicy, *admissionv1.ValidatingAdmissionPolicyBinding) {
	spec.FailurePolicy = ptr.To(admissionv1.Fail)
	policy := &admissionv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: objectMeta(name, ""),
		Spec:       spec,
	}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: objectMeta(name, ""),
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        name,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
		},
	}
	return policy, binding
}

// matchResources matches operations on resources of one API group.
func matchResources(ops []admissionv1.OperationType, group, version string, resources ...string) *admissionv1.MatchResources {
	return &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{resourceRule(ops, group, version, resources...)}}
}

// resourceRule is one rule of a policy's matchConstraints.
func resourceRule(ops []admissionv1.OperationType, group, version string, resources ...string) admissionv1.NamedRuleWithOperations {
	return admissionv1.NamedRuleWithOperations{
		RuleWithOperations: admissionv1.RuleWithOperations{
			Operations: ops,
			Rule:       admissionv1.Rule{APIGroups: []string{group}, APIVersions: []string{version}, Resources: resources},
		},
	}
}

// forbidden is a validation that refuses with reason Forbidden.
func forbidden(expression, message string) admissionv1.Validation {
	return admissionv1.Validation{Expression: expression, Message: message, Reason: ptr.To(metav1.StatusReasonForbidden)}
}

// celList is a CEL list of string literals.
func celList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = celString(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// celString is a CEL string literal. The strings are names and annotation
// keys, validated before rendering; escaping keeps any other literal.
func celString(s string) string {
	return strconv.Quote(s)
}
