package cli

import (
	"github.com/spf13/cobra"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

func newSchemaCommand(streams IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the spec, for editors",
		Long: `Print the JSON Schema (draft 2020-12) of the MeshTLS spec, generated from
mtlsgen's Go types and their documentation. Point your editor's YAML language
server at it, e.g. with a first line
  # yaml-language-server: $schema=meshtls.schema.json`,
		Args: args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			_, err := streams.Out.Write(v1alpha1.JSONSchema())
			return err
		},
	}
}
