package harness

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Etcd is one etcd server on loopback. Every API server the suite starts
// stores its data in it under its own prefix, so each cluster is fresh and
// only one etcd runs.
type Etcd struct {
	URL  string
	proc *Process
}

// StartEtcd starts bin with its data in dataDir, logging into logDir.
// dataDir must be the suite's own: a start that lost a port to another
// process empties it and starts afresh with new ports, since etcd would
// otherwise find a member initialised for the old ones.
func StartEtcd(bin, dataDir, logDir string) (*Etcd, error) {
	return retryPortTaken(func() (*Etcd, error) {
		if err := os.RemoveAll(dataDir); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, err
		}
		return startEtcd(bin, dataDir, logDir)
	})
}

func startEtcd(bin, dataDir, logDir string) (*Etcd, error) {
	client, peer := freePort(), freePort()
	if client == 0 || peer == 0 {
		return nil, fmt.Errorf("no free port")
	}
	clientURL := "http://127.0.0.1:" + strconv.Itoa(client)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peer)
	p, err := StartProcess(logDir, "etcd", bin, nil,
		"--name", "e2e",
		"--data-dir", dataDir,
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "e2e="+peerURL,
		"--initial-cluster-state", "new",
		// One test run's worth of data; never compacted away under us.
		"--quota-backend-bytes", strconv.Itoa(2<<30),
		"--log-level", "warn", "--logger", "zap",
	)
	if err != nil {
		return nil, err
	}
	e := &Etcd{URL: clientURL, proc: p}
	err = waitFor(p, 30*time.Second, "healthy", func() error {
		resp, err := http.Get(clientURL + "/health")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), `"health":"true"`) {
			return fmt.Errorf("health: %s", b)
		}
		return nil
	})
	if err != nil {
		p.Stop()
		return nil, p.portTaken(err)
	}
	return e, nil
}

// Stop stops etcd.
func (e *Etcd) Stop() {
	if e != nil {
		e.proc.Stop()
	}
}

// freePort returns a loopback TCP port nobody listens on right now.
func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FindEtcd returns the etcd binary: $MTLSGEN_E2E_ETCD, or etcd on PATH.
func FindEtcd() (string, error) {
	if p := os.Getenv("MTLSGEN_E2E_ETCD"); p != "" {
		return p, nil
	}
	for _, dir := range append(strings.Split(os.Getenv("PATH"), ":"), "/usr/bin", "/usr/local/bin") {
		p := dir + "/etcd"
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("no etcd binary: install Debian's etcd-server package (apt-get install -y etcd-server) or set MTLSGEN_E2E_ETCD")
}
