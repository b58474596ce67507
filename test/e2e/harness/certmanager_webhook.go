package harness

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// CertManagerWebhook is the name cert-manager's chart gives its admission
// webhook; a refusal by it names it.
const CertManagerWebhook = "webhook.cert-manager.io"

// UseCertManagerWebhook registers cert-manager's webhooks, served at
// baseURL (its /validate and /mutate paths) with the CA caPEM, as
// cert-manager's Helm chart registers them, and waits until the API server
// calls the validating one. Validating (webhook-validating-webhook.yaml):
// every cert-manager.io and acme.cert-manager.io v1 resource and
// subresource, on create and update. Mutating
// (webhook-mutating-webhook.yaml): CertificateRequests on create, where it
// records who asked (spec.username, groups, extra), which the validating
// one then requires. Both fail closed.
func (c *Cluster) UseCertManagerWebhook(ctx context.Context, baseURL string, caPEM []byte) error {
	url := baseURL + "/validate"
	mutateURL := baseURL + "/mutate"
	cfg := &admissionv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "cert-manager-webhook"},
		Webhooks: []admissionv1.ValidatingWebhook{{
			Name: CertManagerWebhook,
			Rules: []admissionv1.RuleWithOperations{{
				Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
				Rule: admissionv1.Rule{
					APIGroups:   []string{"cert-manager.io", "acme.cert-manager.io"},
					APIVersions: []string{"v1"},
					Resources:   []string{"*/*"},
				},
			}},
			AdmissionReviewVersions: []string{"v1"},
			MatchPolicy:             ptr(admissionv1.Equivalent),
			TimeoutSeconds:          ptr(int32(30)),
			FailurePolicy:           ptr(admissionv1.Fail),
			SideEffects:             ptr(admissionv1.SideEffectClassNone),
			ClientConfig:            admissionv1.WebhookClientConfig{URL: &url, CABundle: caPEM},
		}},
	}
	mutating := &admissionv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "cert-manager-webhook"},
		Webhooks: []admissionv1.MutatingWebhook{{
			Name: CertManagerWebhook,
			Rules: []admissionv1.RuleWithOperations{{
				Operations: []admissionv1.OperationType{admissionv1.Create},
				Rule: admissionv1.Rule{
					APIGroups:   []string{"cert-manager.io"},
					APIVersions: []string{"v1"},
					Resources:   []string{"certificaterequests"},
				},
			}},
			AdmissionReviewVersions: []string{"v1"},
			MatchPolicy:             ptr(admissionv1.Equivalent),
			TimeoutSeconds:          ptr(int32(30)),
			FailurePolicy:           ptr(admissionv1.Fail),
			SideEffects:             ptr(admissionv1.SideEffectClassNone),
			ClientConfig:            admissionv1.WebhookClientConfig{URL: &mutateURL, CABundle: caPEM},
		}},
	}
	if _, err := c.Admin.Kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, mutating, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("registering cert-manager's mutating webhook: %w", err)
	}
	if _, err := c.Admin.Kube.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("registering cert-manager's webhook: %w", err)
	}
	// The API server picks the registration up asynchronously: wait until a
	// Certificate only the webhook refuses (it renews before it is issued)
	// is refused by it.
	probe := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cert-manager.io/v1",
		"kind":       "Certificate",
		"metadata":   map[string]any{"name": "webhook-probe", "namespace": metav1.NamespaceDefault},
		"spec": map[string]any{
			"secretName":  "webhook-probe",
			"commonName":  "webhook-probe",
			"duration":    "1h",
			"renewBefore": "2h",
			"issuerRef":   map[string]any{"name": "webhook-probe"},
		},
	}}
	res, err := c.Admin.ResourceFor(probe)
	if err != nil {
		return err
	}
	err = Eventually(ctx, 30*time.Second, func() error {
		_, err := res.Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		switch {
		case err == nil:
			return errors.New("a Certificate that renews before it is issued was admitted")
		case !strings.Contains(err.Error(), CertManagerWebhook):
			return fmt.Errorf("the probe was refused, but not by cert-manager's webhook: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cert-manager's webhook at %s never took effect: %w", url, err)
	}
	return nil
}
