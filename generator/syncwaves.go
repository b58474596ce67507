package generator

import (
	"strconv"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
)

// Argo CD annotations on the objects of the mesh Application.
const (
	AnnotationSyncWave    = "argocd.argoproj.io/sync-wave"
	AnnotationSyncOptions = "argocd.argoproj.io/sync-options"
	// skipDryRun lets Argo CD apply a custom resource whose CRD another
	// Application installs (cert-manager, trust-manager). The
	// Application-level option is ignored before Argo CD 3.1 (argo-cd#15095);
	// the per-resource annotation works on every version, and skips the dry
	// run for these resources alone.
	skipDryRun = "SkipDryRunOnMissingResource=true"
)

// Sync waves inside the mesh Application, in dependency order. Argo CD waits
// for each wave to be healthy (it has health checks for cert-manager's kinds)
// before the next.
const (
	waveNamespaces   = 0 // everything else lives in them
	waveBootstrap    = 1 // the self-signing Issuer
	waveAnchors      = 2 // anchor and webhook CA Certificates
	waveCAIssuers    = 3 // ClusterIssuers on the anchors' Secrets
	waveCertificates = 4 // identity issuer and webhook serving certificates
	waveBundle       = 5 // trust roots, once the anchors exist
	waveRestarter    = 6 // acts on the bundle
)

// syncWave returns an object's wave, and whether its kind is a custom
// resource Argo CD may not know yet.
func syncWave(o Object, trustNamespace string) (int, bool) {
	switch x := o.Object.(type) {
	case *cmapi.Issuer:
		return waveBootstrap, true
	case *cmapi.ClusterIssuer:
		return waveCAIssuers, true
	case *cmapi.Certificate:
		if x.Spec.IsCA && x.Namespace == trustNamespace {
			return waveAnchors, true
		}
		return waveCertificates, true
	}
	switch kindOf(o.Object) {
	case "Namespace":
		return waveNamespaces, false
	case "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding":
		// Before the CA ClusterIssuers it guards exist.
		return waveBootstrap, false
	case "Bundle":
		return waveBundle, true
	case "PrometheusRule", "Rollout":
		return waveRestarter, true
	}
	return waveRestarter, false
}

// annotateForArgoCD puts sync waves and, on custom resources, the
// SkipDryRunOnMissingResource option on the mesh objects of one cluster.
func annotateForArgoCD(c *clusterContext, objs []Object) {
	for _, o := range objs {
		if o.Component != ComponentMesh {
			continue
		}
		wave, custom := syncWave(o, c.spec.Trust.Namespace)
		ann := o.Object.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[AnnotationSyncWave] = strconv.Itoa(wave)
		if custom {
			ann[AnnotationSyncOptions] = skipDryRun
		}
		o.Object.SetAnnotations(ann)
	}
}
