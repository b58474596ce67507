// Package plugin holds what the two adapters, the kustomize KRM function
// (plugin/krm) and the Argo CD Config Management Plugin (plugin/cmp), share:
// rendering the share of a spec that goes to one place, in memory, and
// refusing a selection that would put several clusters' objects in that one
// place, or nothing at all.
//
// Both adapters hand their output to a tool that applies it somewhere (a
// kustomize build, an Argo CD Application with prune), so neither may ever
// produce half an output or an empty one.
package plugin

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/output"
)

// ErrNothingRendered is returned when a selection renders no object. An
// empty stream is never a success: Argo CD with prune would delete the mesh.
var ErrNothingRendered = errors.New("the selection renders no object (an empty output would make Argo CD prune everything this Application deployed)")

// ErrClusterRequired is returned when a spec whose clusters come from
// argocd.clusterSelector is rendered without naming a cluster: the clusters
// are Argo CD's to know, so no cluster's objects are rendered.
var ErrClusterRequired = errors.New("the spec's clusters come from argocd.clusterSelector (Argo CD's cluster Secrets), so its per-cluster objects are rendered only for a named cluster: name the cluster to render")

// Components are what the plugins deliver: every component but patches.
var Components = []generator.Component{generator.ComponentMesh, generator.ComponentArgoCD}

// CheckComponent refuses a component the plugins do not deliver, naming
// those they do.
func CheckComponent(c generator.Component) error {
	switch {
	case c == "" || slices.Contains(Components, c):
		return nil
	case c == generator.ComponentPatches:
		return errPatches
	}
	names := make([]string, len(Components))
	for i, c := range Components {
		names[i] = string(c)
	}
	return fmt.Errorf("no component %s (components: %s)", v1alpha1.QuoteValue(string(c)), strings.Join(names, ", "))
}

var errPatches = errors.New("component patches holds kustomize patches for objects other Applications own: apply them there (mtlsgen render -o dir= writes them one file each), not through this plugin")

// SeveralClustersError is returned when a selection renders the objects of
// more than one cluster. Every cluster gets objects of the same names, so
// they cannot go to one place: kustomize refuses the duplicate IDs and an
// Argo CD Application would apply one cluster's objects over another's.
type SeveralClustersError struct {
	// Clusters are the clusters the selection spans, in name order.
	Clusters []string
}

func (e *SeveralClustersError) Error() string {
	return fmt.Sprintf("the spec has %d clusters (%s) whose objects share names: select one cluster", len(e.Clusters), strings.Join(e.Clusters, ", "))
}

// Render renders what opts selects from a validated spec into memory. It
// returns an error, and no object, for an unknown cluster or component, for
// a selection spanning several clusters, and for one that renders nothing.
func Render(m *v1alpha1.MeshTLS, opts generator.Options) ([]generator.Object, error) {
	if err := generator.CheckOptions(m, opts); err != nil {
		return nil, err
	}
	if opts.Component == generator.ComponentPatches {
		return nil, errPatches
	}
	all, err := generator.RenderAll(m, opts)
	if err != nil {
		return nil, err
	}
	// Patches are for the Applications that own the patched objects; the
	// adapters' output is applied as it is, and a partial object applied
	// here would claim it.
	objs := slices.DeleteFunc(all, func(o generator.Object) bool { return o.Component == generator.ComponentPatches })
	if clusters := clustersOf(objs); len(clusters) > 1 {
		return nil, &SeveralClustersError{Clusters: clusters}
	}
	if len(objs) == 0 {
		if m.Spec.ArgoCD.ClusterSelector != nil && opts.Cluster == "" {
			return nil, ErrClusterRequired
		}
		return nil, ErrNothingRendered
	}
	return objs, nil
}

// clustersOf lists the clusters objects go to, in name order.
func clustersOf(objs []generator.Object) []string {
	var names []string
	for _, o := range objs {
		if o.Cluster != "" && !slices.Contains(names, o.Cluster) {
			names = append(names, o.Cluster)
		}
	}
	slices.Sort(names)
	return names
}

// EncodeYAML serialises objects exactly as `mtlsgen render -o yaml` does,
// header comments included, so every entry point prints the same bytes for
// the same selection.
func EncodeYAML(objs []generator.Object) ([]byte, error) {
	var buf bytes.Buffer
	sink, err := output.Format{Kind: "yaml"}.Open(&buf)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if err := sink.Write(o); err != nil {
			return nil, err
		}
	}
	if err := sink.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Describe says what a selection is, for messages: "cluster east, component
// mesh", "component argocd", or "the whole spec".
func Describe(opts generator.Options) string {
	var parts []string
	if opts.Cluster != "" {
		parts = append(parts, "cluster "+opts.Cluster)
	}
	if opts.Component != "" {
		parts = append(parts, "component "+string(opts.Component))
	}
	if len(parts) == 0 {
		return "the whole spec"
	}
	return strings.Join(parts, ", ")
}
