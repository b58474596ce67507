package main

import (
	"fmt"
	"strings"
)

// Spec is a fleet of n clusters sharing a bring-your-own anchor, with viz and
// multicluster: the heaviest kind of spec per cluster.
func Spec(n int) string {
	var b strings.Builder
	b.WriteString(`apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata:
  name: fleet
spec:
  profile: ha
  linkerd:
    extensions:
      viz: {enabled: true}
      multicluster: {enabled: true}
  trust:
    anchors:
      - name: fleet-root
        active: true
        secret: {name: linkerd-fleet-root}
  argocd:
    repoURL: https://git.example.com/platform/mesh.git
    path: fleet
    targetRevision: main
  clusters:
`)
	for i := range n {
		fmt.Fprintf(&b, "    - {name: c%04d, server: \"https://c%04d.k8s.example.com:6443\"}\n", i, i)
	}
	return b.String()
}
