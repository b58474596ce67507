package generator

import (
	"fmt"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// CAIssuerPolicyName names the ValidatingAdmissionPolicy, and its binding,
// that keeps mtlsgen's CA ClusterIssuers to the namespaces they sign for.
const CAIssuerPolicyName = "linkerd-ca-issuers"

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
	var webhookNamespaces []string
	for _, w := range Webhooks(s) {
		if !slices.Contains(webhookNamespaces, w.Namespace) {
			webhookNamespaces = append(webhookNamespaces, w.Namespace)
		}
	}
	validations := []admissionv1.Validation{
		// Every anchor's, today's and any added later: a request filed for
		// a ClusterIssuer that does not exist yet waits, approved, and is
		// signed the moment the anchor is added (a status update, which
		// no policy sees).
		issuerValidation("variables.clusterIssuer.startsWith("+celString(AnchorPrefix)+")", "ClusterIssuers "+AnchorPrefix+"*",
			[]string{s.Linkerd.Namespace}, "the trust anchors sign only Linkerd's identity issuer"),
		issuerValidation("variables.clusterIssuer == "+celString(WebhookCAName), "ClusterIssuer "+WebhookCAName,
			webhookNamespaces, "the webhook CA signs only Linkerd's webhook serving certificates"),
	}

	policy, binding := denyPolicy(CAIssuerPolicyName, admissionv1.ValidatingAdmissionPolicySpec{
		MatchConstraints: matchResources([]admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
			"cert-manager.io", "*", "certificates", "certificaterequests"),
		Variables: []admissionv1.Variable{
			// The ClusterIssuer a request names, or "" for any other
			// issuer (a namespaced Issuer, an external issuer's kind).
			{Name: "clusterIssuer", Expression: clusterIssuerOf("object")},
			// An update that keeps the issuer is let through: an object
			// from before the policy can then lose its finalizers and go,
			// while its new CertificateRequests are still refused.
			{Name: "kept", Expression: `oldObject != null && ` + clusterIssuerOf("oldObject") + ` == variables.clusterIssuer`},
		},
		Validations: validations,
	})
	return []Object{mesh(policy), mesh(binding)}
}

// clusterIssuerOf is the CEL for the name of the cert-manager ClusterIssuer
// obj (a Certificate or CertificateRequest) names, or "".
func clusterIssuerOf(obj string) string {
	ref := obj + ".spec.issuerRef"
	return "(has(" + obj + ".spec) && has(" + ref + ") && has(" + ref + ".name) && " +
		"has(" + ref + ".kind) && " + ref + `.kind == "ClusterIssuer" && ` +
		"(!has(" + ref + ".group) || " + ref + `.group in ["", "cert-manager.io"]) ? ` +
		ref + `.name : "")`
}

// issuerValidation allows the ClusterIssuers that match (a CEL condition
// on variables.clusterIssuer), named noun, only in namespaces.
func issuerValidation(match, noun string, namespaces []string, why string) admissionv1.Validation {
	return forbidden(fmt.Sprintf("!(%s) || request.namespace in %s || variables.kept", match, celList(namespaces)),
		fmt.Sprintf("%s may be named only by Certificates and CertificateRequests in %s: %s (mtlsgen)",
			noun, plural("namespace", namespaces), why))
}

// plural is "noun a" or "nouns a, b".
func plural(noun string, items []string) string {
	if len(items) > 1 {
		noun += "s"
	}
	return noun + " " + strings.Join(items, ", ")
}
