package restarter_test

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

// Settled follows kubectl rollout status for each kind.
func TestWorkloadSettled(t *testing.T) {
	at := time.Date(2026, 8, 22, 10, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		w        restarter.Workload
		settled  bool
		progress string
	}{
		"deployment rolled out": {w: restarter.DeploymentWorkload(deployment("a", "d", "")), settled: true},
		"deployment generation not observed": {
			w: restarter.DeploymentWorkload(rolling(deployment("a", "d", ""))), progress: "observe the new generation"},
		"deployment updating": {w: restarter.DeploymentWorkload(func() *appsv1.Deployment {
			d := deployment("a", "d", "")
			d.Status.UpdatedReplicas = 1
			return d
		}()), progress: "1 of 2 replicas updated"},
		"deployment old replicas left": {w: restarter.DeploymentWorkload(func() *appsv1.Deployment {
			d := deployment("a", "d", "")
			d.Status.Replicas = 3
			return d
		}()), progress: "1 old replicas pending termination"},
		"deployment not available": {w: restarter.DeploymentWorkload(func() *appsv1.Deployment {
			d := deployment("a", "d", "")
			d.Status.AvailableReplicas = 1
			return d
		}()), progress: "1 of 2 updated replicas available"},
		"deployment past its deadline": {w: restarter.DeploymentWorkload(func() *appsv1.Deployment {
			d := deployment("a", "d", "")
			d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Reason: "ProgressDeadlineExceeded"}}
			return d
		}()), progress: "progress deadline"},
		"statefulset rolled out": {w: restarter.StatefulSetWorkload(statefulSet("a", "s", "")), settled: true},
		"statefulset revisions differ": {w: restarter.StatefulSetWorkload(func() *appsv1.StatefulSet {
			s := statefulSet("a", "s", "")
			s.Status.UpdateRevision, s.Status.UpdatedReplicas = "r2", 1
			return s
		}()), progress: "1 of 3 pods updated"},
		"statefulset with partition 0": {w: restarter.StatefulSetWorkload(func() *appsv1.StatefulSet {
			s := statefulSet("a", "s", "")
			s.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To(int32(0))}
			return s
		}()), settled: true},
		"daemonset rolled out": {w: restarter.DaemonSetWorkload(daemonSet("a", "d", "")), settled: true},
		"daemonset updating": {w: restarter.DaemonSetWorkload(func() *appsv1.DaemonSet {
			d := daemonSet("a", "d", "")
			d.Status.UpdatedNumberScheduled = 3
			return d
		}()), progress: "3 of 4 pods updated"},
		"rollout never restarted": {w: restarter.RolloutWorkload(&restarter.Rollout{}), settled: true},
		"rollout restart requested": {
			w:        restarter.RolloutWorkload(&restarter.Rollout{RestartAt: &at}),
			progress: "restart requested at 2026-08-22T10:00:00Z not done yet"},
		"rollout restart done": {
			w: restarter.RolloutWorkload(&restarter.Rollout{RestartAt: &at, RestartedAt: ptr.To(at.Add(time.Minute))}), settled: true},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.w.Settled != tc.settled || !strings.Contains(tc.w.Progress, tc.progress) || !tc.w.Restartable {
				t.Errorf("settled %v progress %q restartable %v, want settled %v progress ~%q", tc.w.Settled, tc.w.Progress, tc.w.Restartable, tc.settled, tc.progress)
			}
		})
	}
	ds := daemonSet("a", "d", "")
	ds.Spec.UpdateStrategy.Type = appsv1.OnDeleteDaemonSetStrategyType
	if w := restarter.DaemonSetWorkload(ds); w.Restartable {
		t.Error("an OnDelete DaemonSet is not restartable by a template patch")
	}
	// A restart cannot reach the pods below a StatefulSet's partition, nor
	// any pod of a paused Deployment: restarting either would be repeated
	// (or pending) for ever, so each is blocked, saying what to do.
	sts := statefulSet("a", "s", "")
	sts.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To(int32(2))}
	if w := restarter.StatefulSetWorkload(sts); w.Restartable || !strings.Contains(w.Progress, "rollingUpdate.partition 2") {
		t.Errorf("a partitioned StatefulSet: restartable %v, %q", w.Restartable, w.Progress)
	}
	d := deployment("a", "d", "")
	d.Spec.Paused = true
	if w := restarter.DeploymentWorkload(d); w.Restartable || !strings.Contains(w.Progress, "kubectl rollout resume") {
		t.Errorf("a paused Deployment: restartable %v, %q", w.Restartable, w.Progress)
	}
}

// A Rollout's template is known by Argo Rollouts' pod hash, which a
// restartAt leaves alone and a new release (or workloadRef template)
// changes; spec.template only stands in while the status has none.
func TestRolloutWorkload_templateHash(t *testing.T) {
	at := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	tmpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1"}}}}
	first := restarter.RolloutWorkload(&restarter.Rollout{PodHash: "6d4f", Template: tmpl})
	restarted := restarter.RolloutWorkload(&restarter.Rollout{PodHash: "6d4f", Template: tmpl, RestartAt: &at, RestartedAt: &at})
	released := restarter.RolloutWorkload(&restarter.Rollout{PodHash: "7f9c", Template: tmpl})
	noStatus := restarter.RolloutWorkload(&restarter.Rollout{Template: tmpl})
	if first.TemplateHash != restarted.TemplateHash || first.TemplateHash == released.TemplateHash {
		t.Errorf("hashes: first %s, restarted %s, released %s", first.TemplateHash, restarted.TemplateHash, released.TemplateHash)
	}
	if noStatus.TemplateHash != restarter.TemplateHash(&tmpl) {
		t.Errorf("without a pod hash: %s, want the template's %s", noStatus.TemplateHash, restarter.TemplateHash(&tmpl))
	}
}
