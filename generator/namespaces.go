package generator

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Linkerd's charts render their namespaces only for the CLI
// (.Release.Service == "CLI"), never under Helm or Argo CD, so mtlsgen
// creates them, with the labels and annotations the charts' namespace
// templates would have set. See shared/facts/linkerd.md §2.
const (
	labelIsControlPlane     = "linkerd.io/is-control-plane"
	labelAdmissionWebhooks  = "config.linkerd.io/admission-webhooks"
	labelControlPlaneNS     = "linkerd.io/control-plane-ns"
	labelExtension          = "linkerd.io/extension"
	labelPodSecurityEnforce = "pod-security.kubernetes.io/enforce"
	annotationInject        = "linkerd.io/inject"
	annotationProxyAwait    = "config.linkerd.io/proxy-await"
)

// psaPrivileged is the Pod Security level Linkerd's namespaces need without
// the CNI plugin: linkerd-init sets up iptables with NET_ADMIN and NET_RAW.
const psaPrivileged = "privileged"

func namespaces(c *clusterContext) []Object {
	l := c.spec.Linkerd
	out := []Object{nsObject(l.Namespace, map[string]string{
		// The trust Bundle's namespaceSelector matches this label, so the
		// trust roots ConfigMap lands here and nowhere else.
		labelIsControlPlane: "true",
		// The control plane must not be subject to its own webhooks.
		labelAdmissionWebhooks: "disabled",
		labelControlPlaneNS:    l.Namespace,
		labelPodSecurityEnforce: psaPrivileged,
	}, map[string]string{annotationInject: "disabled"})}

	ext := l.Extensions
	if ext.Viz.Enabled {
		out = append(out, nsObject(ext.Viz.Namespace,
			map[string]string{labelExtension: "viz", labelPodSecurityEnforce: psaPrivileged},
			map[string]string{annotationInject: "enabled", annotationProxyAwait: "enabled"}))
	}
	if ext.Multicluster.Enabled {
		out = append(out, nsObject(ext.Multicluster.Namespace,
			map[string]string{labelExtension: "multicluster", labelPodSecurityEnforce: psaPrivileged}, nil))
	}
	if ext.Jaeger.Enabled {
		out = append(out, nsObject(ext.Jaeger.Namespace,
			map[string]string{labelExtension: "jaeger", labelPodSecurityEnforce: psaPrivileged},
			map[string]string{annotationInject: "enabled"}))
	}
	return out
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
