package restarter

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Kind is a kind of workload the restarter can restart.
type Kind string

const (
	KindDeployment  Kind = "Deployment"
	KindStatefulSet Kind = "StatefulSet"
	KindDaemonSet   Kind = "DaemonSet"
	// KindRollout is an Argo Rollouts Rollout (argoproj.io/v1alpha1),
	// restarted through spec.restartAt: changing its pod template would
	// start a new canary release instead of a restart.
	KindRollout Kind = "Rollout"
)

// Ref names a workload.
type Ref struct {
	Kind      Kind   `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

func (r Ref) String() string { return fmt.Sprintf("%s %s/%s", r.Kind, r.Namespace, r.Name) }

// Workload is what the restarter needs to know of a workload object.
type Workload struct {
	Ref Ref
	// Hash is the trust-roots hash the restarter last stamped on it
	// (AnnotationTrustRootsHash), empty if never.
	Hash string
	// Settled reports that the last change to the workload has rolled out;
	// Progress says why not when it has not.
	Settled  bool
	Progress string
	// Restartable is false when patching the workload would not restart its
	// pods (an OnDelete update strategy); Progress says why.
	Restartable bool
	// InjectionStamp is its AnnotationRestartedForInjection, empty if the
	// restarter never restarted it for injection.
	InjectionStamp string
	// TemplateHash identifies its pod template as its owner wrote it
	// (TemplateHash).
	TemplateHash string
}

// newWorkload is a workload with what the restarter stamped on it, read from
// annotations (the pod template's, or a Rollout's own), and its template's
// hash.
func newWorkload(ref Ref, annotations map[string]string, tmpl *corev1.PodTemplateSpec) Workload {
	return Workload{Ref: ref, Hash: annotations[AnnotationTrustRootsHash], Restartable: true,
		InjectionStamp: annotations[AnnotationRestartedForInjection], TemplateHash: TemplateHash(tmpl)}
}

// TemplateHash is the hex SHA-256 of a pod template's JSON without the
// annotations the restarter stamps. It changes when the workload's owner
// changes the template (a new image, kubectl rollout restart) and not when
// the restarter restarts it, which is how a run tells "restarted for
// injection, and the injector declined" from "changed since". A new field
// defaulted by an upgraded API server changes it too; that costs one more
// restart, never a missed one.
func TemplateHash(tmpl *corev1.PodTemplateSpec) string {
	t := tmpl.DeepCopy()
	for _, k := range []string{AnnotationTrustRootsHash, AnnotationRestartedAt, AnnotationRestartedForInjection} {
		delete(t.Annotations, k)
	}
	if len(t.Annotations) == 0 {
		t.Annotations = nil // as if never stamped
	}
	raw, err := json.Marshal(t)
	if err != nil {
		// A decoded PodTemplateSpec always marshals; if one ever did not,
		// no hash matches it and the restarter restarts as it would have
		// without the stamp.
		return ""
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// InjectionStamp is the AnnotationRestartedForInjection value of a restart
// for inject ("enabled" or "disabled") of a workload whose template hash is
// templateHash.
func InjectionStamp(inject, templateHash string) string { return inject + "/" + templateHash }

// DeploymentWorkload describes a Deployment. It has settled as kubectl
// rollout status decides: the controller has seen the latest generation,
// every replica is updated and available, and no old replica is left.
//
// A paused Deployment is not restartable: the controller records a template
// change and rolls nothing out until someone resumes it, so a restart would
// wait, pending, for ever.
func DeploymentWorkload(d *appsv1.Deployment) (w Workload) {
	w = newWorkload(Ref{KindDeployment, d.Namespace, d.Name}, d.Spec.Template.Annotations, &d.Spec.Template)
	defer func() {
		// Settled as any other, so that one paused after rolling out the
		// current roots is current.
		if d.Spec.Paused {
			w.Restartable = false
			w.Progress = strings.TrimSuffix("paused: resume it (kubectl rollout resume) to restart it; "+w.Progress, "; ")
		}
	}()
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	s := d.Status
	switch {
	case d.Generation > s.ObservedGeneration:
		w.Progress = "waiting for the controller to observe the new generation"
	case hasCondition(d.Status.Conditions, appsv1.DeploymentProgressing, "ProgressDeadlineExceeded"):
		w.Progress = "rollout exceeded its progress deadline"
	case s.UpdatedReplicas < replicas:
		w.Progress = fmt.Sprintf("%d of %d replicas updated", s.UpdatedReplicas, replicas)
	case s.Replicas > s.UpdatedReplicas:
		w.Progress = fmt.Sprintf("%d old replicas pending termination", s.Replicas-s.UpdatedReplicas)
	case s.AvailableReplicas < s.UpdatedReplicas:
		w.Progress = fmt.Sprintf("%d of %d updated replicas available", s.AvailableReplicas, s.UpdatedReplicas)
	default:
		w.Settled = true
	}
	return w
}

func hasCondition(cs []appsv1.DeploymentCondition, t appsv1.DeploymentConditionType, reason string) bool {
	for _, c := range cs {
		if c.Type == t && c.Reason == reason {
			return true
		}
	}
	return false
}

// StatefulSetWorkload describes a StatefulSet, settled as kubectl rollout
// status decides. One with the OnDelete strategy is not restartable: a
// template change waits for someone to delete its pods, which the restarter
// never does. Nor is one with a rollingUpdate partition: its pods below the
// partition keep their roots through any restart, which would then be
// repeated every run and never converge.
func StatefulSetWorkload(s *appsv1.StatefulSet) Workload {
	w := newWorkload(Ref{KindStatefulSet, s.Namespace, s.Name}, s.Spec.Template.Annotations, &s.Spec.Template)
	if s.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		w.Restartable = false
		w.Progress = "updateStrategy OnDelete: delete its pods to restart them"
		return w
	}
	replicas := int32(1)
	if s.Spec.Replicas != nil {
		replicas = *s.Spec.Replicas
	}
	st := s.Status
	partition := int32(0)
	if ru := s.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
		partition = *ru.Partition
	}
	if partition > 0 {
		// Settled only with every pod on the current revision (rolled out
		// before the partition was set): kubectl's "partitioned roll out
		// complete" leaves the pods below the partition on the old
		// template, and the old roots.
		w.Restartable = false
		w.Progress = fmt.Sprintf("rollingUpdate.partition %d: its pods below it are never updated; lower the partition to 0 to restart them", partition)
		w.Settled = s.Generation <= st.ObservedGeneration && st.ObservedGeneration != 0 && st.ReadyReplicas >= replicas &&
			st.UpdatedReplicas >= replicas && st.CurrentRevision == st.UpdateRevision
		return w
	}
	switch {
	case st.ObservedGeneration == 0 || s.Generation > st.ObservedGeneration:
		w.Progress = "waiting for the controller to observe the new generation"
	case st.ReadyReplicas < replicas:
		w.Progress = fmt.Sprintf("%d of %d pods ready", st.ReadyReplicas, replicas)
	case st.UpdateRevision != st.CurrentRevision:
		w.Progress = fmt.Sprintf("%d of %d pods updated", st.UpdatedReplicas, replicas)
	default:
		w.Settled = true
	}
	return w
}

// DaemonSetWorkload describes a DaemonSet, settled as kubectl rollout status
// decides; OnDelete is not restartable, as for StatefulSets.
func DaemonSetWorkload(d *appsv1.DaemonSet) Workload {
	w := newWorkload(Ref{KindDaemonSet, d.Namespace, d.Name}, d.Spec.Template.Annotations, &d.Spec.Template)
	if d.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType {
		w.Restartable = false
		w.Progress = "updateStrategy OnDelete: delete its pods to restart them"
		return w
	}
	st := d.Status
	switch {
	case d.Generation > st.ObservedGeneration:
		w.Progress = "waiting for the controller to observe the new generation"
	case st.UpdatedNumberScheduled < st.DesiredNumberScheduled:
		w.Progress = fmt.Sprintf("%d of %d pods updated", st.UpdatedNumberScheduled, st.DesiredNumberScheduled)
	case st.NumberAvailable < st.DesiredNumberScheduled:
		w.Progress = fmt.Sprintf("%d of %d updated pods available", st.NumberAvailable, st.DesiredNumberScheduled)
	default:
		w.Settled = true
	}
	return w
}

// Rollout is the part of an Argo Rollouts Rollout the restarter reads. The
// restarter does not link Argo Rollouts' Go module; package cluster fills
// this from the unstructured object.
type Rollout struct {
	Namespace, Name string
	// Annotations of the Rollout object (not of its template).
	Annotations map[string]string
	// PodHash is status.currentPodHash, Argo Rollouts' hash of the pod
	// template; Template is spec.template (empty with a workloadRef).
	PodHash  string
	Template corev1.PodTemplateSpec
	// RestartAt is spec.restartAt; RestartedAt is status.restartedAt, which
	// the Rollout controller sets when it has restarted every pod older than
	// restartAt.
	RestartAt, RestartedAt *time.Time
}

// RolloutWorkload describes a Rollout: settled once the controller reports
// the last requested restart done.
func RolloutWorkload(r *Rollout) Workload {
	w := newWorkload(Ref{KindRollout, r.Namespace, r.Name}, r.Annotations, &r.Template)
	if r.PodHash != "" {
		w.TemplateHash = "pod-hash:" + r.PodHash
	}
	if r.RestartAt != nil && (r.RestartedAt == nil || r.RestartedAt.Before(*r.RestartAt)) {
		w.Progress = "restart requested at " + r.RestartAt.UTC().Format(time.RFC3339) + " not done yet"
	} else {
		w.Settled = true
	}
	return w
}

// PodRef names a pod and, when known, its owner.
type PodRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Owner is "Kind/name" of its controller, empty for a bare pod.
	Owner string `json:"owner,omitempty"`
	// Reason says why the restarter leaves it alone.
	Reason string `json:"reason,omitempty"`
}

// MeshedPod reports whether Linkerd's proxy injector injected the pod: it
// carries the trust-root hash annotation.
func MeshedPod(p *corev1.Pod) bool {
	_, ok := p.Annotations[AnnotationProxyTrustRoot]
	return ok
}

// runningPod reports a pod that holds trust roots now: running (or about to)
// and not on its way out.
func runningPod(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	return p.Status.Phase == corev1.PodRunning || p.Status.Phase == corev1.PodPending
}
