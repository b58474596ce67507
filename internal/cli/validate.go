package cli

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/internal/load"
)

func newValidateCommand(streams IOStreams) *cobra.Command {
	var profile, previous string
	cmd := &cobra.Command{
		Use:   "validate [FILE|-]...",
		Short: "Check specs and report every problem",
		Long: `Check one or more specs. Each valid spec is reported as "FILE: valid" on
standard output; every problem of every spec is printed on standard error as
"mtlsgen: FILE:LINE: FIELD.PATH: message". The exit code is 1 if any spec has
a problem.
Without a file it reads ` + DefaultSpecFile + `, as render does.

--previous OLD also checks the change from OLD, the spec as it is deployed
now, to each FILE, for what a sync cannot carry out safely on a running
mesh: a trust anchor replaced in one step instead of the three rotation
steps, an anchor's key source changed under its name, a moved Linkerd or
trust namespace, a new trust domain, a renamed spec (with Argo CD). It warns
about the Gateway API hand-over from Linkerd 2.18 to 2.19, which needs a
step on every cluster first, and about an inbound policy from off to enforce
without audit. In CI:

  git show origin/main:mtlsgen.yaml > /tmp/deployed.yaml
  mtlsgen validate --previous /tmp/deployed.yaml mtlsgen.yaml`,
		Args: args(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, files []string) error {
			if len(files) == 0 {
				files = []string{DefaultSpecFile}
			}
			if n := slices.Index(files, "-"); n >= 0 && slices.Contains(files[n+1:], "-") {
				return usagef("- is named twice: standard input holds one spec")
			}
			opts, err := loadOptions(profile)
			if err != nil {
				return err
			}
			if previous == "" && cmd.Flags().Changed("previous") {
				// An empty variable in a CI job must not pass the check by
				// skipping it.
				return usagef("--previous names no file (an empty variable?): give the deployed spec, or leave the flag out")
			}
			if previous != "" {
				if slices.Contains(files, "-") && previous == "-" {
					return usagef("--previous -: standard input is read once, and a spec already reads it")
				}
				// The deployed spec, with its own profile (--profile is for
				// the new one), and not validated: rules newer than it may
				// refuse it, and this change may be the fix.
				if opts.Previous, err = load.LoadFile(previous, streams.In, load.Options{Unvalidated: true}); err != nil {
					if _, ok := load.AsError(err); ok {
						fmt.Fprintf(streams.ErrOut, "mtlsgen: --previous %s cannot be read as a spec, so the change from it cannot be checked:\n", previous)
					}
					return err
				}
				if errs := v1alpha1.ValidateTransitionBase(opts.Previous); len(errs) > 0 {
					fmt.Fprintf(streams.ErrOut, "mtlsgen: --previous %s cannot be read as a spec, so the change from it cannot be checked:\n", previous)
					le := &load.Error{}
					for _, e := range errs {
						le.Problems = append(le.Problems, load.Problem{File: previous, Path: e.Field, Message: load.Describe(e)})
					}
					return le
				}
			}
			var all load.Error
			for _, file := range files {
				m, err := load.LoadFile(file, streams.In, opts)
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
				if opts.Previous != nil {
					for _, w := range v1alpha1.TransitionWarnings(opts.Previous, m) {
						fmt.Fprintf(streams.ErrOut, "mtlsgen: warning: %s: %s: %s\n", name, w.Field, w.Detail)
					}
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
	cmd.Flags().StringVar(&previous, "previous", "", "the spec deployed now (- for standard input): also check that the change from it is safe to sync")
	return cmd
}
