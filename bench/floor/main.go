// Command floor is the benchmarks' floor: a static Go program that writes
// the bytes `mtlsgen render examples/ha.yaml` writes, from memory. bench/run.sh
// copies the current render output to payload.yaml before building it, so
// the comparison is always with today's output.
package main

import (
	_ "embed"
	"os"
)

//go:embed payload.yaml
var payload []byte

func main() {
	if _, err := os.Stdout.Write(payload); err != nil {
		os.Exit(1)
	}
}
