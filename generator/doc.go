// Package generator turns a validated MeshTLS spec into Kubernetes objects.
//
// Render is pure: no files, no network, no environment, no clock. The same
// spec and options give the same objects in the same order, always, so the
// serialised output is byte-stable and reviewable in a pull request.
//
// Each concern has its own file (namespaces, trust anchors and issuers,
// webhook certificates, the trust bundle, Linkerd values, Argo CD objects,
// the restarter); this file's siblings order and serialise what they build.
// Objects are produced one cluster at a time and handed to the caller's emit
// function, so a fleet of a thousand clusters is never held in memory at once.
package generator
