package restarter

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// API groups of the owners the restarter follows.
const (
	groupApps = "apps"
	// GroupArgoRollouts is the API group of Argo Rollouts.
	GroupArgoRollouts = "argoproj.io"
)

// ReplicaSetIndex finds a ReplicaSet by namespace and name.
type ReplicaSetIndex map[string]*appsv1.ReplicaSet

// IndexReplicaSets indexes replica sets by namespace and name.
func IndexReplicaSets(rss []appsv1.ReplicaSet) ReplicaSetIndex {
	idx := ReplicaSetIndex{}
	for i := range rss {
		idx[rss[i].Namespace+"/"+rss[i].Name] = &rss[i]
	}
	return idx
}

// ResolveOwner finds the workload that manages a pod: its controller if that
// is a StatefulSet or a DaemonSet; the controller of its ReplicaSet if that is
// a Deployment, or a Rollout when rollouts is set. Otherwise ok is false and
// reason says why the pod cannot be restarted through an owner.
func ResolveOwner(p *corev1.Pod, rss ReplicaSetIndex, rollouts bool) (ref Ref, ok bool, reason string) {
	c := metav1.GetControllerOf(p)
	if c == nil {
		return Ref{}, false, "no controller: a bare pod, restart it yourself"
	}
	group := groupOf(c)
	switch {
	case group == groupApps && c.Kind == string(KindStatefulSet):
		return Ref{KindStatefulSet, p.Namespace, c.Name}, true, ""
	case group == groupApps && c.Kind == string(KindDaemonSet):
		return Ref{KindDaemonSet, p.Namespace, c.Name}, true, ""
	case group == groupApps && c.Kind == "ReplicaSet":
		rs := rss[p.Namespace+"/"+c.Name]
		if rs == nil {
			return Ref{}, false, fmt.Sprintf("its ReplicaSet %s was not found", c.Name)
		}
		rc := metav1.GetControllerOf(rs)
		if rc == nil {
			return Ref{}, false, fmt.Sprintf("its ReplicaSet %s has no controller", c.Name)
		}
		rg := groupOf(rc)
		switch {
		case rg == groupApps && rc.Kind == string(KindDeployment):
			return Ref{KindDeployment, p.Namespace, rc.Name}, true, ""
		case rg == GroupArgoRollouts && rc.Kind == string(KindRollout):
			if !rollouts {
				return Ref{}, false, fmt.Sprintf("owned by Rollout %s, and Argo Rollouts support is off (spec.restarter.argoRollouts)", rc.Name)
			}
			return Ref{KindRollout, p.Namespace, rc.Name}, true, ""
		}
		return Ref{}, false, fmt.Sprintf("its ReplicaSet %s is owned by %s %s, which the restarter does not restart", c.Name, rc.Kind, rc.Name)
	}
	return Ref{}, false, fmt.Sprintf("owned by %s %s, which the restarter does not restart", c.Kind, c.Name)
}

func groupOf(r *metav1.OwnerReference) string {
	gv, err := schema.ParseGroupVersion(r.APIVersion)
	if err != nil {
		return ""
	}
	return gv.Group
}

func ownerString(p *corev1.Pod) string {
	if c := metav1.GetControllerOf(p); c != nil {
		return c.Kind + "/" + c.Name
	}
	return ""
}
