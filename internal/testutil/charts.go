package testutil

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ModuleDir is the directory of a module of the build list, in the module
// cache (read-only).
func ModuleDir(t testing.TB, module string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", module, err)
	}
	return strings.TrimSpace(string(out))
}

// JetstackCharts maps the charts shipped in cert-manager's and
// trust-manager's Go modules (deploy/charts/NAME) to their modules.
var JetstackCharts = map[string]string{
	"cert-manager":  "github.com/cert-manager/cert-manager",
	"trust-manager": "github.com/cert-manager/trust-manager",
}

// CopyJetstackChart copies the cert-manager or trust-manager chart from its
// Go module into dst. The module's Chart.yaml carries placeholder versions
// (version and appVersion v0.0.0, which the release tool sets); they are
// stamped with version, as in the released chart.
func CopyJetstackChart(t testing.TB, chart, version, dst string) {
	t.Helper()
	src := filepath.Join(ModuleDir(t, JetstackCharts[chart]), "deploy", "charts", chart)
	CopyChart(t, src, dst, version)
}

var placeholderVersion = regexp.MustCompile(`(?m)^(version|appVersion): v0\.0\.0$`)

// CopyChart copies a chart directory; with a version, its Chart.yaml's
// placeholder version and appVersion (v0.0.0) become that version.
func CopyChart(t testing.TB, src, dst, version string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if rel == "Chart.yaml" && version != "" {
			if n := len(placeholderVersion.FindAll(b, -1)); n != 2 {
				return fmt.Errorf("%s: %d placeholder versions, want version and appVersion", p, n)
			}
			b = placeholderVersion.ReplaceAll(b, []byte("$1: "+version))
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
