package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

// IdentityIssuerCertificate is the Certificate whose issuerRef names the
// active anchor (generator.IdentityIssuerName).
const IdentityIssuerCertificate = "linkerd-identity-issuer"

// pollInterval is how often a run looks at a rolling control plane.
const pollInterval = 10 * time.Second

// Runner runs the restarter once.
type Runner struct {
	Client *Client
	Config restarter.Config
	// DryRun prints the plan and changes nothing.
	DryRun bool
	// Out receives the printed plan of a dry run.
	Out io.Writer
	// Log receives one line per action and a summary.
	Log *slog.Logger
	// Now and Sleep are the clock; tests replace them.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
	// Holder names this run in the run lock (its pod's name, in a Job).
	Holder string
}

// Result is what a run did.
type Result struct {
	Plan      restarter.Plan
	Status    restarter.Status
	Restarted []restarter.Ref
}

// Run reads the trust roots, restarts what holds stale ones within the
// per-run bound (control plane first; the data plane once the control plane
// has rolled out, waiting for it up to ControlPlaneTimeout), and records the
// status. A dry run stops after printing the first plan.
func (r *Runner) Run(ctx context.Context) (*Result, error) {
	cfg := &r.Config
	start := r.Now()
	bundle, version, err := r.Client.TrustRoots(ctx, cfg.LinkerdNamespace)
	if err != nil {
		return nil, err
	}
	anchors, err := restarter.ParseAnchors(bundle)
	if err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s: %w", cfg.LinkerdNamespace, restarter.TrustRootsConfigMap, err)
	}
	hash := restarter.TrustRootsHash(bundle)
	r.Log.Info("trust roots", "bundleSHA256", hash, "anchors", len(anchors), "dryRun", r.DryRun)

	if !r.DryRun {
		heldBy, err := r.Client.Lock(ctx, cfg.LinkerdNamespace, r.Holder, start)
		if err != nil {
			return nil, err
		}
		if heldBy != "" {
			r.Log.Info("another run is under way; this one does nothing", "lock", heldBy)
			return &Result{}, nil
		}
		defer func() {
			// After the status, or after a failure: a new context, as the
			// run's may be what ended it.
			if err := r.Client.Unlock(context.WithoutCancel(ctx), cfg.LinkerdNamespace, r.Holder); err != nil {
				r.Log.Warn("run lock not removed; it expires by itself", "error", err.Error(), "after", restarter.RunLockTTL.String())
			}
		}()
	}

	// The previous run's status says which workloads it restarted for
	// their injection, and which issuer it saw.
	prev, err := r.Client.ReadStatus(ctx, cfg.LinkerdNamespace)
	if err != nil {
		r.Log.Warn("previous status unreadable; starting afresh", "error", err.Error())
		prev = nil
	}

	res := &Result{}
	var failed []error
	held := "" // why every restart waits, if it does
	budget := cfg.MaxRestarts
	for round := 1; ; round++ {
		snap, err := r.Client.Snapshot(ctx, cfg, bundle)
		if err != nil {
			return nil, err
		}
		snap.Enrolling = prev.EnrollingStates()
		held = snap.IssuerOutsideBundle
		res.Plan = restarter.Decide(snap, cfg, budget)
		if r.DryRun {
			r.printPlan(&res.Plan, anchors)
		}
		for _, d := range res.Plan.Restarts() {
			msg := "restart"
			if r.DryRun {
				msg = "would restart"
			} else if err := r.Client.Restart(ctx, d, hash, r.Now()); err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				// One workload refused (an admission policy, deleted since
				// the snapshot) must not hold up every workload after it,
				// run after run, nor the status that would name it.
				res.Plan.Refuse(d.Ref, "restart refused: "+err.Error())
				r.Log.Warn("restart refused", "kind", d.Ref.Kind, "namespace", d.Ref.Namespace, "name", d.Ref.Name, "error", err.Error())
				if !apierrors.IsNotFound(err) {
					failed = append(failed, err)
				}
				continue
			}
			r.Log.Info(msg, "kind", d.Ref.Kind, "namespace", d.Ref.Namespace, "name", d.Ref.Name,
				"controlPlane", d.ControlPlane, "reason", d.Reason, "dryRun", r.DryRun)
			res.Restarted = append(res.Restarted, d.Ref)
			budget--
		}
		// A second round only after waiting for a restarted (or still
		// rolling) Linkerd control plane, and only if there is budget left
		// for the extensions and the data plane it unblocks.
		if r.DryRun || round == 2 || res.Plan.LinkerdSettled || budget == 0 || cfg.ControlPlaneTimeout == 0 ||
			blockedControlPlane(&res.Plan) {
			break
		}
		settled, err := r.waitControlPlane(ctx, hash)
		if err != nil {
			return nil, err
		}
		if !settled {
			r.Log.Info("control plane still rolling out; the data plane waits for the next run", "timeout", cfg.ControlPlaneTimeout.String())
			break
		}
	}

	counts := res.Plan.Counts()
	counts.Restarted = len(res.Restarted)
	r.Log.Info("done", "bundleSHA256", hash, "current", counts.Current, "pending", counts.Pending, "stale", counts.Stale,
		"blocked", counts.Blocked, "restarted", counts.Restarted, "unmanagedPods", counts.Unmanaged, "dryRun", r.DryRun)
	for _, u := range res.Plan.Unmanaged {
		r.Log.Warn("stale pod left alone", "namespace", u.Namespace, "name", u.Name, "owner", u.Owner, "reason", u.Reason)
	}
	for _, u := range res.Plan.UnmanagedEnrollment {
		r.Log.Warn("pod left alone", "namespace", u.Namespace, "name", u.Name, "owner", u.Owner, "reason", u.Reason)
	}
	for _, d := range res.Plan.Decisions {
		if d.Injection && d.State == restarter.StateBlocked {
			r.Log.Warn("workload left alone", "kind", d.Ref.Kind, "namespace", d.Ref.Namespace, "name", d.Ref.Name, "reason", d.Reason)
		}
	}
	if r.DryRun {
		return res, nil
	}

	res.Status = restarter.NewStatus(&res.Plan, anchors, start, len(res.Restarted))
	res.Status.BundleVersion = version
	kind, name, issued, err := r.Client.IdentityIssuerRef(ctx, cfg.LinkerdNamespace, IdentityIssuerCertificate)
	switch {
	case err != nil:
		// The status is still worth writing. The previous record stands:
		// dropping it would restart the wait for step 3 at the next read.
		r.Log.Warn("identity issuer unreadable", "error", err.Error())
		if prev != nil {
			res.Status.IdentityIssuer = prev.IdentityIssuer
		}
	default:
		// Seen now, not at the run's start: a switch while the run waited
		// for the control plane must not be dated earlier than it was.
		res.Status.IdentityIssuer = restarter.ObserveIssuer(prev, kind, name, issued, r.Now())
	}
	if err := r.Client.WriteStatus(ctx, cfg.LinkerdNamespace, &res.Status, r.Holder); err != nil {
		return nil, err
	}
	// Either makes the Job fail, so MtlsgenRestarterJobFailed says so.
	var errs []error
	if held != "" {
		errs = append(errs, errors.New("no restart: "+held))
	}
	if len(failed) > 0 {
		errs = append(errs, fmt.Errorf("%d restarts refused: %w", len(failed), errors.Join(failed...)))
	}
	if len(errs) > 0 {
		return res, errors.Join(errs...)
	}
	return res, nil
}

func blockedControlPlane(p *restarter.Plan) bool {
	for _, d := range p.Decisions {
		if d.ControlPlane && d.State == restarter.StateBlocked {
			return true
		}
	}
	return false
}

// waitControlPlane polls the control plane until every workload carries the
// hash and has rolled out, or the timeout passes.
func (r *Runner) waitControlPlane(ctx context.Context, hash string) (bool, error) {
	deadline := r.Now().Add(r.Config.ControlPlaneTimeout)
	for {
		ws, err := r.Client.ControlPlane(ctx, &r.Config)
		if err != nil {
			return false, err
		}
		waiting := 0
		for _, w := range ws {
			// The extensions wait for the Linkerd namespace, not the
			// other way round.
			if w.Ref.Namespace == r.Config.LinkerdNamespace && (w.Hash != hash || !w.Settled) {
				waiting++
			}
		}
		if waiting == 0 {
			return true, nil
		}
		if !r.Now().Before(deadline) {
			return false, nil
		}
		r.Log.Info("waiting for the control plane", "workloads", waiting)
		if err := r.Sleep(ctx, min(pollInterval, deadline.Sub(r.Now()))); err != nil {
			return false, err
		}
	}
}

// printPlan writes a dry run's plan as a table.
func (r *Runner) printPlan(p *restarter.Plan, anchors []restarter.Anchor) {
	fmt.Fprintf(r.Out, "trust bundle %s: %d anchors\n", p.Hash, len(anchors))
	for _, a := range anchors {
		fmt.Fprintf(r.Out, "  %s  key sha256 %s  expires %s\n", a.Subject, a.KeySHA256, a.NotAfter.Format(time.RFC3339))
	}
	tw := tabwriter.NewWriter(r.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tPLANE\tKIND\tNAMESPACE\tNAME\tREASON")
	for _, d := range p.Decisions {
		state, plane := string(d.State), "data"
		if d.State == restarter.StateRestart {
			state = "would restart"
		}
		if d.ControlPlane {
			plane = "control"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", state, plane, d.Ref.Kind, d.Ref.Namespace, d.Ref.Name, d.Reason)
	}
	for _, u := range p.Unmanaged {
		fmt.Fprintf(tw, "left alone\tdata\tPod\t%s\t%s\t%s\n", u.Namespace, u.Name, u.Reason)
	}
	tw.Flush()
	c := p.Counts()
	fmt.Fprintf(r.Out, "%d workloads: %d current, %d would restart, %d pending, %d stale, %d blocked; %d pods left alone\n",
		c.Total(), c.Current, c.Restarted, c.Pending-c.Restarted, c.Stale, c.Blocked, c.Unmanaged)
}

// SleepContext sleeps for d or until ctx ends.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
