package v1alpha1

// This file is the one place that knows which Linkerd releases mtlsgen
// supports and what each one ships. Sources: the linkerd2 repository's tags
// and Chart.yaml files, and bin/compute-edge-version, which stamps edge charts
// with YYYY.M.N (edge-25.4.4 publishes chart 2025.4.4).

import (
	"strconv"
	"strings"
)

// Helm repositories Linkerd publishes to.
const (
	// LinkerdStableRepo served the last open-source stable release, 2.14.
	LinkerdStableRepo = "https://helm.linkerd.io/stable"
	// LinkerdEdgeRepo serves every release since: "version-2.x" tags are
	// edge releases, published with edge chart versions.
	LinkerdEdgeRepo = "https://helm.linkerd.io/edge"
)

// Chart names, the same in every release.
const (
	ChartCRDs         = "linkerd-crds"
	ChartControlPlane = "linkerd-control-plane"
	ChartViz          = "linkerd-viz"
	ChartMulticluster = "linkerd-multicluster"
	ChartJaeger       = "linkerd-jaeger"
)

// LinkerdRelease is what mtlsgen knows about one Linkerd version.
type LinkerdRelease struct {
	// Version as written in a spec: "2.18".
	Version string
	// Tag in linkerd/linkerd2 the release points at.
	Tag string
	// HelmRepo that serves its charts.
	HelmRepo string
	// Charts are the chart versions of the release. Jaeger is empty where
	// the extension no longer exists.
	Charts ChartVersions
	// BundlesGatewayAPI is true where linkerd-crds installs the Gateway API
	// CRDs itself (installGatewayAPI defaults to true up to 2.18; from 2.19
	// they must be installed first, by someone else).
	BundlesGatewayAPI bool
	// GatewayAPIValues are the linkerd-crds values keys that turn its
	// Gateway API CRDs off: one per route kind up to 2.17, then one for all.
	GatewayAPIValues []string
	// GatewayAPIVersion is the Gateway API release to install first where
	// linkerd-crds does not: the newest the release supports, as its CLI
	// tells users (cli/cmd/install.go; v1.2.1 since linkerd2#15213, which
	// corrected 2.19's v1.4.0 as outside the supported range).
	GatewayAPIVersion string
	// Since216Keys is true where the charts have the values keys 2.14's
	// lack: createNamespaceMetadataJob (viz, multicluster, jaeger; there
	// since 2.15, which is not supported) and controller.podDisruptionBudget
	// (control plane).
	Since216Keys bool
}

// ExportsIssuerTTL reports whether the release's identity controller
// exports issuer_cert_ttl_seconds (added in edge-25.2.1, so from 2.18).
func (r LinkerdRelease) ExportsIssuerTTL() bool {
	_, minor, _ := strings.Cut(r.Version, ".")
	n, err := strconv.Atoi(minor)
	return err == nil && n >= 18
}

// HasJaeger reports whether the release still ships linkerd-jaeger (removed
// in edge-25.10.1, so absent from 2.19 on).
func (r LinkerdRelease) HasJaeger() bool { return r.Charts.Jaeger != "" }

// LinkerdReleases lists the supported releases, oldest first. 2.15 is left
// out: its tag predates edge chart versioning (its charts say 1.18.10-edge)
// and it was never published as a stable release.
var LinkerdReleases = []LinkerdRelease{
	{
		Version: "2.14", Tag: "stable-2.14.10", HelmRepo: LinkerdStableRepo,
		Charts:            ChartVersions{CRDs: "1.8.0", ControlPlane: "1.16.11", Viz: "30.12.11", Multicluster: "30.11.11", Jaeger: "30.12.11"},
		BundlesGatewayAPI: true, GatewayAPIValues: []string{"enableHttpRoutes"},
	},
	edgeRelease("2.16", "24.8.2", true, true, "enableHttpRoutes"),
	edgeRelease("2.17", "24.11.8", true, true, "enableHttpRoutes", "enableTcpRoutes", "enableTlsRoutes"),
	edgeRelease("2.18", "25.4.4", true, true, installGatewayAPI),
	edgeRelease("2.19", "25.10.7", false, false, installGatewayAPI),
	edgeRelease("2.20", "26.6.3", false, false, installGatewayAPI),
}

// installGatewayAPI is linkerd-crds' one switch for its Gateway API CRDs
// from 2.18 (edge-25.4.4) on.
const installGatewayAPI = "installGatewayAPI"

// gatewayAPIForEdge is the Gateway API release 2.19 and 2.20 support.
const gatewayAPIForEdge = "v1.2.1"

func edgeRelease(version, edge string, jaeger, gatewayAPI bool, gatewayAPIValues ...string) LinkerdRelease {
	chart := "20" + edge
	r := LinkerdRelease{
		Version: version, Tag: "edge-" + edge, HelmRepo: LinkerdEdgeRepo,
		Charts:            ChartVersions{CRDs: chart, ControlPlane: chart, Viz: chart, Multicluster: chart},
		BundlesGatewayAPI: gatewayAPI, GatewayAPIValues: gatewayAPIValues,
		Since216Keys: true,
	}
	if !gatewayAPI {
		r.GatewayAPIVersion = gatewayAPIForEdge
	}
	if jaeger {
		r.Charts.Jaeger = chart
	}
	return r
}

// LookupLinkerdRelease returns the release of a version, and whether it is
// supported.
func LookupLinkerdRelease(version string) (LinkerdRelease, bool) {
	for _, r := range LinkerdReleases {
		if r.Version == version {
			return r, true
		}
	}
	return LinkerdRelease{}, false
}

// SupportedLinkerdVersions lists the versions a spec may name.
func SupportedLinkerdVersions() []string {
	out := make([]string, len(LinkerdReleases))
	for i, r := range LinkerdReleases {
		out[i] = r.Version
	}
	return out
}

// Release returns the release the spec selects, with its chart versions
// overridden where the spec pins them. Call it on a validated spec.
func (s *LinkerdSpec) Release() LinkerdRelease {
	r, _ := LookupLinkerdRelease(s.Version)
	o := s.ChartVersions
	for _, p := range []struct {
		dst *string
		src string
	}{
		{&r.Charts.CRDs, o.CRDs}, {&r.Charts.ControlPlane, o.ControlPlane}, {&r.Charts.Viz, o.Viz},
		{&r.Charts.Multicluster, o.Multicluster}, {&r.Charts.Jaeger, o.Jaeger},
	} {
		if p.src != "" {
			*p.dst = p.src
		}
	}
	return r
}
