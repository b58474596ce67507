// Package v1alpha1 is the mtlsgen spec: the MeshTLS type a user writes, its
// defaults, its validation with field paths, strict decoding with line numbers,
// and the JSON Schema editors use.
//
// It is the only package of mtlsgen promised to outside users. It does no I/O:
// callers hand it bytes and get back a typed, defaulted object or a list of
// problems, each with a field path (and, where the problem is in the user's
// file, a line).
//
// +groupName=mtlsgen.dev
package v1alpha1
