package check

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// checkBundles: MTLS030-034.
func checkBundles(c *cluster) []Finding {
	out := checkControlPlaneNamespaces(c)
	for _, b := range c.bundles {
		if b.ns != "" {
			out = append(out, at(RuleClusterScopedNamespace, b.doc, "metadata.namespace",
				fmt.Sprintf("Bundle is cluster-scoped: namespace %q is dropped by the API server and makes tools that key objects by namespace see a different object", b.ns),
				"remove metadata.namespace"))
		}
	}
	for _, i := range c.issuers {
		if i.cluster && i.ns != "" {
			out = append(out, at(RuleClusterScopedNamespace, i.doc, "metadata.namespace",
				fmt.Sprintf("ClusterIssuer is cluster-scoped: namespace %q is dropped, and its CA Secret is looked up in cert-manager's cluster resource namespace, not there", i.ns),
				"remove metadata.namespace; keep the CA Secret in cert-manager's namespace"))
		}
	}

	bundles := c.linkerdBundles()
	if len(bundles) == 0 && len(c.identityIssuers()) > 0 && len(c.bundles) > 0 {
		b := c.bundles[0]
		out = append(out, at(RuleBundleName, b.doc, "metadata.name",
			fmt.Sprintf("no Bundle publishes %s: Bundle %s writes ConfigMap %s, which Linkerd does not read, so the control plane has no trust roots", trustRootsName, b.name, b.name),
			"name the Bundle "+trustRootsName+" with target.configMap.key "+trustRootsKey))
	}
	for _, b := range bundles {
		if b.name != trustRootsName {
			out = append(out, at(RuleBundleName, b.doc, "metadata.name",
				fmt.Sprintf("trust-manager names the ConfigMap after the Bundle, so this writes ConfigMap %s; Linkerd mounts %s", b.name, trustRootsName),
				"metadata.name: "+trustRootsName))
		}
		if b.targetKey != trustRootsKey {
			out = append(out, at(RuleBundleName, b.doc, "spec.target.configMap.key",
				fmt.Sprintf("the ConfigMap key is %q; Linkerd reads %s", b.targetKey, trustRootsKey),
				"target.configMap.key: "+trustRootsKey))
		}
		if ls, ok := c.namespaces[c.linkerdNS]; ok && b.selector != nil {
			sel, err := metav1.LabelSelectorAsSelector(b.selector)
			if err != nil || !sel.Matches(labels.Set(ls)) {
				out = append(out, at(RuleBundleSelector, b.doc, "spec.target.namespaceSelector",
					fmt.Sprintf("the namespaceSelector does not match Namespace %s (labels %v): the trust roots never reach the control plane", c.linkerdNS, ls),
					"select linkerd.io/is-control-plane: \"true\" and label the Linkerd namespace with it"))
			}
		}
		for _, s := range b.sources {
			if s.kind != "secret" {
				continue
			}
			crt := c.certBySecret("", s.name)
			switch {
			case crt == nil:
			case !crt.isCA:
				out = append(out, at(RuleBundleLeaf, b.doc, s.path,
					fmt.Sprintf("publishes Secret %s of %s, a leaf certificate, as a trust anchor", s.name, crt.doc.Ref()),
					"publish the anchors' Secrets only"))
			case crt.secret == identityIssuerName || crt.ns == c.linkerdNS && crt.isCA:
				out = append(out, at(RuleBundleLeaf, b.doc, s.path,
					fmt.Sprintf("publishes the identity issuer's Secret %s (%s), an intermediate renewed every %s, as a trust anchor: proxies trust it only until it renews", s.name, crt.doc.Ref(), crt.duration-crt.renewBefore),
					"publish the anchor that signs the issuer instead"))
			}
		}
	}
	return out
}

// checkControlPlaneNamespaces: MTLS034. Linkerd does not support two
// control planes in one cluster (linkerd2#2954), so a second namespace
// with the label is mislabelled.
func checkControlPlaneNamespaces(c *cluster) []Finding {
	cps := c.controlPlaneNamespaces()
	if len(cps) < 2 {
		return nil
	}
	var out []Finding
	for _, d := range c.docs {
		if d.APIVersion() != "v1" || d.Kind() != "Namespace" || !slices.Contains(cps[1:], d.Name()) {
			continue
		}
		out = append(out, at(RuleControlPlaneNamespaces, d, "metadata.labels",
			fmt.Sprintf("Namespaces %s are all labelled %s, but a cluster has one Linkerd control plane: Bundles that select by the label copy the trust roots into %s too, and check takes %s, the first by name, for the control plane's",
				strings.Join(cps, ", "), controlPlaneLabel, d.Name(), cps[0]),
			fmt.Sprintf("remove the %s label from every Namespace but the control plane's", controlPlaneLabel)))
	}
	return out
}
