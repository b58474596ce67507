package generator

import (
	trustapi "github.com/cert-manager/trust-manager/pkg/apis/trust/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// trustBundle is the trust-manager Bundle that publishes every listed anchor
// as the ConfigMap Linkerd reads its trust roots from. It is cluster-scoped,
// and trust-manager requires the ConfigMap to have its name.
func trustBundle(c *clusterContext) []Object {
	var sources []trustapi.BundleSource
	for i := range c.spec.Trust.Anchors {
		a := &c.spec.Trust.Anchors[i]
		if e := a.External; e != nil {
			// Only the public certificate of an external CA is here.
			if e.CA.ConfigMap != nil {
				sources = append(sources, trustapi.BundleSource{ConfigMap: &trustapi.SourceObjectKeySelector{Name: e.CA.ConfigMap.Name, Key: e.CA.ConfigMap.Key}})
			} else {
				sources = append(sources, trustapi.BundleSource{Secret: &trustapi.SourceObjectKeySelector{Name: e.CA.Secret.Name, Key: e.CA.Secret.Key}})
			}
			continue
		}
		// tls.crt of the anchor's own Secret is the anchor itself. Not
		// ca.crt: for a CA-issued secret that is its issuer, and the whole
		// point is to publish each anchor, never a leaf.
		sources = append(sources, trustapi.BundleSource{Secret: &trustapi.SourceObjectKeySelector{Name: AnchorSecretName(a), Key: "tls.crt"}})
	}
	b := &trustapi.Bundle{
		TypeMeta:   metav1.TypeMeta{APIVersion: trustapi.SchemeGroupVersion.String(), Kind: trustapi.BundleKind},
		ObjectMeta: objectMeta(TrustRootsName, ""),
		Spec: trustapi.BundleSpec{
			Sources: sources,
			Target: trustapi.BundleTarget{
				ConfigMap: &trustapi.TargetTemplate{Key: TrustRootsKey},
				// Only namespaces labelled as Linkerd's control plane get
				// the ConfigMap; the generated Linkerd namespace carries
				// the label.
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelIsControlPlane: "true"}},
			},
		},
	}
	return []Object{mesh(b)}
}
