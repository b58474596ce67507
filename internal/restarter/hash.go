package restarter

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"time"
)

// Names and keys the restarter reads and writes.
const (
	// TrustRootsConfigMap is the ConfigMap trust-manager writes in the
	// Linkerd namespace and Linkerd mounts.
	TrustRootsConfigMap = "linkerd-identity-trust-roots"
	// TrustRootsKey is its key holding the PEM bundle.
	TrustRootsKey = "ca-bundle.crt"
	// StatusConfigMap is where the restarter records what it saw and did,
	// in the Linkerd namespace.
	StatusConfigMap = "mtlsgen-trust-status"
	// LabelTrustRootsStale is set on the status ConfigMap after every run:
	// "true" while any workload still holds stale trust roots, "false" when
	// none does. kube-state-metrics exports it (kube_configmap_labels) for
	// the stale-trust-roots alert; a boolean, not a count, so the series
	// changes only when the state does and the alert's for: measures how
	// long it has been stale.
	LabelTrustRootsStale = "mtlsgen.dev/trust-roots-stale"
	// AnnotationTrustRootsHash is the pod-template annotation (object
	// annotation for an Argo Rollout) the restarter stamps with the hash of
	// the bundle it restarted the workload for.
	AnnotationTrustRootsHash = "mtlsgen.dev/trust-roots-sha256"
	// AnnotationRestartedAt is stamped with the restart time next to the
	// hash, so that restarting again for the same hash still changes the
	// template (as kubectl rollout restart's restartedAt does).
	AnnotationRestartedAt = "mtlsgen.dev/restarted-at"
	// AnnotationRestartedForInjection is stamped next to them when a
	// restart is for injection (spec.mesh) rather than for trust roots:
	// the injection the pods should get and the pod template it restarted
	// (InjectionStamp). A workload whose pods still do not match at the
	// next run, once that restart rolled out on the same template, is not
	// restarted again: the injector declined, and another restart would
	// not change its mind.
	AnnotationRestartedForInjection = "mtlsgen.dev/restarted-for-injection"
	// AnnotationProxyTrustRoot is the annotation Linkerd's proxy injector
	// puts on every pod it injects: the hex SHA-256 of the bundle it baked
	// into the proxy's environment.
	AnnotationProxyTrustRoot = "linkerd.io/trust-root-sha256"
	// LabelControlPlaneNS is the label the proxy injector puts on every pod
	// it injects, valued with the Linkerd namespace; the restarter lists
	// meshed pods with it.
	LabelControlPlaneNS = "linkerd.io/control-plane-ns"
)

// StampAnnotations are the annotations a restart writes, and all it
// changes on a pod template (the admission policy the generator renders
// for the restarter allows no other change).
var StampAnnotations = []string{AnnotationTrustRootsHash, AnnotationRestartedAt, AnnotationRestartedForInjection}

// TrustRootsHash is the hex SHA-256 of the bundle text, computed exactly as
// Linkerd's proxy injector computes linkerd.io/trust-root-sha256: the
// injector reads the mounted ca-bundle.crt file
// (controller/proxy-injector/webhook.go: os.ReadFile(MountPathTrustRootsPEM)
// into IdentityTrustAnchorsPEM) and annotates the pod with
// hex.EncodeToString(sha256.Sum256([]byte(IdentityTrustAnchorsPEM)))
// (pkg/inject/inject.go, injectObjectMeta, linkerd/linkerd2 at edge-26.8.3).
// The mounted file holds the ConfigMap value byte for byte, so the text is
// hashed as it is: not trimmed, not re-encoded.
func TrustRootsHash(bundle string) string {
	sum := sha256.Sum256([]byte(bundle))
	return hex.EncodeToString(sum[:])
}

// Anchor describes one certificate of the trust bundle, without its key.
type Anchor struct {
	// Subject is the certificate's subject distinguished name.
	Subject string `json:"subject"`
	// KeySHA256 is the hex SHA-256 of the DER SubjectPublicKeyInfo: it stays
	// the same across renewals that keep the key, and changes with the key.
	KeySHA256 string `json:"keySHA256"`
	// NotAfter is when the certificate expires.
	NotAfter time.Time `json:"notAfter"`
	// Certificate is the parsed certificate, to check signatures against;
	// nil in a status read back.
	Certificate *x509.Certificate `json:"-"`
}

// ParseAnchors lists the certificates of a PEM bundle in order. Blocks other
// than CERTIFICATE are skipped; a certificate that does not parse is an
// error.
func ParseAnchors(bundle string) ([]Anchor, error) {
	var out []Anchor
	rest := []byte(bundle)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d of the trust bundle: %w", len(out)+1, err)
		}
		sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
		out = append(out, Anchor{Subject: c.Subject.String(), KeySHA256: hex.EncodeToString(sum[:]), NotAfter: c.NotAfter.UTC(), Certificate: c})
	}
	return out, nil
}
