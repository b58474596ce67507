package harness

import (
	"context"
	"fmt"
	"sync"
	"time"

	controllerpkg "github.com/cert-manager/cert-manager/pkg/controller"
	// The controllers cert-manager's controller binary runs for
	// Certificates, CertificateRequests, Issuers and ClusterIssuers, and the
	// issuer types mtlsgen uses (selfSigned, ca); each registers itself.
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// certManagerControllers are the controllers of cert-manager's controller
// binary that issue and renew what mtlsgen emits, by the names the binary's
// --controllers flag takes.
var certManagerControllers = []string{
	"issuers",
	"clusterissuers",
	"certificates-trigger",
	"certificates-key-manager",
	"certificates-request-manager",
	"certificates-issuing",
	"certificates-readiness",
	"certificates-revision-manager",
	"certificaterequests-approver",
	"certificaterequests-issuer-ca",
	"certificaterequests-issuer-selfsigned",
}

// CertManager is cert-manager's real controller, run in this process from
// its module's public controller packages, as its binary runs them: same
// context, same defaults, ClusterIssuers' Secrets in the cluster resource
// namespace.
type CertManager struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu  sync.Mutex
	err error
}

// StartCertManager starts cert-manager's controllers against the API server
// kubeconfig names, until ctx ends or Stop.
func StartCertManager(ctx context.Context, kubeconfig, clusterResourceNamespace string) (_ *CertManager, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		if err != nil {
			cancel()
		}
	}()
	factory, err := controllerpkg.NewContextFactory(ctx, controllerpkg.ContextOptions{
		Kubeconfig:    kubeconfig,
		IssuerOptions: controllerpkg.IssuerOptions{ClusterResourceNamespace: clusterResourceNamespace},
		// The defaults of cert-manager's controller configuration.
		CertificateOptions: controllerpkg.CertificateOptions{
			CertificateRequestMinimumBackoffDuration: time.Hour,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
		KubernetesAPIQPS:   20,
		KubernetesAPIBurst: 50,
	})
	if err != nil {
		return nil, fmt.Errorf("cert-manager: %w", err)
	}
	known := controllerpkg.Known()
	var loops []controllerpkg.Interface
	for _, name := range certManagerControllers {
		construct, ok := known[name]
		if !ok {
			return nil, fmt.Errorf("cert-manager: no controller %q in this cert-manager module", name)
		}
		loop, err := construct(factory)
		if err != nil {
			return nil, fmt.Errorf("cert-manager: controller %s: %w", name, err)
		}
		loops = append(loops, loop)
	}
	// The controllers share the factory's informers: start them once all
	// have registered theirs, as cert-manager's binary does.
	shared, err := factory.Build()
	if err != nil {
		return nil, fmt.Errorf("cert-manager: %w", err)
	}
	shared.KubeSharedInformerFactory.Start(ctx.Done())
	shared.SharedInformerFactory.Start(ctx.Done())
	cm := &CertManager{cancel: cancel}
	for i, loop := range loops {
		name := certManagerControllers[i]
		cm.wg.Go(func() {
			if err := loop.Run(2, ctx); err != nil {
				cm.mu.Lock()
				cm.err = fmt.Errorf("cert-manager controller %s: %w", name, err)
				cm.mu.Unlock()
			}
		})
	}
	return cm, nil
}

// Err is the error a controller stopped with, if any.
func (cm *CertManager) Err() error {
	if cm == nil {
		return nil
	}
	cm.mu.Lock()
	defer cm.mu.Unlock()
	return cm.err
}

// Stop stops the controllers and waits for them.
func (cm *CertManager) Stop() {
	if cm == nil {
		return
	}
	cm.cancel()
	cm.wg.Wait()
}
