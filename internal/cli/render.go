package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/load"
	"github.com/mtlsgen/mtlsgen/internal/output"
	"github.com/mtlsgen/mtlsgen/plugin"
)

const renderHelp = `Render every object of a spec.

FILE is a MeshTLS spec; "-" reads it from standard input; without FILE,
mtlsgen.yaml in the current directory is read.

Output goes to standard output as one YAML stream (-o yaml, the default), as a
JSON List (-o json), or into a directory tree (-o dir=PATH):
PATH/clusters/CLUSTER/COMPONENT/manifests.yaml, PATH/fleet/COMPONENT/
manifests.yaml, and one file per patch, PATH/clusters/CLUSTER/patches/
kind_NAMESPACE_NAME.yaml (component patches: kustomize patches for objects
other Applications own). A directory is written next to PATH and renamed into
place, so PATH never holds half an output; PATH/.mtlsgen-output marks it as
mtlsgen's, which a later render may replace whole (and nothing else).

--only linkerd-values prints the Linkerd charts' Helm values instead, and
--only alerts the PrometheusRule alerting on the certificates and the
restarter (the same for every cluster; printed whether or not
spec.monitoring.prometheusRule adds it to the manifests).

With --hydrate, every Helm chart the spec installs (cert-manager,
trust-manager, the Linkerd charts) is rendered too, with Helm's engine and the
values mtlsgen generates, as Argo CD would render it for spec.kubeVersion:
its manifests go to PATH/clusters/CLUSTER/COMPONENT/manifests.yaml (or into
the stream, after each cluster's objects). Charts come from --charts DIR
(CHART-VERSION.tgz or CHART/) or the chart cache that "mtlsgen charts pull"
fills, at the digests mtlsgen.lock records; rendering never uses the network.
It runs Helm in the mtlsgen-helm binary (installed next to mtlsgen). With
spec.argocd.source: rendered, the ApplicationSet's Applications read these
directories (PATH must be the directory named rendered next to the spec),
so -o dir= needs --hydrate.

If the spec has any problem, every problem is printed on standard error, one
per line, nothing is written, and the exit code is 1.`

// DefaultSpecFile is the spec read when no file is named.
const DefaultSpecFile = "mtlsgen.yaml"

// specFileArg is the spec a command taking [FILE|-] reads.
func specFileArg(a []string) string {
	if len(a) == 1 {
		return a[0]
	}
	return DefaultSpecFile
}

type renderFlags struct {
	profile   string
	cluster   string
	component string
	output    string
	only      string
	hydrate   bool
	charts    string
	cache     string
	lock      string
}

// What --only selects.
const (
	onlyManifests     = "manifests"
	onlyLinkerdValues = "linkerd-values"
	onlyAlerts        = "alerts"
)

func newRenderCommand(streams IOStreams, version string) *cobra.Command {
	f := &renderFlags{}
	cmd := &cobra.Command{
		Use:   "render [FILE|-]",
		Short: "Render the objects of a spec",
		Long:  renderHelp,
		Args:  args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			return runRender(streams, version, specFileArg(a), f)
		},
	}
	cmd.Flags().StringVar(&f.profile, "profile", "", "profile whose defaults apply, overriding spec.profile (dev, prod, ha)")
	cmd.Flags().StringVar(&f.cluster, "cluster", "", "render only this cluster's objects")
	cmd.Flags().StringVar(&f.component, "component", "", "render only this component (mesh, patches, argocd; with --hydrate also a chart, e.g. linkerd-control-plane)")
	cmd.Flags().StringVarP(&f.output, "output", "o", "yaml", "output format: yaml, json or dir=PATH")
	cmd.Flags().StringVar(&f.only, "only", onlyManifests, "what to render: manifests, linkerd-values (plain Helm values files, for installing the charts some other way) or alerts (the PrometheusRule)")
	cmd.RegisterFlagCompletionFunc("only", fixedCompletion(onlyManifests, onlyLinkerdValues, onlyAlerts))
	cmd.Flags().BoolVar(&f.hydrate, "hydrate", false, "also render every Helm chart the spec installs into plain manifests (needs spec.kubeVersion and the mtlsgen-helm binary)")
	cmd.Flags().StringVar(&f.charts, "charts", "", "with --hydrate: directory of local charts (CHART-VERSION.tgz or CHART/) used before the chart cache")
	cmd.Flags().StringVar(&f.cache, "cache", "", "with --hydrate: chart cache directory (default $XDG_CACHE_HOME/mtlsgen/charts or ~/.cache/mtlsgen/charts)")
	cmd.Flags().StringVar(&f.lock, "lock", "", "with --hydrate: lock file (default mtlsgen.lock next to the spec)")
	cmd.RegisterFlagCompletionFunc("profile", fixedCompletion(v1alpha1.Profiles...))
	cmd.RegisterFlagCompletionFunc("component", fixedCompletion(componentNames()...))
	cmd.RegisterFlagCompletionFunc("output", fixedCompletion("yaml", "json", "dir="))
	return cmd
}

func runRender(streams IOStreams, version, file string, f *renderFlags) error {
	format, err := output.ParseFormat(f.output)
	if err != nil {
		return usageError{err}
	}
	switch {
	case f.only != onlyManifests && f.only != onlyLinkerdValues && f.only != onlyAlerts:
		return usagef("unknown --only %q (allowed: %s, %s, %s)", f.only, onlyManifests, onlyLinkerdValues, onlyAlerts)
	case f.only == onlyLinkerdValues && (format.Kind != "yaml" || f.component != ""):
		return usagef("--only linkerd-values prints Helm values files as YAML; -o json, -o dir= and --component apply to manifests")
	case f.only == onlyAlerts && (format.Kind == "dir" || f.component != ""):
		return usagef("--only alerts prints one PrometheusRule as YAML or JSON; -o dir= and --component apply to manifests")
	case f.hydrate && (f.only != onlyManifests || format.Kind == "json"):
		return usagef("--hydrate writes Helm's manifests as YAML: use -o yaml or -o dir=PATH, without --only")
	case !f.hydrate && (f.charts != "" || f.cache != "" || f.lock != ""):
		return usagef("--charts, --cache and --lock go with --hydrate")
	}
	opts, err := loadOptions(f.profile)
	if err != nil {
		return err
	}
	SetRenderGC()
	// Encoding is most of a render and its first use of each kind is the
	// dearest: start that on the other core while the spec is read.
	go generator.WarmEncoders()
	m, err := load.LoadFile(file, streams.In, opts)
	if err != nil {
		return err
	}
	gopts := generator.Options{Version: version, Cluster: f.cluster, Component: generator.Component(f.component)}
	if f.hydrate && isChartComponent(m, f.component) {
		gopts.Component = "" // a chart: checked, and rendered, by hydrate
	}
	if err := generator.CheckOptions(m, gopts); err != nil {
		if f.hydrate && gopts.Component != "" && !slices.Contains(generator.Components, gopts.Component) {
			var names []string
			for _, c := range generator.HelmCharts(m) {
				if !slices.Contains(names, c.Component) {
					names = append(names, c.Component)
				}
			}
			return usagef("no component %q (components: %s; with --hydrate also the charts: %s)",
				f.component, strings.Join(componentNames(), ", "), strings.Join(names, ", "))
		}
		return usageError{err}
	}
	if f.charts != "" {
		if fi, err := os.Stat(f.charts); err != nil || !fi.IsDir() {
			return usagef("--charts %s: not a directory of local charts", f.charts)
		}
	}
	if a := m.Spec.ArgoCD; !f.hydrate && format.Kind == "dir" && f.component == "" && a.Source == v1alpha1.SourceRendered &&
		v1alpha1.IsEnabled(a.Enabled) && len(generator.HelmCharts(m)) > 0 {
		return fmt.Errorf("%s: spec.argocd.source is rendered, so Argo CD reads every chart from %s/clusters/CLUSTER/COMPONENT: "+
			"render with --hydrate to write them (or use source: plugin)", displayName(file), format.Dir)
	}
	if format.Kind == "dir" && file != "-" {
		// The tree is replaced whole: a spec inside it would be deleted by
		// its own render.
		spec, dir := resolvedPath(file), resolvedPath(format.Dir)
		if strings.HasPrefix(spec, dir+string(filepath.Separator)) {
			return usagef("-o dir=%s holds the spec %s, and a render replaces that directory whole: write the tree beside the spec (e.g. -o dir=%s)",
				format.Dir, file, filepath.Join(filepath.Dir(file), generator.RenderedDir))
		}
	}
	if where := unreadTree(m, file, format, f.component); where != "" {
		fmt.Fprintf(streams.ErrOut, "mtlsgen: warning: %s\n", where)
	}
	var hyd *hydration
	if f.hydrate {
		if hyd, err = hydrate(streams, file, m, f); err != nil {
			return err
		}
	}
	if f.only == onlyLinkerdValues {
		// The values are the same for every cluster: what differs per
		// cluster is passed by the ApplicationSet, not baked in.
		return output.WriteValues(streams.Out, generator.LinkerdValues(&m.Spec, m.Metadata.Name))
	}
	if f.only == onlyAlerts {
		return output.WriteObject(streams.Out, format, generator.PrometheusRule(&m.Spec))
	}
	// The spec is valid and the options fit it: from here on rendering
	// cannot fail on input, so output can stream.
	sink, err := format.Open(streams.Out)
	if err != nil {
		return err
	}
	stopSignals := output.AbortOnSignal(sink)
	defer stopSignals()
	if hyd != nil {
		if sink, err = hyd.sink(sink); err != nil {
			return err
		}
		if hyd.only {
			return sink.Close()
		}
	}
	written := 0
	err = generator.Render(m, gopts, func(o generator.Object) error { written++; return sink.Write(o) })
	if err == nil && written == 0 && hyd == nil {
		// As the plugins do: an empty output is no success, and -o dir=
		// would replace a rendered tree with nothing.
		if m.Spec.ArgoCD.ClusterSelector != nil && gopts.Cluster == "" {
			err = usagef("%s: %s renders no object: %v (--cluster NAME)", displayName(file), plugin.Describe(gopts), plugin.ErrClusterRequired)
		} else {
			err = usagef("%s: %s renders no object; refusing an empty output", displayName(file), plugin.Describe(gopts))
		}
	}
	if err != nil {
		sink.Abort()
		return err
	}
	stopSignals()
	return sink.Close()
}

// unreadTree says why a rendered tree will not be what Argo CD reads, or
// "": with source: rendered, the Applications read argocd.path/rendered,
// the directory named rendered next to the spec, whatever -o dir= names
// and wherever mtlsgen runs. A tree elsewhere may be for review, so this
// warns rather than refuses.
func unreadTree(m *v1alpha1.MeshTLS, file string, format output.Format, component string) string {
	a := m.Spec.ArgoCD
	if format.Kind != "dir" || component != "" || file == "-" || a.Source != v1alpha1.SourceRendered || !v1alpha1.IsEnabled(a.Enabled) {
		return ""
	}
	// Where the spec really is: a path through a link and then ".." is not
	// the lexical one.
	dir := filepath.Dir(file)
	if real, err := filepath.EvalSymlinks(file); err == nil {
		dir = filepath.Dir(real)
	}
	beside := filepath.Join(dir, generator.RenderedDir)
	if resolvedPath(beside) == resolvedPath(format.Dir) {
		return ""
	}
	return fmt.Sprintf("spec.argocd.source is rendered, so Argo CD reads %s/%s, the directory %s next to %s; this render writes %s, which no Application reads (run -o dir=%s)",
		a.Path, generator.RenderedDir, generator.RenderedDir, file, format.Dir, beside)
}

// resolvedPath is p made absolute and through its symbolic links (those of
// the directory holding it when p does not exist yet).
func resolvedPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if real, err := filepath.EvalSymlinks(p); err == nil { // p, not abs: ".." after a link
		if real, err := filepath.Abs(real); err == nil {
			return real
		}
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// loadOptions checks the --profile flag.
func loadOptions(profile string) (load.Options, error) {
	if profile != "" && !contains(v1alpha1.Profiles, profile) {
		return load.Options{}, usagef("unknown profile %q (allowed: dev, prod, ha)", profile)
	}
	return load.Options{Profile: v1alpha1.Profile(profile)}, nil
}

func componentNames() []string {
	out := make([]string, len(generator.Components))
	for i, c := range generator.Components {
		out[i] = string(c)
	}
	return out
}

func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
