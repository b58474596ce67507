// Package krm is mtlsgen as a kustomize KRM function: a
// kyaml fn/framework ResourceListProcessor whose function config is the
// MeshTLS spec itself. The objects the spec generates are appended to the
// ResourceList's items.
//
// A spec with problems fails loudly: every problem becomes a result with
// severity error, the field path and (when known) the spec file, AND the
// processor returns an error so the process exits non-zero. kustomize
// ignores results when a function exits 0, so results alone would let a
// broken spec build into an empty or partial output.
//
// This package only adapts; loading and rendering are internal/load and
// generator, exactly as the CLI uses them.
package krm

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/load"
	"github.com/mtlsgen/mtlsgen/plugin"
)

// Annotations on the function config that select what is rendered.
const (
	// AnnotationCluster selects one cluster of the spec. It is required
	// when the spec has several clusters: each cluster gets objects of the
	// same names, and kustomize refuses two resources with one ID.
	AnnotationCluster = "mtlsgen.dev/cluster"
	// AnnotationComponent selects one component (mesh, argocd).
	AnnotationComponent = "mtlsgen.dev/component"
)

// originAnnotation is where kustomize records the file a resource came from
// when the kustomization sets buildMetadata: [originAnnotations].
const originAnnotation = "config.kubernetes.io/origin"

// Processor renders the MeshTLS function config into the items of a
// ResourceList.
type Processor struct {
	// Version is the mtlsgen version rendering (see generator.Options).
	Version string
	// SpecFile names the file the function config was read from, when the
	// caller knows it (standalone mode: `mtlsgen krm spec.yaml`). Otherwise
	// the config's path or origin annotation is used, if it has one.
	SpecFile string
}

var _ framework.ResourceListProcessor = &Processor{}

// Process implements framework.ResourceListProcessor. On any problem it adds
// one error result per problem to rl.Results, leaves the items alone and
// returns the problems as a *load.Error, so that framework.Execute writes
// the results and the command exits non-zero.
func (p *Processor) Process(rl *framework.ResourceList) error {
	if bad := checkShape(rl.FunctionConfig); bad != nil {
		// kyaml's accessors index into whatever node they are given: read
		// nothing from a config of the wrong shape.
		le := &load.Error{Problems: []load.Problem{*bad}}
		rl.Results = append(rl.Results, results(le, nil, "")...)
		return le
	}
	file := p.SpecFile
	if file == "" {
		file = fileOf(rl.FunctionConfig)
	}
	if (rl.FunctionConfig == nil || rl.FunctionConfig.IsNilOrEmpty()) && len(rl.Items) == 1 && rl.Items[0].GetKind() == v1alpha1.Kind {
		// A spec piped in on its own (kyaml takes any YAML stream for the
		// items of a ResourceList): say what to run instead.
		le := &load.Error{Problems: []load.Problem{{File: load.StdinName,
			Message: "standard input is a MeshTLS spec, not a KRM ResourceList: render it with `mtlsgen render -`, or list it under generators: in a kustomization"}}}
		rl.Results = append(rl.Results, results(le, nil, "")...)
		return le
	}
	objs, err := p.render(rl.FunctionConfig, file)
	if err != nil {
		le, ok := load.AsError(err)
		if !ok {
			le = &load.Error{Problems: []load.Problem{{File: sourceName(rl.FunctionConfig, file), Message: err.Error()}}}
		}
		rl.Results = append(rl.Results, results(le, rl.FunctionConfig, file)...)
		return le
	}
	items := make([]*yaml.RNode, 0, len(objs))
	for _, o := range objs {
		b, err := generator.EncodeYAML(o.Object)
		if err != nil {
			return err
		}
		node, err := yaml.Parse(string(b))
		if err != nil {
			return fmt.Errorf("re-reading generated %s %s: %w", o.Object.GetObjectKind().GroupVersionKind().Kind, o.Object.GetName(), err)
		}
		items = append(items, node)
	}
	rl.Items = append(rl.Items, items...)
	return nil
}

// render loads the function config as a spec and renders what its
// annotations select.
func (p *Processor) render(fc *yaml.RNode, file string) ([]generator.Object, error) {
	name := sourceName(fc, file)
	problem := func(path, format string, args ...any) error {
		return &load.Error{Problems: []load.Problem{{File: name, Path: path, Message: fmt.Sprintf(format, args...)}}}
	}
	if fc == nil || fc.IsNilOrEmpty() {
		return nil, problem("", "no function config: expected a KRM ResourceList on standard input whose functionConfig is the MeshTLS spec, as kustomize sends it (list the spec under generators: in kustomization.yaml; mtlsgen --help lists the other commands)")
	}
	raw, err := fc.String()
	if err != nil {
		return nil, problem("", "cannot serialise the function config: %v", err)
	}
	go generator.WarmEncoders() // on the other core while the spec is parsed
	m, err := load.Parse(name, []byte(raw), load.Options{})
	if err != nil {
		if le, ok := load.AsError(err); ok {
			// Line numbers would point into kustomize's re-serialisation of
			// the config, not into the user's file: drop them; the field
			// path says where.
			for i := range le.Problems {
				le.Problems[i].Line = 0
			}
		}
		return nil, err
	}

	annotations := fc.GetAnnotations()
	opts := generator.Options{
		Version:   p.Version,
		Cluster:   annotations[AnnotationCluster],
		Component: generator.Component(annotations[AnnotationComponent]),
	}
	var ps []load.Problem
	if err := generator.CheckOptions(m, generator.Options{Cluster: opts.Cluster}); err != nil {
		ps = append(ps, load.Problem{File: name, Path: annotationPath(AnnotationCluster), Message: err.Error()})
	}
	if err := plugin.CheckComponent(opts.Component); err != nil {
		ps = append(ps, load.Problem{File: name, Path: annotationPath(AnnotationComponent), Message: err.Error()})
	}
	ps = append(ps, unknownAnnotations(annotations, name)...)
	if len(ps) > 0 {
		return nil, &load.Error{Problems: ps}
	}

	objs, err := plugin.Render(m, opts)
	var several *plugin.SeveralClustersError
	switch {
	case errors.As(err, &several):
		return nil, problem(annotationPath(AnnotationCluster),
			"required: the spec has %d clusters (%s) and each gets objects of the same names, which kustomize refuses; set this annotation on the function config to the one cluster to render",
			len(several.Clusters), strings.Join(several.Clusters, ", "))
	case errors.Is(err, plugin.ErrClusterRequired):
		return nil, problem(annotationPath(AnnotationCluster), "required: %v", err)
	case errors.Is(err, plugin.ErrNothingRendered):
		return nil, problem(annotationPath(AnnotationComponent), "%s renders no object; select what this spec has objects for", plugin.Describe(opts))
	case err != nil:
		return nil, problem("", "%v", err)
	}
	return objs, nil
}

// unknownAnnotations refuses a mtlsgen.dev/ annotation the function does
// not read: a misspelt component would render every component, the
// ApplicationSet too, and a misspelt cluster every cluster of a one-cluster
// spec, with no word said.
func unknownAnnotations(annotations map[string]string, name string) []load.Problem {
	var ps []load.Problem
	for _, k := range slices.Sorted(maps.Keys(annotations)) {
		if strings.HasPrefix(k, "mtlsgen.dev/") && k != AnnotationCluster && k != AnnotationComponent {
			ps = append(ps, load.Problem{File: name, Path: annotationPath(k),
				Message: fmt.Sprintf("unknown annotation: the function reads %s and %s", AnnotationCluster, AnnotationComponent)})
		}
	}
	return ps
}

// checkShape refuses a function config, or its metadata or annotations,
// that is not a mapping, before anything reads them.
func checkShape(fc *yaml.RNode) *load.Problem {
	if fc == nil || fc.IsNilOrEmpty() {
		return nil
	}
	if fc.YNode().Kind != yaml.MappingNode {
		return &load.Problem{File: "functionConfig", Message: "must be the MeshTLS spec, a mapping with apiVersion, kind, metadata and spec, not " + nodeKind(fc.YNode())}
	}
	meta := fc.Field(yaml.MetadataField)
	if meta == nil || meta.Value.IsNil() {
		return nil
	}
	if meta.Value.YNode().Kind != yaml.MappingNode {
		return &load.Problem{File: "functionConfig", Path: "metadata", Message: "must be a mapping (name, annotations), not " + nodeKind(meta.Value.YNode())}
	}
	for _, f := range []string{yaml.AnnotationsField, yaml.LabelsField} {
		if v := meta.Value.Field(f); v != nil && !v.Value.IsNil() && v.Value.YNode().Kind != yaml.MappingNode {
			return &load.Problem{File: "functionConfig", Path: "metadata." + f, Message: "must be a mapping of strings, not " + nodeKind(v.Value.YNode())}
		}
	}
	return nil
}

// nodeKind names a YAML node's kind for messages.
func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// annotationPath is the field path of a metadata annotation.
func annotationPath(key string) string { return "metadata.annotations[" + key + "]" }

// fileOf returns the file a function config came from, as recorded by
// kustomize's origin annotation or kio's path annotations, or "".
func fileOf(fc *yaml.RNode) string {
	if fc == nil {
		return ""
	}
	a := fc.GetAnnotations()
	if o := a[originAnnotation]; o != "" {
		var origin struct {
			Path string `yaml:"path"`
		}
		if err := yaml.Unmarshal([]byte(o), &origin); err == nil && origin.Path != "" {
			return origin.Path
		}
	}
	for _, k := range []kioutil.AnnotationKey{kioutil.PathAnnotation, kioutil.LegacyPathAnnotation} {
		if p := a[k]; p != "" {
			return p
		}
	}
	return ""
}

// sourceName is how problems name the spec: its file if known, else the
// function config's kind and name.
func sourceName(fc *yaml.RNode, file string) string {
	if file != "" {
		return file
	}
	if fc != nil && fc.GetName() != "" {
		return "functionConfig " + v1alpha1.Kind + "/" + fc.GetName()
	}
	return "functionConfig"
}

// results turns problems into KRM results: severity error, the function
// config as the resource, the field path, and the file when known.
func results(le *load.Error, fc *yaml.RNode, file string) framework.Results {
	ref := &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind},
	}
	if fc != nil {
		ref.APIVersion = fc.GetApiVersion()
		ref.Kind = fc.GetKind()
		ref.Name = fc.GetName()
		ref.Namespace = fc.GetNamespace()
	}
	out := make(framework.Results, 0, len(le.Problems))
	for _, p := range le.Problems {
		r := &framework.Result{Message: p.Message, Severity: framework.Error, ResourceRef: ref}
		if p.Path != "" {
			r.Field = &framework.Field{Path: p.Path}
		}
		if file != "" {
			r.File = &framework.File{Path: file}
		}
		out = append(out, r)
	}
	return out
}
