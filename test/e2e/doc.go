// Package e2e proves mtlsgen's output on a real Kubernetes API server with
// the real trust-manager controller and cert-manager's real controller and
// admission webhooks, delivered by Argo CD's own sync engine: every example
// converges under Argo CD's sync (test/e2e/gitopsengine: wave by wave, each
// wave healthy by Argo CD's health checks), a strict server-side apply of it
// shows no rejection and no warning, cert-manager issues its certificates,
// trust-manager publishes the trust roots, the chains verify, and Argo CD's
// own diff finds every object in sync, as it does for the cert-manager and
// trust-manager charts as `mtlsgen render --hydrate` renders them; a
// trust-anchor rotation runs end to end; the restarter runs under its
// generated RBAC.
//
// The tests carry the e2e build tag, so `go test ./...` skips them; run
// `make e2e` (test/e2e/run.sh). See test/e2e/harness for the machinery.
package e2e
