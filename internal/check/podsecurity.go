package check

import (
	"fmt"
	"slices"

	psapi "k8s.io/pod-security-admission/api"
)

// annotationInject is the proxy injection annotation Linkerd's injector
// reads.
const annotationInject = "linkerd.io/inject"

// checkInjectedNamespaces: MTLS064. Without Linkerd's CNI plugin the
// injector adds linkerd-init, which asks for NET_ADMIN and NET_RAW to
// redirect the pod's traffic; the baseline and restricted levels forbid
// both, so a namespace enforcing either refuses every injected pod, and a
// rollout (the restarter's among them) never finishes.
func checkInjectedNamespaces(c *cluster) []Finding {
	if cniEnabled(c.values) {
		return nil
	}
	var out []Finding
	for _, d := range c.docs {
		if d.Group() != "" || d.Kind() != "Namespace" {
			continue
		}
		inject := str(d.Obj, "metadata", "annotations", annotationInject)
		level := str(d.Obj, "metadata", "labels", psapi.EnforceLevelLabel)
		if !slices.Contains([]string{"enabled", "ingress"}, inject) || !slices.Contains([]string{string(psapi.LevelBaseline), string(psapi.LevelRestricted)}, level) {
			continue
		}
		out = append(out, at(RuleInjectedPSS, d, "metadata.labels",
			fmt.Sprintf("Namespace %s injects Linkerd's proxy (%s: %s) and enforces the %s Pod Security level: linkerd-init adds NET_ADMIN and NET_RAW to every injected pod, which %s forbids, so each is refused (unless Linkerd's CNI plugin replaces linkerd-init)",
				d.Name(), annotationInject, inject, level, level),
			psapi.EnforceLevelLabel+": privileged (with "+psapi.WarnLevelLabel+" and audit: restricted to keep seeing the rest), or install linkerd-cni and set cniEnabled: true"))
	}
	return out
}

// cniEnabled reports whether the control plane's values say Linkerd's CNI
// plugin, not linkerd-init, sets up the pods' traffic redirection.
func cniEnabled(values []*Values) bool {
	return slices.ContainsFunc(values, func(v *Values) bool {
		on, _ := v.V["cniEnabled"].(bool)
		return on && (v.Chart == "" || v.Chart == "linkerd-control-plane")
	})
}
