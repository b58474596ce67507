package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

func newVersionCommand(streams IOStreams, version string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the mtlsgen version and the Linkerd versions it supports",
		Args:  args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(streams.Out, "mtlsgen %s (spec %s)\n\n", version, v1alpha1.APIVersion)
			tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "LINKERD\tTAG\tCONTROL PLANE CHART\tHELM REPOSITORY")
			for _, r := range v1alpha1.LinkerdReleases {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Version, r.Tag, r.Charts.ControlPlane, r.HelmRepo)
			}
			return tw.Flush()
		},
	}
}
