package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/mtlsgen/mtlsgen/internal/sibling"
)

// KubeBinary is mtlsgen-kube, which holds the commands that link Kubernetes
// client libraries: the KRM function (kustomize's kyaml, with its OpenAPI
// and protobuf packages) and the restarter and status (client-go). Linked
// into mtlsgen, their package init alone would cost more than a render;
// mtlsgen hands these commands to it instead, whole.
var KubeBinary = sibling.Binary{
	Name:  "mtlsgen-kube",
	Env:   "MTLSGEN_KUBE",
	Holds: "the commands that talk to Kubernetes (krm, restarter, status)",
}

// KubeCommand names one command of mtlsgen-kube. Both binaries take its
// Use and Short from here, so the help of mtlsgen and of mtlsgen-kube agree.
type KubeCommand struct {
	Name, Use, Short string
}

// The commands mtlsgen hands to mtlsgen-kube.
var (
	KubeKrm = KubeCommand{"krm", "krm [CONFIG [INPUT...|-]]",
		"Run as a kustomize KRM function (ResourceList on stdin, or standalone)"}
	KubeRestarter = KubeCommand{"restarter", "restarter",
		"Restart the workloads that hold stale trust roots (the CronJob's command)"}
	KubeStatus = KubeCommand{"status", "status",
		"Say whether the next trust-anchor rotation step is safe"}
)

// KubeCommands lists them.
var KubeCommands = []KubeCommand{KubeKrm, KubeRestarter, KubeStatus}

// handOver runs mtlsgen-kube at path with args in place of this process
// (see handover_unix.go); tests replace it.
var handOver = replaceProcess

// handedOverEnv is set, to the path run, in the environment of a hand-over.
// mtlsgen-kube ignores it; mtlsgen finding it set was handed its own
// command back (MTLSGEN_KUBE, or an mtlsgen-kube that is a copy of mtlsgen)
// and would hand it over again, forever.
const handedOverEnv = "MTLSGEN_HANDED_OVER"

// newKubeCommand is mtlsgen's stand-in for a command of mtlsgen-kube. It
// parses nothing (--help included): every argument goes to the real
// command, which parses and documents them.
func newKubeCommand(k KubeCommand) *cobra.Command {
	return &cobra.Command{
		Use:   k.Use,
		Short: k.Short,
		Long: k.Short + ".\n\n" +
			"This command runs in " + KubeBinary.Name + ", installed next to mtlsgen; " +
			"`mtlsgen " + k.Name + " --help` shows its flags.",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, a []string) error {
			if p := os.Getenv(handedOverEnv); p != "" {
				return fmt.Errorf("mtlsgen %s: %s is mtlsgen, not %s: it handed the command back", k.Name, p, KubeBinary.Name)
			}
			path, err := sibling.Find(KubeBinary)
			if err != nil {
				return fmt.Errorf("mtlsgen %s: %w", k.Name, err)
			}
			return handOver(path, append([]string{k.Name}, a...), IOStreams{In: cmd.InOrStdin(), Out: cmd.OutOrStdout(), ErrOut: cmd.ErrOrStderr()})
		},
	}
}

// krmStdinMode reports whether mtlsgen, run without arguments, should be a
// KRM function: when its standard input is a pipe or a file, as when
// kustomize runs `exec: {path: mtlsgen}` (kustomize before v5.7.0 cannot pass
// arguments to an exec function). On a terminal, it prints its help.
func krmStdinMode(in io.Reader) bool {
	f, ok := in.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice == 0
}
