package kubecmd

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/internal/cli"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// goldenVersion is the version the cli package's golden files use.
const goldenVersion = "dev"

// run executes mtlsgen-kube's command tree and returns stdout, stderr and
// the exit code.
func run(t testing.TB, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(args, cli.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}, goldenVersion)
	return out.String(), errOut.String(), code
}

func examples(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testutil.RepoRoot(t), "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	return files
}
