package restarter

import (
	"cmp"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Snapshot is what a run read from the cluster.
type Snapshot struct {
	// Bundle is the ca-bundle.crt text of the trust roots ConfigMap.
	Bundle string
	// ControlPlane lists the control-plane workloads in restart order: the
	// Linkerd namespace's first, then each extension's.
	ControlPlane []Workload
	// DataPlaneNamespaces are the namespaces the data plane was read from;
	// nil means every namespace (all meshed). Pods elsewhere are ignored.
	DataPlaneNamespaces []string
	// Pods are the meshed pods of the data plane.
	Pods []corev1.Pod
	// ExtensionPods are the meshed pods of the extensions' namespaces: the
	// proxy injector gives them their roots as it gives the data plane's.
	ExtensionPods []corev1.Pod
	// ReplicaSets of the data plane namespaces that hold stale pods.
	ReplicaSets []appsv1.ReplicaSet
	// Workloads are the data-plane owners of stale pods, as far as they were
	// found (see StaleOwners).
	Workloads []Workload
	// MeshNamespaces maps each enrolled namespace (Config.MeshNamespaces)
	// to its linkerd.io/inject annotation, "" when it has none.
	MeshNamespaces map[string]string
	// MeshPods are the pods of the enrolled namespaces, meshed or not, with
	// only their container names and hostNetwork kept.
	MeshPods []corev1.Pod
	// Enrolling is the state the previous run left each workload in whose
	// pods did not match their injection (from its status): what tells the
	// pods of a restart for injection from pods recreated since.
	Enrolling map[Ref]State
	// IssuerOutsideBundle says why the identity issuer in use chains to no
	// anchor of the bundle, "" when it does or that is not known. Every
	// restart then waits: a restarted identity controller refuses that
	// issuer and exits, and a restarted proxy rejects every certificate it
	// signed (an anchor's key source changed under its name, or an anchor
	// replaced in one step, before cert-manager re-issued the issuer).
	IssuerOutsideBundle string
}

// State is what a run found, or did, for one workload.
type State string

const (
	// StateCurrent: it holds the current trust roots.
	StateCurrent State = "current"
	// StateRestart: this run restarts it (a dry run would).
	StateRestart State = "restart"
	// StatePending: an earlier run restarted it for the current roots and
	// the restart is still rolling out.
	StatePending State = "pending"
	// StateStale: it holds stale roots and this run leaves it (the per-run
	// bound, or the control plane has not rolled out yet).
	StateStale State = "stale"
	// StateBlocked: restarting it would not help: it holds stale roots and
	// patching it would not restart it (an OnDelete update strategy), its
	// owner is gone, or a restart for its injection did not give its pods
	// that injection.
	StateBlocked State = "blocked"
)

// Decision is the state of one workload and the reason for it.
type Decision struct {
	Ref          Ref    `json:"ref"`
	ControlPlane bool   `json:"controlPlane,omitempty"`
	State        State  `json:"state"`
	Reason       string `json:"reason,omitempty"`
	// StalePods counts its running pods with stale roots (data plane).
	StalePods int `json:"stalePods,omitempty"`
	// FromHash is the hash it was last stamped with (control plane), or one
	// of its stale pods carries (data plane).
	FromHash string `json:"fromHash,omitempty"`
	// Injection marks a workload whose pods do not match their injection
	// (spec.mesh), rather than holding stale roots.
	Injection bool `json:"injection,omitempty"`
	// InjectionStamp is what a restart for injection stamps as
	// AnnotationRestartedForInjection; empty for other restarts.
	InjectionStamp string `json:"-"`
}

// Plan is the outcome of Decide.
type Plan struct {
	// Hash of the current trust bundle.
	Hash string
	// Decisions: control plane first, in restart order, then the data plane
	// by namespace, kind and name. Data-plane workloads whose pods are all
	// current are counted, not listed.
	Decisions []Decision
	// CurrentDataPlane counts data-plane workloads whose pods are all
	// current.
	CurrentDataPlane int
	// Unmanaged are pods with stale roots the restarter leaves alone: their
	// owner is not a kind it restarts, or was not found.
	Unmanaged []PodRef
	// UnmanagedEnrollment are enrolled pods whose proxy does not match their
	// injection and whose owner the restarter does not restart.
	UnmanagedEnrollment []PodRef
	// Coverage is how far each enrolled namespace is meshed.
	Coverage []Coverage
	// ControlPlaneSettled reports that every control-plane workload holds
	// the current roots and has rolled out.
	ControlPlaneSettled bool
	// LinkerdSettled reports that the Linkerd namespace's workloads do:
	// only then does the proxy injector inject the current roots, so until
	// then the extensions and the data plane wait.
	LinkerdSettled bool
}

// Restarts are the decisions to act on, in order.
func (p *Plan) Restarts() []Decision {
	var out []Decision
	for _, d := range p.Decisions {
		if d.State == StateRestart {
			out = append(out, d)
		}
	}
	return out
}

// Refuse records that restarting ref failed: blocked, for reason, so that
// the status names it rather than count it as rolling out.
func (p *Plan) Refuse(ref Ref, reason string) {
	for i := range p.Decisions {
		if p.Decisions[i].Ref == ref {
			p.Decisions[i].State, p.Decisions[i].Reason = StateBlocked, reason
		}
	}
}

// Counts summarise a run. Current, Pending, Stale and Blocked partition the
// workloads by the state they are left in; a workload the run restarted is
// pending (its restart is rolling out) and also counted in Restarted.
type Counts struct {
	Current   int `json:"current"`
	Pending   int `json:"pending"`
	Stale     int `json:"stale"`
	Blocked   int `json:"blocked"`
	Restarted int `json:"restarted"`
	Unmanaged int `json:"unmanagedPods"`
	// Enrolling counts enrolled workloads whose pods do not match their
	// injection yet (restarted by this run, waiting, or blocked). They say
	// nothing about trust roots, so Converged ignores them.
	Enrolling int `json:"enrolling,omitempty"`
	// EnrollingBlocked counts those of them a restart did not help: the
	// injector declined their pods (see AnnotationRestartedForInjection).
	EnrollingBlocked int `json:"enrollingBlocked,omitempty"`
}

// Total is the number of workloads counted.
func (c Counts) Total() int { return c.Current + c.Pending + c.Stale + c.Blocked }

// Converged reports that every workload holds the current roots and no pod
// with stale roots is left.
func (c Counts) Converged() bool {
	return c.Pending == 0 && c.Stale == 0 && c.Blocked == 0 && c.Unmanaged == 0
}

// Counts counts the plan's workloads by state.
func (p *Plan) Counts() Counts {
	c := Counts{Current: p.CurrentDataPlane, Unmanaged: len(p.Unmanaged)}
	for _, d := range p.Decisions {
		if d.Injection {
			c.Enrolling++
			switch d.State {
			case StateRestart:
				c.Restarted++
			case StateBlocked:
				c.EnrollingBlocked++
			}
			continue
		}
		switch d.State {
		case StateCurrent:
			c.Current++
		case StateRestart:
			c.Pending++
			c.Restarted++
		case StatePending:
			c.Pending++
		case StateStale:
			c.Stale++
		case StateBlocked:
			c.Blocked++
		}
	}
	return c
}

// dataPlaneView is the classification of the data plane's pods.
type dataPlaneView struct {
	// stale maps each owner holding stale pods to their count and one of
	// their hashes; current lists owners whose pods are all current.
	stale     map[Ref]staleInfo
	current   map[Ref]bool
	unmanaged []PodRef
}

type staleInfo struct {
	pods int
	hash string
}

// classify sorts meshed, running, in-scope pods by owner and by hash.
func classify(s *Snapshot, cfg *Config, hash string) dataPlaneView {
	return classifyPods(s, s.Pods, s.inDataPlane(cfg), cfg, hash)
}

// inDataPlane reports a namespace whose pods the data plane judges.
func (s *Snapshot) inDataPlane(cfg *Config) func(ns string) bool {
	return func(ns string) bool { return inScope(ns, s.DataPlaneNamespaces, cfg) }
}

// eachJudgedPod calls each for the meshed, running pods of the namespaces
// keep accepts: the pods whose trust-root annotation the restarter judges.
func eachJudgedPod(pods []corev1.Pod, keep func(ns string) bool, each func(p *corev1.Pod)) {
	for i := range pods {
		if p := &pods[i]; keep(p.Namespace) && MeshedPod(p) && runningPod(p) {
			each(p)
		}
	}
}

func comparePodRefs(a, b PodRef) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// classifyExtensions sorts the extensions' meshed, running pods by owner
// and by hash.
func classifyExtensions(s *Snapshot, cfg *Config, hash string) dataPlaneView {
	return classifyPods(s, s.ExtensionPods, cfg.IsExtension, cfg, hash)
}

// classifyPods sorts the meshed, running pods of the namespaces keep
// accepts by owner and by hash.
func classifyPods(s *Snapshot, pods []corev1.Pod, keep func(ns string) bool, cfg *Config, hash string) dataPlaneView {
	v := dataPlaneView{stale: map[Ref]staleInfo{}, current: map[Ref]bool{}}
	rss := IndexReplicaSets(s.ReplicaSets)
	eachJudgedPod(pods, keep, func(p *corev1.Pod) {
		podHash := p.Annotations[AnnotationProxyTrustRoot]
		ref, ok, reason := ResolveOwner(p, rss, cfg.ArgoRollouts)
		switch {
		case podHash == hash:
			if ok {
				v.current[ref] = true
			}
		case !ok:
			v.unmanaged = append(v.unmanaged, PodRef{Namespace: p.Namespace, Name: p.Name, Owner: ownerString(p), Reason: reason})
		default:
			si := v.stale[ref]
			si.pods++
			if si.hash == "" || podHash < si.hash {
				si.hash = podHash // the smallest, so the report is deterministic
			}
			v.stale[ref] = si
		}
	})
	for ref := range v.stale {
		delete(v.current, ref)
	}
	slices.SortFunc(v.unmanaged, comparePodRefs)
	return v
}

// inScope reports a data-plane namespace: one of the selected (or any, for
// all meshed), never a control-plane one.
func inScope(ns string, selected []string, cfg *Config) bool {
	if cfg.IsControlPlane(ns) {
		return false
	}
	return selected == nil || slices.Contains(selected, ns)
}

// StaleOwners are the data-plane workloads that hold pods with stale roots:
// the objects a run must fetch before it can Decide. The snapshot's Bundle,
// DataPlaneNamespaces, Pods and ReplicaSets must be filled.
func StaleOwners(s *Snapshot, cfg *Config) []Ref {
	v := classify(s, cfg, TrustRootsHash(s.Bundle))
	mismatched, _ := classifyInjection(s, cfg)
	out := make([]Ref, 0, len(v.stale)+len(mismatched))
	for ref := range v.stale {
		out = append(out, ref)
	}
	for ref := range mismatched {
		if _, dup := v.stale[ref]; !dup {
			out = append(out, ref)
		}
	}
	slices.SortFunc(out, compareRefs)
	return out
}

// ReplicaSetNamespaces are the namespaces whose stale pods are owned by
// ReplicaSets: the ones whose ReplicaSets a run must list before
// StaleOwners and Decide. The snapshot's Bundle, DataPlaneNamespaces, Pods
// and ExtensionPods must be filled.
func ReplicaSetNamespaces(s *Snapshot, cfg *Config) []string {
	hash := TrustRootsHash(s.Bundle)
	var out []string
	add := func(p *corev1.Pod) {
		if c := metav1.GetControllerOf(p); c != nil && c.Kind == "ReplicaSet" && !slices.Contains(out, p.Namespace) {
			out = append(out, p.Namespace)
		}
	}
	addStale := func(p *corev1.Pod) {
		if p.Annotations[AnnotationProxyTrustRoot] != hash {
			add(p)
		}
	}
	eachJudgedPod(s.Pods, s.inDataPlane(cfg), addStale)
	eachJudgedPod(s.ExtensionPods, cfg.IsExtension, addStale)
	for i := range s.MeshPods {
		p := &s.MeshPods[i]
		if inject, ok := s.MeshNamespaces[p.Namespace]; ok && runningPod(p) && WantsProxy(p, inject) != HasProxy(p) {
			add(p)
		}
	}
	slices.Sort(out)
	return out
}

func compareRefs(a, b Ref) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
}

// Decide plans one run: which workloads to restart, at most budget of them,
// control plane first. It is a pure function of the snapshot: deciding again
// on a snapshot taken after the restarts were applied restarts nothing.
func Decide(s *Snapshot, cfg *Config, budget int) Plan {
	hash := TrustRootsHash(s.Bundle)
	p := Plan{Hash: hash, ControlPlaneSettled: true, LinkerdSettled: true}
	take := func(d Decision) Decision {
		if budget > 0 {
			budget--
			d.State = StateRestart
			return d
		}
		d.State = StateStale
		d.Reason = "per-run restart limit reached; the next run continues"
		return d
	}

	// The Linkerd namespace's workloads come first in s.ControlPlane. Its
	// core reads the roots at start; the extensions' pods get theirs from
	// the proxy injector, so they are restarted only once it holds the
	// current roots, and judged by their pods as the data plane is.
	ext := classifyExtensions(s, cfg, hash)
	for _, w := range s.ControlPlane {
		d := Decision{Ref: w.Ref, ControlPlane: true, FromHash: w.Hash}
		extension := cfg.IsExtension(w.Ref.Namespace)
		si, stalePods := ext.stale[w.Ref]
		switch {
		case w.Hash == hash && w.Settled && !(extension && stalePods):
			d.State = StateCurrent
			d.FromHash = ""
		case !w.Restartable:
			// Before pending: a paused or partitioned workload stamped
			// with the current roots is not rolling out, and never will.
			d.State = StateBlocked
			d.Reason = w.Progress
		case w.Hash == hash && !w.Settled:
			d.State = StatePending
			d.Reason = w.Progress
			d.FromHash = ""
		case extension && !p.LinkerdSettled:
			d.State = StateStale
			d.Reason = "waiting for the Linkerd control plane to roll out: its proxy injector gives these pods their roots"
		default:
			d = take(d)
			switch {
			case d.State != StateRestart:
			case w.Hash == hash: // stamped, yet its pods hold other roots
				d.StalePods, d.FromHash = si.pods, si.hash
				d.Reason = fmt.Sprintf("%d running pods hold roots %s; injected before the proxy injector held the current roots", si.pods, short(si.hash))
			default:
				d.Reason = stampReason(w.Hash)
			}
		}
		if d.State != StateCurrent {
			p.ControlPlaneSettled = false
			if !extension {
				p.LinkerdSettled = false
			}
		}
		p.Decisions = append(p.Decisions, d)
	}

	v := classify(s, cfg, hash)
	p.Unmanaged = append(v.unmanaged, ext.unmanaged...)
	slices.SortFunc(p.Unmanaged, comparePodRefs)
	p.CurrentDataPlane = len(v.current)
	found := map[Ref]Workload{}
	for _, w := range s.Workloads {
		found[w.Ref] = w
	}
	refs := make([]Ref, 0, len(v.stale))
	for ref := range v.stale {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, compareRefs)

	// dataPlane decides a data-plane candidate the same way whatever made
	// it one: blocked when its owner is missing or cannot be restarted,
	// pending while an earlier restart rolls out, waiting while the control
	// plane does, else restarted within the budget, for reason(w).
	dataPlane := func(d Decision, pending, waiting string, reason func(Workload) string) Decision {
		w, ok := found[d.Ref]
		switch {
		case !ok:
			d.State = StateBlocked
			d.Reason = "owner not found"
		case !w.Restartable:
			d.State = StateBlocked
			d.Reason = w.Progress
		case w.Hash == hash && !w.Settled:
			d.State = StatePending
			d.Reason = pending + w.Progress
		case !p.LinkerdSettled:
			d.State = StateStale
			d.Reason = waiting
		default:
			d = take(d)
			if d.State == StateRestart {
				d.Reason = reason(w)
			}
		}
		return d
	}

	for _, ref := range refs {
		si := v.stale[ref]
		d := dataPlane(Decision{Ref: ref, StalePods: si.pods, FromHash: si.hash},
			"restarted for the current roots; ", "waiting for the control plane to roll out the current roots",
			func(w Workload) string {
				r := fmt.Sprintf("%d running pods hold roots %s", si.pods, short(si.hash))
				if w.Hash == hash {
					r += "; restarted for the current roots before, and pods still hold stale ones"
				}
				return r
			})
		p.Decisions = append(p.Decisions, d)
	}

	// Enrolled workloads whose pods do not match their injection: restarted
	// the same way, so the injector sees them again.
	mismatched, unmanaged := classifyInjection(s, cfg)
	p.UnmanagedEnrollment = unmanaged
	if len(s.MeshNamespaces) > 0 {
		p.Coverage = MeshCoverage(s)
	}
	refs = refs[:0]
	for ref := range mismatched {
		if _, stale := v.stale[ref]; !stale {
			refs = append(refs, ref)
		}
	}
	slices.SortFunc(refs, compareRefs)
	for _, ref := range refs {
		mi := mismatched[ref]
		w := found[ref]
		stamp := InjectionStamp(injectValue(mi.want), w.TemplateHash)
		if w.Settled && w.InjectionStamp == stamp && restartedForInjection(s.Enrolling[ref]) {
			// The last run restarted it for this injection (or found it
			// so), it rolled out on the template it was restarted on, and
			// its pods still do not match: the injector saw them and
			// declined. Restarting again would only repeat that every run.
			// Pods that stop matching later (recreated while the injector
			// was down) were fine at the run before, which left no state.
			p.Decisions = append(p.Decisions, Decision{Ref: ref, Injection: true, State: StateBlocked,
				Reason: injectionDeclined(mi.want, mi.pods)})
			continue
		}
		// Pending: restarted already (by this feature or for the roots),
		// and still rolling out: the injector has yet to see it.
		d := dataPlane(Decision{Ref: ref, Injection: true}, "restarted; ", "waiting for the control plane to roll out",
			func(Workload) string { return injectionReason(mi.want, mi.pods) })
		if d.State == StateRestart {
			d.InjectionStamp = stamp
		}
		p.Decisions = append(p.Decisions, d)
	}
	if s.IssuerOutsideBundle != "" {
		for i := range p.Decisions {
			if d := &p.Decisions[i]; d.State == StateRestart {
				d.State, d.InjectionStamp = StateBlocked, ""
				d.Reason = "not restarted: " + s.IssuerOutsideBundle + "; it would load roots that reject the certificates the identity issuer signs, so every restart waits until the identity issuer chains to an anchor of the bundle: undo the edit that changed the anchor (the safe way out), or have cert-manager re-issue it now (cmctl renew linkerd-identity-issuer -n " + cfg.LinkerdNamespace + "; pods not yet restarted then lose mTLS until they are, as in an emergency rotation); else it is re-issued at its renewal"
			}
		}
	}
	return p
}

// restartedForInjection reports a previous state that means the workload's
// current pods come from a restart for its injection: restarted, rolling
// out, or found declined already.
func restartedForInjection(previous State) bool {
	return previous == StateRestart || previous == StatePending || previous == StateBlocked
}

func stampReason(from string) string {
	if from == "" {
		return "pod template not stamped with the roots it runs with"
	}
	return "pod template stamped with roots " + short(from)
}

// short abbreviates a hash for messages.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
