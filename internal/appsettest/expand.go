// Package appsettest expands an ApplicationSet into the Applications Argo
// CD's ApplicationSet controller would create from it, the way the
// controller does it in Go-template mode: parameters from the list, clusters
// and matrix generators; every string field of the template rendered with
// text/template, sprig minus env, expandenv and getHostByName, and the
// ApplicationSet's template options; then the rendered templatePatch merged
// over the result with a strategic merge patch. Tests use it to check what
// Argo CD would deploy, since Argo CD's own module cannot be imported.
package appsettest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/generator"
)

// ClusterSecret is an Argo CD cluster Secret, as the clusters generator
// sees it.
type ClusterSecret struct {
	Name, Server string
	Labels       map[string]string
}

// funcs is the function set of Argo CD's ApplicationSet templates
// (applicationset/utils/utils.go): sprig's generic functions without the
// ones that reveal the environment, plus its YAML helpers.
func funcs() template.FuncMap {
	f := sprig.GenericFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	delete(f, "getHostByName")
	f["toYaml"] = func(v any) (string, error) {
		b, err := yaml.Marshal(v)
		return strings.TrimSuffix(string(b), "\n"), err
	}
	f["fromYaml"] = func(s string) (any, error) {
		var v any
		err := yaml.Unmarshal([]byte(s), &v)
		return v, err
	}
	return f
}

// invalidDNSNameChars and maxDNSNameLength are those of Argo CD's
// SanitizeName (applicationset/utils/template_functions.go, v3.6.1), which
// makes the clusters generator's nameNormalized.
var invalidDNSNameChars = regexp.MustCompile("[^-a-z0-9.]")

const maxDNSNameLength = 253

// normalizeName is a cluster's nameNormalized as Argo CD computes it:
// lowercase, other characters than a-z, 0-9, '-' and '.' made '-', cut to
// 253, '-' and '.' trimmed from both ends.
func normalizeName(name string) string {
	name = invalidDNSNameChars.ReplaceAllString(strings.ToLower(name), "-")
	if len(name) > maxDNSNameLength {
		name = name[:maxDNSNameLength]
	}
	return strings.Trim(name, "-.")
}

// Expand returns the Applications set would generate, given the cluster
// Secrets Argo CD knows.
func Expand(set *generator.ApplicationSet, clusters []ClusterSecret) ([]generator.Application, error) {
	if !set.Spec.GoTemplate {
		return nil, fmt.Errorf("only goTemplate mode is supported")
	}
	var all []map[string]any
	for i, g := range set.Spec.Generators {
		ps, err := params(g, clusters)
		if err != nil {
			return nil, fmt.Errorf("generator %d: %w", i, err)
		}
		all = append(all, ps...)
	}
	var out []generator.Application
	for _, p := range all {
		app, err := render(set, p)
		if err != nil {
			return nil, fmt.Errorf("parameters %v: %w", p, err)
		}
		out = append(out, *app)
	}
	return out, nil
}

func params(g generator.ApplicationSetGenerator, clusters []ClusterSecret) ([]map[string]any, error) {
	switch {
	case g.List != nil:
		var out []map[string]any
		for _, e := range g.List.Elements {
			// Elements reach the template as JSON does: round-trip them.
			raw, err := json.Marshal(e)
			if err != nil {
				return nil, err
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	case g.Clusters != nil:
		sel, err := metav1.LabelSelectorAsSelector(&g.Clusters.Selector)
		if err != nil {
			return nil, err
		}
		var out []map[string]any
		for _, c := range clusters {
			if !sel.Matches(labels.Set(c.Labels)) {
				continue
			}
			ls := map[string]any{}
			for k, v := range c.Labels {
				ls[k] = v
			}
			out = append(out, map[string]any{
				"name": c.Name, "nameNormalized": normalizeName(c.Name), "server": c.Server,
				"metadata": map[string]any{"labels": ls, "annotations": map[string]any{}},
			})
		}
		return out, nil
	case g.Matrix != nil:
		if len(g.Matrix.Generators) != 2 {
			return nil, fmt.Errorf("a matrix needs exactly two generators, has %d", len(g.Matrix.Generators))
		}
		a, err := params(g.Matrix.Generators[0], clusters)
		if err != nil {
			return nil, err
		}
		b, err := params(g.Matrix.Generators[1], clusters)
		if err != nil {
			return nil, err
		}
		var out []map[string]any
		for _, x := range a {
			for _, y := range b {
				m := maps.Clone(x)
				maps.Copy(m, y)
				out = append(out, m)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("no supported generator set")
}

func replace(tmpl string, p map[string]any, options []string) (string, error) {
	t, err := template.New("").Funcs(funcs()).Option(options...).Parse(tmpl)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, p); err != nil {
		return "", err
	}
	return b.String(), nil
}

// valuesObject is not a string field in Argo CD's types (it is raw JSON), so
// the controller does not template inside it.
var notTemplated = regexp.MustCompile(`^spec\.source\.helm\.valuesObject(\.|$)`)

func render(set *generator.ApplicationSet, p map[string]any) (*generator.Application, error) {
	t := set.Spec.Template
	app := generator.Application{
		TypeMeta: metav1.TypeMeta{APIVersion: generator.ArgoAPIVersion, Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{Name: t.Name, Namespace: t.Namespace, Labels: t.Labels,
			Annotations: t.Annotations, Finalizers: t.Finalizers},
		Spec: t.Spec,
	}
	raw, err := json.Marshal(app)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, err
	}
	opts := set.Spec.GoTemplateOptions
	var walk func(path string, v any) (any, error)
	walk = func(path string, v any) (any, error) {
		if notTemplated.MatchString(path) {
			return v, nil
		}
		switch x := v.(type) {
		case string:
			return replace(x, p, opts)
		case map[string]any:
			out := map[string]any{}
			for k, e := range x {
				nk, err := replace(k, p, opts)
				if err != nil {
					return nil, err
				}
				if out[nk], err = walk(strings.TrimPrefix(path+"."+k, "."), e); err != nil {
					return nil, err
				}
			}
			return out, nil
		case []any:
			for i, e := range x {
				var err error
				if x[i], err = walk(path, e); err != nil {
					return nil, err
				}
			}
			return x, nil
		}
		return v, nil
	}
	tree, err = walk("", tree)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	rendered, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	if set.Spec.TemplatePatch != "" {
		patch, err := replace(set.Spec.TemplatePatch, p, opts)
		if err != nil {
			return nil, fmt.Errorf("templatePatch: %w", err)
		}
		patchJSON, err := yaml.YAMLToJSON([]byte(patch))
		if err != nil {
			return nil, fmt.Errorf("templatePatch is not YAML: %w\n%s", err, patch)
		}
		if rendered, err = strategicpatch.StrategicMergePatch(rendered, patchJSON, generator.Application{}); err != nil {
			return nil, fmt.Errorf("templatePatch: %w", err)
		}
	}
	var out generator.Application
	dec := json.NewDecoder(bytes.NewReader(rendered))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("the generated Application does not decode strictly: %w\n%s", err, rendered)
	}
	return &out, nil
}
