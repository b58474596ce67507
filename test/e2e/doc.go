// Package e2e proves mtlsgen's output on a real Kubernetes API server with
// the real trust-manager controller and cert-manager's real controller and
// admission webhooks: every example is applied server-side (dry run, then
// for real) with no rejection and no warning, cert-manager issues its
// certificates, trust-manager publishes the trust roots, the chains verify,
// and Argo CD's own diff (test/e2e/argodiff) finds every object in sync,
// as it does for the cert-manager and trust-manager charts as `mtlsgen
// render --hydrate` renders them; a trust-anchor rotation runs end to end; the restarter runs under
// its generated RBAC.
//
// The tests carry the e2e build tag, so `go test ./...` skips them; run
// `make e2e` (test/e2e/run.sh). See test/e2e/harness for the machinery.
package e2e
