package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

func checkFixture(t *testing.T, parts ...string) string {
	return filepath.Join(append([]string{testutil.RepoRoot(t), "internal", "check", "testdata"}, parts...)...)
}

func TestCheck_exitCodes(t *testing.T) {
	realistic := checkFixture(t, "realistic", "input.yaml")
	warningOnly := checkFixture(t, "rules", "MTLS072", "bad.yaml")
	clean := checkFixture(t, "rules", "MTLS072", "good.yaml")
	for name, tc := range map[string]struct {
		args []string
		code int
	}{
		"errors":                     {[]string{"check", realistic}, ExitInvalid},
		"warnings alone":             {[]string{"check", warningOnly}, ExitOK},
		"warnings with strict":       {[]string{"check", "--strict", warningOnly}, ExitInvalid},
		"clean":                      {[]string{"check", clean}, ExitOK},
		"a directory":                {[]string{"check", checkFixture(t, "rules", "MTLS001")}, ExitInvalid},
		"no such file":               {[]string{"check", "/nonexistent/x.yaml"}, ExitInvalid}, // as render and validate
		"unknown format":             {[]string{"check", "-o", "xml", clean}, ExitUsage},
		"no arguments":               {[]string{"check"}, ExitUsage},
		"values file not found":      {[]string{"check", clean, "--values", "/nonexistent/values.yaml"}, ExitInvalid},
		"values of an unknown chart": {[]string{"check", clean, "--values", "linkerd-nope=" + clean}, ExitUsage},
		"not a Linkerd version":      {[]string{"check", clean, "--linkerd-version", "banana"}, ExitUsage},
		"a patch release":            {[]string{"check", clean, "--linkerd-version", "2.19.1"}, ExitOK},
		"an older release":           {[]string{"check", clean, "--linkerd-version", "2.12"}, ExitOK},
		"a release too new":          {[]string{"check", clean, "--linkerd-version", "2.99"}, ExitUsage},
	} {
		t.Run(name, func(t *testing.T) {
			_, errOut, code := run(t, "", tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (%s)", code, tc.code, errOut)
			}
		})
	}
}

// mtlsgen render | mtlsgen check - : the generated output is clean.
func TestCheck_renderOutputIsClean(t *testing.T) {
	for _, f := range examples(t) {
		rendered, _, _ := run(t, "", "render", f)
		out, errOut, code := run(t, rendered, "check", "-")
		if code != 0 || !strings.HasPrefix(out, "mtlsgen check: no findings in ") {
			t.Errorf("%s: exit %d\n%s%s", filepath.Base(f), code, out, errOut)
		}
	}
}

func TestCheck_valuesFlagNamesTheChart(t *testing.T) {
	dir := t.TempDir()
	values := filepath.Join(dir, "viz.yaml")
	// Keys that look like the control plane's, but --values names viz.
	os.WriteFile(values, []byte("linkerdNamespace: linkerd\ntap: {externalSecret: true, injectCaFrom: linkerd-viz/tap}\ntapInjector: {}\n"), 0o644)
	out, _, code := run(t, "", "check", checkFixture(t, "rules", "MTLS072", "good.yaml"), "--values", "linkerd-viz="+values, "-o", "json")
	var got struct {
		Findings []struct{ Rule, Object string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if code != 0 || len(got.Findings) != 1 || got.Findings[0].Rule != "MTLS044" || got.Findings[0].Object != "linkerd-viz values" {
		t.Errorf("exit %d, %+v", code, got)
	}
}

// The values file `render --only linkerd-values` writes, given whole to
// --values: every chart's document is read as that chart's, so mtlsgen's
// own values check clean; jaeger values with a 2.19 patch release are
// MTLS055, reported on the values file with its field path.
func TestCheck_valuesFileOfSeveralCharts(t *testing.T) {
	dir := t.TempDir()
	for _, f := range examples(t) {
		rendered, _, _ := run(t, "", "render", f)
		values, _, _ := run(t, "", "render", f, "--only", "linkerd-values")
		m, v := filepath.Join(dir, "m.yaml"), filepath.Join(dir, "values.yaml")
		os.WriteFile(m, []byte(rendered), 0o644)
		os.WriteFile(v, []byte(values), 0o644)
		if out, errOut, code := run(t, "", "check", m, "--values", v); code != 0 || !strings.HasPrefix(out, "mtlsgen check: no findings in ") {
			t.Errorf("%s: exit %d\n%s%s", filepath.Base(f), code, out, errOut)
		}
	}
	jaeger := filepath.Join(dir, "jaeger.yaml")
	os.WriteFile(jaeger, []byte("# linkerd-crds 2024.11.8 from https://helm.linkerd.io/edge, release linkerd-crds in namespace linkerd:\n{}\n---\n"+
		"webhook: {externalSecret: true, injectCaFromSecret: linkerd-jaeger/jaeger-injector-k8s-tls}\ncollector: {}\n"), 0o644)
	out, _, code := run(t, "", "check", checkFixture(t, "rules", "MTLS072", "good.yaml"), "--values", jaeger, "--linkerd-version", "2.19.1")
	if want := jaeger + "\n  4: error MTLS055 linkerd-jaeger on Linkerd 2.19 or later (linkerd-jaeger values)\n"; code != ExitInvalid || !strings.Contains(out, want) {
		t.Errorf("exit %d, want %d with %q in:\n%s", code, ExitInvalid, want, out)
	}
}

// An empty input (a wrong path in a CI job) fails instead of passing for a
// clean check.
func TestCheck_nothingToCheck(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"check", dir}, {"check", "-"}} {
		out, errOut, code := run(t, "\n", args...)
		if code != ExitInvalid || !strings.Contains(errOut, "nothing to check: ") || strings.Contains(out, "no findings") {
			t.Errorf("%v: exit %d, stdout %q: %s", args, code, out, errOut)
		}
	}
}

// A spec given to check is not judged as if it were the manifests: alone it
// is "nothing to check" with the commands that do read it; among manifests
// it is skipped with a note, and the manifests are checked.
func TestCheck_specIsNotAManifest(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join("..", "..", "examples", "dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, string(spec), "check", "-")
	if want := "`mtlsgen render - | mtlsgen check -`"; code != ExitInvalid || !strings.Contains(errOut, "nothing to check: <stdin>:") || !strings.Contains(errOut, want) || out != "" {
		t.Errorf("spec alone: exit %d, stdout %q, stderr %q; want exit %d and %s", code, out, errOut, ExitInvalid, want)
	}
	rendered, _, code := run(t, string(spec), "render", "-")
	if code != 0 {
		t.Fatalf("render exit %d", code)
	}
	out, errOut, code = run(t, string(spec)+"\n---\n"+rendered, "check", "-")
	if code != 0 || !strings.Contains(out, "no findings") || strings.Contains(out, "MeshTLS") || !strings.Contains(errOut, "skipped a MeshTLS spec") {
		t.Errorf("spec among manifests: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// --values - reads the values from standard input, which can be read once;
// an empty file name is a usage error naming the flag, not "open : ...".
func TestCheck_valuesFromStdin(t *testing.T) {
	manifests := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(manifests, []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: linkerd}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A values document for the control plane that MTLS05x flags: no
	// externalCA with a trust anchor from the bundle.
	values := "identity:\n  externalCA: false\n  issuer:\n    scheme: kubernetes.io/tls\n"
	out, errOut, code := run(t, values, "check", "--values", "linkerd-control-plane=-", manifests)
	if code != ExitInvalid || !strings.Contains(out, "<stdin>") {
		t.Errorf("--values CHART=-: exit %d, stdout %q, stderr %q; want findings in <stdin>", code, out, errOut)
	}
	// Values alone are enough to check; nothing at all is a usage error.
	if out, errOut, code := run(t, values, "check", "--values", "linkerd-control-plane=-"); code != ExitInvalid || !strings.Contains(out, "<stdin>") {
		t.Errorf("--values alone: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, errOut, code := run(t, "", "check"); code != ExitUsage || !strings.Contains(errOut, "nothing named to check") {
		t.Errorf("no input named: exit %d: %s", code, errOut)
	}
	// Values that hold nothing are nothing to check, as manifests are; a
	// manifest or a spec given as values is named as what it is.
	if out, errOut, code := run(t, "", "check", "--values", "-"); code != ExitInvalid || !strings.Contains(errOut, "nothing to check: standard input holds no YAML documents") {
		t.Errorf("empty values: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if out, _, code := run(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "check", "--values", "-"); code != ExitInvalid || !strings.Contains(out, "a ConfigMap, not Helm values") {
		t.Errorf("a ConfigMap as values: exit %d, stdout %q", code, out)
	}
	for _, args := range [][]string{
		{"check", "--values", "-", "-"},
		{"check", "--values", "-", "--values", "linkerd-viz=-", manifests},
		{"check", "--values", "linkerd-viz=", manifests},
		{"check", "--values", "", manifests},
	} {
		out, errOut, code := run(t, values, args...)
		if code != ExitUsage || out != "" || !strings.Contains(errOut, "--values") || strings.Contains(errOut, "open") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want a usage error naming --values", args, code, out, errOut)
		}
	}
}

// Input that does not parse is a finding (MTLS000) with its line, not
// "nothing to check".
func TestCheck_unparseableIsAFinding(t *testing.T) {
	out, errOut, code := run(t, "apiVersion: v1\nkind: [\n", "check", "-")
	if code != ExitInvalid || !strings.Contains(out, "MTLS000") || strings.Contains(errOut, "nothing to check") {
		t.Errorf("exit %d, stdout %q: %s", code, out, errOut)
	}
}
