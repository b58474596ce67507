// Package cli is the mtlsgen command line: cobra wiring only. Each command
// parses flags, calls a library (load, generator, output) and writes the
// result to the streams it was given; only main touches the process.
//
// The commands that link Kubernetes client libraries (krm, restarter,
// status) are in package kubecmd and the mtlsgen-kube binary; mtlsgen lists
// them and hands them over (see kube.go), so that its own start stays cheap.
package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
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

// ExitCode ends a command with a code and no message: the command has
// already said why on its output.
type ExitCode int

func (e ExitCode) Error() string { return "exit " + strconv.Itoa(int(e)) }

// usageError is a mistake on the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// Usage marks err as a mistake on the command line: it is printed with a
// pointer to --help and exit code 2.
func Usage(err error) error { return usageError{err} }

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
		newCheckCommand(streams, version),
		newKubeCommand(KubeRestarter),
		newKubeCommand(KubeStatus),
		newKubeCommand(KubeKrm),
		newCmpCommand(streams, version),
		newChartsCommand(streams),
	)
	return root
}

// Run executes mtlsgen with args and returns the process exit code. Problems
// with a spec are printed one per line as FILE:LINE: PATH: message.
//
// Without arguments and with standard input that is not a terminal, mtlsgen
// is a KRM function, as `mtlsgen krm` (see krmStdinMode).
func Run(args []string, streams IOStreams, version string) int {
	return Execute(NewRootCommand(streams, version), args, streams)
}

// Execute runs a command tree (mtlsgen's, or mtlsgen-kube's, which is the
// same with the Kubernetes commands in place of their hand-over stubs) and
// turns its error into an exit code and messages on streams.ErrOut.
func Execute(root *cobra.Command, args []string, streams IOStreams) int {
	if len(args) == 0 && krmStdinMode(streams.In) {
		args = []string{KubeKrm.Name}
	}
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ec ExitCode
	if errors.As(err, &ec) {
		return int(ec)
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

// Args wraps a cobra.PositionalArgs so its errors count as usage errors.
func Args(fn cobra.PositionalArgs) cobra.PositionalArgs { return args(fn) }

func args(fn cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := fn(cmd, a); err != nil {
			return argsError{err}
		}
		return nil
	}
}
