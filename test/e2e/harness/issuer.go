package harness

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	cmutil "github.com/cert-manager/cert-manager/pkg/util"
	"github.com/cert-manager/cert-manager/pkg/util/pki"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	applycorev1 "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/rest"

	"github.com/mtlsgen/mtlsgen/internal/pkitest"
)

// cert-manager's resources.
var (
	certificatesGVR   = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}
	issuersGVR        = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "issuers"}
	clusterIssuersGVR = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "clusterissuers"}
)

// Field managers cert-manager's controllers use, so the managed fields of
// what the test issuer writes look like cert-manager's.
const (
	issuingFieldManager   = "cert-manager-certificates-issuing"
	readinessFieldManager = "cert-manager-certificates-readiness"
)

// Issuer stands in for cert-manager's controller, which cannot be had here
// as a binary: it watches Certificates, Issuers, ClusterIssuers and Secrets
// and, for each Certificate whose issuer is ready, issues it with
// internal/pkitest (cert-manager's own pkg/util/pki: key, CSR,
// CertificateRequest template, self-signed or CA signature) and writes its
// Secret as cert-manager's issuing controller does: type kubernetes.io/tls,
// tls.crt, tls.key, ca.crt, the certificate-detail and issuer annotations,
// the secretTemplate labels and annotations, and the
// controller.cert-manager.io/fao label, applied server-side. It re-issues a
// Certificate whose Secret no longer matches it (another issuer, names,
// isCA, key algorithm), which is how making another anchor active re-signs
// the identity issuer. It also sets the Certificate's Ready condition.
//
// Supported issuers are those mtlsgen uses: selfSigned and ca, plus
// "external" ones (Vault, AWS PCA, ...) registered in External, each a CA
// the test made.
type Issuer struct {
	client         *Client
	trustNamespace string

	// reconciling serialises Reconcile between the loop and tests.
	reconciling sync.Mutex

	mu       sync.Mutex
	external map[string]*pkitest.Secret
	lastErr  error
	issued   int

	trigger chan struct{}
}

// StartIssuer starts the issuer until ctx ends. trustNamespace is
// cert-manager's cluster resource namespace, where ClusterIssuers find their
// Secrets.
func StartIssuer(ctx context.Context, cfg *rest.Config, trustNamespace string) (*Issuer, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "mtlsgen-e2e-test-issuer"
	c, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	i := &Issuer{client: c, trustNamespace: trustNamespace, external: map[string]*pkitest.Secret{}, trigger: make(chan struct{}, 1)}
	for _, gvr := range []schema.GroupVersionResource{certificatesGVR, issuersGVR, clusterIssuersGVR, {Version: "v1", Resource: "secrets"}} {
		go i.watch(ctx, gvr)
	}
	go i.loop(ctx)
	return i, nil
}

// RegisterExternal makes an external issuer (kind, group, name of an
// issuerRef) sign with ca.
func (i *Issuer) RegisterExternal(kind, group, name string, ca *pkitest.Secret) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.external[pkitest.ExternalKey(kind, group, name)] = ca
	i.poke()
}

// Err is the error of the last reconciliation, if any.
func (i *Issuer) Err() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.lastErr
}

// Issued counts the certificates issued so far.
func (i *Issuer) Issued() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.issued
}

func (i *Issuer) poke() {
	select {
	case i.trigger <- struct{}{}:
	default:
	}
}

// watch pokes the loop on every change of a resource, re-watching when the
// watch ends.
func (i *Issuer) watch(ctx context.Context, gvr schema.GroupVersionResource) {
	for ctx.Err() == nil {
		w, err := i.client.Dynamic.Resource(gvr).Watch(ctx, metav1.ListOptions{})
		if err != nil {
			// The CRDs may not be installed yet.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		for range w.ResultChan() {
			i.poke()
		}
		w.Stop()
	}
}

func (i *Issuer) loop(ctx context.Context) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-i.trigger:
		case <-tick.C:
		}
		err := i.Reconcile(ctx)
		i.mu.Lock()
		i.lastErr = err
		i.mu.Unlock()
	}
}

// Reconcile issues whatever needs issuing now. Tests call it to be sure
// the issuer has seen the current state (for example, before asserting that
// something was not re-issued).
func (i *Issuer) Reconcile(ctx context.Context) error {
	i.reconciling.Lock()
	defer i.reconciling.Unlock()
	certs, err := listAs[cmapi.Certificate](ctx, i.client, certificatesGVR)
	if err != nil {
		return err
	}
	if len(certs) == 0 {
		return nil
	}
	issuers, err := listAs[cmapi.Issuer](ctx, i.client, issuersGVR)
	if err != nil {
		return err
	}
	clusterIssuers, err := listAs[cmapi.ClusterIssuer](ctx, i.client, clusterIssuersGVR)
	if err != nil {
		return err
	}
	secrets, err := i.client.Kube.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}

	i.mu.Lock()
	c := pkitest.NewCluster(i.trustNamespace)
	maps.Copy(c.External, i.external)
	i.mu.Unlock()
	for _, x := range issuers {
		c.Issuers[x.Namespace+"/"+x.Name] = x
	}
	for _, x := range clusterIssuers {
		c.ClusterIssuers[x.Name] = x
	}
	live := map[string]*corev1.Secret{}
	for k := range secrets.Items {
		s := &secrets.Items[k]
		key := s.Namespace + "/" + s.Name
		live[key] = s
		if ps, err := parseSecret(s); err == nil {
			c.Secrets[key] = ps
		}
	}
	before := maps.Clone(c.Secrets)

	sort.Slice(certs, func(a, b int) bool {
		return certs[a].Namespace+"/"+certs[a].Name < certs[b].Namespace+"/"+certs[b].Name
	})
	var fresh, stale []*cmapi.Certificate
	for _, crt := range certs {
		key := crt.Namespace + "/" + crt.Spec.SecretName
		switch s, ok := c.Secrets[key]; {
		case !ok:
			fresh = append(fresh, crt)
		case needsReissue(crt, live[key], s) != "":
			stale = append(stale, crt)
		}
	}
	if len(fresh)+len(stale) == 0 {
		return nil
	}
	pending, err := c.Issue(fresh, false)
	if err != nil {
		return err
	}
	for _, crt := range stale {
		p, err := c.Issue([]*cmapi.Certificate{crt}, true)
		if err != nil {
			return err
		}
		pending = append(pending, p...)
	}

	var errs []string
	for _, crt := range append(fresh, stale...) {
		key := crt.Namespace + "/" + crt.Spec.SecretName
		s := c.Secrets[key]
		if s == nil || s == before[key] {
			continue // its issuer is not ready yet
		}
		if err := i.writeSecret(ctx, crt, s); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if err := i.writeStatus(ctx, crt, s); err != nil {
			errs = append(errs, err.Error())
		}
		i.mu.Lock()
		i.issued++
		i.mu.Unlock()
	}
	if len(errs) > 0 {
		return fmt.Errorf("test issuer: %s", strings.Join(errs, "; "))
	}
	if len(pending) > 0 {
		// Written Secrets may make more issuers ready: go round again.
		i.poke()
	}
	return nil
}

// needsReissue says why cert-manager would re-issue crt, whose Secret is
// live (parsed as s), or "" if it would not. These are the triggers of its
// issuing policy chain that mtlsgen's output can change.
func needsReissue(crt *cmapi.Certificate, live *corev1.Secret, s *pkitest.Secret) string {
	ref := crt.Spec.IssuerRef
	kind := ref.Kind
	if kind == "" {
		kind = cmapi.IssuerKind
	}
	a := live.Annotations
	if a[cmapi.IssuerNameAnnotationKey] != ref.Name || a[cmapi.IssuerKindAnnotationKey] != kind || a[cmapi.IssuerGroupAnnotationKey] != ref.Group {
		return "IncorrectIssuer"
	}
	if s.Cert.Subject.CommonName != crt.Spec.CommonName || !sameSet(s.Cert.DNSNames, crt.Spec.DNSNames) {
		return "SecretMismatch"
	}
	if s.Cert.IsCA != crt.Spec.IsCA {
		return "SecretMismatch"
	}
	if pk := crt.Spec.PrivateKey; pk != nil && pk.Algorithm != "" && keyAlgorithm(s.Cert) != pk.Algorithm {
		return "SecretMismatch"
	}
	return ""
}

func keyAlgorithm(c *x509.Certificate) cmapi.PrivateKeyAlgorithm {
	switch c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return cmapi.ECDSAKeyAlgorithm
	case *rsa.PublicKey:
		return cmapi.RSAKeyAlgorithm
	case ed25519.PublicKey:
		return cmapi.Ed25519KeyAlgorithm
	}
	return ""
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// parseSecret reads a keypair Secret (cert-manager's, or a user's CA).
func parseSecret(s *corev1.Secret) (*pkitest.Secret, error) {
	crt, key := s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey]
	if len(crt) == 0 || len(key) == 0 {
		return nil, fmt.Errorf("no keypair")
	}
	cert, err := pki.DecodeX509CertificateBytes(crt)
	if err != nil {
		return nil, err
	}
	signer, err := pki.DecodePrivateKeyBytes(key)
	if err != nil {
		return nil, err
	}
	return &pkitest.Secret{TLSCrt: crt, TLSKey: key, CACrt: s.Data[cmmeta.TLSCAKey], Key: signer, Cert: cert}, nil
}

// writeSecret applies the Secret as cert-manager's SecretsManager.UpdateData
// does (pkg/controller/certificates/issuing/internal/secret.go).
func (i *Issuer) writeSecret(ctx context.Context, crt *cmapi.Certificate, s *pkitest.Secret) error {
	labels := map[string]string{}
	annotations := map[string]string{}
	if t := crt.Spec.SecretTemplate; t != nil {
		maps.Copy(labels, t.Labels)
		maps.Copy(annotations, t.Annotations)
	}
	details, err := annotationsForCertificate(s.Cert)
	if err != nil {
		return err
	}
	maps.Copy(annotations, details)
	kind := crt.Spec.IssuerRef.Kind
	if kind == "" {
		kind = cmapi.IssuerKind
	}
	annotations[cmapi.CertificateNameKey] = crt.Name
	annotations[cmapi.IssuerNameAnnotationKey] = crt.Spec.IssuerRef.Name
	annotations[cmapi.IssuerKindAnnotationKey] = kind
	annotations[cmapi.IssuerGroupAnnotationKey] = crt.Spec.IssuerRef.Group
	labels[cmapi.PartOfCertManagerControllerLabelKey] = "true"

	data := map[string][]byte{corev1.TLSCertKey: s.TLSCrt, corev1.TLSPrivateKeyKey: s.TLSKey}
	if len(s.CACrt) > 0 {
		data[cmmeta.TLSCAKey] = s.CACrt
	}
	cnf := applycorev1.Secret(crt.Spec.SecretName, crt.Namespace).
		WithAnnotations(annotations).WithLabels(labels).
		WithData(data).WithType(corev1.SecretTypeTLS)
	_, err = i.client.Kube.CoreV1().Secrets(crt.Namespace).Apply(ctx, cnf, metav1.ApplyOptions{FieldManager: issuingFieldManager, Force: true})
	if err != nil {
		return fmt.Errorf("writing Secret %s/%s: %w", crt.Namespace, crt.Spec.SecretName, err)
	}
	return nil
}

// annotationsForCertificate is cert-manager's
// internal/controller/certificates.AnnotationsForCertificate, which Go does
// not let us import.
func annotationsForCertificate(c *x509.Certificate) (map[string]string, error) {
	out := map[string]string{}
	var encErr error
	csv := func(keepEmpty bool, key string, values []string) {
		if len(values) == 0 && !keepEmpty {
			return
		}
		s, err := cmutil.JoinWithEscapeCSV(values)
		if err != nil {
			encErr = err
			return
		}
		out[key] = s
	}
	out[cmapi.CommonNameAnnotationKey] = c.Subject.CommonName
	if c.Subject.SerialNumber != "" {
		out[cmapi.SubjectSerialNumberAnnotationKey] = c.Subject.SerialNumber
	}
	csv(false, cmapi.SubjectOrganizationsAnnotationKey, c.Subject.Organization)
	csv(false, cmapi.SubjectOrganizationalUnitsAnnotationKey, c.Subject.OrganizationalUnit)
	csv(false, cmapi.SubjectCountriesAnnotationKey, c.Subject.Country)
	csv(false, cmapi.SubjectProvincesAnnotationKey, c.Subject.Province)
	csv(false, cmapi.SubjectLocalitiesAnnotationKey, c.Subject.Locality)
	csv(false, cmapi.SubjectPostalCodesAnnotationKey, c.Subject.PostalCode)
	csv(false, cmapi.SubjectStreetAddressesAnnotationKey, c.Subject.StreetAddress)
	csv(false, cmapi.EmailsAnnotationKey, c.EmailAddresses)
	csv(true, cmapi.AltNamesAnnotationKey, c.DNSNames)
	csv(true, cmapi.IPSANAnnotationKey, pki.IPAddressesToString(c.IPAddresses))
	csv(true, cmapi.URISANAnnotationKey, pki.URLsToString(c.URIs))
	return out, encErr
}

// writeStatus sets the Certificate's status as cert-manager's readiness
// controller would once the Secret is up to date.
func (i *Issuer) writeStatus(ctx context.Context, crt *cmapi.Certificate, s *pkitest.Secret) error {
	revision := 1
	if crt.Status.Revision != nil {
		revision = *crt.Status.Revision + 1
	}
	now := metav1.Now()
	renew := s.Cert.NotAfter
	if crt.Spec.RenewBefore != nil {
		renew = renew.Add(-crt.Spec.RenewBefore.Duration)
	}
	status := map[string]any{
		"apiVersion": cmapi.SchemeGroupVersion.String(), "kind": cmapi.CertificateKind,
		"metadata": map[string]any{"name": crt.Name, "namespace": crt.Namespace},
		"status": map[string]any{
			"conditions": []any{map[string]any{
				"type": string(cmapi.CertificateConditionReady), "status": string(cmmeta.ConditionTrue),
				"reason": "Ready", "message": "Certificate is up to date and has not expired",
				"lastTransitionTime": now.UTC().Format(time.RFC3339), "observedGeneration": crt.Generation,
			}},
			"notBefore":   s.Cert.NotBefore.UTC().Format(time.RFC3339),
			"notAfter":    s.Cert.NotAfter.UTC().Format(time.RFC3339),
			"renewalTime": renew.UTC().Format(time.RFC3339),
			"revision":    revision,
		},
	}
	b, err := json.Marshal(status)
	if err != nil {
		return err
	}
	_, err = i.client.Dynamic.Resource(certificatesGVR).Namespace(crt.Namespace).Patch(ctx, crt.Name, types.ApplyPatchType, b,
		metav1.PatchOptions{FieldManager: readinessFieldManager, Force: ptr(true)}, "status")
	if err != nil {
		return fmt.Errorf("writing status of Certificate %s/%s: %w", crt.Namespace, crt.Name, err)
	}
	return nil
}

// listAs lists a resource in all namespaces as typed objects.
func listAs[T any](ctx context.Context, c *Client, gvr schema.GroupVersionResource) ([]*T, error) {
	l, err := c.Dynamic.Resource(gvr).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(l.Items))
	for _, u := range l.Items {
		x := new(T)
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, x); err != nil {
			return nil, fmt.Errorf("decoding %s %s/%s: %w", gvr.Resource, u.GetNamespace(), u.GetName(), err)
		}
		out = append(out, x)
	}
	return out, nil
}
