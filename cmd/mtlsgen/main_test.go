package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testutil.RemoveBinary()
	os.Exit(code)
}

// mtlsgen must not link Helm nor the Kubernetes client libraries: Go runs
// every linked package's init on every start. Helm's (client-go and kubectl
// schemes, registry and JSON Schema code) cost about 16 ms; kyaml's OpenAPI
// and protobuf packages and client-go about 3 ms, more than the package
// init of everything else. Helm lives in mtlsgen-helm, which mtlsgen runs
// for --hydrate and charts pull; krm, restarter and status live in
// mtlsgen-kube, which mtlsgen hands them to.
func TestDoesNotLinkHeavyPackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	heavy := map[string]string{
		"helm.sh/":            "cmd/mtlsgen-helm",
		"oras.land/":          "cmd/mtlsgen-helm",
		"k8s.io/kubectl/":     "cmd/mtlsgen-helm",
		"k8s.io/cli-runtime/": "cmd/mtlsgen-helm",
		"github.com/mtlsgen/mtlsgen/internal/helmengine": "cmd/mtlsgen-helm",
		"k8s.io/client-go/":                               "cmd/mtlsgen-kube",
		"sigs.k8s.io/kustomize/":                          "cmd/mtlsgen-kube",
		"k8s.io/kube-openapi/pkg/validation/":             "cmd/mtlsgen-kube",
		"google.golang.org/protobuf/":                     "cmd/mtlsgen-kube",
		"github.com/mtlsgen/mtlsgen/plugin/krm":           "cmd/mtlsgen-kube",
		"github.com/mtlsgen/mtlsgen/internal/cli/kubecmd": "cmd/mtlsgen-kube",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for prefix, home := range heavy {
			if strings.HasPrefix(pkg, prefix) {
				t.Errorf("cmd/mtlsgen links %s; it belongs in %s (go list -deps ./cmd/mtlsgen shows the path)", pkg, home)
			}
		}
	}
}

// The built mtlsgen hands restarter to the mtlsgen-kube next to it, which
// answers as the real command; the exit code comes back too.
func TestHandOverToMtlsgenKube(t *testing.T) {
	bin := testutil.Binary(t)
	t.Setenv("MTLSGEN_KUBE", "")
	out, err := exec.Command(bin, "restarter", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--control-plane-timeout duration") {
		t.Errorf("mtlsgen restarter --help: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "status", "--no-such-flag").CombinedOutput()
	var ee *exec.ExitError
	if !(errors.As(err, &ee) && ee.ExitCode() == 2) || !strings.Contains(string(out), "unknown flag: --no-such-flag") {
		t.Errorf("mtlsgen status --no-such-flag: %v, want exit 2 and the flag named:\n%s", err, out)
	}
}
