// Package cluster is the restarter's I/O: it reads the objects package
// restarter decides on, applies its plans and records the status, through
// client-go's dynamic client only.
//
// Only the dynamic client: client-go's typed clientsets register every
// built-in API group into a scheme at program start, and this package is
// linked into every mtlsgen command, render included (measured with
// GODEBUG=inittrace=1 in the README). Objects are converted to the k8s.io/api
// types with the unstructured converter, which needs no scheme, and Argo
// Rollouts are read without their Go module.
package cluster
