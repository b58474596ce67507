package main

import (
	"os/exec"
	"strings"
	"testing"

	_ "github.com/mtlsgen/mtlsgen/internal/testutil"
)

// mtlsgen must not link Helm: Go runs every linked package's init, and
// Helm's (client-go and kubectl schemes, registry and JSON Schema code)
// costs about 16 ms on every start, --hydrate or not. Helm lives in
// mtlsgen-helm, which mtlsgen runs for --hydrate and charts pull.
func TestDoesNotLinkHelm(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, heavy := range []string{"helm.sh/", "oras.land/", "k8s.io/kubectl/", "k8s.io/cli-runtime/", "github.com/mtlsgen/mtlsgen/internal/helmengine"} {
			if strings.HasPrefix(pkg, heavy) {
				t.Errorf("cmd/mtlsgen links %s; Helm belongs in cmd/mtlsgen-helm (go list -deps ./cmd/mtlsgen shows the path)", pkg)
			}
		}
	}
}
