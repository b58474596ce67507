// Package load turns a spec file into a defaulted, validated MeshTLS, or into
// every problem the file has, each as FILE:LINE: FIELD.PATH: message.
//
// Every entry point (the CLI, the KRM function, the Argo CD plugin) loads
// specs through here, so they accept and refuse exactly the same files. Parse
// is pure; only LoadFile touches the file system.
package load

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/profiles"
)

// StdinName is how problems in a spec read from standard input name it.
const StdinName = "<stdin>"

// Options change how a spec is loaded.
type Options struct {
	// Profile, when set, replaces spec.profile (the CLI's --profile).
	Profile v1alpha1.Profile
	// Previous, when set, is the spec this one replaces (validate
	// --previous): the change from it is validated too.
	Previous *v1alpha1.MeshTLS
	// Unvalidated decodes and defaults without validating: for a deployed
	// spec (--previous) that rules newer than it refuse, and that the
	// change under review may be fixing.
	Unvalidated bool
}

// Problem is one thing wrong with a spec.
type Problem struct {
	// File is the spec's name as the user gave it.
	File string
	// Line is where in the file, or 0 when the problem is about the file as
	// a whole or a value only the profile set.
	Line int
	// Path is the field path, e.g. spec.trust.anchors[0].name; empty for a
	// problem with the file itself.
	Path string
	// Message says what is wrong and what is allowed.
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error is every problem of one spec. It is the only error Parse returns.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// AsError returns the problems of err if it is (or wraps) an *Error.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// LoadFile reads a spec from path, or from stdin when path is "-", and parses
// it.
func LoadFile(path string, stdin io.Reader, opts Options) (*v1alpha1.MeshTLS, error) {
	name := path
	var raw []byte
	var err error
	if path == "-" {
		name = StdinName
		raw, err = io.ReadAll(stdin)
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, &Error{Problems: []Problem{{File: name, Message: "cannot read: " + DescribeReadError(err)}}}
	}
	return Parse(name, raw, opts)
}

// DescribeReadError is why a file could not be read, without the operation
// and path os puts in front ("no such file", "permission denied").
func DescribeReadError(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such file"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse decodes, defaults and validates one spec. name is used in problems
// only. It returns every problem at once as an *Error.
func Parse(name string, raw []byte, opts Options) (*v1alpha1.MeshTLS, error) {
	fail := func(ps ...Problem) (*v1alpha1.MeshTLS, error) { return nil, &Error{Problems: ps} }

	doc, problem := singleDocument(name, raw)
	if problem != nil {
		return fail(*problem)
	}

	pos := v1alpha1.Positions{}
	tree, decodeErrs := v1alpha1.DecodeTree(doc, reflect.TypeFor[v1alpha1.MeshTLS](), pos)
	root, _ := tree.(map[string]any)
	errs := append(field.ErrorList{}, decodeErrs...)
	for _, e := range checkTypeMeta(root) {
		if !underAny(e.Field, decodeErrs) {
			errs = append(errs, e)
		}
	}

	spec, _ := root["spec"].(map[string]any)
	if spec == nil {
		spec = map[string]any{}
	}
	profile := opts.Profile
	named := spec["profile"] != nil // null is left out, as for every field
	if profile == "" {
		p, _ := spec["profile"].(string)
		profile = v1alpha1.Profile(p)
	}
	if profile == "" && !named {
		// Left out, the default; written as "", a mistake validation names.
		profile = profiles.Default
	}
	merged, err := profiles.Apply(profile, spec)
	if err != nil {
		// Reported by validation as an unsupported spec.profile; carry on
		// with the default profile so the other problems are found too.
		merged, _ = profiles.Apply(profiles.Default, spec)
	}
	merged["profile"] = string(profile)

	// Validate even when decoding found problems, so every problem is
	// reported at once; a value the decoder refused is absent from the tree,
	// and what validation then says about its path would only repeat it.
	var m v1alpha1.MeshTLS
	if root["spec"] != nil {
		root["spec"] = merged
		if err := roundTrip(root, &m); err != nil {
			errs = append(errs, field.InternalError(nil, err))
		}
		v1alpha1.SetDefaults(&m)
		if !opts.Unvalidated {
			for _, e := range v1alpha1.Validate(&m) {
				if !underAny(e.Field, decodeErrs) {
					errs = append(errs, e)
				}
			}
		}
		if opts.Previous != nil && len(errs) == 0 {
			// A transition between valid specs only: on an invalid one it
			// would mostly repeat what is wrong with it.
			errs = append(errs, v1alpha1.ValidateTransition(opts.Previous, &m)...)
		}
	}
	if len(errs) > 0 {
		return fail(problems(name, errs, pos)...)
	}
	return &m, nil
}

// underAny reports whether path is one of the errors' paths or inside one.
func underAny(path string, errs field.ErrorList) bool {
	for _, e := range errs {
		if path == e.Field || strings.HasPrefix(path, e.Field+".") || strings.HasPrefix(path, e.Field+"[") {
			return true
		}
	}
	return false
}

// singleDocument parses raw as YAML and returns its only document, which must
// be a mapping.
func singleDocument(name string, raw []byte) (*yaml.Node, *Problem) {
	if line := v1alpha1.StrayBOM(raw); line > 0 {
		return nil, &Problem{File: name, Line: line, Message: "invalid YAML: " + v1alpha1.StrayBOMMessage}
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, syntaxProblem(name, raw, err)
		}
		if len(n.Content) > 0 && !(n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null") {
			docs = append(docs, &n)
		}
	}
	switch {
	case len(docs) == 0:
		return nil, &Problem{File: name, Message: "empty: expected one MeshTLS document (try `mtlsgen init`)"}
	case len(docs) > 1:
		return nil, &Problem{File: name, Line: docs[1].Content[0].Line,
			Message: fmt.Sprintf("expected one MeshTLS document, found %d (a spec file holds exactly one)", len(docs))}
	}
	if root := docs[0].Content[0]; root.Kind != yaml.MappingNode {
		return nil, &Problem{File: name, Line: root.Line, Message: "expected a MeshTLS object (apiVersion, kind, metadata, spec)"}
	}
	return docs[0], nil
}

func syntaxProblem(name string, raw []byte, err error) *Problem {
	line, msg := v1alpha1.YAMLError(raw, err)
	return &Problem{File: name, Line: line, Message: "invalid YAML: " + msg}
}

func checkTypeMeta(root map[string]any) field.ErrorList {
	var el field.ErrorList
	for _, f := range []struct{ key, want string }{{"apiVersion", v1alpha1.APIVersion}, {"kind", v1alpha1.Kind}} {
		got, _ := root[f.key].(string)
		switch {
		case root[f.key] == nil:
			el = append(el, field.Required(field.NewPath(f.key), "must be "+f.want))
		case got != f.want:
			el = append(el, field.NotSupported(field.NewPath(f.key), got, []string{f.want}))
		}
	}
	if root["spec"] == nil {
		el = append(el, field.Required(field.NewPath("spec"), "the mesh to generate (try `mtlsgen init`)"))
	}
	return el
}

// roundTrip turns a checked tree into the typed spec.
func roundTrip(tree any, out *v1alpha1.MeshTLS) error {
	raw, err := json.Marshal(tree)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

// problems formats field errors, attaching the line each path was written on,
// dropping exact repeats (the decoder and validation can both see a bad
// duration) and ordering them as they appear in the file.
func problems(name string, errs field.ErrorList, pos v1alpha1.Positions) []Problem {
	seen := map[string]bool{}
	var out []Problem
	for _, e := range errs {
		p := Problem{File: name, Line: pos.Line(e.Field), Path: e.Field, Message: Describe(e)}
		if e.Field == "<nil>" {
			p.Path = ""
		}
		key := p.Path + "\x00" + p.Message
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return comparePaths(out[i].Path, out[j].Path) < 0
	})
	return out
}

// comparePaths orders field paths as a reader does: list indexes by
// number (clusters[2] before clusters[10]), the rest by text.
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		i := strings.IndexAny(a, "0123456789")
		j := strings.IndexAny(b, "0123456789")
		if i < 0 || j < 0 || a[:i] != b[:j] {
			break
		}
		a, b = a[i:], b[j:]
		na := len(a) - len(strings.TrimLeft(a, "0123456789"))
		nb := len(b) - len(strings.TrimLeft(b, "0123456789"))
		if na != nb {
			return cmp.Compare(na, nb) // fewer digits, smaller number (no leading zeros in indexes)
		}
		if c := strings.Compare(a[:na], b[:nb]); c != 0 {
			return c
		}
		a, b = a[na:], b[nb:]
	}
	return strings.Compare(a, b)
}

// Describe renders a field error as "what is wrong (what is allowed)",
// without repeating the path.
func Describe(e *field.Error) string {
	switch e.Type {
	case field.ErrorTypeRequired:
		if e.Detail != "" {
			return "required: " + e.Detail
		}
		return "required"
	case field.ErrorTypeNotSupported:
		if e.Detail != "" && !strings.HasPrefix(e.Detail, "supported values:") {
			return e.Detail
		}
		allowed := strings.ReplaceAll(strings.TrimPrefix(e.Detail, "supported values: "), `"`, "")
		return fmt.Sprintf("%s is not supported (allowed: %s)", quote(e.BadValue), allowed)
	case field.ErrorTypeDuplicate:
		return fmt.Sprintf("duplicate value %s: each must be unique", quote(e.BadValue))
	case field.ErrorTypeForbidden:
		return "not allowed: " + e.Detail
	case field.ErrorTypeInternal:
		return "internal error: " + e.Detail
	}
	if e.Detail == "" {
		return fmt.Sprintf("invalid value %s", quote(e.BadValue))
	}
	return e.Detail
}

func quote(v any) string {
	if v == nil {
		return "an empty value"
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
		if rv.Len() == 0 {
			return "an empty value"
		}
		return v1alpha1.QuoteValue(rv.String())
	}
	return fmt.Sprintf("%v", v)
}
