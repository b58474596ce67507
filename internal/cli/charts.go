package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/charts"
	"github.com/mtlsgen/mtlsgen/internal/load"
)

const chartsPullHelp = `Download every Helm chart a spec installs into the chart cache.

Each chart (cert-manager, trust-manager, the Linkerd charts) is downloaded at
the version the spec pins, from the project's Helm repository, with
Helm's downloader, into a content-addressed cache: --cache DIR, by default
$XDG_CACHE_HOME/mtlsgen/charts or ~/.cache/mtlsgen/charts.

The sha256 of every archive is recorded in a lock file, mtlsgen.lock next to
the spec (--lock FILE for another): commit it. A later pull, on any machine,
takes a chart from the cache when the cache holds the locked digest, and
needs no network at all when it holds every one; a chart it downloads must
have the locked digest, or the pull fails and changes nothing. The first pull
of a chart checks it against the digest the repository's index lists.

"mtlsgen render --hydrate" then renders the charts from the cache, offline.
Downloading runs Helm in the mtlsgen-helm binary (installed next to mtlsgen).`

type chartsPullFlags struct {
	profile, cache, lock string
}

func newChartsCommand(streams IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "charts",
		Short: "Manage the Helm charts a spec installs",
		Args:  args(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	f := &chartsPullFlags{}
	pull := &cobra.Command{
		Use:   "pull [FILE|-]",
		Short: "Download the spec's Helm charts into the cache and lock their digests",
		Long:  chartsPullHelp,
		Args:  args(cobra.MaximumNArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			return runChartsPull(streams, specFileArg(a), f)
		},
	}
	pull.Flags().StringVar(&f.profile, "profile", "", "profile whose defaults apply, overriding spec.profile (dev, prod, ha)")
	pull.Flags().StringVar(&f.cache, "cache", "", "chart cache directory (default $XDG_CACHE_HOME/mtlsgen/charts or ~/.cache/mtlsgen/charts)")
	pull.Flags().StringVar(&f.lock, "lock", "", "lock file (default mtlsgen.lock next to the spec)")
	pull.RegisterFlagCompletionFunc("profile", fixedCompletion(v1alpha1.Profiles...))
	cmd.AddCommand(pull)
	return cmd
}

func runChartsPull(streams IOStreams, file string, f *chartsPullFlags) error {
	opts, err := loadOptions(f.profile)
	if err != nil {
		return err
	}
	m, err := load.LoadFile(file, streams.In, opts)
	if err != nil {
		return err
	}
	store, err := openChartStore(file, f.cache, f.lock)
	if err != nil {
		return err
	}
	refs := charts.RefsOf(generator.HelmCharts(m))
	next, err := charts.Pull(context.Background(), refs, store.lock, charts.PullOptions{
		Cache: store.cache, Engine: newEngine(), Log: streams.Out, EngineLog: streams.ErrOut,
	})
	if err != nil {
		return err
	}
	wrote, err := charts.WriteLock(store.lockPath, next)
	if err != nil {
		return err
	}
	if wrote {
		fmt.Fprintf(streams.Out, "wrote %s\n", store.lockPath)
	}
	return nil
}
