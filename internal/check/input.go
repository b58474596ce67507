package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// Doc is one YAML document of the input: a Kubernetes object.
type Doc struct {
	// File is the file it came from, as named on the command line.
	File string
	// Line is where the document starts.
	Line int
	// Cluster groups the objects of one cluster: from mtlsgen's
	// "# mtlsgen: cluster NAME" header, a clusters/NAME/ path, or "" for
	// input that says nothing about clusters.
	Cluster string
	// Obj is the decoded object.
	Obj map[string]any
	// pos maps a field path (spec.renewBefore, spec.sources[0].secret) to
	// its line.
	pos map[string]int
}

// Kind returns the object's kind.
func (d *Doc) Kind() string { s, _ := d.Obj["kind"].(string); return s }

// APIVersion returns the object's apiVersion.
func (d *Doc) APIVersion() string { s, _ := d.Obj["apiVersion"].(string); return s }

// Group returns the API group of the object ("" for the core group).
func (d *Doc) Group() string {
	g, _, ok := strings.Cut(d.APIVersion(), "/")
	if !ok {
		return ""
	}
	return g
}

// Name returns metadata.name.
func (d *Doc) Name() string { return str(d.Obj, "metadata", "name") }

// Namespace returns metadata.namespace.
func (d *Doc) Namespace() string { return str(d.Obj, "metadata", "namespace") }

// Ref is kind/namespace/name, or kind/name without a namespace.
func (d *Doc) Ref() string {
	if ns := d.Namespace(); ns != "" {
		return d.Kind() + "/" + ns + "/" + d.Name()
	}
	return d.Kind() + "/" + d.Name()
}

// LineOf returns the line of a field path, or of the nearest ancestor that
// is written, or the document's first line.
func (d *Doc) LineOf(path string) int {
	for p := path; p != ""; p = parent(p) {
		if l, ok := d.pos[p]; ok {
			return l
		}
	}
	return d.Line
}

func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// Values is a Linkerd chart's Helm values, from a values file or from the
// helm.valuesObject of an Argo CD Application or ApplicationSet.
type Values struct {
	// Chart is the chart the values are for (linkerd-control-plane, ...).
	Chart string
	// Version is the chart version, when an Application names it.
	Version string
	// Doc is where the values are written; Prefix is their path in it
	// (spec.source.helm.valuesObject, or "" for a values file).
	Doc    *Doc
	Prefix string
	V      map[string]any
}

// Path is the field path of a values key, for findings.
func (v *Values) Path(key string) string {
	if v.Prefix == "" {
		return key
	}
	return v.Prefix + "." + key
}

// Input is everything check reads.
type Input struct {
	Docs   []*Doc
	Values []*Values
	// Problems are inputs that could not be read (MTLS000).
	Problems []Finding
	// Specs are the MeshTLS specs found among the manifests: check reads
	// what a spec renders, not the spec, so they are set aside rather than
	// checked as objects nothing else refers to.
	Specs []SpecRef
}

// SpecRef is where a MeshTLS spec starts.
type SpecRef struct {
	File string
	Line int
}

var (
	headerCluster = regexp.MustCompile(`(?m)^# mtlsgen: cluster ([a-z0-9-]+),`)
	pathCluster   = regexp.MustCompile(`(?:^|/)clusters/([^/]+)/`)
	separator     = regexp.MustCompile(`(?m)^---[ \t]*(?:#.*)?$`)
)

// StdinName names standard input in findings.
const StdinName = "<stdin>"

// ReadPaths reads files, directories (recursively: *.yaml, *.yml, *.json)
// and "-" (stdin).
func ReadPaths(in *Input, paths []string, stdin io.Reader) error {
	for _, p := range paths {
		if p == "-" {
			raw, err := io.ReadAll(stdin)
			if err != nil {
				return err
			}
			in.AddManifests(StdinName, raw)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%s: cannot read: %w", p, unwrapPathError(err))
		}
		if !info.IsDir() {
			raw, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("%s: cannot read: %w", p, unwrapPathError(err))
			}
			in.AddManifests(p, raw)
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != p {
				return filepath.SkipDir
			}
			switch filepath.Ext(path) {
			case ".yaml", ".yml", ".json":
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return err
		}
		sort.Strings(files)
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("%s: cannot read: %w", f, unwrapPathError(err))
			}
			in.addManifests(f, raw, true)
		}
	}
	return nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// AddManifests adds the documents of a multi-document YAML (or JSON) file.
// A document that does not parse, or is not a Kubernetes object (no
// apiVersion and kind: Helm values passed as a manifest, say), becomes an
// MTLS000 finding; the others are checked.
func (in *Input) AddManifests(file string, raw []byte) {
	in.addManifests(file, raw, false)
}

// addManifests adds a file's documents. A file found by walking a
// directory (found) may be anything a repository holds (a Chart.yaml,
// Helm values, a kustomization without kind): its documents that are not
// Kubernetes objects are left out, not findings.
func (in *Input) addManifests(file string, raw []byte, found bool) {
	cluster := ""
	if m := pathCluster.FindStringSubmatch(filepath.ToSlash(file)); m != nil {
		cluster = m[1]
	}
	notObject := func(line int, what string) {
		if !found {
			in.Problems = append(in.Problems, Finding{Rule: RuleUnreadable, File: file, Line: line, Message: what})
		}
	}
	for _, chunk := range splitDocuments(raw) {
		c := cluster
		if m := headerCluster.FindSubmatch(chunk.text); m != nil {
			c = string(m[1])
		}
		m, root := in.readMapping(file, chunk, "not a Kubernetes object (expected a mapping with apiVersion and kind)")
		if m == nil {
			continue
		}
		line := chunk.line + root.Line - 1
		if !isObject(m) {
			notObject(line, "not a Kubernetes object (no apiVersion and kind); pass Helm values with --values")
			continue
		}
		d := &Doc{File: file, Line: line, Cluster: c, Obj: m, pos: map[string]int{}}
		if d.Group() == v1alpha1.GroupName {
			in.Specs = append(in.Specs, SpecRef{file, d.Line})
			continue
		}
		if kind, _ := m["kind"].(string); kind == "List" {
			// kubectl's List: check each item, with its own lines.
			itemsNode := field(root, "items")
			items, ok := m["items"].([]any)
			if m["items"] != nil && (!ok || itemsNode == nil || itemsNode.Kind != yaml.SequenceNode || len(itemsNode.Content) != len(items)) {
				notObject(line, "a List whose items are not a list of objects")
				continue
			}
			for i, it := range items {
				itemNode := itemsNode.Content[i]
				im, ok := it.(map[string]any)
				if !ok || !isObject(im) {
					notObject(chunk.line+itemNode.Line-1, fmt.Sprintf("items[%d] of a List is not a Kubernetes object (expected a mapping with apiVersion and kind)", i))
					continue
				}
				item := &Doc{File: file, Line: chunk.line + itemNode.Line - 1, Cluster: c, Obj: im, pos: map[string]int{}}
				positions(itemNode, "", chunk.line-1, 0, item.pos)
				in.Docs = append(in.Docs, item)
			}
			continue
		}
		positions(root, "", chunk.line-1, 0, d.pos)
		in.Docs = append(in.Docs, d)
	}
}

// isObject reports a document with an apiVersion and a kind, as every
// Kubernetes object has.
func isObject(m map[string]any) bool {
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	return apiVersion != "" && kind != ""
}

// field returns the value node of key in mapping n (through aliases), or
// nil.
func field(n *yaml.Node, key string) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			for v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			return v
		}
	}
	return nil
}

// AddValues adds a Helm values file for chart ("" to tell each document's
// chart from mtlsgen's header comment, else from its keys). A file may hold
// several documents, as `mtlsgen render --only linkerd-values` writes one
// per chart; each is checked as the values of its chart.
func (in *Input) AddValues(file, chart string, raw []byte) {
	for _, chunk := range splitDocuments(raw) {
		m, root := in.readMapping(file, chunk, "a values file must be a mapping")
		if m == nil {
			continue
		}
		if kind, _ := m["kind"].(string); kind != "" && m["apiVersion"] != nil {
			// Helm values have neither key; a manifest (or a spec) read as
			// the control plane's values would be judged for keys it lacks.
			msg := fmt.Sprintf("a %s, not Helm values: pass manifests as paths, not with --values", kind)
			if kind == v1alpha1.Kind {
				msg = "a MeshTLS spec, not Helm values: `mtlsgen render FILE --only linkerd-values` writes its values"
			}
			in.Problems = append(in.Problems, Finding{Rule: RuleUnreadable, File: file, Line: chunk.line + root.Line - 1, Message: msg})
			continue
		}
		d := &Doc{File: file, Line: chunk.line, Obj: m, pos: map[string]int{}}
		positions(root, "", chunk.line-1, 0, d.pos)
		v := &Values{Chart: chart, Doc: d, V: m}
		if h := valuesHeader.FindSubmatch(chunk.text); h != nil {
			if v.Chart == "" {
				v.Chart = string(h[1])
			}
			if v.Chart == string(h[1]) {
				v.Version = string(h[2])
			}
		}
		if v.Chart == "" {
			v.Chart = guessChart(m)
		}
		in.Values = append(in.Values, v)
	}
}

// readMapping parses one document of file as a mapping. An empty document
// gives nil; one that does not parse, or is not a mapping (notMapping says
// what was expected), gives nil and a finding.
func (in *Input) readMapping(file string, c chunk, notMapping string) (map[string]any, *yaml.Node) {
	if l := v1alpha1.StrayBOM(c.text); l > 0 {
		in.Problems = append(in.Problems, Finding{Rule: RuleUnreadable, File: file, Line: c.line + l - 1, Message: "unparseable YAML: " + v1alpha1.StrayBOMMessage})
		return nil, nil
	}
	var node yaml.Node
	if err := yaml.Unmarshal(c.text, &node); err != nil {
		in.Problems = append(in.Problems, syntaxFinding(file, c, err))
		return nil, nil
	}
	if len(node.Content) == 0 {
		return nil, nil // empty document
	}
	root := node.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	var obj any
	if err := root.Decode(&obj); err != nil {
		in.Problems = append(in.Problems, syntaxFinding(file, c, err))
		return nil, nil
	}
	m, ok := normalize(obj).(map[string]any)
	if !ok {
		in.Problems = append(in.Problems, Finding{Rule: RuleUnreadable, File: file, Line: c.line + root.Line - 1, Message: notMapping})
		return nil, nil
	}
	return m, root
}

// valuesHeader is the comment mtlsgen writes above each chart's values:
// "# CHART VERSION from REPOSITORY, release ...".
var valuesHeader = regexp.MustCompile(`(?m)^# (linkerd[a-z0-9-]*) (\S+) from \S+, release `)

// ValuesCharts are the charts whose values check reads, for --values
// CHART=FILE.
var ValuesCharts = []string{v1alpha1.ChartCRDs, v1alpha1.ChartControlPlane, v1alpha1.ChartViz, v1alpha1.ChartMulticluster, v1alpha1.ChartJaeger}

// guessChart recognises a Linkerd chart's values by their keys.
func guessChart(v map[string]any) string {
	switch {
	case v["installGatewayAPI"] != nil && v["identity"] == nil && v["proxyInjector"] == nil && v["controllerImage"] == nil:
		return v1alpha1.ChartCRDs
	case v["tap"] != nil || v["tapInjector"] != nil:
		return v1alpha1.ChartViz
	case v["gateway"] != nil:
		return v1alpha1.ChartMulticluster
	case v["webhook"] != nil && v["collector"] != nil, v["webhook"] != nil && v["identity"] == nil && v["proxyInjector"] == nil:
		return v1alpha1.ChartJaeger
	}
	return v1alpha1.ChartControlPlane
}

type chunk struct {
	text []byte
	line int // first line of text in the file
}

// splitDocuments cuts a stream at "---" lines itself, so that one broken
// document does not hide the ones after it.
func splitDocuments(raw []byte) []chunk {
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	var out []chunk
	start, line := 0, 1
	for _, loc := range separator.FindAllIndex(raw, -1) {
		if !directivesOnly(raw[start:loc[0]]) {
			// A directive (%YAML 1.1) belongs to the document after it,
			// and says nothing the checks read.
			out = append(out, chunk{text: raw[start:loc[0]], line: line})
		}
		line += bytes.Count(raw[start:loc[1]], []byte("\n"))
		start = loc[1]
		if start < len(raw) && raw[start] == '\n' {
			start++
			line++
		}
	}
	return append(out, chunk{text: raw[start:], line: line})
}

// directivesOnly reports text of YAML directives, with comments and blank
// lines, and at least one directive.
func directivesOnly(text []byte) bool {
	directive := false
	for _, l := range bytes.Split(text, []byte("\n")) {
		l = bytes.TrimSpace(l)
		switch {
		case len(l) == 0 || l[0] == '#':
		case l[0] == '%':
			directive = true
		default:
			return false
		}
	}
	return directive
}

func syntaxFinding(file string, c chunk, err error) Finding {
	line, msg := v1alpha1.YAMLError(c.text, err)
	if line == 0 {
		line = 1
	}
	return Finding{Rule: RuleUnreadable, File: file, Line: c.line + line - 1, Message: "unparseable YAML: " + msg}
}

// maxPositionDepth bounds how deep positions records lines. Every rule
// reads paths far shallower; without a bound, each node's path costs its
// depth, so a deeply nested (or deeply aliased) document costs memory by
// the square of its depth.
const maxPositionDepth = 32

// positions records the line of every field path below n, down to
// maxPositionDepth levels.
func positions(n *yaml.Node, path string, offset, depth int, out map[string]int) {
	if depth >= maxPositionDepth {
		return
	}
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			out[p] = n.Content[i].Line + offset
			positions(n.Content[i+1], p, offset, depth+1, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			out[p] = c.Line + offset
			positions(c, p, offset, depth+1, out)
		}
	}
}

// normalize makes YAML's decoded maps JSON-like (string keys), so the typed
// views can decode them through encoding/json.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[fmt.Sprint(k)] = normalize(e)
		}
		return out
	case []any:
		for i, e := range t {
			t[i] = normalize(e)
		}
		return t
	}
	return v
}

// decodeInto decodes a plain object into a typed one. Fields of the wrong
// type are left zero (their rules report what they can).
func decodeInto(obj map[string]any, out any) error {
	raw, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// str reads a nested string field.
func str(obj map[string]any, path ...string) string {
	v := get(obj, path...)
	s, _ := v.(string)
	return s
}

// get reads a nested field.
func get(obj map[string]any, path ...string) any {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}
