// Package harness runs mtlsgen's output against real Kubernetes components
// on this machine: etcd, kube-apiserver built from the k8s.io/kubernetes
// module, the CRDs of cert-manager, trust-manager and Argo CD from their
// modules, the real trust-manager controller, cert-manager's real controller
// (run in the test process from its module's controller packages, see
// CertManager), the registration of cert-manager's admission webhook (which
// the tests run in their own process from cert-manager's test/webhook
// package), and a stand-in for external issuers (Vault, AWS PCA, ...) that
// signs their CertificateRequests with CAs the tests make.
//
// It is test infrastructure: it makes private keys (for the API server and
// the external issuers' CAs), which mtlsgen itself never does. The
// tests that use it live in test/e2e behind the e2e build tag; `make e2e`
// runs them. Nothing here mocks the API server.
//
// Every process it starts is stopped by Stop, by its parent dying
// (Pdeathsig), and, as a last resort, by test/e2e/run.sh from the pid file.
package harness
