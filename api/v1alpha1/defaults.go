package v1alpha1

// Every default a user can see lives in the profiles (profiles/*.yaml), as
// data, so that `mtlsgen init` and the docs can show it. What is left here is
// structural: defaults that depend on the rest of the spec.

// InClusterName and InClusterServer describe the cluster Argo CD runs in, the
// one a spec without a clusters list targets. They are Argo CD's own names
// for it, so generated Applications point at the right place.
const (
	InClusterName   = "in-cluster"
	InClusterServer = "https://kubernetes.default.svc"
)

// SetDefaults fills what the profile cannot: a spec that lists no clusters
// targets the in-cluster one. It is idempotent.
func SetDefaults(m *MeshTLS) {
	if len(m.Spec.Clusters) == 0 && m.Spec.ArgoCD.ClusterSelector == nil {
		m.Spec.Clusters = []Cluster{{Name: InClusterName, Server: InClusterServer}}
	}
	dp := &m.Spec.Restarter.DataPlane
	if len(dp.Namespaces) == 0 && dp.Selector == nil {
		// Restarting every meshed workload is what a trust-bundle change
		// needs; narrowing it is an explicit choice.
		dp.AllMeshed = true
	}
	if m.Spec.Monitoring.Namespace == "" {
		// Next to what the alerts watch; it exists, mtlsgen creates it.
		m.Spec.Monitoring.Namespace = m.Spec.Linkerd.Namespace
	}
}

// IsFleet reports whether the spec deploys more than one cluster, or links
// clusters with the multicluster extension. Such meshes need one trust anchor
// shared by every cluster.
func (s *MeshTLSSpec) IsFleet() bool {
	return len(s.Clusters) > 1 || s.ArgoCD.ClusterSelector != nil || s.Linkerd.Extensions.Multicluster.Enabled
}

// ActiveAnchor returns the active anchor of a validated spec.
func (s *TrustSpec) ActiveAnchor() *TrustAnchor {
	for i := range s.Anchors {
		if s.Anchors[i].Active {
			return &s.Anchors[i]
		}
	}
	return nil
}

// IsEnabled reports a *bool that defaults to true.
func IsEnabled(b *bool) bool { return b == nil || *b }

// ControlPlaneNamespaces are the Linkerd namespace and the namespaces of the
// enabled extensions, in that order: the restarter restarts them first,
// stamping their pod templates.
func (s *MeshTLSSpec) ControlPlaneNamespaces() []string {
	out := []string{s.Linkerd.Namespace}
	ext := s.Linkerd.Extensions
	for _, e := range []Extension{ext.Viz, ext.Multicluster.Extension, ext.Jaeger} {
		if e.Enabled {
			out = append(out, e.Namespace)
		}
	}
	return out
}
