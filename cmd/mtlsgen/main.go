// Command mtlsgen generates and checks Linkerd mutual-TLS certificate setups
// for cert-manager, trust-manager and Argo CD. All of its logic is in
// internal/cli; this file only connects it to the process.
package main

import (
	"os"

	"github.com/mtlsgen/mtlsgen/internal/cli"
	"github.com/mtlsgen/mtlsgen/internal/version"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}, version.Get()))
}
