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
	"ValidatingAdmissionPolicy",
	"ValidatingAdmissionPolicyBinding",
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
//
// Each object's key is worked out once, not in every comparison: parsing an
// apiVersion for the kind in each of n·log n comparisons was a tenth of a
// large fleet's render.
func sortObjects(objs []Object) {
	type keyed struct {
		component, rank       int
		kind, namespace, name string
		obj                   Object
	}
	ks := make([]keyed, len(objs))
	for i, o := range objs {
		kind := kindOf(o.Object)
		ks[i] = keyed{slices.Index(Components, o.Component), kindRank(kind), kind, o.Object.GetNamespace(), o.Object.GetName(), o}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		return cmp.Or(
			cmp.Compare(a.component, b.component),
			cmp.Compare(a.rank, b.rank),
			cmp.Compare(a.kind, b.kind),
			cmp.Compare(a.namespace, b.namespace),
			cmp.Compare(a.name, b.name),
		)
	})
	for i, k := range ks {
		objs[i] = k.obj
	}
}

func kindOf(o runtime.Object) string { return o.GetObjectKind().GroupVersionKind().Kind }
