// Package kubecmd holds the mtlsgen commands that link Kubernetes client
// libraries: krm (kustomize's kyaml) and restarter and status (client-go).
// They are built into mtlsgen-kube, not mtlsgen: mtlsgen lists them and
// hands each invocation over whole (cli.KubeBinary), so that linking them
// does not slow down every render.
package kubecmd

import (
	"github.com/spf13/cobra"

	"github.com/mtlsgen/mtlsgen/internal/cli"
)

// NewRootCommand is mtlsgen's command tree with the real Kubernetes
// commands in place of mtlsgen's hand-over stand-ins.
func NewRootCommand(streams cli.IOStreams, version string) *cobra.Command {
	root := cli.NewRootCommand(streams, version)
	replaceCommand(root, newKrmCommand(streams, version))
	replaceCommand(root, newRestarterCommand(streams, version))
	replaceCommand(root, newStatusCommand(streams, version))
	return root
}

// Run executes mtlsgen-kube with args and returns the process exit code.
func Run(args []string, streams cli.IOStreams, version string) int {
	return cli.Execute(NewRootCommand(streams, version), args, streams)
}

// replaceCommand puts cmd in the place of root's command of the same name.
func replaceCommand(root, cmd *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() == cmd.Name() {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(cmd)
}
