// Package charts hydrates the Helm charts a spec installs: it pulls them
// into a content-addressed cache, pins their digests in a lock file, and
// renders them into plain manifests, the way Argo CD renders a Helm source.
//
// It does not link Helm. Everything that needs Helm (downloading, loading,
// schema validation, rendering) goes through an Engine: the mtlsgen-helm
// binary, which ExecEngine runs, or the in-process engine of package
// helmengine. Helm's package initialisation (client-go and kubectl schemes,
// a JSON Schema compiler) costs about 16 ms, which `mtlsgen render` without
// --hydrate must not pay; keeping it in another binary is how it does not.
//
// What stays here is what must be the same whichever engine runs: the cache
// and the lock file, which chart comes from where, the checks on what a
// chart rendered (no private key material), and the wire protocol.
package charts
