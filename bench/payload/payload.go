// Package payload holds the bytes `mtlsgen render examples/ha.yaml` writes,
// for the floor programs to write from memory. bench/run.sh copies the
// current render output to payload.yaml before building them, so the
// comparison is always with today's output.
package payload

import _ "embed"

// Bytes is the render output of examples/ha.yaml.
//
//go:embed payload.yaml
var Bytes []byte
