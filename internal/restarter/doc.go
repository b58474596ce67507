// Package restarter decides which workloads hold stale Linkerd trust roots
// and what to restart, on objects it is handed. It does no I/O and reads no
// clock: package cluster (internal/restarter/cluster) fetches the objects
// with client-go, calls Decide, applies the plan and writes the status.
//
// Two kinds of workload are told apart, because they learn the trust roots
// differently (README: The restarter):
//
//   - The control plane (the Linkerd namespace and the enabled extensions'
//     namespaces) reads the linkerd-identity-trust-roots ConfigMap when a pod
//     starts. Its pods do not record which bundle they read (the chart stamps
//     the hash of identityTrustAnchorsPEM, empty with an external CA), so the
//     restarter records it: it stamps the pod template annotation
//     mtlsgen.dev/trust-roots-sha256 with the current hash, and that patch is
//     the rolling restart.
//   - The data plane: Linkerd's proxy injector bakes the bundle into every pod
//     it injects, with the annotation linkerd.io/trust-root-sha256. A workload
//     is restarted only if one of its running pods carries another hash.
//
// The extensions and the data plane wait until every workload of the Linkerd
// namespace carries the current hash and has rolled out, so that their pods,
// restarted then, are injected (by a restarted proxy injector) with the
// current bundle.
//
// A workload a restart cannot reach (OnDelete, a StatefulSet partition, a
// paused Deployment) is blocked, not restarted; so is one whose restart the
// API server refused, for that run.
//
// In enrolled namespaces (spec.mesh) a workload is also restarted when its
// pods' proxy does not match their injection. Such a restart is stamped
// mtlsgen.dev/restarted-for-injection with the injection and the hash of the
// pod template; if its pods still do not match at the next run, once it has
// rolled out on that template, the injector declined them, and the workload
// is reported blocked instead of being restarted every run. The previous
// run's status says which workloads it restarted so.
package restarter
