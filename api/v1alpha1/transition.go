package v1alpha1

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateTransition reports the changes from prev to next that a sync of
// the new render cannot carry out safely on a running mesh, though each
// spec on its own is valid: a trust anchor replaced in one step, a key
// source changed under a kept name, a moved namespace or trust domain, a
// renamed ApplicationSet. Paths are next's. Both specs are defaulted and
// valid.
func ValidateTransition(prev, next *MeshTLS) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	argo := IsEnabled(next.Spec.ArgoCD.Enabled) && IsEnabled(prev.Spec.ArgoCD.Enabled)

	if argo && prev.Metadata.Name != next.Metadata.Name {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), next.Metadata.Name,
			fmt.Sprintf("renamed from %q: the ApplicationSet and every Application get new names, and the old ones go on managing the same objects as the new (each undoing the other's changes): delete the old ApplicationSet %q first (its Applications go, their objects stay)",
				prev.Metadata.Name, prev.Metadata.Name)))
	}
	pl, nl := &prev.Spec.Linkerd, &next.Spec.Linkerd
	if pl.Namespace != nl.Namespace {
		errs = append(errs, field.Invalid(spec.Child("linkerd", "namespace"), nl.Namespace,
			fmt.Sprintf("moved from %q: the control plane there is pruned, while every running proxy still reaches identity and destination there, and nothing restarts them: moving the control plane is a reinstall of the mesh, not an edit", pl.Namespace)))
	}
	if pl.TrustDomain != nl.TrustDomain {
		errs = append(errs, field.Invalid(spec.Child("linkerd", "trustDomain"), nl.TrustDomain,
			fmt.Sprintf("changed from %q: until every meshed workload is restarted, proxies of the old and the new trust domain expect identities the other does not have, and their connections fail", pl.TrustDomain)))
	}
	errs = append(errs, anchorTransition(&prev.Spec.Trust, &next.Spec.Trust, spec.Child("trust"))...)
	return errs
}

// ValidateTransitionBase reports what makes a deployed spec, decoded but not
// validated, no base to judge a change from: anchors of one name (which
// of them is which cannot be told).
func ValidateTransitionBase(prev *MeshTLS) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, a := range prev.Spec.Trust.Anchors {
		if seen[a.Name] {
			errs = append(errs, field.Duplicate(field.NewPath("spec", "trust", "anchors").Index(i).Child("name"), a.Name))
		}
		seen[a.Name] = true
	}
	return errs
}

// anchorTransition checks the rotation steps: add an anchor inactive,
// activate it once every workload trusts it, remove the old one once
// nothing depends on it. Each step is one change of the spec.
func anchorTransition(prev, next *TrustSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if prev.Namespace != next.Namespace {
		errs = append(errs, field.Invalid(path.Child("namespace"), next.Namespace,
			fmt.Sprintf("moved from %q: cert-manager makes new keys for the self-signed anchors there under the same names, and the bundle switches to them at once (a rotation in one step), while a secret anchor's Secret must already be there; keep the trust namespace of a running mesh", prev.Namespace)))
	}
	before := map[string]*TrustAnchor{}
	for i := range prev.Anchors {
		before[prev.Anchors[i].Name] = &prev.Anchors[i]
	}
	kept := map[string]bool{}
	for i := range next.Anchors {
		a := &next.Anchors[i]
		p := path.Child("anchors").Index(i)
		old, ok := before[a.Name]
		kept[a.Name] = ok
		switch {
		case ok && (old.Active || a.Active) && keySource(old) != keySource(a):
			// An inactive anchor signs nothing: changing its key is as
			// safe as removing it and adding another.
			errs = append(errs, field.Invalid(p, a.Name,
				fmt.Sprintf("its key source changed from %s to %s under the same name: the bundle switches to the new key at once, while the identity issuer stays signed by the old one until it renews, and a restarted Linkerd identity refuses it: add the new key as a new anchor and rotate in three steps (README: Rotating the trust anchor)",
					keySource(old), keySource(a))))
		case !ok && a.Active:
			errs = append(errs, field.Invalid(p.Child("active"), true,
				fmt.Sprintf("anchor %q is new and already active: the identity issuer is re-signed under it before any proxy trusts it: add it inactive, and activate it in the next change, once the restarter has restarted every workload onto the new bundle (`mtlsgen status` says when)", a.Name)))
		}
	}
	for _, a := range prev.Anchors {
		if a.Active && !kept[a.Name] {
			errs = append(errs, field.Invalid(path.Child("anchors"), a.Name,
				fmt.Sprintf("anchor %q, active in the previous spec, is removed: workloads not yet restarted trust only it, and reject every certificate the new anchor signs: make another anchor active first, and remove this one in a later change, once `mtlsgen status` says it is safe", a.Name)))
		}
	}
	return errs
}

// keySource says where an anchor's key comes from, in the spec's words.
func keySource(a *TrustAnchor) string {
	switch {
	case a.Secret != nil:
		return fmt.Sprintf("secret %s", a.Secret.Name)
	case a.External != nil:
		// The issuer signs, and ca is what the bundle publishes for it:
		// either changed is another key.
		r, ca := a.External.IssuerRef, a.External.CA
		src := ""
		switch {
		case ca.ConfigMap != nil:
			src = "configMap " + ca.ConfigMap.Name + "/" + ca.ConfigMap.Key
		case ca.Secret != nil:
			src = "secret " + ca.Secret.Name + "/" + ca.Secret.Key
		}
		return fmt.Sprintf("external %s %s/%s (ca %s)", r.Kind, r.Group, r.Name, src)
	default:
		return "selfSigned"
	}
}

// TransitionWarnings reports the changes from prev to next that need a step
// on every cluster before the sync, which a spec cannot show was taken: so
// they warn, where ValidateTransition refuses.
//
// Up to 2.18 linkerd-crds installs the Gateway API CRDs (HTTPRoute,
// GRPCRoute, TCPRoute, TLSRoute) unless gatewayAPI.install is false; from
// 2.19 never. Argo CD prunes what linkerd-crds no longer renders: Helm's
// resource-policy keep does not stop a prune, and deleting a CRD deletes
// every object of it.
func TransitionWarnings(prev, next *MeshTLS) field.ErrorList {
	var warnings field.ErrorList
	if r, known := LookupLinkerdRelease(next.Spec.Linkerd.Version); known && r.Since216Keys {
		// 2.14 has no audit mode: off, then enforce, is its only way.
		warnings = enforceWithoutAudit(&prev.Spec.Mesh, &next.Spec.Mesh)
	}
	if !IsEnabled(next.Spec.ArgoCD.Enabled) || !IsEnabled(prev.Spec.ArgoCD.Enabled) {
		return warnings
	}
	return append(warnings, gatewayAPIHandOver(prev, next)...)
}

// enforceWithoutAudit: the enrollment phases go off, audit, enforce, so that
// what enforce will refuse (clients without the proxy) shows in the audit
// logs first. Skipping audit may be deliberate (a namespace whose clients
// are all meshed), so it warns.
func enforceWithoutAudit(prev, next *MeshSpec) field.ErrorList {
	var warnings field.ErrorList
	const why = "clients without the proxy are refused as the pods restart, with no audit to show them first (policy: audit, then enforce)"
	defaultJumps := prev.DefaultPolicy == PolicyOff && next.DefaultPolicy == PolicyEnforce
	if defaultJumps {
		warnings = append(warnings, field.Invalid(field.NewPath("spec", "mesh", "defaultPolicy"), next.DefaultPolicy, "from off to enforce: "+why))
	}
	was := map[string]InboundPolicy{}
	for i := range prev.Namespaces {
		was[prev.Namespaces[i].Name] = prev.PolicyOf(&prev.Namespaces[i])
	}
	for i := range next.Namespaces {
		ns := &next.Namespaces[i]
		before, listed := was[ns.Name]
		if !listed {
			// Not enrolled: the control plane's default, permissive until
			// defaultPolicy is enforce.
			before = PolicyOff
			if prev.DefaultPolicy == PolicyEnforce {
				before = PolicyEnforce
			}
		}
		if before != PolicyOff || next.PolicyOf(ns) != PolicyEnforce || ns.Policy == "" && defaultJumps {
			continue // the defaultPolicy warning covers those that inherit it
		}
		warnings = append(warnings, field.Invalid(field.NewPath("spec", "mesh", "namespaces").Index(i).Child("policy"), PolicyEnforce,
			fmt.Sprintf("namespace %s from off to enforce: %s", ns.Name, why)))
	}
	return warnings
}

// gatewayAPIHandOver: see TransitionWarnings.
func gatewayAPIHandOver(prev, next *MeshTLS) field.ErrorList {
	if _, known := LookupLinkerdRelease(prev.Spec.Linkerd.Version); !known {
		return field.ErrorList{field.Invalid(field.NewPath("spec", "linkerd", "version"), next.Spec.Linkerd.Version,
			fmt.Sprintf("the deployed spec's Linkerd version %q is not one this mtlsgen knows, so whether linkerd-crds stops rendering the Gateway API CRDs (which Argo CD would prune, with every route) cannot be told", prev.Spec.Linkerd.Version))}
	}
	installs := func(m *MeshTLS) bool {
		return m.Spec.Linkerd.Release().BundlesGatewayAPI && IsEnabled(m.Spec.ArgoCD.GatewayAPI.Install)
	}
	if !installs(prev) || installs(next) {
		return nil
	}
	const consequence = "Argo CD prunes them from linkerd-crds, and every HTTPRoute, GRPCRoute, TCPRoute and TLSRoute with them, unless the live CRDs carry argocd.argoproj.io/sync-options: Prune=false before this sync (README: Upgrading Linkerd across 2.19)"
	if next.Spec.Linkerd.Release().BundlesGatewayAPI {
		return field.ErrorList{field.Invalid(field.NewPath("spec", "argocd", "gatewayAPI", "install"), false,
			"linkerd-crds installed the Gateway API CRDs, and now does not: "+consequence)}
	}
	return field.ErrorList{field.Invalid(field.NewPath("spec", "linkerd", "version"), next.Spec.Linkerd.Version,
		fmt.Sprintf("from %s, whose linkerd-crds installs the Gateway API CRDs, to %s, whose does not: %s",
			prev.Spec.Linkerd.Version, next.Spec.Linkerd.Version, consequence))}
}
