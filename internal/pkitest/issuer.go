// Package pkitest issues the certificates of a set of cert-manager objects
// the way cert-manager's controller does, with cert-manager's own
// pkg/util/pki: a key per Certificate, a CSR, a CertificateRequest, a template
// built from it, and a signature by the self-signed or CA issuer. It also
// plays trust-manager (building the bundle from its sources) and Linkerd's
// identity controller (signing a workload certificate with the issuer).
//
// It is for tests only: it makes private keys, which mtlsgen itself never
// does.
package pkitest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"github.com/cert-manager/cert-manager/pkg/util/pki"
	trustapi "github.com/cert-manager/trust-manager/pkg/apis/trust/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Secret is what cert-manager writes for a Certificate.
type Secret struct {
	TLSCrt []byte // the certificate (and chain)
	TLSKey []byte
	CACrt  []byte // the issuing CA
	Key    crypto.Signer
	Cert   *x509.Certificate
}

// Cluster is the state of one simulated cluster: Issuers, ClusterIssuers and
// the Secrets and ConfigMaps cert-manager and the user have written.
type Cluster struct {
	// TrustNamespace is cert-manager's cluster resource namespace, where
	// ClusterIssuers find their Secrets.
	TrustNamespace string
	Issuers        map[string]*cmapi.Issuer        // namespace/name
	ClusterIssuers map[string]*cmapi.ClusterIssuer // name
	Secrets        map[string]*Secret              // namespace/name
	ConfigMaps     map[string]map[string]string    // namespace/name -> data
	// External issuers (Vault, AWS PCA, ...) by kind/group/name, each a CA.
	External map[string]*Secret
}

// NewCluster returns an empty cluster.
func NewCluster(trustNamespace string) *Cluster {
	return &Cluster{
		TrustNamespace: trustNamespace,
		Issuers:        map[string]*cmapi.Issuer{},
		ClusterIssuers: map[string]*cmapi.ClusterIssuer{},
		Secrets:        map[string]*Secret{},
		ConfigMaps:     map[string]map[string]string{},
		External:       map[string]*Secret{},
	}
}

// ExternalKey is how an external issuer is registered in Cluster.External.
func ExternalKey(kind, group, name string) string { return kind + "." + group + "/" + name }

// Issue issues every Certificate whose issuer is ready, repeating until no
// more can be, so that order does not matter (an anchor before the issuer
// it backs, and so on). A Certificate whose Secret exists is renewed only if
// renew is true. It returns the Certificates it could not issue.
func (c *Cluster) Issue(certs []*cmapi.Certificate, renew bool) ([]*cmapi.Certificate, error) {
	pending := append([]*cmapi.Certificate(nil), certs...)
	for {
		var next []*cmapi.Certificate
		progress := false
		for _, crt := range pending {
			key := crt.Namespace + "/" + crt.Spec.SecretName
			if _, done := c.Secrets[key]; done && !renew {
				progress = true
				continue
			}
			ok, err := c.issueOne(crt)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", crt.Namespace, crt.Name, err)
			}
			if ok {
				progress = true
			} else {
				next = append(next, crt)
			}
		}
		if len(next) == 0 || !progress {
			return next, nil
		}
		pending = next
	}
}

// signerFor returns the CA that signs for an issuer reference, or nil if the
// issuer is a self-signed one, and whether the issuer is ready at all.
func (c *Cluster) signerFor(crt *cmapi.Certificate) (ca *Secret, selfSigned, ready bool) {
	ref := crt.Spec.IssuerRef
	var spec *cmapi.IssuerSpec
	secretNS := crt.Namespace
	switch {
	case ref.Group != "" && ref.Group != "cert-manager.io":
		s, ok := c.External[ExternalKey(ref.Kind, ref.Group, ref.Name)]
		return s, false, ok
	case ref.Kind == cmapi.ClusterIssuerKind:
		if x, ok := c.ClusterIssuers[ref.Name]; ok {
			spec = &x.Spec
		}
		secretNS = c.TrustNamespace
	default:
		if x, ok := c.Issuers[crt.Namespace+"/"+ref.Name]; ok {
			spec = &x.Spec
		}
	}
	if spec == nil {
		s, ok := c.External[ExternalKey(ref.Kind, ref.Group, ref.Name)]
		return s, false, ok
	}
	if spec.SelfSigned != nil {
		return nil, true, true
	}
	if spec.CA != nil {
		s, ok := c.Secrets[secretNS+"/"+spec.CA.SecretName]
		return s, false, ok
	}
	return nil, false, false
}

func (c *Cluster) issueOne(crt *cmapi.Certificate) (bool, error) {
	ca, selfSigned, ready := c.signerFor(crt)
	if !ready {
		return false, nil
	}
	// The key: reused on renewal under rotationPolicy Never, new otherwise
	// (Always is cert-manager's default since 1.18).
	secretKey := crt.Namespace + "/" + crt.Spec.SecretName
	var key crypto.Signer
	if old, ok := c.Secrets[secretKey]; ok && crt.Spec.PrivateKey != nil && crt.Spec.PrivateKey.RotationPolicy == cmapi.RotationPolicyNever {
		key = old.Key
	} else {
		var err error
		if key, err = pki.GeneratePrivateKeyForCertificate(crt); err != nil {
			return false, err
		}
	}
	csr, err := pki.GenerateCSR(crt)
	if err != nil {
		return false, err
	}
	der, err := pki.EncodeCSR(csr, key)
	if err != nil {
		return false, err
	}
	cr := &cmapi.CertificateRequest{Spec: cmapi.CertificateRequestSpec{
		Request:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
		IsCA:      crt.Spec.IsCA,
		Usages:    crt.Spec.Usages,
		Duration:  crt.Spec.Duration,
		IssuerRef: crt.Spec.IssuerRef,
	}}
	tmpl, err := pki.CertificateTemplateFromCertificateRequest(cr)
	if err != nil {
		return false, err
	}
	s := &Secret{Key: key}
	if selfSigned {
		certPEM, cert, err := pki.SignCertificate(tmpl, tmpl, key.Public(), key)
		if err != nil {
			return false, err
		}
		s.TLSCrt, s.CACrt, s.Cert = certPEM, certPEM, cert
	} else {
		bundle, err := pki.SignCSRTemplate([]*x509.Certificate{ca.Cert}, ca.Key, tmpl)
		if err != nil {
			return false, err
		}
		s.TLSCrt, s.CACrt = bundle.ChainPEM, bundle.CAPEM
		if s.Cert, err = pki.DecodeX509CertificateBytes(bundle.ChainPEM); err != nil {
			return false, err
		}
	}
	encoding := cmapi.PKCS1
	if crt.Spec.PrivateKey != nil && crt.Spec.PrivateKey.Encoding != "" {
		encoding = crt.Spec.PrivateKey.Encoding
	}
	if s.TLSKey, err = pki.EncodePrivateKey(key, encoding); err != nil {
		return false, err
	}
	c.Secrets[secretKey] = s
	return true, nil
}

// NewCA makes a self-signed CA keypair, as a user would for a
// bring-your-own anchor or as an external PKI holds one.
func NewCA(commonName string, lifetime time.Duration) (*Secret, error) {
	crt := &cmapi.Certificate{Spec: cmapi.CertificateSpec{
		CommonName: commonName, IsCA: true,
		Duration:   &metav1.Duration{Duration: lifetime},
		PrivateKey: &cmapi.CertificatePrivateKey{Algorithm: cmapi.ECDSAKeyAlgorithm, Size: 256},
		Usages:     []cmapi.KeyUsage{cmapi.UsageCertSign, cmapi.UsageCRLSign},
	}}
	tmp := NewCluster("")
	tmp.Issuers["/self"] = &cmapi.Issuer{Spec: cmapi.IssuerSpec{IssuerConfig: cmapi.IssuerConfig{SelfSigned: &cmapi.SelfSignedIssuer{}}}}
	crt.Spec.IssuerRef.Name, crt.Spec.SecretName = "self", "ca"
	if _, err := tmp.issueOne(crt); err != nil {
		return nil, err
	}
	return tmp.Secrets["/ca"], nil
}

// BundlePEM is what trust-manager writes for a Bundle: the PEM of every
// source, read from the trust namespace.
func (c *Cluster) BundlePEM(b *trustapi.Bundle) ([]byte, error) {
	var out bytes.Buffer
	for i, s := range b.Spec.Sources {
		switch {
		case s.Secret != nil:
			sec, ok := c.Secrets[c.TrustNamespace+"/"+s.Secret.Name]
			if !ok {
				return nil, fmt.Errorf("source %d: no Secret %s/%s", i, c.TrustNamespace, s.Secret.Name)
			}
			data := map[string][]byte{"tls.crt": sec.TLSCrt, "ca.crt": sec.CACrt}[s.Secret.Key]
			if data == nil {
				return nil, fmt.Errorf("source %d: Secret %s has no key %s", i, s.Secret.Name, s.Secret.Key)
			}
			out.Write(data)
		case s.ConfigMap != nil:
			cm, ok := c.ConfigMaps[c.TrustNamespace+"/"+s.ConfigMap.Name]
			if !ok {
				return nil, fmt.Errorf("source %d: no ConfigMap %s/%s", i, c.TrustNamespace, s.ConfigMap.Name)
			}
			out.WriteString(cm[s.ConfigMap.Key])
		default:
			return nil, fmt.Errorf("source %d: unsupported", i)
		}
	}
	return out.Bytes(), nil
}

// Pool parses a PEM bundle into a certificate pool.
func Pool(bundle []byte) (*x509.CertPool, error) {
	certs, err := pki.DecodeX509CertificateSetBytes(bundle)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// Workload is a proxy's certificate as Linkerd's identity controller issues
// it: a leaf for the service account's identity, signed by the issuer,
// capped at the issuer's expiry, presented with the issuer as intermediate.
type Workload struct {
	Cert          *x509.Certificate
	Intermediates *x509.CertPool
	Name          string
}

// IssueWorkload signs a proxy certificate for identity name with the
// identity issuer in issuer.
func IssueWorkload(issuer *Secret, name string, lifetime time.Duration) (*Workload, error) {
	key, err := pki.GenerateECPrivateKey(256)
	if err != nil {
		return nil, err
	}
	notAfter := time.Now().Add(lifetime)
	if notAfter.After(issuer.Cert.NotAfter) {
		notAfter = issuer.Cert.NotAfter
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-20 * time.Second),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer.Cert, key.Public(), issuer.Key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	inter := x509.NewCertPool()
	inter.AddCert(issuer.Cert)
	return &Workload{Cert: cert, Intermediates: inter, Name: name}, nil
}

// VerifyWorkload checks a proxy certificate the way a peer proxy does: it
// chains, through the issuer, to one of the roots.
func VerifyWorkload(w *Workload, roots *x509.CertPool) error {
	_, err := w.Cert.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: w.Intermediates, DNSName: w.Name,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// PublicKeysEqual reports whether two public keys are the same key.
func PublicKeysEqual(a, b crypto.PublicKey) (bool, error) { return pki.PublicKeysEqual(a, b) }
