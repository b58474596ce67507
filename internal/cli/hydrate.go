package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/charts"
	"github.com/mtlsgen/mtlsgen/internal/output"
)

// newEngine returns the engine that runs Helm: the mtlsgen-helm binary.
// Finding it is deferred to the first request, so that a pull with every
// chart cached needs no helper at all.
var newEngine = func() charts.Engine { return &lazyHelper{} }

type lazyHelper struct{ engine charts.Engine }

func (l *lazyHelper) Do(ctx context.Context, req charts.Request, log io.Writer) (*charts.Response, error) {
	if l.engine == nil {
		path, err := charts.FindHelper()
		if err != nil {
			return nil, err
		}
		l.engine = charts.ExecEngine{Path: path}
	}
	return l.engine.Do(ctx, req, log)
}

// chartStore is where a spec's charts are: the cache, and the lock file
// (FILE's directory/mtlsgen.lock unless --lock names another).
type chartStore struct {
	cache    charts.Cache
	lockPath string
	lock     *charts.Lock
	pullCmd  string
}

func openChartStore(file, cacheFlag, lockFlag string) (*chartStore, error) {
	s := &chartStore{lockPath: lockFlag, cache: charts.Cache{Dir: cacheFlag}}
	if s.lockPath == "" {
		dir := "."
		if file != "-" {
			dir = filepath.Dir(file)
		}
		s.lockPath = filepath.Join(dir, charts.LockFile)
	}
	if s.cache.Dir == "" {
		dir, err := charts.DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		s.cache.Dir = dir
	}
	var err error
	if s.lock, err = charts.ReadLock(s.lockPath); err != nil {
		return nil, err
	}
	cmd := []string{"mtlsgen", "charts", "pull", file}
	if cacheFlag != "" {
		cmd = append(cmd, "--cache", cacheFlag)
	}
	if lockFlag != "" {
		cmd = append(cmd, "--lock", lockFlag)
	}
	s.pullCmd = strings.Join(cmd, " ")
	return s, nil
}

// hydration is what --hydrate adds to a render: every chart rendered, to be
// written into every cluster.
type hydration struct {
	charts   []charts.Hydrated
	clusters []string
	// only is set when --component names a chart: nothing else is
	// rendered.
	only bool
}

// isChartComponent reports whether a --component value names one of the
// spec's Helm charts.
func isChartComponent(m *v1alpha1.MeshTLS, component string) bool {
	return component != "" && slices.ContainsFunc(generator.HelmCharts(m), func(c generator.HelmChart) bool { return c.Component == component })
}

// hydrate renders the spec's Helm charts (those of --component, if it
// names one) with the mtlsgen-helm engine.
func hydrate(streams IOStreams, file string, m *v1alpha1.MeshTLS, f *renderFlags) (*hydration, error) {
	if m.Spec.KubeVersion == "" {
		return nil, fmt.Errorf("%s: spec.kubeVersion: required with --hydrate: the Kubernetes version of the clusters, e.g. \"1.33\", "+
			"which the charts are rendered for (as Argo CD renders them for the cluster they go to)", displayName(file))
	}
	if len(m.Spec.Clusters) == 0 {
		return nil, fmt.Errorf("%s: spec.argocd.clusterSelector: --hydrate writes the charts once per cluster of spec.clusters, "+
			"and with a cluster selector the clusters are Argo CD's to know: list them in spec.clusters", displayName(file))
	}
	h := &hydration{only: isChartComponent(m, f.component)}
	var cs []generator.HelmChart
	for _, c := range generator.HelmCharts(m) {
		if f.component == "" || c.Component == f.component {
			cs = append(cs, c)
		}
	}
	if f.component != "" && !h.only {
		cs = nil // --component mesh or argocd: no chart
	}
	for _, c := range m.Spec.Clusters {
		if f.cluster == "" || c.Name == f.cluster {
			h.clusters = append(h.clusters, c.Name)
		}
	}
	slices.Sort(h.clusters)
	if len(cs) == 0 {
		return h, nil
	}
	store, err := openChartStore(file, f.cache, f.lock)
	if err != nil {
		return nil, err
	}
	h.charts, err = charts.Hydrate(context.Background(), cs, charts.HydrateOptions{
		Cache: store.cache, Lock: store.lock, Local: f.charts, Engine: newEngine(),
		KubeVersion: m.Spec.KubeVersion, PullCommand: store.pullCmd, Log: streams.ErrOut,
	})
	return h, err
}

func displayName(file string) string {
	if file == "-" {
		return "<stdin>"
	}
	return file
}

// sink wraps a sink so that each cluster's charts are written after its
// own objects, before the next cluster's: clusters come in name order and
// the fleet's objects last.
func (h *hydration) sink(inner output.Sink) (output.Sink, error) {
	mw, ok := inner.(output.ManifestWriter)
	if !ok {
		return nil, usagef("--hydrate writes Helm's manifests as YAML: use -o yaml or -o dir=PATH")
	}
	return &hydratingSink{Sink: inner, mw: mw, h: h}, nil
}

type hydratingSink struct {
	output.Sink
	mw   output.ManifestWriter
	h    *hydration
	done int // clusters written
}

func (s *hydratingSink) Write(o generator.Object) error {
	if err := s.flushBefore(o.Cluster); err != nil {
		return err
	}
	return s.Sink.Write(o)
}

// flushBefore writes the charts of every cluster that sorts before cluster
// ("" is the fleet, after every cluster).
func (s *hydratingSink) flushBefore(cluster string) error {
	for s.done < len(s.h.clusters) && (cluster == "" || s.h.clusters[s.done] < cluster) {
		for _, c := range s.h.charts {
			if err := s.mw.WriteManifests(s.h.clusters[s.done], c.Chart.Component, c.Manifest); err != nil {
				return err
			}
		}
		s.done++
	}
	return nil
}

func (s *hydratingSink) Close() error {
	if err := s.flushBefore(""); err != nil {
		s.Sink.Abort()
		return err
	}
	return s.Sink.Close()
}
