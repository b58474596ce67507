// Command mtlsgen-helm is Helm's chart engine for mtlsgen: `mtlsgen render
// --hydrate` and `mtlsgen charts pull` run it to render and download Helm
// charts. It is a separate binary so that mtlsgen itself does not link Helm
// and pay its start-up cost; `go install ./cmd/...` installs both, and
// mtlsgen finds it next to itself or on PATH.
package main

import (
	"os"

	"github.com/mtlsgen/mtlsgen/internal/helmengine"
	"github.com/mtlsgen/mtlsgen/internal/version"
)

func main() {
	os.Exit(helmengine.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, version.Get()))
}
