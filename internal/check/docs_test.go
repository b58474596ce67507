package check

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// Markers of the generated rule list in README.md.
const (
	docsBegin = "<!-- BEGIN checks: generated from internal/check's rules and fixtures by `go test ./internal/check -update` -->"
	docsEnd   = "<!-- END checks -->"
)

// The README lists every rule with a minimal bad and good example: the
// fixtures the tests run, so the docs cannot drift from the checks.
func TestRules_documentedInREADME(t *testing.T) {
	var b strings.Builder
	b.WriteString("| Rule | Severity | What |\n| --- | --- | --- |\n")
	for _, r := range Rules {
		fmt.Fprintf(&b, "| [%s](#checks-%s) | %s | %s |\n", r.ID, strings.ToLower(r.ID), r.Severity, r.Title)
	}
	for _, r := range Rules {
		dir := filepath.Join("testdata", "rules", r.ID)
		fmt.Fprintf(&b, "\n<a id=\"checks-%s\"></a>\n#### %s: %s (%s)\n\n%s\n", strings.ToLower(r.ID), r.ID, r.Title, r.Severity, r.Help)
		for _, kind := range []string{"bad", "good"} {
			for _, suffix := range []string{".yaml", ".values.yaml"} {
				raw, err := os.ReadFile(filepath.Join(dir, kind+suffix))
				if err != nil {
					continue
				}
				label := map[string]string{"bad": "Flagged", "good": "Clean"}[kind]
				if suffix == ".values.yaml" {
					label += " (Helm values)"
				}
				fmt.Fprintf(&b, "\n<details><summary>%s</summary>\n\n```yaml\n%s```\n</details>\n", label, raw)
			}
		}
	}
	readme := filepath.Join(testutil.RepoRoot(t), "README.md")
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	got, err := testutil.ReplaceSection(raw, docsBegin, docsEnd, b.String())
	if err != nil {
		t.Fatal(err)
	}
	testutil.AssertGolden(t, readme, got)
}
