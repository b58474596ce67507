package main

import (
	"go/parser"
	"go/token"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	// Registers -update, which `go test ./... -update` passes to every test
	// binary; the test binary alone links it, not libfloor.
	_ "github.com/mtlsgen/mtlsgen/internal/testutil"
)

// libfloor must link exactly the third-party packages mtlsgen's packages
// import: fewer and the floor flatters mtlsgen, more and it blames it for
// libraries it does not use.
func TestImports_matchMtlsgen(t *testing.T) {
	// go test puts the go command that runs it first on PATH.
	out, err := exec.Command("go", "list", "-deps",
		"-f", `{{if not .Standard}}{{.ImportPath}} {{join .Imports " "}}{{end}}`,
		"github.com/mtlsgen/mtlsgen/cmd/mtlsgen").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const own = "github.com/mtlsgen/mtlsgen/"
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], own) {
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, own) && strings.Contains(strings.Split(imp, "/")[0], ".") && !slices.Contains(want, imp) {
				want = append(want, imp)
			}
		}
	}
	slices.Sort(want)

	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range f.Imports {
		if s.Name != nil && s.Name.Name == "_" {
			p, _ := strconv.Unquote(s.Path.Value)
			got = append(got, p)
		}
	}
	slices.Sort(got)
	if len(want) < 10 {
		t.Fatalf("go list found only %d third-party imports: %v", len(want), want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("main.go's blank imports differ from mtlsgen's third-party imports (-mtlsgen +libfloor):\n%s", diff)
	}
}
