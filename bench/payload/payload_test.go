package payload

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/internal/cli"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// bench/run.sh rewrites payload.yaml before it builds the floors, so the
// benchmarks never use a stale copy; this keeps the committed copy (what
// `go build ./...` embeds) equal to today's render too, and
// `go test ./... -update` rewrites it with the golden files.
func TestPayload_isTodaysRender(t *testing.T) {
	var out, errOut bytes.Buffer
	spec := filepath.Join(testutil.RepoRoot(t), "examples", "ha.yaml")
	// "dev" is what `go run ./cmd/mtlsgen` reports, as for golden/.
	if code := cli.Run([]string{"render", spec}, cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, "dev"); code != 0 {
		t.Fatalf("render exit %d: %s", code, errOut.String())
	}
	testutil.AssertGolden(t, "payload.yaml", out.Bytes())
}
