package generator

import (
	"cmp"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Component groups the objects one Argo CD Application delivers.
type Component string

const (
	// ComponentMesh is everything mtlsgen renders into each cluster:
	// namespaces, trust anchors, issuers, certificates, the trust bundle
	// and the restarter. One Application per cluster delivers it.
	ComponentMesh Component = "mesh"
	// ComponentArgoCD is the ApplicationSet, applied once, to the cluster
	// Argo CD runs in.
	ComponentArgoCD Component = "argocd"
	// ComponentPatches are kustomize patches for objects mtlsgen does not
	// own (a Namespace or a workload another Application defines): their
	// owner applies them. Argo CD never delivers this component.
	ComponentPatches Component = "patches"
)

// Components lists every component, in output order.
var Components = []Component{ComponentMesh, ComponentPatches, ComponentArgoCD}

// KubeObject is a typed Kubernetes object with its TypeMeta set.
type KubeObject interface {
	runtime.Object
	metav1.Object
}

// Object is one generated object and where it goes.
type Object struct {
	// Cluster is the cluster the object is applied to, or "" for objects
	// applied once for the whole fleet (in the cluster Argo CD runs in).
	Cluster string
	// Component is the Argo CD Application that delivers it.
	Component Component
	// Object is the typed object.
	Object KubeObject
}

// kindOrder is the fixed order of kinds in the output: what others depend on
// comes first, so a reader meets a name before its uses.
var kindOrder = []string{
	"Namespace",
	"ServiceAccount",
	"ClusterRole",
	"ClusterRoleBinding",
	"Role",
	"RoleBinding",
	"ConfigMap",
	"Issuer",
	"ClusterIssuer",
	"Certificate",
	"Bundle",
	"CronJob",
	"PrometheusRule",
	"AppProject",
	"ApplicationSet",
	"Application",
}

func kindRank(kind string) int {
	if i := slices.Index(kindOrder, kind); i >= 0 {
		return i
	}
	return len(kindOrder)
}

// sortObjects orders objects of one cluster: by component, then kind order,
// then namespace, then name.
func sortObjects(objs []Object) {
	slices.SortStableFunc(objs, func(a, b Object) int {
		return cmp.Or(
			cmp.Compare(slices.Index(Components, a.Component), slices.Index(Components, b.Component)),
			cmp.Compare(kindRank(kindOf(a.Object)), kindRank(kindOf(b.Object))),
			cmp.Compare(kindOf(a.Object), kindOf(b.Object)),
			cmp.Compare(a.Object.GetNamespace(), b.Object.GetNamespace()),
			cmp.Compare(a.Object.GetName(), b.Object.GetName()),
		)
	})
}

func kindOf(o runtime.Object) string { return o.GetObjectKind().GroupVersionKind().Kind }
