package restarter_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/mtlsgen/mtlsgen/internal/restarter"
	_ "github.com/mtlsgen/mtlsgen/internal/testutil"
)

// Two bundles: the one before a rotation started and the one with the new
// anchor added. Their text is arbitrary: the restarter only hashes it.
const (
	oldBundle = "-----BEGIN CERTIFICATE-----\nold\n-----END CERTIFICATE-----\n"
	newBundle = oldBundle + "-----BEGIN CERTIFICATE-----\nnew\n-----END CERTIFICATE-----\n"
)

var (
	oldHash = restarter.TrustRootsHash(oldBundle)
	newHash = restarter.TrustRootsHash(newBundle)
)

func config() *restarter.Config {
	return &restarter.Config{
		LinkerdNamespace:    "linkerd",
		ExtensionNamespaces: []string{"linkerd-viz"},
		DataPlane:           restarter.DataPlane{AllMeshed: true},
		MaxRestarts:         20,
	}
}

func controller(apiVersion, kind, name string) []metav1.OwnerReference {
	return []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, Controller: ptr.To(true)}}
}

// pod is a running meshed pod carrying hash, owned by the given owner
// references (none: a bare pod). An empty hash makes an unmeshed pod.
func pod(ns, name, hash string, owners []metav1.OwnerReference) corev1.Pod {
	p := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, OwnerReferences: owners,
			Labels: map[string]string{restarter.LabelControlPlaneNS: "linkerd"}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if hash != "" {
		p.Annotations = map[string]string{restarter.AnnotationProxyTrustRoot: hash}
	} else {
		p.Labels = nil
	}
	return p
}

func rs(ns, name string, owners []metav1.OwnerReference) appsv1.ReplicaSet {
	return appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, OwnerReferences: owners}}
}

// deployment is a rolled-out Deployment whose template carries stamp (empty:
// never stamped).
func deployment(ns, name, stamp string) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 2},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(int32(2))},
		Status:     appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2, ReadyReplicas: 2},
	}
	if stamp != "" {
		d.Spec.Template.Annotations = map[string]string{restarter.AnnotationTrustRootsHash: stamp}
	}
	return d
}

// rolling makes a Deployment look mid-rollout.
func rolling(d *appsv1.Deployment) *appsv1.Deployment {
	d.Generation++
	return d
}

func statefulSet(ns, name, stamp string) *appsv1.StatefulSet {
	s := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1},
		Spec: appsv1.StatefulSetSpec{Replicas: ptr.To(int32(3)),
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType}},
		Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, Replicas: 3, ReadyReplicas: 3, UpdatedReplicas: 3,
			CurrentRevision: "r1", UpdateRevision: "r1"},
	}
	if stamp != "" {
		s.Spec.Template.Annotations = map[string]string{restarter.AnnotationTrustRootsHash: stamp}
	}
	return s
}

func daemonSet(ns, name, stamp string) *appsv1.DaemonSet {
	d := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1},
		Spec:       appsv1.DaemonSetSpec{UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType}},
		Status:     appsv1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: 4, UpdatedNumberScheduled: 4, NumberAvailable: 4},
	}
	if stamp != "" {
		d.Spec.Template.Annotations = map[string]string{restarter.AnnotationTrustRootsHash: stamp}
	}
	return d
}

// selfSigned makes a self-signed CA certificate for key, as PEM.
func selfSigned(t testing.TB, key *ecdsa.PrivateKey, cn string, serial int64, notAfter time.Time) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: notAfter.Add(-24 * time.Hour), NotAfter: notAfter,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
