// Command mtlsgen-kube runs the mtlsgen commands that link Kubernetes client
// libraries: krm, restarter and status. mtlsgen hands those commands to it
// (it is installed next to mtlsgen); run directly, it is mtlsgen with every
// command in place.
package main

import (
	"os"

	"github.com/mtlsgen/mtlsgen/internal/cli"
	"github.com/mtlsgen/mtlsgen/internal/cli/kubecmd"
	"github.com/mtlsgen/mtlsgen/internal/version"
)

func main() {
	os.Exit(kubecmd.Run(os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}, version.Get()))
}
