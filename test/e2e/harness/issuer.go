package harness

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"sync"
	"time"

	apiutil "github.com/cert-manager/cert-manager/pkg/api/util"
	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	"github.com/cert-manager/cert-manager/pkg/util/pki"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/mtlsgen/mtlsgen/internal/pkitest"
)

// cert-manager's resources.
var (
	certificatesGVR        = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}
	certificateRequestsGVR = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificaterequests"}
)

// Issuer is the external issuers' controller: cert-manager itself (see
// CertManager) issues for selfSigned and ca issuers, and hands a
// Certificate whose issuerRef names another kind (Vault, AWS PCA, ...) to
// that issuer's controller as an approved CertificateRequest. Here that
// controller signs with a CA the test registered for the issuerRef, as such
// an issuer would: the CSR's template (pki.CertificateTemplateFromCertificateRequest,
// what cert-manager's own CA issuer uses), the chain in status.certificate,
// the CA in status.ca, and the Ready condition.
type Issuer struct {
	client *Client

	mu       sync.Mutex
	external map[string]*pkitest.Secret
	lastErr  error

	trigger chan struct{}
}

// StartIssuer starts the external issuers' controller until ctx ends.
func StartIssuer(ctx context.Context, cfg *rest.Config) (*Issuer, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "mtlsgen-e2e-external-issuer"
	c, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	i := &Issuer{client: c, external: map[string]*pkitest.Secret{}, trigger: make(chan struct{}, 1)}
	go i.watch(ctx, certificateRequestsGVR)
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

// Err is the error of the last round of signing, if any.
func (i *Issuer) Err() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.lastErr
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
		err := i.sign(ctx)
		i.mu.Lock()
		i.lastErr = err
		i.mu.Unlock()
	}
}

// sign signs every approved, unsigned CertificateRequest for a registered
// external issuer.
func (i *Issuer) sign(ctx context.Context) error {
	crs, err := listAs[cmapi.CertificateRequest](ctx, i.client, certificateRequestsGVR)
	if err != nil {
		return err
	}
	var errs []string
	for _, cr := range crs {
		ref := cr.Spec.IssuerRef
		i.mu.Lock()
		ca := i.external[pkitest.ExternalKey(ref.Kind, ref.Group, ref.Name)]
		i.mu.Unlock()
		if ca == nil || !apiutil.CertificateRequestIsApproved(cr) || apiutil.CertificateRequestIsDenied(cr) ||
			apiutil.CertificateRequestHasCondition(cr, cmapi.CertificateRequestCondition{Type: cmapi.CertificateRequestConditionReady, Status: cmmeta.ConditionTrue}) {
			continue
		}
		if err := i.signOne(ctx, cr, ca); err != nil {
			errs = append(errs, fmt.Sprintf("CertificateRequest %s/%s: %v", cr.Namespace, cr.Name, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("external issuer: %s", strings.Join(errs, "; "))
	}
	return nil
}

func (i *Issuer) signOne(ctx context.Context, cr *cmapi.CertificateRequest, ca *pkitest.Secret) error {
	tmpl, err := pki.CertificateTemplateFromCertificateRequest(cr)
	if err != nil {
		return err
	}
	bundle, err := pki.SignCSRTemplate([]*x509.Certificate{ca.Cert}, ca.Key, tmpl)
	if err != nil {
		return err
	}
	cr.Status.Certificate = bundle.ChainPEM
	cr.Status.CA = bundle.CAPEM
	apiutil.SetCertificateRequestCondition(cr, cmapi.CertificateRequestConditionReady, cmmeta.ConditionTrue, cmapi.CertificateRequestReasonIssued, "Certificate fetched from issuer successfully")
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(cr)
	if err != nil {
		return err
	}
	_, err = i.client.Dynamic.Resource(certificateRequestsGVR).Namespace(cr.Namespace).UpdateStatus(ctx, &unstructured.Unstructured{Object: obj}, metav1.UpdateOptions{})
	return err
}

// Settled reports whether cert-manager has caught up with what is applied:
// every Certificate is Ready for its current generation and no
// CertificateRequest waits for an issuer. Tests wait for it before asserting
// that something was not re-issued.
func (c *Cluster) Settled(ctx context.Context) error {
	i := c.Issuer
	crts, err := listAs[cmapi.Certificate](ctx, i.client, certificatesGVR)
	if err != nil {
		return err
	}
	for _, crt := range crts {
		c := apiutil.GetCertificateCondition(crt, cmapi.CertificateConditionReady)
		if c == nil || c.Status != cmmeta.ConditionTrue || c.ObservedGeneration != crt.Generation {
			return fmt.Errorf("Certificate %s/%s is not Ready for generation %d", crt.Namespace, crt.Name, crt.Generation)
		}
		if crt.Status.NextPrivateKeySecretName != nil {
			return fmt.Errorf("Certificate %s/%s is being issued", crt.Namespace, crt.Name)
		}
	}
	crs, err := listAs[cmapi.CertificateRequest](ctx, i.client, certificateRequestsGVR)
	if err != nil {
		return err
	}
	for _, cr := range crs {
		if !apiutil.CertificateRequestHasCondition(cr, cmapi.CertificateRequestCondition{Type: cmapi.CertificateRequestConditionReady, Status: cmmeta.ConditionTrue}) &&
			!apiutil.CertificateRequestIsDenied(cr) && !apiutil.CertificateRequestHasCondition(cr, cmapi.CertificateRequestCondition{Type: cmapi.CertificateRequestConditionReady, Status: cmmeta.ConditionFalse, Reason: cmapi.CertificateRequestReasonFailed}) {
			return fmt.Errorf("CertificateRequest %s/%s is pending", cr.Namespace, cr.Name)
		}
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
