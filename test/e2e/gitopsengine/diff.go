package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/diff"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

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

// diff runs Argo CD's diff of every desired object against its live state,
// in both of Argo CD's strategies:
//
//   - legacy: Argo CD's default, a diff of the desired object against the
//     live one (three-way when the live object carries kubectl's
//     last-applied annotation, which a server-side apply does not write);
//   - server-side: the desired object applied server-side as a dry run by
//     Argo CD's field manager, the result compared with the live object,
//     with the cluster's OpenAPI-derived parser telling webhook mutations
//     from desired fields (what Argo CD's controller builds per cluster).
func (c *cluster) diff(ctx context.Context, desired []*unstructured.Unstructured) ([]Difference, error) {
	_, gvkParser, err := c.kubectl.LoadOpenAPISchema(c.config)
	if err != nil {
		return nil, fmt.Errorf("loading the cluster's OpenAPI schema: %w", err)
	}
	applier, cleanup, err := c.kubectl.ManageServerSideDiffDryRuns(c.config)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	strategies := []struct {
		name    string
		options []diff.Option
	}{
		{"legacy", nil},
		{"server-side", []diff.Option{
			diff.WithServerSideDiff(true),
			diff.WithServerSideDryRunner(diff.NewK8sServerSideDryRunner(applier)),
			diff.WithManager(argoCDManager),
			diff.WithGVKParser(gvkParser),
		}},
	}

	diffs := []Difference{}
	for _, want := range desired {
		live, err := c.get(ctx, want)
		if err != nil {
			return nil, err
		}
		if live == nil {
			diffs = append(diffs, Difference{Object: ref(want), Strategy: "any", Diff: "not in the cluster"})
			continue
		}
		for _, s := range strategies {
			r, err := diff.Diff(ctx, want.DeepCopy(), live.DeepCopy(), s.options...)
			if err != nil {
				return nil, fmt.Errorf("%s diff of %s: %w", s.name, ref(want), err)
			}
			if !r.Modified {
				continue
			}
			d, err := report(r)
			if err != nil {
				return nil, fmt.Errorf("%s diff of %s: %w", s.name, ref(want), err)
			}
			diffs = append(diffs, Difference{Object: ref(want), Strategy: s.name, Diff: d})
		}
	}
	return diffs, nil
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
