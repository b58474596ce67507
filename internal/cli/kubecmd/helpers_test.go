package kubecmd

import (
	"bytes"
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

func examples(t testing.TB) []string { return testutil.Examples(t) }
