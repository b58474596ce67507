package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

var metaGet = metav1.GetOptions{}

// Warnings collects the warnings the API server sends (the Warning header:
// deprecated APIs, Pod Security violations under warn mode, unknown or
// duplicate fields under fieldValidation=Warn, ...).
type Warnings struct {
	mu   sync.Mutex
	msgs []string
}

// HandleWarningHeader implements rest.WarningHandler.
func (w *Warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

// Take returns the warnings collected since the last Take.
func (w *Warnings) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

// Client talks to one API server as one identity. Its warnings are its own:
// give each actor (the applier, the external issuers) its own Client.
type Client struct {
	Config   *rest.Config
	Kube     kubernetes.Interface
	Dynamic  dynamic.Interface
	Mapper   meta.ResettableRESTMapper
	Warnings *Warnings
}

// NewClient makes a client for cfg that collects warnings.
func NewClient(cfg *rest.Config) (*Client, error) {
	cfg = rest.CopyConfig(cfg)
	w := &Warnings{}
	cfg.WarningHandler = w
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(kube.Discovery()))
	return &Client{Config: cfg, Kube: kube, Dynamic: dyn, Mapper: mapper, Warnings: w}, nil
}

// ResourceFor returns the dynamic client of an object's resource.
func (c *Client) ResourceFor(obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := obj.GroupVersionKind()
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		// A CRD installed since the last discovery: look again once.
		c.Mapper.Reset()
		if m, err = c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			return nil, fmt.Errorf("the API server has no %s (is its CRD installed?): %w", gvk, err)
		}
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			return nil, fmt.Errorf("%s is namespaced but has no namespace", Ref(obj))
		}
		return c.Dynamic.Resource(m.Resource).Namespace(obj.GetNamespace()), nil
	}
	if obj.GetNamespace() != "" {
		return nil, fmt.Errorf("%s is cluster-scoped but has namespace %q", Ref(obj), obj.GetNamespace())
	}
	return c.Dynamic.Resource(m.Resource), nil
}

// Ref names an object for messages: Kind namespace/name.
func Ref(o *unstructured.Unstructured) string {
	if o.GetNamespace() == "" {
		return o.GetKind() + " " + o.GetName()
	}
	return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
}

// Problem is a rejection or a warning from the API server.
type Problem struct {
	Object  string
	DryRun  bool
	Warning bool // false: the object was rejected
	Message string
}

func (p Problem) String() string {
	what := "rejected"
	if p.Warning {
		what = "warning"
	}
	if p.DryRun {
		what += " (dry run)"
	}
	return fmt.Sprintf("%s: %s: %s", p.Object, what, p.Message)
}

// ApplyOptions say how to apply.
type ApplyOptions struct {
	FieldManager string
	DryRun       bool
}

// Apply server-side-applies objects in order, with fieldValidation=Strict
// (an unknown or duplicate field is a rejection, not a silent drop), and
// returns every rejection and every warning.
func (c *Client) Apply(ctx context.Context, objs []*unstructured.Unstructured, opts ApplyOptions) []Problem {
	var out []Problem
	c.Warnings.Take()
	for _, obj := range objs {
		ref := Ref(obj)
		ri, err := c.ResourceFor(obj)
		if err != nil {
			out = append(out, Problem{Object: ref, DryRun: opts.DryRun, Message: err.Error()})
			continue
		}
		data, err := json.Marshal(obj.Object)
		if err != nil {
			out = append(out, Problem{Object: ref, DryRun: opts.DryRun, Message: err.Error()})
			continue
		}
		po := metav1.PatchOptions{FieldManager: opts.FieldManager, Force: ptr(true), FieldValidation: "Strict"}
		if opts.DryRun {
			po.DryRun = []string{metav1.DryRunAll}
		}
		_, err = ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, po)
		if err != nil {
			out = append(out, Problem{Object: ref, DryRun: opts.DryRun, Message: err.Error()})
		}
		for _, w := range c.Warnings.Take() {
			out = append(out, Problem{Object: ref, DryRun: opts.DryRun, Warning: true, Message: w})
		}
	}
	return out
}

// Delete deletes an object; a missing object is not an error.
func (c *Client) Delete(ctx context.Context, obj *unstructured.Unstructured) error {
	ri, err := c.ResourceFor(obj)
	if err != nil {
		return err
	}
	err = ri.Delete(ctx, obj.GetName(), metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// Get reads the live version of an object.
func (c *Client) Get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ri, err := c.ResourceFor(obj)
	if err != nil {
		return nil, err
	}
	return ri.Get(ctx, obj.GetName(), metaGet)
}

// Eventually retries check every 200ms until it returns nil, ctx ends or
// timeout passes; it returns the last error.
func Eventually(ctx context.Context, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Problems joins problems one per line.
func Problems(ps []Problem) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = "  " + p.String()
	}
	return strings.Join(s, "\n")
}

func ptr[T any](v T) *T { return &v }
