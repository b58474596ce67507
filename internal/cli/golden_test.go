package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// goldenVersion is the version golden files are rendered with: what `go run
// ./cmd/mtlsgen` reports, so the README's command prints the golden file.
const goldenVersion = "dev"

// run executes the real root command and returns stdout, stderr and the exit
// code.
func run(t testing.TB, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(args, IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}, goldenVersion)
	return out.String(), errOut.String(), code
}

func examples(t testing.TB) []string { return testutil.Examples(t) }

// Every example renders to exactly its golden file.
func TestRender_golden(t *testing.T) {
	root := testutil.RepoRoot(t)
	for _, f := range examples(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			out, errOut, code := run(t, "", "render", f)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			testutil.AssertGolden(t, filepath.Join(root, "golden", name+".yaml"), []byte(out))
		})
	}
}

// Every example's Linkerd values, as --only linkerd-values prints them.
func TestRender_goldenLinkerdValues(t *testing.T) {
	root := testutil.RepoRoot(t)
	for _, f := range examples(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			out, errOut, code := run(t, "", "render", f, "--only", "linkerd-values")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			testutil.AssertGolden(t, filepath.Join(root, "golden", "linkerd-values", name+".yaml"), []byte(out))
		})
	}
}

// Every golden file belongs to an example: a renamed example must not leave
// a stale golden file behind.
func TestRender_noOrphanGoldenFiles(t *testing.T) {
	root := testutil.RepoRoot(t)
	goldens, _ := filepath.Glob(filepath.Join(root, "golden", "*.yaml"))
	for _, g := range goldens {
		if _, err := os.Stat(filepath.Join(root, "examples", filepath.Base(g))); err != nil {
			t.Errorf("%s has no example %s", g, filepath.Join("examples", filepath.Base(g)))
		}
	}
}

// The same spec renders to the same bytes, and so does the same spec with
// every mapping's keys in reverse order.
func TestRender_deterministic(t *testing.T) {
	for _, f := range examples(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, code := run(t, string(raw), "render", "-")
			if code != 0 {
				t.Fatal("render failed")
			}
			second, _, _ := run(t, string(raw), "render", "-")
			if first != second {
				t.Fatalf("two renders differ:\n%s", cmp.Diff(first, second))
			}
			reordered, _, code := run(t, reverseKeys(t, raw), "render", "-")
			if code != 0 {
				t.Fatal("render of the reordered spec failed")
			}
			if first != reordered {
				t.Fatalf("reordering the spec's keys changed the output:\n%s", cmp.Diff(first, reordered))
			}
		})
	}
}

// reverseKeys re-serialises a YAML document with the keys of every mapping
// in reverse order.
func reverseKeys(t testing.TB, raw []byte) string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var rev func(n *yaml.Node)
	rev = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			var pairs [][2]*yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				pairs = append(pairs, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
			}
			n.Content = n.Content[:0]
			for i := len(pairs) - 1; i >= 0; i-- {
				n.Content = append(n.Content, pairs[i][0], pairs[i][1])
			}
		}
		for _, c := range n.Content {
			rev(c)
		}
	}
	rev(&doc)
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(out, raw) {
		t.Fatal("reordering changed nothing")
	}
	return string(out)
}

// No object carries an empty placeholder: the only empty objects in the
// output are the ones that mean something.
func TestRender_noEmptyPlaceholders(t *testing.T) {
	// values: {} is a Helm Application's (empty) values in the ApplicationSet,
	// which its templatePatch reads.
	meaningful := map[string]bool{"selfSigned": true, "emptyDir": true, "automated": true, "values": true}
	for _, f := range examples(t) {
		out, _, _ := run(t, "", "render", f)
		for i, line := range strings.Split(out, "\n") {
			key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
			if ok && (strings.TrimSpace(value) == "{}" || strings.TrimSpace(value) == "[]") && !meaningful[strings.TrimPrefix(key, "- ")] {
				t.Errorf("%s line %d: empty %s", filepath.Base(f), i+1, line)
			}
			if strings.Contains(line, "creationTimestamp") || strings.HasPrefix(line, "status:") {
				t.Errorf("%s line %d: %s", filepath.Base(f), i+1, line)
			}
		}
	}
}
