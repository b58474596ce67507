package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// CRDSource is a set of CRD files in an upstream module.
type CRDSource struct {
	Module, Version string
	// Globs are relative to the module's root.
	Globs []string
}

// ArgoCD is the Argo CD release whose CRDs the suite installs and whose
// Lua health checks its sync uses: the release of the gitops-engine that
// test/e2e/gitopsengine builds with (BuildTools checks they match). Only
// files are read from the module, which needs Go 1.27 even to download
// (ModuleDir uses the suite's newer toolchain).
const (
	ArgoCDModule  = "github.com/argoproj/argo-cd/v3"
	ArgoCDVersion = "v3.6.1"
)

// PrometheusOperatorModule and PrometheusOperatorVersion give the
// PrometheusRule CRD.
const (
	PrometheusOperatorModule  = "github.com/prometheus-operator/prometheus-operator"
	PrometheusOperatorVersion = "v0.85.0"
)

// CRDSources are the CRDs of every API mtlsgen's output uses, at the
// versions the project supports: cert-manager's and trust-manager's from
// the versions in go.mod, Argo CD's from ArgoCDVersion. Linkerd's CRDs
// would join them once the output holds a Linkerd kind; the suite fails
// naming any kind that has no API.
func CRDSources(versions map[string]string) []CRDSource {
	return []CRDSource{
		{"github.com/cert-manager/cert-manager", versions["github.com/cert-manager/cert-manager (CRDs)"], []string{"deploy/crds/*.yaml"}},
		{"github.com/cert-manager/trust-manager", versions["github.com/cert-manager/trust-manager (CRDs)"], []string{"deploy/crds/*.yaml"}},
		{ArgoCDModule, ArgoCDVersion, []string{"manifests/crds/application-crd.yaml", "manifests/crds/applicationset-crd.yaml", "manifests/crds/appproject-crd.yaml"}},
		// The PrometheusRule CRD (mtlsgen's alerts) and the ServiceMonitor
		// CRD (cert-manager's chart, hydrated) are in the operator's root
		// module (the API module mtlsgen imports ships none); v0.85.0 is the
		// newest the module proxy serves.
		{PrometheusOperatorModule, PrometheusOperatorVersion, []string{
			"example/prometheus-operator-crd-full/monitoring.coreos.com_prometheusrules.yaml",
			"example/prometheus-operator-crd-full/monitoring.coreos.com_servicemonitors.yaml",
		}},
	}
}

// LoadCRDs downloads the modules and reads their CRDs.
func LoadCRDs(sources []CRDSource) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, s := range sources {
		if s.Version == "" {
			return nil, fmt.Errorf("no version for %s", s.Module)
		}
		dir, err := ModuleDir(s.Module, s.Version)
		if err != nil {
			return nil, err
		}
		for _, g := range s.Globs {
			files, err := filepath.Glob(filepath.Join(dir, g))
			if err != nil || len(files) == 0 {
				return nil, fmt.Errorf("%s@%s: no files match %s", s.Module, s.Version, g)
			}
			for _, f := range files {
				objs, err := ReadObjects(f)
				if err != nil {
					return nil, err
				}
				for _, o := range objs {
					if o.GetKind() == "CustomResourceDefinition" {
						out = append(out, o)
					}
				}
			}
		}
	}
	return out, nil
}

// ReadObjects decodes every object of a YAML (or JSON) stream file.
func ReadObjects(path string) ([]*unstructured.Unstructured, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	objs, err := DecodeObjects(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}

// DecodeObjects decodes every object of a YAML or JSON stream, skipping
// empty documents.
func DecodeObjects(b []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// InstallCRDs applies CRDs (server-side: Argo CD's are too large for a
// client-side apply) and waits until each is established.
func (c *Client) InstallCRDs(ctx context.Context, crds []*unstructured.Unstructured) error {
	for _, crd := range crds {
		if p := c.Apply(ctx, []*unstructured.Unstructured{crd}, ApplyOptions{FieldManager: "mtlsgen-e2e-crds"}); len(p) > 0 {
			return fmt.Errorf("installing CRD %s: %v", crd.GetName(), p)
		}
	}
	for _, crd := range crds {
		err := Eventually(ctx, 60*time.Second, func() error {
			got, err := c.Dynamic.Resource(crdGVR).Get(ctx, crd.GetName(), metaGet)
			if err != nil {
				return err
			}
			conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
			for _, cond := range conds {
				m, _ := cond.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					return nil
				}
			}
			return fmt.Errorf("CRD %s not established", crd.GetName())
		})
		if err != nil {
			return err
		}
	}
	c.Mapper.Reset()
	return nil
}

// CRDsFor picks the CRDs a cluster needs: cert-manager's and
// trust-manager's always (mtlsgen's mesh output is made of them, and the
// cert-manager and trust-manager watch them), any other only if one of objs
// has its group. Argo CD's ApplicationSet CRD alone takes seconds to
// establish, so a cluster that gets no Argo CD object does without.
func CRDsFor(crds []*unstructured.Unstructured, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	groups := map[string]bool{"cert-manager.io": true, "acme.cert-manager.io": true, "trust.cert-manager.io": true, "trust-manager.io": true}
	for _, o := range objs {
		groups[o.GroupVersionKind().Group] = true
	}
	var out []*unstructured.Unstructured
	for _, crd := range crds {
		if g, _, _ := unstructured.NestedString(crd.Object, "spec", "group"); groups[g] {
			out = append(out, crd)
		}
	}
	return out
}
