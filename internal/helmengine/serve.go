package helmengine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/mtlsgen/mtlsgen/internal/charts"
)

const usage = `mtlsgen-helm is Helm's chart engine for mtlsgen: mtlsgen runs it for
"mtlsgen render --hydrate" and "mtlsgen charts pull". It is a separate binary
so that mtlsgen itself does not pay Helm's start-up cost.

Usage:
  mtlsgen-helm serve     answer one JSON request on standard input
  mtlsgen-helm version   print the versions of mtlsgen-helm, its protocol and Helm
`

// Main runs mtlsgen-helm with args and returns the exit code.
func Main(args []string, in io.Reader, out, errOut io.Writer, version string) int {
	switch {
	case len(args) == 1 && args[0] == "serve":
		if err := Serve(context.Background(), in, out, errOut); err != nil {
			fmt.Fprintf(errOut, "mtlsgen-helm: %v\n", err)
			return 1
		}
		return 0
	case len(args) == 1 && args[0] == "version":
		fmt.Fprintf(out, "mtlsgen-helm %s (protocol %d, Helm %s)\n", version, charts.ProtocolVersion, HelmVersion())
		return 0
	}
	fmt.Fprint(errOut, usage)
	return 2
}

// Serve reads one request from in, answers it on out, and logs progress on
// log. A request that does not decode is answered with an error response.
func Serve(ctx context.Context, in io.Reader, out, log io.Writer) error {
	var req charts.Request
	var resp charts.Response
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		resp = charts.Response{Protocol: charts.ProtocolVersion, HelmVersion: HelmVersion(), Error: fmt.Sprintf("reading the request: %v", err)}
	} else {
		resp = Handle(ctx, req, log)
	}
	return json.NewEncoder(out).Encode(resp)
}
