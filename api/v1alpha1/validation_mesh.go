package v1alpha1

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// WorkloadKinds are the kinds a namespace's workloads list may name.
var WorkloadKinds = []string{"Deployment", "StatefulSet", "DaemonSet"}

// validateMesh checks spec.mesh.
func validateMesh(s *MeshTLSSpec, p *field.Path) field.ErrorList {
	m := &s.Mesh
	var el field.ErrorList
	policies := []string{string(PolicyOff), string(PolicyAudit), string(PolicyEnforce)}
	if !oneOf(string(m.DefaultPolicy), policies) {
		el = append(el, field.NotSupported(p.Child("defaultPolicy"), m.DefaultPolicy, policies))
	}
	modes := []string{string(EnforceAllAuthenticated), string(EnforceClusterAuthenticated)}
	if !oneOf(string(m.Enforce), modes) {
		el = append(el, field.NotSupported(p.Child("enforce"), m.Enforce, modes))
	}
	// audit arrived in Linkerd's policy controller in 2.16; 2.14's rejects
	// the annotation and falls back to its default.
	release, known := LookupLinkerdRelease(s.Linkerd.Version)
	noAudit := known && !release.Since216Keys
	auditRefused := func(path *field.Path) *field.Error {
		return field.Forbidden(path, fmt.Sprintf("audit needs Linkerd 2.16 or later (its policy controller has no audit mode in %s); use off, then enforce", s.Linkerd.Version))
	}
	if noAudit && m.DefaultPolicy == PolicyAudit {
		el = append(el, auditRefused(p.Child("defaultPolicy")))
	}

	reserved := map[string]string{"kube-system": "Kubernetes' own", s.Trust.Namespace: "the anchors' (cert-manager's)"}
	for _, ns := range s.ControlPlaneNamespaces() {
		reserved[ns] = "a Linkerd control-plane"
	}
	seen := map[string]bool{}
	for i, ns := range m.Namespaces {
		ip := p.Child("namespaces").Index(i)
		el = append(el, validateNamespace(ns.Name, ip.Child("name"))...)
		if why, ok := reserved[ns.Name]; ok && ns.Name != "" {
			el = append(el, field.Forbidden(ip.Child("name"), fmt.Sprintf("%s is %s namespace: it must not be meshed or have its inbound policy changed", ns.Name, why)))
		}
		if seen[ns.Name] && ns.Name != "" {
			el = append(el, field.Duplicate(ip.Child("name"), ns.Name))
		}
		seen[ns.Name] = true
		if !oneOf(string(ns.Inject), []string{string(InjectEnabled), string(InjectDisabled)}) {
			el = append(el, field.NotSupported(ip.Child("inject"), ns.Inject, []InjectMode{InjectEnabled, InjectDisabled}))
		}
		if ns.Policy != "" && !oneOf(string(ns.Policy), policies) {
			el = append(el, field.NotSupported(ip.Child("policy"), ns.Policy, policies))
		}
		if noAudit && ns.Policy == PolicyAudit {
			el = append(el, auditRefused(ip.Child("policy")))
		}
		if len(ns.Workloads) > 0 && ns.Inject == InjectEnabled {
			el = append(el, field.Forbidden(ip.Child("workloads"), "workloads opt in one at a time only while inject is disabled; with inject: enabled every workload is meshed already"))
		}
		wseen := map[string]bool{}
		for j, w := range ns.Workloads {
			wp := ip.Child("workloads").Index(j)
			kind, name, ok := strings.Cut(w, "/")
			switch {
			case !ok || !slices.Contains(WorkloadKinds, kind):
				el = append(el, field.Invalid(wp, w, "must be KIND/NAME with KIND one of "+strings.Join(WorkloadKinds, ", ")+", e.g. Deployment/checkout"))
			case len(validation.IsDNS1123Subdomain(name)) > 0:
				el = append(el, field.Invalid(wp, w, "the name after the / must be a DNS-1123 subdomain"))
			case wseen[w]:
				el = append(el, field.Duplicate(wp, w))
			}
			wseen[w] = true
		}
	}
	return el
}
