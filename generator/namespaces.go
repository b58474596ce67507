package generator

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// Linkerd's charts render their namespaces only for the CLI
// (.Release.Service == "CLI"), never under Helm or Argo CD, so mtlsgen
// creates them, with the labels and annotations the charts' namespace
// templates would have set (charts/linkerd-control-plane, viz, multicluster
// and jaeger templates/namespace.yaml, the same from 2.14.10 to 2.20).
const (
	// LabelIsControlPlane marks the Linkerd control plane's namespace (and
	// is what the trust Bundle selects namespaces by).
	LabelIsControlPlane     = "linkerd.io/is-control-plane"
	labelAdmissionWebhooks  = "config.linkerd.io/admission-webhooks"
	labelControlPlaneNS     = "linkerd.io/control-plane-ns"
	labelExtension          = "linkerd.io/extension"
	labelPodSecurityEnforce = "pod-security.kubernetes.io/enforce"
	annotationInject        = "linkerd.io/inject"
)

// psaPrivileged is the Pod Security level Linkerd's namespaces need without
// the CNI plugin: linkerd-init sets up iptables with NET_ADMIN and NET_RAW.
const psaPrivileged = "privileged"

func namespaces(c *clusterContext) []Object {
	l := c.spec.Linkerd
	out := []Object{nsObject(l.Namespace, map[string]string{
		// The trust Bundle's namespaceSelector matches this label, so the
		// trust roots ConfigMap lands here and nowhere else.
		LabelIsControlPlane: "true",
		// The control plane must not be subject to its own webhooks.
		labelAdmissionWebhooks:  "disabled",
		labelControlPlaneNS:     l.Namespace,
		labelPodSecurityEnforce: psaPrivileged,
	}, linkerdNamespaceAnnotations(c))}

	// The extensions' namespaces carry only their extension label and the
	// Pod Security level, as their charts' templates set them.
	ext := l.Extensions
	for _, e := range []struct {
		name string
		ext  v1alpha1.Extension
	}{{"viz", ext.Viz}, {"multicluster", ext.Multicluster.Extension}, {"jaeger", ext.Jaeger}} {
		if e.ext.Enabled {
			out = append(out, nsObject(e.ext.Namespace, map[string]string{labelExtension: e.name, labelPodSecurityEnforce: psaPrivileged}, nil))
		}
	}
	return out
}

// linkerdNamespaceAnnotations: the control plane's namespace is never
// pruned or deleted by Argo CD. A render without it (a moved namespace, an
// edit gone wrong) must not delete the namespace and all in it: the
// identity issuer's Secret, the trust roots, and whatever else lives there.
func linkerdNamespaceAnnotations(c *clusterContext) map[string]string {
	a := map[string]string{annotationInject: "disabled"}
	if v1alpha1.IsEnabled(c.spec.ArgoCD.Enabled) {
		a[AnnotationSyncOptions] = "Prune=false,Delete=false"
	}
	return a
}

func nsObject(name string, labels, annotations map[string]string) Object {
	ns := &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: objectMeta(name, ""),
	}
	ns.Labels = labels
	ns.Annotations = annotations
	return Object{Component: ComponentMesh, Object: ns}
}
