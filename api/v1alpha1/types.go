package v1alpha1

import (
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	// GroupName is the API group of the spec.
	GroupName = "mtlsgen.dev"
	// Version is the API version of the spec.
	Version = "v1alpha1"
	// APIVersion is the value of apiVersion in a spec file.
	APIVersion = GroupName + "/" + Version
	// Kind is the value of kind in a spec file.
	Kind = "MeshTLS"
)

// MeshTLS is the whole input of mtlsgen: one Linkerd mesh, on one cluster or a
// fleet, with every certificate issued and rotated in-cluster by cert-manager
// and trust-manager, delivered by Argo CD.
type MeshTLS struct {
	metav1.TypeMeta `json:",inline"`
	// Metadata names the spec. The name is used in generated object names that
	// must be unique per spec (the Argo CD ApplicationSet, for example).
	Metadata ObjectMeta `json:"metadata"`
	// Spec describes the mesh.
	Spec MeshTLSSpec `json:"spec"`
}

// ObjectMeta is the part of Kubernetes object metadata a spec file may carry.
// Annotations and labels are accepted so that the same file can serve as a
// kustomize function config; mtlsgen does not copy them to its output.
type ObjectMeta struct {
	// Name of the spec: a DNS-1123 label.
	Name string `json:"name"`
	// Namespace is accepted and ignored (kustomize may set it on function
	// configs).
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Labels are accepted and ignored.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations are accepted; kustomize's function annotations live here.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Profile names a set of defaults shipped with mtlsgen.
// +kubebuilder:validation:Enum=dev;prod;ha
type Profile string

const (
	// ProfileDev is a single-replica control plane whose webhooks fail open.
	ProfileDev Profile = "dev"
	// ProfileProd is a single-cluster production control plane with
	// disruption budgets.
	ProfileProd Profile = "prod"
	// ProfileHA mirrors Linkerd's own values-ha.yaml.
	ProfileHA Profile = "ha"
)

// MeshTLSSpec describes the mesh, its certificates and how they are delivered.
type MeshTLSSpec struct {
	// Profile selects the defaults applied under this spec: dev, prod or ha.
	// A field set here always wins over the profile. `mtlsgen render
	// --profile` overrides it.
	// +optional
	Profile Profile `json:"profile,omitempty"`
	// Linkerd selects the Linkerd version, namespace, control-plane sizing and
	// extensions.
	// +optional
	Linkerd LinkerdSpec `json:"linkerd,omitzero"`
	// Trust lists the trust anchors every proxy trusts, exactly one of them
	// active.
	Trust TrustSpec `json:"trust"`
	// IdentityIssuer sets the lifetime of the per-cluster identity issuer
	// and of the proxy certificates it signs.
	// +optional
	IdentityIssuer IdentityIssuerSpec `json:"identityIssuer,omitzero"`
	// Webhooks sets the lifetime and key of the admission webhooks' serving
	// certificates.
	// +optional
	Webhooks WebhooksSpec `json:"webhooks,omitzero"`
	// Restarter configures the CronJob that restarts workloads holding stale
	// trust roots.
	// +optional
	Restarter RestarterSpec `json:"restarter,omitzero"`
	// Monitoring configures the alerts on the generated certificates and
	// the restarter.
	// +optional
	Monitoring MonitoringSpec `json:"monitoring,omitzero"`
	// Mesh enrolls application namespaces and workloads in the mesh and sets
	// their inbound policy.
	// +optional
	Mesh MeshSpec `json:"mesh,omitzero"`
	// ArgoCD configures the ApplicationSet that installs everything.
	// +optional
	ArgoCD ArgoCDSpec `json:"argocd,omitzero"`
	// Clusters lists the clusters of a fleet. When empty, the mesh runs in one
	// cluster: the one Argo CD runs in (named "in-cluster").
	// +optional
	Clusters []Cluster `json:"clusters,omitempty"`
	// KubeVersion is the Kubernetes version of the clusters, e.g. "1.33" or
	// "1.33.4". `mtlsgen render --hydrate` renders every Helm chart for it
	// (the chart's kubeVersion constraint and .Capabilities.KubeVersion), as
	// Argo CD renders a chart for the cluster it deploys to, and is
	// required there. Below 1.30, which first serves
	// ValidatingAdmissionPolicies, the two policies (the CA ClusterIssuers'
	// and the restarter's) are not rendered. With clusters of several
	// versions, give the oldest.
	// +optional
	KubeVersion string `json:"kubeVersion,omitempty"`
}

// LinkerdSpec selects the Linkerd release and how its control plane runs.
type LinkerdSpec struct {
	// Namespace of the control plane.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Version is the Linkerd release: one of the versions `mtlsgen version`
	// lists (2.14, 2.16 ... 2.20). It selects chart names, chart versions and
	// the Helm repository.
	// +optional
	Version string `json:"version,omitempty"`
	// ChartVersions overrides the chart versions the Linkerd version selects,
	// for a patch release mtlsgen does not know yet.
	// +optional
	ChartVersions ChartVersions `json:"chartVersions,omitzero"`
	// TrustDomain is the identity trust domain shared by every cluster of
	// the mesh.
	// +optional
	TrustDomain string `json:"trustDomain,omitempty"`
	// ControlPlane sizes the control plane.
	// +optional
	ControlPlane ControlPlaneSpec `json:"controlPlane,omitzero"`
	// Extensions enables viz, multicluster and jaeger.
	// +optional
	Extensions ExtensionsSpec `json:"extensions,omitzero"`
}

// ChartVersions pins Helm chart versions. An empty field keeps the version
// the Linkerd version selects.
type ChartVersions struct {
	// CRDs is the linkerd-crds chart version.
	// +optional
	CRDs string `json:"crds,omitempty"`
	// ControlPlane is the linkerd-control-plane chart version.
	// +optional
	ControlPlane string `json:"controlPlane,omitempty"`
	// Viz is the linkerd-viz chart version.
	// +optional
	Viz string `json:"viz,omitempty"`
	// Multicluster is the linkerd-multicluster chart version.
	// +optional
	Multicluster string `json:"multicluster,omitempty"`
	// Jaeger is the linkerd-jaeger chart version.
	// +optional
	Jaeger string `json:"jaeger,omitempty"`
}

// FailurePolicy is what the API server does when an admission webhook cannot
// be reached.
// +kubebuilder:validation:Enum=Ignore;Fail
type FailurePolicy string

const (
	// FailurePolicyIgnore admits the object anyway.
	FailurePolicyIgnore FailurePolicy = "Ignore"
	// FailurePolicyFail rejects the object.
	FailurePolicyFail FailurePolicy = "Fail"
)

// ControlPlaneSpec sizes the Linkerd control plane.
type ControlPlaneSpec struct {
	// Replicas of each control-plane Deployment (destination, identity,
	// proxy injector).
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`
	// PodAntiAffinity spreads replicas over nodes.
	// +optional
	PodAntiAffinity *bool `json:"podAntiAffinity,omitempty"`
	// PodDisruptionBudget adds disruption budgets to the control plane.
	// +optional
	PodDisruptionBudget *bool `json:"podDisruptionBudget,omitempty"`
	// WebhookFailurePolicy is the failure policy of Linkerd's admission
	// webhooks: Ignore or Fail.
	// +optional
	WebhookFailurePolicy FailurePolicy `json:"webhookFailurePolicy,omitempty"`
	// Resources of the control-plane containers and of every proxy.
	// +optional
	Resources ControlPlaneResources `json:"resources,omitzero"`
}

// ControlPlaneResources are resource requests and limits for the control
// plane. Empty means the chart's defaults.
type ControlPlaneResources struct {
	// Controller applies to destination, proxy injector, heartbeat and the
	// validators.
	// +optional
	Controller corev1.ResourceRequirements `json:"controller,omitzero"`
	// Identity applies to the identity controller.
	// +optional
	Identity corev1.ResourceRequirements `json:"identity,omitzero"`
	// Proxy applies to every injected linkerd-proxy container.
	// +optional
	Proxy corev1.ResourceRequirements `json:"proxy,omitzero"`
}

// ExtensionsSpec enables Linkerd extensions.
type ExtensionsSpec struct {
	// Viz is the metrics and tap extension.
	// +optional
	Viz Extension `json:"viz,omitzero"`
	// Multicluster links clusters through gateways. It needs a trust anchor
	// shared by every linked cluster, so self-signed anchors are refused.
	// +optional
	Multicluster MulticlusterExtension `json:"multicluster,omitzero"`
	// Jaeger is the tracing extension; Linkerd removed it after 2.18.
	// +optional
	Jaeger Extension `json:"jaeger,omitzero"`
}

// Extension is an optional Linkerd extension.
type Extension struct {
	// Enabled installs the extension.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// Namespace of the extension.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// MulticlusterExtension is linkerd-multicluster.
type MulticlusterExtension struct {
	Extension `json:",inline"`
	// Gateway configures the multicluster gateway.
	// +optional
	Gateway GatewaySpec `json:"gateway,omitzero"`
}

// GatewaySpec configures the linkerd-multicluster gateway.
type GatewaySpec struct {
	// Enabled runs a gateway (needed for gateway-based links; flat networks
	// that use pod-to-pod links do without).
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// ServiceType of the gateway Service: LoadBalancer, NodePort or
	// ClusterIP.
	// +optional
	ServiceType corev1.ServiceType `json:"serviceType,omitempty"`
}

// TrustSpec lists the trust anchors.
type TrustSpec struct {
	// Namespace is trust-manager's trust namespace: the only namespace whose
	// Secrets trust-manager reads, so every anchor lives here. It must also be
	// cert-manager's cluster resource namespace, where CA ClusterIssuers find
	// their Secrets (cert-manager's own namespace by default).
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// AnchorLifetime is the lifetime of self-signed anchors and of the
	// webhook CA. Renewal keeps the key, so a renewed anchor still verifies
	// everything issued under it.
	// +optional
	AnchorLifetime Lifetime `json:"anchorLifetime,omitzero"`
	// Anchors are the trust anchors. Every listed anchor is in the trust
	// bundle; exactly one is active and signs the identity issuers. Rotate by
	// adding an anchor, then making it active, then removing the old one.
	Anchors []TrustAnchor `json:"anchors"`
}

// TrustAnchor is one root of trust. Exactly one of selfSigned, secret and
// external is set.
type TrustAnchor struct {
	// Name of the anchor: a DNS-1123 label, unique in the list. Generated
	// object names derive from it.
	Name string `json:"name"`
	// Active marks the anchor that signs the identity issuers. Exactly one
	// anchor is active.
	// +optional
	Active bool `json:"active,omitempty"`
	// SelfSigned makes cert-manager create the anchor's key in the cluster.
	// Refused for fleets: each cluster would get its own root.
	// +optional
	SelfSigned *SelfSignedAnchor `json:"selfSigned,omitempty"`
	// Secret uses a CA keypair you provide as a kubernetes.io/tls Secret in
	// the trust namespace (for example through External Secrets).
	// +optional
	Secret *SecretAnchor `json:"secret,omitempty"`
	// External requests the identity issuer from an issuer outside mtlsgen
	// (Vault, AWS Private CA, Google CAS ...).
	// +optional
	External *ExternalAnchor `json:"external,omitempty"`
}

// SelfSignedAnchor has no settings; its lifetime is trust.anchorLifetime.
type SelfSignedAnchor struct{}

// SecretAnchor is a CA keypair provided by the user.
type SecretAnchor struct {
	// Name of the kubernetes.io/tls Secret in the trust namespace, holding
	// tls.crt and tls.key of the CA.
	Name string `json:"name"`
}

// ExternalAnchor is a CA that lives outside the cluster.
type ExternalAnchor struct {
	// IssuerRef names the cert-manager issuer that signs the identity
	// issuers. Name, kind and group are required.
	IssuerRef cmmeta.IssuerReference `json:"issuerRef"`
	// CA says where the anchor's public certificate is published in the
	// trust namespace, for the trust bundle.
	CA KeySource `json:"ca"`
}

// KeySource is one key of a ConfigMap or a Secret. Exactly one of configMap
// and secret is set.
type KeySource struct {
	// ConfigMap holding the PEM certificate.
	// +optional
	ConfigMap *KeyRef `json:"configMap,omitempty"`
	// Secret holding the PEM certificate.
	// +optional
	Secret *KeyRef `json:"secret,omitempty"`
}

// KeyRef is a key in a named object.
type KeyRef struct {
	// Name of the object.
	Name string `json:"name"`
	// Key in its data.
	Key string `json:"key"`
}

// Lifetime is how long a certificate lives and how long before expiry
// cert-manager renews it. Durations use Go syntax: 48h, 90m, 8760h.
type Lifetime struct {
	// Duration is the certificate's lifetime (at least 1h).
	// +optional
	Duration Duration `json:"duration,omitempty"`
	// RenewBefore is how long before expiry it is renewed (at least 5m and
	// shorter than duration).
	// +optional
	RenewBefore Duration `json:"renewBefore,omitempty"`
}

// IdentityIssuerSpec configures the identity issuer and the proxy
// certificates it signs.
type IdentityIssuerSpec struct {
	Lifetime `json:",inline"`
	// IssuanceLifetime is the lifetime of each proxy certificate. It plus
	// clockSkewAllowance must be shorter than renewBefore: Linkerd cuts a
	// proxy certificate off at its issuer's expiry, so every proxy
	// certificate then gets its whole lifetime.
	// +optional
	IssuanceLifetime Duration `json:"issuanceLifetime,omitempty"`
	// ClockSkewAllowance is how far back proxy certificates are backdated
	// (positive: Linkerd takes 0 for its default, 10s).
	// +optional
	ClockSkewAllowance Duration `json:"clockSkewAllowance,omitempty"`
}

// KeyAlgorithm is the private key algorithm of a certificate.
// +kubebuilder:validation:Enum=ECDSA;RSA
type KeyAlgorithm string

const (
	// KeyAlgorithmECDSA is ECDSA P-256.
	KeyAlgorithmECDSA KeyAlgorithm = "ECDSA"
	// KeyAlgorithmRSA is RSA 2048.
	KeyAlgorithmRSA KeyAlgorithm = "RSA"
)

// WebhooksSpec configures the serving certificates of the admission webhooks.
type WebhooksSpec struct {
	Lifetime `json:",inline"`
	// KeyAlgorithm of the serving certificates: ECDSA (P-256) or RSA (2048).
	// +optional
	KeyAlgorithm KeyAlgorithm `json:"keyAlgorithm,omitempty"`
}

// RestarterSpec configures the CronJob that restarts what holds stale trust
// roots after the trust bundle changes.
type RestarterSpec struct {
	// Enabled runs the restarter.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// Schedule is a five-field cron expression.
	// +optional
	Schedule string `json:"schedule,omitempty"`
	// MaxRestartsPerRun bounds how many workloads one run restarts.
	// +optional
	MaxRestartsPerRun *int32 `json:"maxRestartsPerRun,omitempty"`
	// DataPlane selects the application namespaces the restarter acts in.
	// +optional
	DataPlane DataPlaneSelection `json:"dataPlane,omitzero"`
	// ArgoRollouts restarts Argo Rollouts (argoproj.io/v1alpha1) whose pods
	// hold stale trust roots, through spec.restartAt, and grants the
	// restarter get and patch on rollouts. Off, such pods are reported and
	// left alone.
	// +optional
	ArgoRollouts bool `json:"argoRollouts,omitempty"`
	// Image of the restarter: the mtlsgen image.
	// +optional
	Image Image `json:"image,omitzero"`
}

// DataPlaneSelection chooses application namespaces. At most one of
// namespaces, selector and allMeshed is set; none means allMeshed.
type DataPlaneSelection struct {
	// Namespaces lists them by name; the restarter gets a Role in each.
	// +optional
	Namespaces []string `json:"namespaces,omitempty"`
	// Selector picks them by label; the restarter gets a ClusterRole.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	// AllMeshed acts in every namespace with meshed pods; the restarter gets
	// a ClusterRole.
	// +optional
	AllMeshed bool `json:"allMeshed,omitempty"`
}

// Image is a container image reference.
type Image struct {
	// Repository, for example ghcr.io/mtlsgen/mtlsgen.
	// +optional
	Repository string `json:"repository,omitempty"`
	// Tag; the mtlsgen version that rendered the spec by default.
	// +optional
	Tag string `json:"tag,omitempty"`
	// Digest pins the image (sha256:...); it wins over the tag.
	// +optional
	Digest string `json:"digest,omitempty"`
}

// SourceMode is how Argo CD gets the objects mtlsgen generates.
// +kubebuilder:validation:Enum=plugin;rendered
type SourceMode string

const (
	// SourcePlugin renders them in Argo CD with the mtlsgen plugin.
	SourcePlugin SourceMode = "plugin"
	// SourceRendered reads them from a directory `mtlsgen render -o dir=`
	// wrote and committed.
	SourceRendered SourceMode = "rendered"
)

// ArgoCDSpec configures delivery through Argo CD.
type ArgoCDSpec struct {
	// Enabled emits the ApplicationSet.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// Namespace Argo CD runs in.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Project of the generated Applications.
	// +optional
	Project string `json:"project,omitempty"`
	// RepoURL of the git repository holding this spec.
	// +optional
	RepoURL string `json:"repoURL,omitempty"`
	// Path of the directory holding this spec in that repository.
	// +optional
	Path string `json:"path,omitempty"`
	// TargetRevision of that repository.
	// +optional
	TargetRevision string `json:"targetRevision,omitempty"`
	// Source is plugin (Argo CD renders with the mtlsgen plugin) or rendered
	// (Argo CD reads a committed `mtlsgen render -o dir=` tree).
	// +optional
	Source SourceMode `json:"source,omitempty"`
	// ProgressiveSync orders the Applications in stages with a RollingSync
	// strategy (needs the ApplicationSet controller's progressive-syncs
	// flag).
	// +optional
	ProgressiveSync bool `json:"progressiveSync,omitempty"`
	// ClusterSelector picks the clusters from Argo CD's cluster Secrets
	// instead of the clusters list.
	// +optional
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`
	// TrackingMethod is the resource tracking method of the Argo CD that
	// syncs the Applications (application.resourceTrackingMethod in
	// argocd-cm): annotation (Argo CD 3's default), label or
	// annotation+label. With label alone every Application name must fit
	// in a label value (63 characters); annotation+label cuts the label.
	// +optional
	TrackingMethod TrackingMethod `json:"trackingMethod,omitempty"`
	// SpecFile is the name of this spec's file in that directory, which the
	// mtlsgen plugin renders.
	// +optional
	SpecFile string `json:"specFile,omitempty"`
	// CertManager installs cert-manager, into the trust namespace (so that
	// its cluster resource namespace is the trust namespace).
	// +optional
	CertManager Addon `json:"certManager,omitzero"`
	// TrustManager installs trust-manager, with the trust namespace as its
	// trust namespace.
	// +optional
	TrustManager Addon `json:"trustManager,omitzero"`
	// GatewayAPI installs the Gateway API CRDs, which Linkerd 2.19 and later
	// need installed first (up to 2.18, linkerd-crds brings them). The version
	// defaults to the one the Linkerd version supports. With install: false
	// (the clusters manage Gateway API already) linkerd-crds is told not to
	// install them either, on every Linkerd version.
	// +optional
	GatewayAPI Addon `json:"gatewayAPI,omitzero"`
}

// TrackingMethod is how Argo CD marks the resources an Application manages.
// +kubebuilder:validation:Enum=annotation;label;annotation+label
type TrackingMethod string

// The tracking methods of Argo CD's application.resourceTrackingMethod.
const (
	TrackingAnnotation         TrackingMethod = "annotation"
	TrackingLabel              TrackingMethod = "label"
	TrackingAnnotationAndLabel TrackingMethod = "annotation+label"
)

// TrackingMethods lists them.
var TrackingMethods = []TrackingMethod{TrackingAnnotation, TrackingLabel, TrackingAnnotationAndLabel}

// Addon is a prerequisite mtlsgen can install.
type Addon struct {
	// Install it; false for clusters that already run it.
	// +optional
	Install *bool `json:"install,omitempty"`
	// Version to install: for certManager and trustManager, the Helm chart
	// version (e.g. v1.21.2); for gatewayAPI, the release tag of its git
	// repository, whose config/crd/standard is applied (e.g. v1.2.1).
	// +optional
	Version string `json:"version,omitempty"`
}

// Cluster is one member of a fleet.
type Cluster struct {
	// Name of the cluster as Argo CD knows it: a DNS-1123 label.
	Name string `json:"name"`
	// Server is the API server URL Argo CD deploys to.
	Server string `json:"server"`
}
