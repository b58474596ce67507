package generator

import (
	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// certificateSpec is what differs between the Certificates mtlsgen makes.
type certificateSpec struct {
	name, namespace string
	// secretName defaults to name.
	secretName string
	commonName string
	dnsNames   []string
	isCA       bool
	usages     []cmapi.KeyUsage
	lifetime   v1alpha1.Lifetime
	issuer     cmmeta.IssuerReference
	key        cmapi.CertificatePrivateKey
	// secretLabels go on the Secret cert-manager writes.
	secretLabels map[string]string
	annotations  map[string]string
}

func newCertificate(s certificateSpec) *cmapi.Certificate {
	secret := s.secretName
	if secret == "" {
		secret = s.name
	}
	labels := map[string]string{LabelManagedBy: ManagedByValue}
	for k, v := range s.secretLabels {
		labels[k] = v
	}
	key := s.key
	crt := &cmapi.Certificate{
		TypeMeta:   metav1.TypeMeta{APIVersion: cmapi.SchemeGroupVersion.String(), Kind: cmapi.CertificateKind},
		ObjectMeta: objectMeta(s.name, s.namespace),
		Spec: cmapi.CertificateSpec{
			SecretName:     secret,
			SecretTemplate: &cmapi.CertificateSecretTemplate{Labels: labels},
			CommonName:     s.commonName,
			DNSNames:       s.dnsNames,
			IsCA:           s.isCA,
			Usages:         s.usages,
			Duration:       &metav1.Duration{Duration: s.lifetime.Duration.MustParse()},
			RenewBefore:    &metav1.Duration{Duration: s.lifetime.RenewBefore.MustParse()},
			IssuerRef:      s.issuer,
			PrivateKey:     &key,
		},
	}
	crt.Annotations = s.annotations
	return crt
}

// ecdsaP256 is a P-256 key. Linkerd's check refuses any other curve for the
// identity issuer and its anchors.
func ecdsaP256(rotation cmapi.PrivateKeyRotationPolicy) cmapi.CertificatePrivateKey {
	return cmapi.CertificatePrivateKey{Algorithm: cmapi.ECDSAKeyAlgorithm, Size: 256, RotationPolicy: rotation}
}

func issuerRef(name, kind string) cmmeta.IssuerReference {
	return cmmeta.IssuerReference{Name: name, Kind: kind, Group: "cert-manager.io"}
}

// clusterCAIssuer is a ClusterIssuer that signs with the CA keypair in a
// Secret. It finds the Secret in cert-manager's cluster resource namespace,
// which is why that must be the trust namespace.
func clusterCAIssuer(name, secret string) *cmapi.ClusterIssuer {
	return &cmapi.ClusterIssuer{
		TypeMeta:   metav1.TypeMeta{APIVersion: cmapi.SchemeGroupVersion.String(), Kind: cmapi.ClusterIssuerKind},
		ObjectMeta: objectMeta(name, ""),
		Spec:       cmapi.IssuerSpec{IssuerConfig: cmapi.IssuerConfig{CA: &cmapi.CAIssuer{SecretName: secret}}},
	}
}

func mesh(o KubeObject) Object { return Object{Component: ComponentMesh, Object: o} }
