package generator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// CAIssuerPolicyName names the ValidatingAdmissionPolicy, and its binding,
// that keeps mtlsgen's CA ClusterIssuers to the namespaces they sign for.
const CAIssuerPolicyName = "linkerd-ca-issuers"

// AdmissionPolicyMinKube is the first Kubernetes release that serves
// admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies.
const AdmissionPolicyMinKube = "1.30"

// caIssuerPolicy restricts who may request certificates from the anchors'
// and the webhook CA's ClusterIssuers. A ClusterIssuer serves every
// namespace, cert-manager approves requests to it by default, and its chart
// lets the built-in edit role create Certificates: without this policy any
// namespace editor could get a CA signed by the mesh's trust anchor, and
// mint every workload's identity with it. The anchors sign only the
// identity issuer, in the Linkerd namespace; the webhook CA only the
// webhook serving certificates, in the namespaces of the charts that run
// them.
//
// The expressions guard every field with has(): with failurePolicy Fail an
// evaluation error would refuse every Certificate in the cluster.
func caIssuerPolicy(c *clusterContext) []Object {
	s := c.spec
	if !v1alpha1.KubeAtLeast(s.KubeVersion, AdmissionPolicyMinKube) {
		return nil
	}
	var anchors []string
	for i := range s.Trust.Anchors {
		if a := &s.Trust.Anchors[i]; a.External == nil {
			anchors = append(anchors, AnchorIssuerName(a))
		}
	}
	var webhookNamespaces []string
	for _, w := range Webhooks(s) {
		if !slices.Contains(webhookNamespaces, w.Namespace) {
			webhookNamespaces = append(webhookNamespaces, w.Namespace)
		}
	}
	var validations []admissionv1.Validation
	if len(anchors) > 0 {
		validations = append(validations, issuerValidation(anchors, []string{s.Linkerd.Namespace},
			"the trust anchors sign only Linkerd's identity issuer"))
	}
	validations = append(validations, issuerValidation([]string{WebhookCAName}, webhookNamespaces,
		"the webhook CA signs only Linkerd's webhook serving certificates"))

	policy := &admissionv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: objectMeta(CAIssuerPolicyName, ""),
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionv1.Fail),
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
					Rule: admissionv1.Rule{
						APIGroups: []string{"cert-manager.io"}, APIVersions: []string{"*"},
						Resources: []string{"certificates", "certificaterequests"},
					},
				},
			}}},
			Variables: []admissionv1.Variable{{
				// The ClusterIssuer a request names, or "" for any other
				// issuer (a namespaced Issuer, an external issuer's kind).
				Name: "clusterIssuer",
				Expression: `has(object.spec) && has(object.spec.issuerRef) && has(object.spec.issuerRef.name) && ` +
					`has(object.spec.issuerRef.kind) && object.spec.issuerRef.kind == "ClusterIssuer" && ` +
					`(!has(object.spec.issuerRef.group) || object.spec.issuerRef.group in ["", "cert-manager.io"]) ? ` +
					`object.spec.issuerRef.name : ""`,
			}},
			Validations: validations,
		},
	}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: objectMeta(CAIssuerPolicyName, ""),
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        CAIssuerPolicyName,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
		},
	}
	return []Object{mesh(policy), mesh(binding)}
}

// issuerValidation allows the ClusterIssuers issuers only in namespaces.
func issuerValidation(issuers, namespaces []string, why string) admissionv1.Validation {
	return admissionv1.Validation{
		Expression: fmt.Sprintf("!(variables.clusterIssuer in %s) || request.namespace in %s", celList(issuers), celList(namespaces)),
		Message: fmt.Sprintf("%s may be named only by Certificates and CertificateRequests in %s: %s (mtlsgen)",
			plural("ClusterIssuer", issuers), plural("namespace", namespaces), why),
		Reason: ptr.To(metav1.StatusReasonForbidden),
	}
}

// plural is "noun a" or "nouns a, b".
func plural(noun string, items []string) string {
	if len(items) > 1 {
		noun += "s"
	}
	return noun + " " + strings.Join(items, ", ")
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
