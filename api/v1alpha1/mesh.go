package v1alpha1

// MeshSpec says which application namespaces and workloads run the Linkerd
// proxy, and how strictly their inbound traffic is checked. Rolling a
// namespace in goes in phases, each a spec edit: opt workloads in one at a
// time, then the whole namespace in audit, then enforce; setting it back
// rolls back.
type MeshSpec struct {
	// DefaultPolicy is the inbound policy of namespaces that name none. The
	// control plane's own default (proxy.defaultInboundPolicy, for every
	// namespace not listed here) stays permissive unless this is enforce:
	// auditing is done namespace by namespace.
	// +optional
	DefaultPolicy InboundPolicy `json:"defaultPolicy,omitempty"`
	// Enforce is what enforce admits: all-authenticated (meshed clients
	// only) or cluster-authenticated (meshed clients of this cluster's
	// networks only).
	// +optional
	Enforce EnforceMode `json:"enforce,omitempty"`
	// Namespaces are the application namespaces mtlsgen enrolls.
	// +optional
	Namespaces []MeshNamespace `json:"namespaces,omitempty"`
}

// InboundPolicy is how a meshed workload treats inbound connections.
// +kubebuilder:validation:Enum=off;audit;enforce
type InboundPolicy string

const (
	// PolicyOff admits every client (all-unauthenticated); traffic between
	// meshed pods is still mTLS.
	PolicyOff InboundPolicy = "off"
	// PolicyAudit admits every client and reports what enforce would deny
	// (Linkerd 2.16 and later).
	PolicyAudit InboundPolicy = "audit"
	// PolicyEnforce admits what the enforce mode allows and denies the rest.
	PolicyEnforce InboundPolicy = "enforce"
)

// EnforceMode is the Linkerd default policy enforce stands for.
// +kubebuilder:validation:Enum=all-authenticated;cluster-authenticated
type EnforceMode string

const (
	// EnforceAllAuthenticated admits meshed (mTLS) clients only.
	EnforceAllAuthenticated EnforceMode = "all-authenticated"
	// EnforceClusterAuthenticated admits meshed clients from the cluster's
	// networks only.
	EnforceClusterAuthenticated EnforceMode = "cluster-authenticated"
)

// InjectMode turns the proxy injection of a namespace on or off.
// +kubebuilder:validation:Enum=enabled;disabled
type InjectMode string

const (
	// InjectEnabled meshes every workload of the namespace (unless a
	// workload opts out).
	InjectEnabled InjectMode = "enabled"
	// InjectDisabled meshes only the workloads listed.
	InjectDisabled InjectMode = "disabled"
)

// MeshNamespace is one application namespace.
type MeshNamespace struct {
	// Name of the namespace.
	Name string `json:"name"`
	// Inject is enabled (every workload gets the proxy) or disabled (only
	// the workloads listed do).
	Inject InjectMode `json:"inject"`
	// Workloads are meshed one at a time while inject is disabled:
	// Deployment/NAME, StatefulSet/NAME or DaemonSet/NAME. mtlsgen renders
	// a patch for each, to apply where the workload is defined.
	// +optional
	Workloads []string `json:"workloads,omitempty"`
	// Policy of the namespace's meshed workloads; empty means the mesh's
	// defaultPolicy.
	// +optional
	Policy InboundPolicy `json:"policy,omitempty"`
	// Owned says mtlsgen creates the Namespace (true, the default). False
	// means another Application owns it: mtlsgen renders a kustomize patch
	// with the annotations instead, for that Application to apply.
	// +optional
	Owned *bool `json:"owned,omitempty"`
}

// Linkerd's names for the default inbound policies mtlsgen uses
// (policy-controller/k8s/index/src/defaults.rs).
const (
	LinkerdAllUnauthenticated = "all-unauthenticated"
	LinkerdAudit              = "audit"
)

// LinkerdPolicy is Linkerd's name for a policy: the value of
// config.linkerd.io/default-inbound-policy.
func (m *MeshSpec) LinkerdPolicy(p InboundPolicy) string {
	switch p {
	case PolicyAudit:
		return LinkerdAudit
	case PolicyEnforce:
		return string(m.Enforce)
	}
	return LinkerdAllUnauthenticated
}

// ClusterDefaultPolicy is proxy.defaultInboundPolicy: permissive while the
// mesh's default is off or audit (auditing is set per namespace, on the
// namespaces listed), the enforce mode once it is enforce.
func (m *MeshSpec) ClusterDefaultPolicy() string {
	if m.DefaultPolicy == PolicyEnforce {
		return string(m.Enforce)
	}
	return LinkerdAllUnauthenticated
}

// PolicyOf is the policy a listed namespace gets.
func (m *MeshSpec) PolicyOf(ns *MeshNamespace) InboundPolicy {
	if ns.Policy != "" {
		return ns.Policy
	}
	return m.DefaultPolicy
}

// Names lists the enrolled namespaces.
func (m *MeshSpec) Names() []string {
	var out []string
	for _, n := range m.Namespaces {
		out = append(out, n.Name)
	}
	return out
}
