package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/health"
	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/sync"
	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/sync/common"
	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/utils/kube"
	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// SyncReport is how a sync ended.
type SyncReport struct {
	// Phase is the operation's: Succeeded, Failed or Error when it
	// completed, Running when it had not when time ran out.
	Phase   string `json:"phase"`
	Message string `json:"message"`
	// Attempts is how many sync operations ran (more than one when a
	// failed one was retried); Failed says why each retried one failed.
	Attempts int      `json:"attempts"`
	Failed   []string `json:"failed,omitempty"`
	// Rounds is how many times the last operation was resumed, as Argo
	// CD's controller resumes it on every refresh until it completes.
	Rounds int `json:"rounds"`
	// RoundSeconds is how long each round took.
	RoundSeconds []float64 `json:"roundSeconds"`
	// Resources are in the order the sync applied them.
	Resources []SyncedResource `json:"resources"`
}

// SyncedResource is one object's part in the sync.
type SyncedResource struct {
	Object string `json:"object"`
	// Wave is the object's argocd.argoproj.io/sync-wave (0 when unset).
	Wave int `json:"wave"`
	// Status is Synced, SyncFailed, Pruned or PruneSkipped.
	Status string `json:"status"`
	// Health is the operation's view of the object: Succeeded once it
	// was healthy, Running while it was not yet.
	Health  string `json:"health"`
	Message string `json:"message"`
	order   int
}

// syncRefresh is how often the sync is resumed while objects of the
// current wave are not healthy yet (Argo CD's controller resumes a running
// operation on every change of an object it manages).
const syncRefresh = 250 * time.Millisecond

// retryDelay stands for the backoff of an Application's syncPolicy.retry
// (15s, doubling, in what mtlsgen generates): only its order matters here.
const retryDelay = time.Second

// sync syncs the desired objects as Argo CD's application controller
// syncs an Application with the ServerSideApply=true option and a
// syncPolicy.retry of retries: a sync that fails runs again from the start,
// up to retries more times.
//
// managed are the objects the Application managed before (its previous
// revision's): those still in the cluster that are no longer desired are
// pruned, as an automated sync with prune does (mtlsgen's Applications
// prune).
func (c *cluster) sync(ctx context.Context, desired, managed []*unstructured.Unstructured, healthOverride health.HealthOverride, retries int) (*SyncReport, error) {
	var failed []string
	for attempt := 1; ; attempt++ {
		r, err := c.syncOnce(ctx, desired, managed, healthOverride)
		if err != nil {
			return nil, err
		}
		r.Attempts, r.Failed = attempt, failed
		if r.Phase == string(common.OperationSucceeded) || r.Phase == string(common.OperationRunning) || attempt > retries {
			return r, nil
		}
		failed = append(failed, r.failure())
		select {
		case <-ctx.Done():
			return r, nil
		case <-time.After(retryDelay):
		}
	}
}

// failure says why a sync failed: its message and the objects that failed.
func (r *SyncReport) failure() string {
	msg := r.Phase + ": " + r.Message
	for _, s := range r.Resources {
		if s.Status != string(common.ResultCodeSynced) || s.Health == string(common.OperationFailed) || s.Health == string(common.OperationError) {
			msg += "; " + s.Object + ": " + s.Status + ", " + s.Health + ": " + s.Message
		}
	}
	return msg
}

// syncOnce is one sync operation: a reconciliation of desired and live
// state, a sync context built from it, resumed with the state it reached
// until the operation completes, as Argo CD's application controller does.
// Each round reads the live state afresh, as the controller's cache would
// have it.
func (c *cluster) syncOnce(ctx context.Context, desired, managed []*unstructured.Unstructured, healthOverride health.HealthOverride) (*SyncReport, error) {
	// Live state is read for both: a managed object no longer desired is
	// live without a target, which the reconciliation makes a prune.
	all := slices.Concat(managed, desired)
	var (
		phase   common.OperationPhase
		message string
		results []common.ResourceSyncResult
		started = metav1.Now()
		rounds  int
		took    []float64
	)
	for !phase.Completed() {
		if rounds > 0 {
			select {
			case <-ctx.Done():
				return syncReport(all, common.OperationRunning, "timed out: "+message, took, results), nil
			case <-time.After(syncRefresh):
			}
		}
		rounds++
		roundStart := time.Now()
		live := map[kube.ResourceKey]*unstructured.Unstructured{}
		for _, o := range all {
			l, err := c.get(ctx, o)
			if err != nil {
				return nil, err
			}
			if l != nil {
				live[kube.GetResourceKey(o)] = l
			}
		}
		opts := []sync.SyncOpt{
			sync.WithHealthOverride(healthOverride),
			sync.WithServerSideApply(true),
			sync.WithServerSideApplyManager(argoCDManager),
			sync.WithLogr(logr.Discard()),
			sync.WithPrune(true),
			// Argo CD prunes with foreground propagation by default, which
			// a cluster's garbage collector completes; the suite's clusters
			// run none (no kube-controller-manager), so a pruned object
			// would wait for it forever. Background deletes the same
			// objects (mtlsgen's have no dependents) at once.
			sync.WithPrunePropagationPolicy(ptr(metav1.DeletePropagationBackground)),
		}
		if rounds > 1 {
			opts = append(opts, sync.WithInitialState(phase, message, results, started))
		}
		sc, cleanup, err := sync.NewSyncContext("e2e", sync.Reconcile(desired, live, "", c), c.config, c.config, c.kubectl, "", opts...)
		if err != nil {
			return nil, err
		}
		sc.Sync(ctx)
		phase, message, results = sc.GetState()
		cleanup()
		if c.trace {
			fmt.Fprintf(os.Stderr, "round %d: %s: %s\n", rounds, phase, message)
			for _, r := range results {
				fmt.Fprintf(os.Stderr, "  %s %s/%s: %s %s %s: %s\n", r.SyncPhase, r.ResourceKey.Kind, r.ResourceKey.Name, r.Status, r.HookPhase, r.HookType, r.Message)
			}
		}
		took = append(took, time.Since(roundStart).Seconds())
	}
	return syncReport(all, phase, message, took, results), nil
}

func syncReport(objs []*unstructured.Unstructured, phase common.OperationPhase, message string, took []float64, results []common.ResourceSyncResult) *SyncReport {
	byKey := map[kube.ResourceKey]*unstructured.Unstructured{}
	for _, o := range objs {
		byKey[kube.GetResourceKey(o)] = o
	}
	r := &SyncReport{Phase: string(phase), Message: message, Rounds: len(took), RoundSeconds: took}
	for _, res := range results {
		k := res.ResourceKey
		s := SyncedResource{
			Object:  k.Kind + " " + k.Name,
			Status:  string(res.Status),
			Health:  string(res.HookPhase),
			Message: res.Message,
			order:   res.Order,
		}
		if k.Namespace != "" {
			s.Object = k.Kind + " " + k.Namespace + "/" + k.Name
		}
		if o := byKey[k]; o != nil {
			s.Wave, _ = strconv.Atoi(o.GetAnnotations()[common.AnnotationSyncWave])
		}
		r.Resources = append(r.Resources, s)
	}
	sort.SliceStable(r.Resources, func(i, j int) bool { return r.Resources[i].order < r.Resources[j].order })
	return r
}

func ptr[T any](v T) *T { return &v }
