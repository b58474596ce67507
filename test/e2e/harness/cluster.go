package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Env is what every cluster of a run shares: the binaries, one etcd, the
// CRDs, a work directory for logs, and the timing table.
type Env struct {
	Tools   *Tools
	Etcd    *Etcd
	CRDs    []*unstructured.Unstructured
	WorkDir string
	Timing  *Timing

	n atomic.Int32
}

// Cluster is one fresh cluster: its own API server (its own etcd prefix),
// the CRDs, the trust namespace (cert-manager's, which installing
// cert-manager creates and which is its cluster resource namespace), the
// real cert-manager controller and trust-manager, and the test's external
// issuers.
type Cluster struct {
	Name string
	Dir  string
	API  *APIServer
	// Admin is the administrator's client; it collects warnings, so use it
	// for what the test applies and nothing else concurrently.
	Admin        *Client
	CertManager  *CertManager
	Issuer       *Issuer
	TrustManager *TrustManager

	cancel context.CancelFunc
}

// NewCluster starts a cluster whose trust-manager reads trustNamespace,
// with the CRDs that objs (what the test will apply) need. The caller must
// Stop it.
func (e *Env) NewCluster(ctx context.Context, name, trustNamespace string, objs []*unstructured.Unstructured) (c *Cluster, err error) {
	start := time.Now()
	n := e.n.Add(1)
	dir := filepath.Join(e.WorkDir, "clusters", fmt.Sprintf("%02d-%s", n, name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	c = &Cluster{Name: name, Dir: dir, cancel: cancel}
	defer func() {
		if err != nil {
			c.Stop()
			c = nil
		}
	}()
	if c.API, err = StartAPIServer(e.Tools.KubeAPIServer, e.Etcd, fmt.Sprintf("/cluster-%02d", n), dir); err != nil {
		return nil, err
	}
	if c.Admin, err = NewClient(c.API.Admin); err != nil {
		return nil, err
	}
	if err = c.Admin.InstallCRDs(ctx, CRDsFor(e.CRDs, objs)); err != nil {
		return nil, err
	}
	if err = c.CreateNamespace(ctx, trustNamespace, nil); err != nil {
		return nil, err
	}
	if c.CertManager, err = StartCertManager(ctx, c.API.AdminKubeconfig, trustNamespace); err != nil {
		return nil, err
	}
	if c.Issuer, err = StartIssuer(ctx, c.API.Admin); err != nil {
		return nil, err
	}
	if c.TrustManager, err = StartTrustManager(e.Tools.TrustManager, dir, c.API.AdminKubeconfig, trustNamespace); err != nil {
		return nil, err
	}
	e.Timing.Since("start cluster "+name+" (API server, CRDs, cert-manager, trust-manager)", start)
	return c, nil
}

// Stop stops the cluster's processes. Its data stays in etcd under its
// prefix until the run's etcd goes.
func (c *Cluster) Stop() {
	if c == nil {
		return
	}
	if c.cancel != nil {
		c.cancel()
	}
	c.TrustManager.Stop()
	c.CertManager.Stop()
	c.API.Stop()
}

// CreateNamespace creates a namespace (the environment's, not mtlsgen's)
// with labels, unless it exists.
func (c *Cluster) CreateNamespace(ctx context.Context, name string, labels map[string]string) error {
	_, err := c.Admin.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}
