// Package image holds what the mtlsgen container image (the Dockerfile at
// the repository root) is made of besides the binary: passwd and group,
// with the argocd user (uid 999) a CMP sidecar runs as and the nobody user
// kustomize runs container functions as. Its test builds the image with
// `make image` and buildah and runs it.
package image
