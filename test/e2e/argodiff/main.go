// Command argodiff reports what Argo CD would show as out of sync between
// the objects mtlsgen rendered and what a cluster holds once they are
// applied and every controller has settled. It runs Argo CD's own diff,
// gitops-engine's pkg/diff, in both of Argo CD's strategies:
//
//   - legacy: Argo CD's default, a diff of the desired object against the
//     live one (three-way when the live object carries kubectl's
//     last-applied annotation, which a server-side apply does not write);
//   - server-side: the desired object applied server-side as a dry run,
//     by Argo CD's field manager, and the result compared with the live one.
//
// Usage:
//
//	argodiff -kubeconfig FILE < objects.json
//
// Standard input is a JSON array of the desired objects. Standard output is
// a JSON array with one entry per object and strategy that differs (empty
// when Argo CD would see every object in sync). Anything that stops the
// comparison (an object that cannot be read, a dry run the API server
// refuses) is printed on standard error with a non-zero exit.
//
// It is a module of its own because gitops-engine needs a newer Go than
// mtlsgen builds with; the end-to-end suite builds it with that Go
// (test/e2e/harness/argodiff.go) and nothing of mtlsgen links it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/diff"
	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/utils/kube"
	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/utils/tracing"
	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// argoCDManager is the field manager Argo CD's sync applies with and its
// server-side diff dry-runs as (common.ArgoCDSSAManager in Argo CD).
const argoCDManager = "argocd-controller"

// Difference is one object that Argo CD would show as out of sync.
type Difference struct {
	// Object is kind namespace/name.
	Object string `json:"object"`
	// Strategy is "legacy" or "server-side".
	Strategy string `json:"strategy"`
	// Diff is go-cmp's report, from the live object (-) to what Argo CD
	// expects it to be (+).
	Diff string `json:"diff"`
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "the cluster's kubeconfig file (required)")
	flag.Parse()
	if *kubeconfig == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: argodiff -kubeconfig FILE < objects.json")
		os.Exit(2)
	}
	diffs, err := run(context.Background(), *kubeconfig, os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "argodiff:", err)
		os.Exit(1)
	}
	out, err := json.MarshalIndent(diffs, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "argodiff:", err)
		os.Exit(1)
	}
	fmt.Printf("%s\n", out)
}

func run(ctx context.Context, kubeconfig string, in io.Reader) ([]Difference, error) {
	var desired []*unstructured.Unstructured
	if err := json.NewDecoder(in).Decode(&desired); err != nil {
		return nil, fmt.Errorf("reading the objects from standard input: %w", err)
	}
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	c, err := newCluster(config)
	if err != nil {
		return nil, err
	}
	defer c.cleanup()

	diffs := []Difference{}
	for _, want := range desired {
		live, err := c.get(ctx, want)
		if err != nil {
			return nil, err
		}
		for _, s := range c.strategies {
			r, err := diff.Diff(ctx, want.DeepCopy(), live.DeepCopy(), s.options...)
			if err != nil {
				return nil, fmt.Errorf("%s diff of %s: %w", s.name, ref(want), err)
			}
			if r.Modified {
				d, err := report(r)
				if err != nil {
					return nil, fmt.Errorf("%s diff of %s: %w", s.name, ref(want), err)
				}
				diffs = append(diffs, Difference{Object: ref(want), Strategy: s.name, Diff: d})
			}
		}
	}
	return diffs, nil
}

// cluster reads live objects and holds the diff options Argo CD's
// controller would use for this cluster.
type cluster struct {
	dynamic    dynamic.Interface
	mapper     *restmapper.DeferredDiscoveryRESTMapper
	strategies []strategy
	cleanup    func()
}

type strategy struct {
	name    string
	options []diff.Option
}

func newCluster(config *rest.Config) (*cluster, error) {
	disco, err := discovery.NewDiscoveryClientForConfig(config)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	// What Argo CD's controller builds for a cluster: the kubectl-based
	// applier for dry runs and the OpenAPI-derived parser with which
	// server-side diff tells webhook mutations from desired fields.
	kubectl := &kube.KubectlCmd{Log: logr.Discard(), Tracer: tracing.NopTracer{}}
	_, gvkParser, err := kubectl.LoadOpenAPISchema(config)
	if err != nil {
		return nil, fmt.Errorf("loading the cluster's OpenAPI schema: %w", err)
	}
	applier, cleanup, err := kubectl.ManageServerSideDiffDryRuns(config)
	if err != nil {
		return nil, err
	}
	return &cluster{
		dynamic: dyn,
		mapper:  restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco)),
		strategies: []strategy{
			{"legacy", nil},
			{"server-side", []diff.Option{
				diff.WithServerSideDiff(true),
				diff.WithServerSideDryRunner(diff.NewK8sServerSideDryRunner(applier)),
				diff.WithManager(argoCDManager),
				diff.WithGVKParser(gvkParser),
			}},
		},
		cleanup: cleanup,
	}, nil
}

func (c *cluster) get(ctx context.Context, o *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	gvk := o.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref(o), err)
	}
	var ri dynamic.ResourceInterface = c.dynamic.Resource(m.Resource)
	if o.GetNamespace() != "" {
		ri = c.dynamic.Resource(m.Resource).Namespace(o.GetNamespace())
	}
	live, err := ri.Get(ctx, o.GetName(), metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref(o), err)
	}
	return live, nil
}

// report says how the live object differs from what Argo CD expects.
func report(r *diff.DiffResult) (string, error) {
	var live, predicted any
	if err := json.Unmarshal(r.NormalizedLive, &live); err != nil {
		return "", err
	}
	if err := json.Unmarshal(r.PredictedLive, &predicted); err != nil {
		return "", err
	}
	return cmp.Diff(live, predicted), nil
}

// ref names an object as the suite does (harness.Ref): kind namespace/name.
func ref(o *unstructured.Unstructured) string {
	if o.GetNamespace() == "" {
		return o.GetKind() + " " + o.GetName()
	}
	return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
}
