package generator

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// AnnotationDefaultInboundPolicy is the namespace (or workload) annotation
// Linkerd reads the default inbound policy of its proxies from.
const AnnotationDefaultInboundPolicy = "config.linkerd.io/default-inbound-policy"

// enrollment makes what spec.mesh asks of application namespaces: the
// Namespaces mtlsgen owns, with Linkerd's injection and policy annotations;
// kustomize patches with the same annotations for Namespaces another
// Application owns; and a patch per workload opted in one at a time.
//
// An annotation changes nothing in running pods: the injector and the
// proxies read it when a pod starts. The restarter restarts what no longer
// matches (injection enabled but no proxy, or a proxy where it is disabled).
//
// Nothing here touches probes: Linkerd's default policies authorize the
// kubelet's HTTP probes (GET on each container's probe paths, from the
// policy controller's probe networks) whatever the policy, and mtlsgen
// renders no Server or AuthorizationPolicy that would take that away.
func enrollment(c *clusterContext) []Object {
	m := &c.spec.Mesh
	var out []Object
	for i := range m.Namespaces {
		ns := &m.Namespaces[i]
		annotations := map[string]string{
			annotationInject:               string(ns.Inject),
			AnnotationDefaultInboundPolicy: m.LinkerdPolicy(m.PolicyOf(ns)),
		}
		if v1alpha1.IsEnabled(ns.Owned) {
			if v1alpha1.IsEnabled(c.spec.ArgoCD.Enabled) {
				// Pruning or deleting a Namespace deletes every workload
				// in it: leaving spec.mesh must never do that.
				annotations[AnnotationSyncOptions] = "Prune=false,Delete=false"
			}
			out = append(out, nsObject(ns.Name, nil, annotations))
		} else {
			out = append(out, patch("v1", "Namespace", "", ns.Name, map[string]any{"metadata": map[string]any{"annotations": annotations}}))
		}
		for _, w := range ns.Workloads {
			kind, name, _ := strings.Cut(w, "/")
			out = append(out, patch("apps/v1", kind, ns.Name, name, map[string]any{
				"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
					"annotations": map[string]any{annotationInject: string(v1alpha1.InjectEnabled)},
				}}},
			}))
		}
	}
	return out
}

// patch is a strategic-merge patch of an object mtlsgen does not own.
func patch(apiVersion, kind, namespace, name string, body map[string]any) Object {
	u := &unstructured.Unstructured{Object: body}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetName(name)
	if namespace != "" {
		u.SetNamespace(namespace)
	}
	return Object{Component: ComponentPatches, Object: u}
}
