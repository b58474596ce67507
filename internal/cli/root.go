// Package cli is the mtlsgen command line: cobra wiring only. Each command
// parses flags, calls a library (load, generator, output) and writes the
// result to the streams it was given; only main touches the process.
package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mtlsgen/mtlsgen/internal/load"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitInvalid = 1 // the spec (or the check) found problems
	ExitUsage   = 2 // the command line is wrong
)

// IOStreams are the standard streams a command uses.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// usageError is a mistake on the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// NewRootCommand builds the mtlsgen command tree.
func NewRootCommand(streams IOStreams, version string) *cobra.Command {
	root := &cobra.Command{
		Use:   "mtlsgen",
		Short: "Generate Linkerd mTLS certificates, trust bundles and Argo CD wiring from one spec",
		Long: `mtlsgen turns one small MeshTLS spec into every object a Linkerd mesh needs to
run with certificates issued and rotated in-cluster by cert-manager and
trust-manager, delivered by Argo CD, and checks it.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newRenderCommand(streams, version),
		newValidateCommand(streams),
		newInitCommand(streams),
		newSchemaCommand(streams),
		newVersionCommand(streams, version),
		newChartsCommand(streams),
	)
	return root
}

// Run executes mtlsgen with args and returns the process exit code. Problems
// with a spec are printed one per line as FILE:LINE: PATH: message.
func Run(args []string, streams IOStreams, version string) int {
	root := NewRootCommand(streams, version)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	if le, ok := load.AsError(err); ok {
		for _, p := range le.Problems {
			fmt.Fprintf(streams.ErrOut, "mtlsgen: %s\n", p)
		}
		return ExitInvalid
	}
	// A list of problems (errors.Join) is printed one a line.
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			fmt.Fprintf(streams.ErrOut, "mtlsgen: %s\n", e)
		}
		return ExitInvalid
	}
	fmt.Fprintf(streams.ErrOut, "mtlsgen: %s\n", err)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintln(streams.ErrOut, "Run 'mtlsgen --help' for usage.")
		return ExitUsage
	}
	return ExitInvalid
}

// isCobraUsage recognises cobra's own argument errors (unknown command,
// wrong number of arguments), which it does not type.
func isCobraUsage(err error) bool {
	var ae argsError
	return errors.As(err, &ae) || strings.HasPrefix(err.Error(), "unknown command ")
}

// argsError marks an error from an Args validator.
type argsError struct{ error }

func (e argsError) Unwrap() error { return e.error }

// args wraps a cobra.PositionalArgs so its errors count as usage errors.
func args(fn cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := fn(cmd, a); err != nil {
			return argsError{err}
		}
		return nil
	}
}
