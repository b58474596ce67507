// Command floor is the benchmarks' floor: a static Go program that writes
// the bytes `mtlsgen render examples/ha.yaml` writes, from memory.
package main

import (
	"os"

	"github.com/mtlsgen/mtlsgen/bench/payload"
)

func main() {
	if _, err := os.Stdout.Write(payload.Bytes); err != nil {
		os.Exit(1)
	}
}
