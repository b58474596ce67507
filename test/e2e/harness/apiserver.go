package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// APIServer is a kube-apiserver on loopback with real authentication
// (client certificates, service account tokens), RBAC authorization and the
// default admission plugins, PodSecurity among them. No controller manager
// and no kubelet run: nothing creates Pods or finalizes Namespaces but the
// tests.
type APIServer struct {
	URL   string
	CA    []byte
	Admin *rest.Config
	// AdminKubeconfig is Admin as a kubeconfig file, for the components
	// that run as the administrator (trust-manager, cert-manager).
	AdminKubeconfig string
	proc            *Process
	pki             *serverPKI
}

// StartAPIServer starts bin against etcd, storing under prefix, with its
// files in dir.
func StartAPIServer(bin string, etcd *Etcd, prefix, dir string) (*APIServer, error) {
	return retryPortTaken(func() (*APIServer, error) { return startAPIServer(bin, etcd, prefix, dir) })
}

func startAPIServer(bin string, etcd *Etcd, prefix, dir string) (*APIServer, error) {
	pki, err := newServerPKI(dir)
	if err != nil {
		return nil, err
	}
	port := freePort()
	if port == 0 {
		return nil, fmt.Errorf("no free port")
	}
	url := "https://127.0.0.1:" + strconv.Itoa(port)
	p, err := StartProcess(dir, "kube-apiserver", bin, nil,
		"--etcd-servers", etcd.URL,
		"--etcd-prefix", prefix,
		"--bind-address", "127.0.0.1",
		"--advertise-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(port),
		"--tls-cert-file", pki.ServingCert,
		"--tls-private-key-file", pki.ServingKey,
		"--client-ca-file", pki.ClientCAFile,
		"--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", pki.SAPublic,
		"--service-account-signing-key-file", pki.SAPrivate,
		"--service-cluster-ip-range", "10.96.0.0/24",
		"--cert-dir", dir,
		// No Endpoints for the kubernetes Service: nothing routes to it.
		"--endpoint-reconciler-type", "none",
		"--profiling=false",
		"--v", "1",
	)
	if err != nil {
		return nil, err
	}
	s := &APIServer{URL: url, CA: pki.CAPEM, proc: p, pki: pki}
	s.Admin = &rest.Config{
		Host: url,
		TLSClientConfig: rest.TLSClientConfig{
			CAData: pki.CAPEM, CertData: pki.AdminCertPEM, KeyData: pki.AdminKeyPEM,
		},
		QPS: 200, Burst: 400,
		UserAgent: "mtlsgen-e2e",
	}
	s.AdminKubeconfig = filepath.Join(dir, "admin.kubeconfig")
	if err := WriteKubeconfig(s.Admin, s.AdminKubeconfig); err != nil {
		p.Stop()
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(s.Admin)
	if err != nil {
		p.Stop()
		return nil, err
	}
	err = waitFor(p, 90*time.Second, "ready", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return fmt.Errorf("%v: %s", err, body)
		}
		return nil
	})
	if err != nil {
		p.Stop()
		return nil, p.portTaken(err)
	}
	return s, nil
}

// Stop stops the API server.
func (s *APIServer) Stop() {
	if s != nil {
		s.proc.Stop()
	}
}

// Log is the API server's log file.
func (s *APIServer) Log() string { return s.proc.Log }

// TokenConfig is a client configuration that authenticates with a bearer
// token and nothing else.
func (s *APIServer) TokenConfig(token string) *rest.Config {
	return &rest.Config{
		Host:            s.URL,
		TLSClientConfig: rest.TLSClientConfig{CAData: s.CA},
		BearerToken:     token,
		QPS:             200, Burst: 400,
		UserAgent: "mtlsgen-e2e",
	}
}

// WriteKubeconfig writes a kubeconfig for cfg (certificate or token
// authentication) to path.
func WriteKubeconfig(cfg *rest.Config, path string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["e2e"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["e2e"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken,
		Impersonate: cfg.Impersonate.UserName, ImpersonateGroups: cfg.Impersonate.Groups,
	}
	kc.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "e2e"}
	kc.CurrentContext = "e2e"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return clientcmd.WriteToFile(*kc, path)
}
