package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, must
// return either a spec or problems (each with a message), and a spec it
// accepts must render.
func FuzzLoad(f *testing.F) {
	root := testutil.RepoRoot(f)
	files, _ := filepath.Glob(filepath.Join(root, "examples", "*.yaml"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	for _, s := range []string{
		"",
		"---\n---\n",
		header + "spec:\n" + anchors + argocd,
		header + "spec:\n  identityIssuer: {renewBefore: 24}\n" + anchors,
		header + "spec:\n  linkerd: {version: 2.10, controlPlane: {replicas: 99999999999}}\n",
		header + "spec: &a\n  trust: *a\n",
		header + "spec: &a\n  trust: {<<: *a}\n  <<: [*a, *a]\n",
		header + "spec:\n  clusters:\n    - &c\n      name: x\n      <<: *c\n",
		"apiVersion: mtlsgen.dev/v1alpha1\nkind: MeshTLS\nmetadata: {name: x}\nspec:\n  clusters: [{name: a, server: 'https://[::1'}]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse("fuzz.yaml", raw, Options{})
		if err != nil {
			le, ok := AsError(err)
			if !ok || len(le.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			for _, p := range le.Problems {
				if strings.TrimSpace(p.Message) == "" {
					t.Fatalf("problem without a message: %+v", p)
				}
			}
			if m != nil {
				t.Fatal("spec returned with problems")
			}
			return
		}
		if _, err := generator.RenderAll(m, generator.Options{Version: "fuzz"}); err != nil {
			t.Fatalf("accepted spec does not render: %v", err)
		}
	})
}
