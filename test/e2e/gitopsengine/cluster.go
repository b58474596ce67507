package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/utils/kube"
	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/utils/tracing"
	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// cluster is a client of the cluster under test, with what gitops-engine
// needs from it.
type cluster struct {
	config  *rest.Config
	dynamic dynamic.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
	kubectl *kube.KubectlCmd
	trace   bool // log requests and each sync round on standard error
}

func newCluster(kubeconfig string, trace bool) (*cluster, error) {
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	// Argo CD's controller's client limits (ARGOCD_K8S_CLIENT_QPS and
	// _BURST), not client-go's 5 and 10: each round of a sync discovers
	// the API anew, and client-go's would throttle it for seconds.
	config.QPS, config.Burst = 50, 100
	if trace {
		config.Wrap(func(rt http.RoundTripper) http.RoundTripper { return tracer{rt} })
	}
	disco, err := discovery.NewDiscoveryClientForConfig(config)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	return &cluster{
		config:  config,
		dynamic: dyn,
		mapper:  restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco)),
		kubectl: &kube.KubectlCmd{Log: logr.Discard(), Tracer: tracing.NopTracer{}},
		trace:   trace,
	}, nil
}

// get reads o's live state; nil, nil when it does not exist.
func (c *cluster) get(ctx context.Context, o *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	gvk := o.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref(o), err)
	}
	var ri dynamic.ResourceInterface = c.dynamic.Resource(m.Resource)
	if o.GetNamespace() != "" {
		ri = c.dynamic.Resource(m.Resource).Namespace(o.GetNamespace())
	}
	live, err := ri.Get(ctx, o.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref(o), err)
	}
	return live, nil
}

// IsNamespaced makes cluster gitops-engine's kube.ResourceInfoProvider.
func (c *cluster) IsNamespaced(gk schema.GroupKind) (bool, error) {
	m, err := c.mapper.RESTMapping(gk)
	if err != nil {
		return false, err
	}
	return m.Scope.Name() == "namespace", nil
}

// tracer logs every request to the API server on standard error, with how
// long it took (-trace).
type tracer struct{ next http.RoundTripper }

func (t tracer) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	fmt.Fprintf(os.Stderr, "%s %s %s %v\n", start.Format("15:04:05.000"), r.Method, r.URL.RequestURI(), time.Since(start).Round(time.Millisecond))
	return resp, err
}
