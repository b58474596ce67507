package restarter

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Keys of the status ConfigMap. The summary keys are for people and for
// `kubectl get -o jsonpath`; status.json is the whole record.
const (
	StatusKeyJSON      = "status.json"
	StatusKeyHash      = "bundleSHA256"
	StatusKeyTime      = "lastRun"
	StatusKeyCurrent   = "current"
	StatusKeyPending   = "pending"
	StatusKeyStale     = "stale"
	StatusKeyBlocked   = "blocked"
	StatusKeyRestarted = "restarted"
	StatusKeyUnmanaged = "unmanagedPods"
)

// AnnotationRunLock on the status ConfigMap says a run is under way: "TIME
// HOLDER", the run's start (RFC 3339) and who runs it. CronJob's Forbid
// keeps scheduled runs apart, not a Job created by hand (the README's
// "rotate now") or a run from a workstation; both would restart the same
// workloads twice. A run that finds a live lock does nothing; the lock is
// removed when the status is written, and expires after RunLockTTL in case
// its run died.
const AnnotationRunLock = "mtlsgen.dev/restarter-run"

// RunLockTTL is how long a lock holds without its run: longer than a run
// may last (the CronJob's activeDeadlineSeconds is the control-plane wait
// plus ten minutes).
const RunLockTTL = DefaultControlPlaneTimeout + 15*time.Minute

// maxListed bounds the workloads and pods a status lists, so the ConfigMap
// stays far below the API server's 1 MiB object limit in any cluster.
const maxListed = 200

// maxEnrollment bounds the enrollment states a status keeps: each takes
// about 60 bytes, so this many fit well within the ConfigMap beside the
// lists. A workload past it is decided as if new: one more restart.
const maxEnrollment = 5000

// Status is what a run records in the status ConfigMap.
type Status struct {
	// Time the run started.
	Time time.Time `json:"time"`
	// BundleSHA256 is the hash of the bundle the run worked towards, and
	// BundleVersion the resourceVersion of the ConfigMap it was read from.
	BundleSHA256  string `json:"bundleSHA256"`
	BundleVersion string `json:"bundleVersion,omitempty"`
	// Anchors in that bundle.
	Anchors []Anchor `json:"anchors"`
	// Counts of workloads by state after the run.
	Counts Counts `json:"counts"`
	// ControlPlaneSettled reports that the control plane holds the current
	// roots and has rolled out.
	ControlPlaneSettled bool `json:"controlPlaneSettled"`
	// Workloads not current, and why (at most maxListed).
	Workloads []Decision `json:"workloads,omitempty"`
	// UnmanagedPods hold stale roots and have no owner the restarter
	// restarts (at most maxListed).
	UnmanagedPods []PodRef `json:"unmanagedPods,omitempty"`
	// Truncated counts entries left out of the two lists.
	Truncated int `json:"truncated,omitempty"`
	// IdentityIssuer is the issuer that signs the identity issuer, and
	// since when the restarter has seen it there.
	IdentityIssuer *IssuerObservation `json:"identityIssuer,omitempty"`
	// Mesh is the coverage of the enrolled namespaces (spec.mesh).
	Mesh []Coverage `json:"mesh,omitempty"`
	// Enrollment is the state each workload not yet matching its
	// injection was left in, by "Kind/namespace/name": what the next run
	// needs to tell a declined injection from a new one, kept apart from
	// the Workloads list, whose bound would cut exactly those (listed
	// last), and have them restarted again every run.
	Enrollment map[string]State `json:"enrollment,omitempty"`
}

// enrollmentKey is a Ref as a key of Status.Enrollment.
func enrollmentKey(r Ref) string { return string(r.Kind) + "/" + r.Namespace + "/" + r.Name }

// IssuerObservation records which issuer signs the identity issuer
// certificate, and the first run that saw the certificate issued by it: the
// Certificate Ready for a spec naming that issuer. Naming it is not enough:
// cert-manager may sign hours later (a new ClusterIssuer not ready yet), and
// until then proxy certificates are signed under the previous anchor. The
// real issuance happened earlier, at most one schedule interval before, so
// Since is a late bound; the identity controller's reload comes on top.
// Since is zero while the named issuer has not issued it yet.
type IssuerObservation struct {
	Kind  string    `json:"kind"`
	Name  string    `json:"name"`
	Since time.Time `json:"since,omitzero"`
}

// ObserveIssuer carries Since over from the previous status when the issuer
// is the same one and was seen issuing; issued says the Certificate is Ready
// for the spec that names it.
func ObserveIssuer(prev *Status, kind, name string, issued bool, now time.Time) *IssuerObservation {
	if name == "" {
		return nil
	}
	o := &IssuerObservation{Kind: kind, Name: name}
	switch {
	case prev != nil && prev.IdentityIssuer != nil && prev.IdentityIssuer.Kind == kind && prev.IdentityIssuer.Name == name && !prev.IdentityIssuer.Since.IsZero():
		o.Since = prev.IdentityIssuer.Since
	case issued:
		o.Since = now.UTC()
	}
	return o
}

// NewStatus records a plan. restarted are the workloads the whole run
// restarted (a run that waited for the control plane decides twice).
func NewStatus(p *Plan, anchors []Anchor, now time.Time, restarted int) Status {
	c := p.Counts()
	c.Restarted = restarted
	s := Status{Time: now.UTC(), BundleSHA256: p.Hash, Anchors: anchors, Counts: c, ControlPlaneSettled: p.ControlPlaneSettled, Mesh: p.Coverage}
	for _, d := range p.Decisions {
		if d.State == StateCurrent {
			continue
		}
		if d.Injection && len(s.Enrollment) < maxEnrollment {
			if s.Enrollment == nil {
				s.Enrollment = map[string]State{}
			}
			s.Enrollment[enrollmentKey(d.Ref)] = d.State
		}
		if len(s.Workloads) < maxListed {
			s.Workloads = append(s.Workloads, d)
		} else {
			s.Truncated++
		}
	}
	for _, u := range p.Unmanaged {
		if len(s.UnmanagedPods) < maxListed {
			s.UnmanagedPods = append(s.UnmanagedPods, u)
		} else {
			s.Truncated++
		}
	}
	return s
}

// EnrollingStates maps each workload the status records for its injection
// to the state it was left in; nil for no status. A status written before
// Enrollment existed has them in its Workloads list.
func (s *Status) EnrollingStates() map[Ref]State {
	if s == nil {
		return nil
	}
	out := map[Ref]State{}
	for _, d := range s.Workloads {
		if d.Injection {
			out[d.Ref] = d.State
		}
	}
	for k, st := range s.Enrollment {
		parts := strings.SplitN(k, "/", 3)
		if len(parts) == 3 {
			out[Ref{Kind(parts[0]), parts[1], parts[2]}] = st
		}
	}
	return out
}

// ConfigMapData is the status as ConfigMap data.
func (s *Status) ConfigMapData() (map[string]string, error) {
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return map[string]string{
		StatusKeyJSON:      string(raw) + "\n",
		StatusKeyHash:      s.BundleSHA256,
		StatusKeyTime:      s.Time.Format(time.RFC3339),
		StatusKeyCurrent:   strconv.Itoa(s.Counts.Current),
		StatusKeyPending:   strconv.Itoa(s.Counts.Pending),
		StatusKeyStale:     strconv.Itoa(s.Counts.Stale),
		StatusKeyBlocked:   strconv.Itoa(s.Counts.Blocked),
		StatusKeyRestarted: strconv.Itoa(s.Counts.Restarted),
		StatusKeyUnmanaged: strconv.Itoa(s.Counts.Unmanaged),
	}, nil
}

// StatusFromConfigMapData reads a status back; ok is false when the data
// holds none (the ConfigMap as rendered, before the first run).
func StatusFromConfigMapData(data map[string]string) (s *Status, ok bool, err error) {
	raw, found := data[StatusKeyJSON]
	if !found {
		return nil, false, nil
	}
	s = &Status{}
	if err := json.Unmarshal([]byte(raw), s); err != nil {
		return nil, false, fmt.Errorf("%s: %w", StatusKeyJSON, err)
	}
	return s, true, nil
}
