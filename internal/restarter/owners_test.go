package restarter_test

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

func TestResolveOwner(t *testing.T) {
	rss := restarter.IndexReplicaSets([]appsv1.ReplicaSet{
		rs("shop", "web-6d4f", controller("apps/v1", "Deployment", "web")),
		rs("shop", "canary-7f9c", controller("argoproj.io/v1alpha1", "Rollout", "canary")),
		rs("shop", "orphan-1", nil),
		rs("shop", "custom-1", controller("example.com/v1", "Thing", "thing")),
	})
	for name, tc := range map[string]struct {
		pod      string
		owners   any
		rollouts bool
		want     restarter.Ref
		reason   string // a substring of the reason, when not ok
	}{
		"a Deployment through its ReplicaSet": {
			owners: controller("apps/v1", "ReplicaSet", "web-6d4f"),
			want:   restarter.Ref{Kind: restarter.KindDeployment, Namespace: "shop", Name: "web"},
		},
		"a StatefulSet directly": {
			owners: controller("apps/v1", "StatefulSet", "db"),
			want:   restarter.Ref{Kind: restarter.KindStatefulSet, Namespace: "shop", Name: "db"},
		},
		"a DaemonSet directly": {
			owners: controller("apps/v1", "DaemonSet", "agent"),
			want:   restarter.Ref{Kind: restarter.KindDaemonSet, Namespace: "shop", Name: "agent"},
		},
		"a Rollout through its ReplicaSet": {
			owners: controller("apps/v1", "ReplicaSet", "canary-7f9c"), rollouts: true,
			want: restarter.Ref{Kind: restarter.KindRollout, Namespace: "shop", Name: "canary"},
		},
		"a Rollout with rollouts support off": {
			owners: controller("apps/v1", "ReplicaSet", "canary-7f9c"),
			reason: "Argo Rollouts support is off",
		},
		"a bare pod": {owners: nil, reason: "no controller"},
		"a Job's pod": {
			owners: controller("batch/v1", "Job", "migrate"),
			reason: "owned by Job migrate, which the restarter does not restart",
		},
		"a ReplicaSet that is gone": {
			owners: controller("apps/v1", "ReplicaSet", "web-old"),
			reason: "its ReplicaSet web-old was not found",
		},
		"a ReplicaSet without controller": {
			owners: controller("apps/v1", "ReplicaSet", "orphan-1"),
			reason: "has no controller",
		},
		"a ReplicaSet owned by an unknown kind": {
			owners: controller("apps/v1", "ReplicaSet", "custom-1"),
			reason: "owned by Thing thing",
		},
		"a StatefulSet of another API group": {
			owners: controller("example.com/v1", "StatefulSet", "look-alike"),
			reason: "owned by StatefulSet look-alike",
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := pod("shop", "p", oldHash, nil)
			if o, ok := tc.owners.([]metav1.OwnerReference); ok {
				p.OwnerReferences = o
			}
			ref, ok, reason := restarter.ResolveOwner(&p, rss, tc.rollouts)
			if tc.reason == "" {
				if !ok || ref != tc.want {
					t.Fatalf("got %v ok=%v (%s), want %v", ref, ok, reason, tc.want)
				}
				return
			}
			if ok || !strings.Contains(reason, tc.reason) {
				t.Fatalf("got %v ok=%v reason %q, want not ok with %q", ref, ok, reason, tc.reason)
			}
		})
	}
}
