package v1alpha1

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Positions maps a field path ("spec.trust.anchors[0].name") to the line of
// the file it was written on.
type Positions map[string]int

// Line returns the line of path, or of its nearest ancestor that is in the
// file (a field filled in by a profile is reported at the object it belongs
// to). It returns 0 when nothing on the path is in the file.
func (p Positions) Line(path string) int {
	for path != "" {
		if l, ok := p[path]; ok {
			return l
		}
		path = parentPath(path)
	}
	return 0
}

func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// DecodeTree strictly decodes one YAML document node against the Go type of
// out's pointee and returns the document as a plain tree (maps, slices,
// strings, numbers, booleans) that encoding/json can turn into that type.
//
// Every problem is collected, none stops the walk: unknown or misspelt fields
// (with a suggestion), duplicate keys, and values of the wrong type, each with
// its field path; pos records the line of every field seen. Scalars are
// coerced by the target type rather than by YAML's guess, so `version: 2.20`
// stays the string "2.20" instead of becoming the float 2.2.
func DecodeTree(doc *yaml.Node, t reflect.Type, pos Positions) (any, field.ErrorList) {
	d := &treeDecoder{pos: pos}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	v := d.decode(doc, t, nil, 0)
	return v, d.errs
}

type treeDecoder struct {
	pos  Positions
	errs field.ErrorList
	// merges holds each mapping's merge-key result, resolved once: a
	// mapping merged through many aliases would otherwise be resolved
	// again for each, and a few hundred bytes of nested merges would take
	// hours.
	merges map[*yaml.Node]*yaml.Node
}

var (
	durationType    = reflect.TypeFor[Duration]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
)

// decode decodes n, found at p, as a t. keyLine is the line of the key n
// is the value of (0 for an item of a list): a field is reported there.
func (d *treeDecoder) decode(n *yaml.Node, t reflect.Type, p *field.Path, keyLine int) any {
	n = unalias(n)
	if p != nil {
		line := keyLine
		if line == 0 {
			line = n.Line
		}
		d.pos[p.String()] = line
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		if n.Style&yaml.TaggedStyle != 0 && !slices.Contains([]string{"", "~", "null", "Null", "NULL"}, n.Value) {
			// "!!null prod": the YAML library refuses it, and so does kubectl.
			d.errs = append(d.errs, field.Invalid(p, n.Value, fmt.Sprintf("tagged !!null, but %s is not null", QuoteValue(n.Value))))
		}
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType {
		return d.duration(n, p)
	}
	if t.Kind() != reflect.Interface && reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return d.unmarshaler(n, t, p)
	}
	switch t.Kind() {
	case reflect.Struct:
		return d.object(n, t, p)
	case reflect.Map:
		return d.mapping(n, t, p)
	case reflect.Slice:
		return d.sequence(n, t, p)
	case reflect.String:
		return d.str(n, p)
	case reflect.Bool:
		return d.boolean(n, p)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return d.integer(n, t, p)
	case reflect.Interface:
		var v any
		if err := n.Decode(&v); err != nil {
			d.errs = append(d.errs, field.Invalid(p, nil, err.Error()))
		}
		return v
	default:
		d.errs = append(d.errs, field.InternalError(p, fmt.Errorf("unsupported Go kind %s", t.Kind())))
		return nil
	}
}

// knownFields caches fieldsOf by type: a fleet's spec decodes the same
// struct (a cluster) a thousand times.
var knownFields sync.Map // reflect.Type -> map[string]reflect.Type

// fieldsOf lists the JSON fields of a struct, following inline embedding.
// The map it returns is shared: do not modify it.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if f, ok := knownFields.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	f := structFields(t)
	knownFields.Store(t, f)
	return f
}

func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") || (f.Anonymous && name == "") {
			for k, v := range fieldsOf(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func (d *treeDecoder) object(n *yaml.Node, t reflect.Type, p *field.Path) any {
	if n.Kind != yaml.MappingNode {
		d.errs = append(d.errs, wrongType(p, n, "an object"))
		return nil
	}
	fields := fieldsOf(t)
	out := map[string]any{}
	n = d.merged(n, p)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if d.complexKey(k, p) {
			continue
		}
		key := k.Value
		cp := child(p, key)
		ft, ok := fields[key]
		if !ok {
			d.pos[cp.String()] = k.Line
			d.errs = append(d.errs, unknownField(cp, key, fields))
			continue
		}
		if _, dup := out[key]; dup {
			d.pos[cp.String()] = k.Line
			d.errs = append(d.errs, setTwice(cp, n, i))
			continue
		}
		out[key] = d.decode(v, ft, cp, k.Line)
	}
	return out
}

func (d *treeDecoder) mapping(n *yaml.Node, t reflect.Type, p *field.Path) any {
	if n.Kind != yaml.MappingNode {
		d.errs = append(d.errs, wrongType(p, n, "a map"))
		return nil
	}
	out := map[string]any{}
	n = d.merged(n, p)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if d.complexKey(k, p) {
			continue
		}
		cp := p.Key(k.Value)
		if _, dup := out[k.Value]; dup {
			d.pos[cp.String()] = k.Line
			d.errs = append(d.errs, setTwice(cp, n, i))
			continue
		}
		out[k.Value] = d.decode(v, t.Elem(), cp, k.Line)
	}
	return out
}

// complexKey reports, as a problem of the mapping at p, a key that is a
// list or a mapping (YAML's "? [a]: 1"): keys here are names.
func (d *treeDecoder) complexKey(k *yaml.Node, p *field.Path) bool {
	k = unalias(k)
	if k.Kind == yaml.ScalarNode {
		return false
	}
	if p != nil {
		d.pos[p.String()] = k.Line
	}
	what := map[yaml.Kind]string{yaml.MappingNode: "an object", yaml.SequenceNode: "a list"}[k.Kind]
	d.errs = append(d.errs, field.Invalid(p, what, "has a key that is "+what+": keys are names"))
	return true
}

// merged resolves YAML merge keys (<<: *defaults, or a list of them) in a
// mapping, as YAML 1.1 and kubectl do: the mapping's own keys win, then
// the merged mappings' in the order listed. It returns n itself when it has
// no merge key, else a mapping holding the result; the nodes keep their
// lines, so a problem in a merged value is reported where it is written.
func (d *treeDecoder) merged(n *yaml.Node, p *field.Path) *yaml.Node {
	return d.mergedFrom(n, p, map[*yaml.Node]bool{})
}

// mergedFrom is merged with the mappings whose merges are being resolved,
// so that one that merges itself (&a {<<: *a}) is an error, not a loop.
func (d *treeDecoder) mergedFrom(n *yaml.Node, p *field.Path, resolving map[*yaml.Node]bool) *yaml.Node {
	if !slices.ContainsFunc(n.Content, isMergeKey) {
		return n
	}
	if m, ok := d.merges[n]; ok {
		return m
	}
	resolving[n] = true
	defer delete(resolving, n)
	out := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	var sources []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isMergeKey(k) {
			out.Content = append(out.Content, k, v)
			continue
		}
		v = unalias(v)
		list := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			list = v.Content
		}
		for _, m := range list {
			m = unalias(m)
			switch {
			case m.Kind != yaml.MappingNode:
				d.mergeError(p, k, "a merge key takes a mapping or a list of mappings (<<: *anchor)")
			case resolving[m]:
				d.mergeError(p, k, "merges the mapping it is part of")
			default:
				sources = append(sources, d.mergedFrom(m, p, resolving))
			}
		}
	}
	seen := map[string]bool{}
	for i := 0; i < len(out.Content); i += 2 {
		seen[out.Content[i].Value] = true
	}
	for _, m := range sources {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if k := m.Content[i]; !seen[k.Value] {
				seen[k.Value] = true
				out.Content = append(out.Content, k, m.Content[i+1])
			}
		}
	}
	if d.merges == nil {
		d.merges = map[*yaml.Node]*yaml.Node{}
	}
	d.merges[n] = out
	return out
}

func (d *treeDecoder) mergeError(p *field.Path, k *yaml.Node, msg string) {
	cp := child(p, "<<")
	d.pos[cp.String()] = k.Line
	d.errs = append(d.errs, field.Invalid(cp, nil, msg))
}

// unalias is the node an alias (of an alias...) stands for; n itself if it
// is none.
func unalias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isMergeKey reports YAML's merge key: a plain <<, which the parser tags
// !!merge ("<<" in quotes is an ordinary key).
func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Tag == "!!merge"
}

func (d *treeDecoder) sequence(n *yaml.Node, t reflect.Type, p *field.Path) any {
	if n.Kind != yaml.SequenceNode {
		d.errs = append(d.errs, wrongType(p, n, "a list"))
		return nil
	}
	out := make([]any, 0, len(n.Content))
	for i, v := range n.Content {
		out = append(out, d.decode(v, t.Elem(), p.Index(i), 0))
	}
	return out
}

func (d *treeDecoder) str(n *yaml.Node, p *field.Path) any {
	if n.Kind != yaml.ScalarNode {
		d.errs = append(d.errs, wrongType(p, n, "a string"))
		return nil
	}
	// Any plain scalar is taken as the text the user wrote: "2.20" stays
	// "2.20". An explicit tag asks for another type (or, for !!binary, for
	// decoding), which a string field does not read.
	if n.Style&yaml.TaggedStyle != 0 && n.ShortTag() != "!!str" {
		d.errs = append(d.errs, field.Invalid(p, n.Value, fmt.Sprintf("must be a string, not a value tagged %s", n.Tag)))
		return nil
	}
	return n.Value
}

func (d *treeDecoder) duration(n *yaml.Node, p *field.Path) any {
	if n.Kind != yaml.ScalarNode {
		d.errs = append(d.errs, wrongType(p, n, "a duration such as 48h"))
		return nil
	}
	if _, err := Duration(n.Value).Parse(); err != nil {
		d.errs = append(d.errs, field.Invalid(p, n.Value, err.Error()))
	}
	return n.Value
}

func (d *treeDecoder) boolean(n *yaml.Node, p *field.Path) any {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errs = append(d.errs, wrongType(p, n, "true or false"))
		return nil
	}
	b, _ := strconv.ParseBool(n.Value)
	return b
}

func (d *treeDecoder) integer(n *yaml.Node, t reflect.Type, p *field.Path) any {
	limit := int64(math.MaxInt64) >> (64 - t.Bits())
	wholeFloat := n.Kind == yaml.ScalarNode && n.Tag == "!!float" && wholeDigits(n.Value)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" && !wholeFloat {
		d.errs = append(d.errs, wrongType(p, n, "a whole number"))
		return nil
	}
	// Digits past int64 are a float to YAML; and a tag may say !!int of
	// what is no number.
	v, err := strconv.ParseInt(n.Value, 0, 64)
	if errors.Is(err, strconv.ErrSyntax) {
		d.errs = append(d.errs, wrongType(p, n, "a whole number"))
		return nil
	}
	if err != nil || v > limit || v < -limit-1 {
		d.errs = append(d.errs, field.Invalid(p, n.Value, outOfRange(strings.HasPrefix(n.Value, "-"), limit)))
		return nil
	}
	return v
}

// unmarshaler checks a value whose type decodes itself (resource quantities)
// by handing it the JSON it would get.
func (d *treeDecoder) unmarshaler(n *yaml.Node, t reflect.Type, p *field.Path) any {
	var v any
	if err := n.Decode(&v); err != nil {
		d.errs = append(d.errs, field.Invalid(p, n.Value, err.Error()))
		return nil
	}
	raw, err := json.Marshal(v)
	if err == nil {
		err = reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw)
	}
	if err != nil {
		d.errs = append(d.errs, field.Invalid(p, n.Value, err.Error()))
		return nil
	}
	return v
}

// setTwice reports the key at n.Content[i] that an earlier key of the same
// mapping already set. (YAML forbids it, but yaml.v3 only says so when
// decoding into a Go map.)
func setTwice(p *field.Path, n *yaml.Node, i int) *field.Error {
	first := 0
	for j := 0; j < i; j += 2 {
		if n.Content[j].Value == n.Content[i].Value {
			first = n.Content[j].Line
			break
		}
	}
	return field.Invalid(p, n.Content[i].Value, fmt.Sprintf("set twice (first on line %d); keep one", first))
}

func child(p *field.Path, name string) *field.Path {
	if p == nil {
		return field.NewPath(name)
	}
	return p.Child(name)
}

// QuoteValue quotes a value a user wrote for a message, cut short when it
// is long: a message quotes a mistake, it need not repeat a megabyte.
func QuoteValue(s string) string {
	const max = 64
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

// outOfRange says which bound a whole number passes.
func outOfRange(negative bool, limit int64) string {
	if negative {
		return fmt.Sprintf("out of range (at least %d)", -limit-1)
	}
	return fmt.Sprintf("out of range (at most %d)", limit)
}

// wholeDigits reports a whole number in decimal, however long.
func wholeDigits(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func wrongType(p *field.Path, n *yaml.Node, want string) *field.Error {
	got := map[yaml.Kind]string{yaml.MappingNode: "an object", yaml.SequenceNode: "a list"}[n.Kind]
	if got == "" {
		got = QuoteValue(n.Value)
	}
	return field.Invalid(p, n.Value, fmt.Sprintf("must be %s, not %s", want, got))
}

func unknownField(p *field.Path, key string, fields map[string]reflect.Type) *field.Error {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	msg := "unknown field"
	if s := closest(key, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	if len(names) == 0 {
		msg += " (this object takes no fields: write {})"
	} else {
		msg += " (allowed: " + strings.Join(names, ", ") + ")"
	}
	return &field.Error{Type: field.ErrorTypeNotSupported, Field: p.String(), BadValue: key, Detail: msg}
}

// closest returns the candidate nearest to s by edit distance, if it is near
// enough to be a likely typo.
func closest(s string, candidates []string) string {
	best, bestD := "", len(s)/2+2
	for _, c := range candidates {
		if dist := editDistance(strings.ToLower(s), strings.ToLower(c)); dist < bestD {
			best, bestD = c, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
