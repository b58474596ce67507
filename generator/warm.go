package generator

import (
	"encoding/json"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	trustapi "github.com/cert-manager/trust-manager/pkg/apis/trust/v1alpha1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// encodedKinds are the typed objects Render emits, largest type graph first.
// (Patches are unstructured objects, which marshal themselves.) A test
// renders every example and fails if this list misses an emitted type or
// names one nothing emits.
var encodedKinds = []func() KubeObject{
	func() KubeObject { return &batchv1.CronJob{} },
	func() KubeObject { return &cmapi.Issuer{} },
	func() KubeObject { return &cmapi.ClusterIssuer{} },
	func() KubeObject { return &cmapi.Certificate{} },
	func() KubeObject { return &monitoringv1.PrometheusRule{} },
	func() KubeObject { return &ApplicationSet{} },
	func() KubeObject { return &trustapi.Bundle{} },
	func() KubeObject { return &rbacv1.ClusterRole{} },
	func() KubeObject { return &rbacv1.ClusterRoleBinding{} },
	func() KubeObject { return &rbacv1.Role{} },
	func() KubeObject { return &rbacv1.RoleBinding{} },
	func() KubeObject { return &corev1.ConfigMap{} },
	func() KubeObject { return &corev1.ServiceAccount{} },
	func() KubeObject { return &corev1.Namespace{} },
	func() KubeObject { return &admissionv1.ValidatingAdmissionPolicy{} },
	func() KubeObject { return &admissionv1.ValidatingAdmissionPolicyBinding{} },
}

// WarmEncoders makes encoding/json build its encoder for every kind Render
// emits, so that a caller can run it on the other core while the spec is
// read and checked (go generator.WarmEncoders()). A process renders once,
// and building those encoders is a large part of its first encodings: a
// CronJob's type graph (the whole PodSpec) alone takes about a millisecond,
// however few of its fields are set. encoding/json caches them per type and
// is safe for concurrent use, so the render only waits for one still being
// built; the output does not change.
func WarmEncoders() {
	for _, k := range encodedKinds {
		json.Marshal(k()) // the error is irrelevant here, and a zero object has none
	}
}
