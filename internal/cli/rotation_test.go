package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// rotationMarkers are the markers of the generated diffs of one change of
// the README's trust-anchor rotation.
func rotationMarkers(change int, from, to string) (begin, end string) {
	begin = fmt.Sprintf("<!-- BEGIN rotation change %d: generated from examples/%s.yaml, examples/%s.yaml and their golden files by `go test ./internal/cli -update` -->", change, from, to)
	end = fmt.Sprintf("<!-- END rotation change %d -->", change)
	return begin, end
}

// The README shows each of the three changes of a trust-anchor rotation as
// the edit to examples/prod.yaml and what it changes in the rendered output:
// the diff between consecutive examples (their leading comments aside), and
// between their golden files, which the tests keep current.
func TestREADME_rotationDiffs(t *testing.T) {
	root := testutil.RepoRoot(t)
	changes := []struct{ from, to, title string }{
		{"prod", "rotation-1-add", "1. Add the new anchor"},
		{"rotation-1-add", "rotation-2-activate", "2. Make it active"},
		{"rotation-2-activate", "rotation-3-remove", "3. Remove the old anchor"},
	}
	readme := filepath.Join(root, "README.md")
	doc, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range changes {
		edit := specEdit(t, filepath.Join(root, "examples", c.from+".yaml"), filepath.Join(root, "examples", c.to+".yaml"))
		rendered := goldenDiff(t, root, c.from, c.to)
		section := "```diff\n" + edit + "```\n\n<details><summary>" + c.title + ": the rendered change</summary>\n\n```diff\n" + rendered + "```\n</details>"
		begin, end := rotationMarkers(i+1, c.from, c.to)
		if doc, err = testutil.ReplaceSection(doc, begin, end, section); err != nil {
			t.Fatal(err)
		}
	}
	testutil.AssertGolden(t, readme, doc)
}

// specEdit returns the edit from one example spec to the next: the one hunk
// of their unified diff, their leading comments (each example's description)
// left out, with three lines of context and without the file and hunk
// headers, whose line numbers would not be the files' own.
func specEdit(t *testing.T, from, to string) string {
	t.Helper()
	h := hunks(withoutLeadingComments(t, from), withoutLeadingComments(t, to), 3)
	if len(h) != 1 {
		t.Fatalf("%s -> %s is not one edit but %d", from, to, len(h))
	}
	return h[0].body
}

// withoutLeadingComments returns the file at path without the comment lines
// it begins with (an example's description).
func withoutLeadingComments(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for strings.HasPrefix(s, "#") {
		_, s, _ = strings.Cut(s, "\n")
	}
	return s
}
