package generator

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// Label keys every generated object carries.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedByValue = "mtlsgen"
)

// Options select what Render produces.
type Options struct {
	// Version is the mtlsgen version rendering the spec; images default to
	// it. It is an input, not read from the binary, so that tests and golden
	// files do not change with every release.
	Version string
	// Cluster, when set, renders only that cluster's objects (and none of
	// the fleet's).
	Cluster string
	// Component, when set, renders only that component.
	Component Component
}

// clusterContext is what every per-cluster builder reads.
type clusterContext struct {
	spec    *v1alpha1.MeshTLSSpec
	name    string
	cluster v1alpha1.Cluster
	release v1alpha1.LinkerdRelease
	opts    Options
	fleet   *fleetShared
}

// clusterBuilders make the objects of one cluster, one concern each.
var clusterBuilders = []func(*clusterContext) []Object{
	namespaces,
	enrollment,
	trustAnchors,
	caIssuerPolicy,
	identityIssuer,
	webhookCertificates,
	trustBundle,
	restarterObjects,
	prometheusRules,
}

// fleetBuilders make the objects applied once for the whole fleet.
var fleetBuilders = []func(*v1alpha1.MeshTLS, Options) []Object{
	applicationSet,
}

// Render generates the objects of a validated spec, hands each to emit in
// output order, and stops at emit's first error. Clusters come in name order;
// the fleet's objects come last.
func Render(m *v1alpha1.MeshTLS, opts Options, emit func(Object) error) error {
	if err := CheckOptions(m, opts); err != nil {
		return err
	}
	clusters := slices.Clone(m.Spec.Clusters)
	slices.SortFunc(clusters, func(a, b v1alpha1.Cluster) int { return strings.Compare(a.Name, b.Name) })
	if m.Spec.ArgoCD.ClusterSelector != nil && opts.Cluster != "" {
		// The clusters are Argo CD's to know; every one gets the same
		// objects, and the plugin names the one it renders for.
		clusters = []v1alpha1.Cluster{{Name: opts.Cluster}}
	}
	release := m.Spec.Linkerd.Release()
	fleet := &fleetShared{}
	for _, c := range clusters {
		if opts.Cluster != "" && c.Name != opts.Cluster {
			continue
		}
		ctx := &clusterContext{spec: &m.Spec, name: m.Metadata.Name, cluster: c, release: release, opts: opts, fleet: fleet}
		var objs []Object
		for _, build := range clusterBuilders {
			objs = append(objs, build(ctx)...)
		}
		for i := range objs {
			objs[i].Cluster = c.Name
		}
		if v1alpha1.IsEnabled(m.Spec.ArgoCD.Enabled) {
			annotateForArgoCD(ctx, objs)
		}
		if err := emitAll(objs, opts, emit); err != nil {
			return err
		}
	}
	if opts.Cluster != "" {
		return nil
	}
	var objs []Object
	for _, build := range fleetBuilders {
		objs = append(objs, build(m, opts)...)
	}
	return emitAll(objs, opts, emit)
}

// RenderAll returns every object Render emits, in order.
func RenderAll(m *v1alpha1.MeshTLS, opts Options) ([]Object, error) {
	var out []Object
	err := Render(m, opts, func(o Object) error { out = append(out, o); return nil })
	return out, err
}

// CheckOptions reports a cluster or component the spec does not have. With
// argocd.clusterSelector every cluster name is one the selector may pick:
// Argo CD's cluster names are free text (an EKS ARN, say), so only what no
// name needs is refused: a control character or a line break would end the
// comment naming the cluster above each document and let the name write
// YAML of its own into the output.
func CheckOptions(m *v1alpha1.MeshTLS, opts Options) error {
	if opts.Cluster != "" && m.Spec.ArgoCD.ClusterSelector != nil {
		if v1alpha1.HasControl(opts.Cluster) || len(opts.Cluster) > maxClusterName {
			return fmt.Errorf("cluster %s: a cluster name must be at most %d bytes of printable characters (no line break, tab or other control character)", v1alpha1.QuoteValue(opts.Cluster), maxClusterName)
		}
	}
	if opts.Cluster != "" && m.Spec.ArgoCD.ClusterSelector == nil &&
		!slices.ContainsFunc(m.Spec.Clusters, func(c v1alpha1.Cluster) bool { return c.Name == opts.Cluster }) {
		names := make([]string, len(m.Spec.Clusters))
		for i, c := range m.Spec.Clusters {
			names[i] = c.Name
		}
		slices.Sort(names) // as every other list of clusters is
		return fmt.Errorf("no cluster %s in the spec (clusters: %s)", v1alpha1.QuoteValue(opts.Cluster), strings.Join(names, ", "))
	}
	if opts.Component != "" && !slices.Contains(Components, opts.Component) {
		return fmt.Errorf("no component %s (components: %s)", v1alpha1.QuoteValue(string(opts.Component)), joinComponents())
	}
	return nil
}

// maxClusterName bounds a cluster name given with a cluster selector: as
// long as a Kubernetes object name.
const maxClusterName = 253

func joinComponents() string {
	s := make([]string, len(Components))
	for i, c := range Components {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

func emitAll(objs []Object, opts Options, emit func(Object) error) error {
	sortObjects(objs)
	for _, o := range objs {
		if opts.Component != "" && o.Component != opts.Component {
			continue
		}
		if o.Component != ComponentPatches {
			// A patch must not claim its owner's object for mtlsgen.
			labels := o.Object.GetLabels()
			if labels == nil {
				labels = map[string]string{}
			}
			labels[LabelManagedBy] = ManagedByValue
			o.Object.SetLabels(labels)
		}
		if err := emit(o); err != nil {
			return err
		}
	}
	return nil
}

// objectMeta is the metadata of a generated object. Cluster-scoped kinds
// pass an empty namespace.
func objectMeta(name, namespace string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: namespace}
}
