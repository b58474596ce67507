package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/mtlsgen/mtlsgen/plugin/cmp"
)

const cmpGenerateHelp = `Generate the manifests of one Argo CD Application: the generate command of
the Config Management Plugin (plugin/cmp/plugin.yaml), run by
argocd-cmp-server in the application directory.

The spec is the plugin parameter spec (default mtlsgen.yaml), a path relative
to the application directory that must stay inside it. The parameters
cluster, component and profile select as render's flags do. Each parameter is
read from ARGOCD_APP_PARAMETERS, then PARAM_<NAME>, then ARGOCD_ENV_<name>
(the Application's plugin env, the name in any case); the first non-empty
value wins. An unknown parameter or env name is an error.

Standard output gets only manifests, byte-identical to mtlsgen render with the
same options. On any problem, including a selection that renders nothing
(with prune on, a manual sync of an empty output would delete the mesh), the problem goes to
standard error, nothing to standard output, and the exit code is non-zero.`

func newCmpCommand(streams IOStreams, version string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cmp",
		Short: "Run as an Argo CD Config Management Plugin",
		Args:  args(cobra.NoArgs),
		// With a RunE, an unknown subcommand (a typo of generate in
		// plugin.yaml) is a usage error, not help on stdout and exit 0,
		// which Argo CD would take for an empty manifest.
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "generate",
		Short: "Print one Application's manifests (the plugin's generate command)",
		Long:  cmpGenerateHelp,
		Args:  args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			// The process environment and working directory are this
			// command's input: argocd-cmp-server sets both.
			return runCmpGenerate(streams, version, os.Environ(), ".")
		},
	})
	return cmd
}

// runCmpGenerate writes the manifests to streams.Out only once all of them
// are rendered, so an error never leaves a partial output behind.
func runCmpGenerate(streams IOStreams, version string, environ []string, appDir string) error {
	req, err := cmp.RequestFromEnv(environ)
	if err != nil {
		return err
	}
	SetRenderGC()
	out, err := cmp.Generate(appDir, req, version)
	if err != nil {
		return err
	}
	_, err = streams.Out.Write(out)
	return err
}
