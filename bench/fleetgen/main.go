// Command fleetgen writes a MeshTLS spec for a fleet of N clusters, for the
// benchmarks: go run ./bench/fleetgen -clusters 1000 > fleet-1000.yaml
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
)

func main() {
	n := flag.Int("clusters", 10, "number of clusters")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprint(w, Spec(*n))
}
