package generator_test

import (
	"bufio"
	"fmt"
	"io"
	"testing"

	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/load"
	"github.com/mtlsgen/mtlsgen/internal/output"
)

// fleetSpec is bench/fleetgen's spec, inline so benchmarks need no files.
func fleetSpec(n int) string {
	s := `apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata: {name: fleet}
spec:
  profile: ha
  linkerd: {extensions: {viz: {enabled: true}, multicluster: {enabled: true}}}
  trust: {anchors: [{name: fleet-root, active: true, secret: {name: linkerd-fleet-root}}]}
  argocd: {repoURL: "https://git.example.com/platform/mesh.git", path: fleet, targetRevision: main}
  clusters:
`
	for i := range n {
		s += fmt.Sprintf("    - {name: c%04d, server: \"https://c%04d.k8s.example.com:6443\"}\n", i, i)
	}
	return s
}

// renderTo renders a spec as the CLI does: YAML stream to a writer.
func renderTo(b *testing.B, w io.Writer, raw []byte, opts generator.Options) {
	m, err := load.Parse("bench.yaml", raw, load.Options{})
	if err != nil {
		b.Fatal(err)
	}
	sink, _ := output.Format{Kind: "yaml"}.Open(w)
	if err := generator.Render(m, opts, sink.Write); err != nil {
		b.Fatal(err)
	}
	sink.Close()
}

// BenchmarkRender is load + render + serialise of each example.
func BenchmarkRender(b *testing.B) {
	for _, name := range exampleNames(b) {
		raw := []byte(mustRead(b, name))
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				renderTo(b, io.Discard, raw, generator.Options{Version: testVersion})
			}
		})
	}
}

// BenchmarkRenderFleet renders fleets of 10, 100 and 1000 clusters; ns/op
// divided by the cluster count should stay flat (linear growth).
func BenchmarkRenderFleet(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		raw := []byte(fleetSpec(n))
		b.Run(fmt.Sprintf("clusters=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := bufio.NewWriter(io.Discard)
				renderTo(b, w, raw, generator.Options{Version: testVersion})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/cluster")
		})
	}
}

// BenchmarkRenderOneClusterOfFleet is what the Argo CD plugin does per
// Application: one cluster's share of a 1000-cluster spec.
func BenchmarkRenderOneClusterOfFleet(b *testing.B) {
	raw := []byte(fleetSpec(1000))
	b.ReportAllocs()
	for b.Loop() {
		renderTo(b, io.Discard, raw, generator.Options{Version: testVersion, Cluster: "c0500", Component: generator.ComponentMesh})
	}
}

// BenchmarkParseFleet is parsing alone, the floor of the one-cluster case.
func BenchmarkParseFleet(b *testing.B) {
	raw := []byte(fleetSpec(1000))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := load.Parse("bench.yaml", raw, load.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
