package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mtlsgen/mtlsgen/internal/load"
)

func newValidateCommand(streams IOStreams) *cobra.Command {
	var profile string
	cmd := &cobra.Command{
		Use:   "validate [FILE|-]...",
		Short: "Check specs and report every problem",
		Long: `Check one or more specs. Each valid spec is reported as "FILE: valid" on
standard output; every problem of every spec is printed on standard error as
FILE:LINE: FIELD.PATH: message. The exit code is 1 if any spec has a problem.
Without a file it reads ` + DefaultSpecFile + `, as render does.`,
		Args: args(cobra.ArbitraryArgs),
		RunE: func(_ *cobra.Command, files []string) error {
			if len(files) == 0 {
				files = []string{DefaultSpecFile}
			}
			opts, err := loadOptions(profile)
			if err != nil {
				return err
			}
			var all load.Error
			for _, file := range files {
				_, err := load.LoadFile(file, streams.In, opts)
				if le, ok := load.AsError(err); ok {
					all.Problems = append(all.Problems, le.Problems...)
					continue
				}
				if err != nil {
					return err
				}
				name := file
				if file == "-" {
					name = load.StdinName
				}
				if _, err := fmt.Fprintf(streams.Out, "%s: valid\n", name); err != nil {
					return err // a script reading "valid" must not read nothing and exit 0
				}
			}
			if len(all.Problems) > 0 {
				return &all
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "", "profile whose defaults apply, overriding spec.profile")
	return cmd
}
