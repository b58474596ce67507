package harness

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// TrustManager is the real trust-manager controller, built from
// github.com/cert-manager/trust-manager's cmd/trust-manager, running as a
// process against an API server. Its webhook server starts (the manager
// will not run without it) on loopback with a throwaway certificate, but no
// webhook configuration points at it, so Bundles are admitted on their CRD
// schema alone.
type TrustManager struct {
	proc *Process
}

// StartTrustManager starts bin with trust namespace ns against the API
// server kubeconfig points at.
func StartTrustManager(bin, dir, kubeconfig, ns string) (*TrustManager, error) {
	return retryPortTaken(func() (*TrustManager, error) { return startTrustManager(bin, dir, kubeconfig, ns) })
}

func startTrustManager(bin, dir, kubeconfig, ns string) (*TrustManager, error) {
	certDir := filepath.Join(dir, "trust-manager-webhook")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return nil, err
	}
	if err := selfSignedServing(certDir); err != nil {
		return nil, err
	}
	ready, metrics, webhook := freePort(), freePort(), freePort()
	p, err := StartProcess(dir, "trust-manager", bin, nil,
		"--kubeconfig", kubeconfig,
		"--trust-namespace", ns,
		"--leader-elect=false",
		"--readiness-probe-port", strconv.Itoa(ready),
		"--metrics-port", strconv.Itoa(metrics),
		"--webhook-host", "127.0.0.1",
		"--webhook-port", strconv.Itoa(webhook),
		"--webhook-certificate-dir", certDir,
		"--log-level", "2",
	)
	if err != nil {
		return nil, err
	}
	err = waitFor(p, 60*time.Second, "ready", func() error {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(ready) + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		p.Stop()
		return nil, p.portTaken(err)
	}
	return &TrustManager{proc: p}, nil
}

// Stop stops trust-manager.
func (t *TrustManager) Stop() {
	if t != nil {
		t.proc.Stop()
	}
}

// Log is trust-manager's log file.
func (t *TrustManager) Log() string { return t.proc.Log }

// Running reports an error if trust-manager has exited.
func (t *TrustManager) Running() error {
	if done, err := t.proc.Exited(); done {
		return t.proc.failure(fmt.Errorf("trust-manager exited: %v", err))
	}
	return nil
}
