package restarter

import (
	"cmp"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// ProxyContainer is the name of Linkerd's proxy: a container, or an init
// container when it runs as a native sidecar.
const ProxyContainer = "linkerd-proxy"

// AnnotationInject is Linkerd's injection annotation, on a namespace or a
// pod template.
const AnnotationInject = "linkerd.io/inject"

// HasProxy reports a pod that runs Linkerd's proxy.
func HasProxy(p *corev1.Pod) bool {
	has := func(cs []corev1.Container) bool {
		return slices.ContainsFunc(cs, func(c corev1.Container) bool { return c.Name == ProxyContainer })
	}
	return has(p.Spec.Containers) || has(p.Spec.InitContainers)
}

// WantsProxy reports whether Linkerd's injector gives a pod a proxy, as it
// decides at admission: the pod's own linkerd.io/inject (from its template)
// wins; enabled and ingress mesh it, disabled does not; without one the
// namespace's annotation decides. Host-network pods are never injected.
func WantsProxy(p *corev1.Pod, namespaceInject string) bool {
	if p.Spec.HostNetwork {
		return false
	}
	v, ok := p.Annotations[AnnotationInject]
	if !ok {
		v = namespaceInject
	}
	return v == "enabled" || v == "ingress"
}

// Coverage is how far one enrolled namespace is meshed.
type Coverage struct {
	Namespace string `json:"namespace"`
	// Inject is the namespace's linkerd.io/inject annotation.
	Inject string `json:"inject,omitempty"`
	// Meshed pods run the proxy and should.
	Meshed int `json:"meshed"`
	// NotYetMeshed pods should run the proxy and do not (they started
	// before injection was enabled, or the injector was down).
	NotYetMeshed int `json:"notYetMeshed"`
	// OptedOut pods run no proxy and should not.
	OptedOut int `json:"optedOut"`
	// ToUnmesh pods run a proxy they should no longer have (a rollback).
	ToUnmesh int `json:"toUnmesh"`
}

// MeshCoverage counts the enrolled namespaces' running pods.
func MeshCoverage(s *Snapshot) []Coverage {
	by := map[string]*Coverage{}
	for ns, inject := range s.MeshNamespaces {
		by[ns] = &Coverage{Namespace: ns, Inject: inject}
	}
	for i := range s.MeshPods {
		p := &s.MeshPods[i]
		c, ok := by[p.Namespace]
		if !ok || !runningPod(p) {
			continue
		}
		switch want, has := WantsProxy(p, s.MeshNamespaces[p.Namespace]), HasProxy(p); {
		case want && has:
			c.Meshed++
		case want:
			c.NotYetMeshed++
		case has:
			c.ToUnmesh++
		default:
			c.OptedOut++
		}
	}
	out := make([]Coverage, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Coverage) int { return cmp.Compare(a.Namespace, b.Namespace) })
	return out
}

// mismatchInfo is an owner whose running pods do not match their injection.
type mismatchInfo struct {
	pods int
	// want is what the pods should have: a proxy (true) or none.
	want bool
}

// classifyInjection finds the owners of enrolled pods whose proxy does not
// match their injection, and the pods among them no restart can fix.
func classifyInjection(s *Snapshot, cfg *Config) (map[Ref]mismatchInfo, []PodRef) {
	out := map[Ref]mismatchInfo{}
	var unmanaged []PodRef
	rss := IndexReplicaSets(s.ReplicaSets)
	for i := range s.MeshPods {
		p := &s.MeshPods[i]
		inject, enrolled := s.MeshNamespaces[p.Namespace]
		if !enrolled || cfg.IsControlPlane(p.Namespace) || !runningPod(p) {
			continue
		}
		want := WantsProxy(p, inject)
		if want == HasProxy(p) {
			continue
		}
		ref, ok, reason := ResolveOwner(p, rss, cfg.ArgoRollouts)
		if !ok {
			unmanaged = append(unmanaged, PodRef{Namespace: p.Namespace, Name: p.Name, Owner: ownerString(p), Reason: injectionReason(want, 1) + "; " + reason})
			continue
		}
		mi := out[ref]
		mi.pods++
		mi.want = want
		out[ref] = mi
	}
	return out, unmanaged
}

// injectValue is the linkerd.io/inject value that asks for want.
func injectValue(want bool) string {
	if want {
		return "enabled"
	}
	return "disabled"
}

// injectionDeclined is the reason a workload is blocked after a restart for
// its injection did not give its pods that injection.
func injectionDeclined(want bool, pods int) string {
	them, it := "them", "they"
	if pods == 1 {
		them, it = "it", "it"
	}
	if want {
		return fmt.Sprintf("%s, also after a restart for it: the proxy injector declined %s "+
			"(not running when %s started, or the namespace or pod is excluded from its webhook); "+
			"fix that, then restart the workload yourself", injectionReason(want, pods), them, it)
	}
	return fmt.Sprintf("%s, also after a restart for it: something still injects %s; "+
		"fix that, then restart the workload yourself", injectionReason(want, pods), them)
}

func injectionReason(want bool, pods int) string {
	subject, has, runs := fmt.Sprintf("%d running pods", pods), "have", "run"
	if pods == 1 {
		subject, has, runs = "1 running pod", "has", "runs"
	}
	if want {
		return fmt.Sprintf("%s %s no proxy though injection is enabled", subject, has)
	}
	return fmt.Sprintf("%s %s a proxy though injection is disabled", subject, runs)
}

// LabelControlPlaneComponent marks the pods of Linkerd's core control
// plane. Their proxies come from the chart, not the injector, and the
// trust-root hash the chart puts on them says nothing about the bundle they
// read (it is empty with an external CA): the restarter judges them by the
// hash it stamps on their templates instead.
const LabelControlPlaneComponent = "linkerd.io/control-plane-component"

// StalePodsByNamespace counts, by namespace, the running pods the injector
// meshed whose proxy holds other trust roots than hash: pods that would
// reject certificates signed under an anchor they do not hold.
func StalePodsByNamespace(pods []corev1.Pod, hash string) map[string]int {
	out := map[string]int{}
	for i := range pods {
		p := &pods[i]
		if _, core := p.Labels[LabelControlPlaneComponent]; core || !MeshedPod(p) || !runningPod(p) {
			continue
		}
		if p.Annotations[AnnotationProxyTrustRoot] != hash {
			out[p.Namespace]++
		}
	}
	return out
}
