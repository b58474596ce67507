// Package schemagen derives the JSON Schema of the MeshTLS spec and the
// README's spec reference from the Go types of api/v1alpha1 and their doc
// comments, so neither can drift from the code. Its output is committed
// (api/v1alpha1/meshtls.schema.json, the README section) and kept current by
// tests: run `go test ./internal/schemagen -update` after changing the types.
//
// It reads Go source, so it runs in tests only, never in the mtlsgen binary.
package schemagen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// docs are the doc comments of the types and fields of one Go package.
type docs struct {
	types  map[string]string            // type name -> comment
	fields map[string]map[string]string // type name -> field name -> comment
}

// readDocs parses the non-test Go files of dir.
func readDocs(dir string) (*docs, error) {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	d := &docs{types: map[string]string{}, fields: map[string]map[string]string{}}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil {
					doc = gd.Doc
				}
				d.types[ts.Name.Name] = doc.Text()
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				fm := map[string]string{}
				for _, fld := range st.Fields.List {
					for _, n := range fld.Names {
						fm[n.Name] = fld.Doc.Text()
					}
				}
				d.fields[ts.Name.Name] = fm
			}
		}
	}
	return d, nil
}

var (
	enumMarker = regexp.MustCompile(`\+kubebuilder:validation:Enum=(\S+)`)
	markerLine = regexp.MustCompile(`(?m)^\s*\+.*$`)
)

// description is a doc comment without its markers, on one line.
func description(comment string) string {
	s := markerLine.ReplaceAllString(comment, "")
	return strings.Join(strings.Fields(s), " ")
}

type generator struct {
	docs *docs
	defs map[string]any
}

// Generate returns the JSON Schema of MeshTLS, reading doc comments from the
// api/v1alpha1 sources in apiDir.
func Generate(apiDir string) ([]byte, error) {
	d, err := readDocs(apiDir)
	if err != nil {
		return nil, err
	}
	g := &generator{docs: d, defs: map[string]any{
		"Duration": map[string]any{
			"type":        "string",
			"pattern":     `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`,
			"description": description(d.types["Duration"]),
		},
	}}
	root := g.object(reflect.TypeFor[v1alpha1.MeshTLS]())
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = "https://mtlsgen.dev/schemas/" + v1alpha1.Version + "/meshtls.schema.json"
	root["title"] = v1alpha1.Kind
	props := root["properties"].(map[string]any)
	props["apiVersion"] = map[string]any{"const": v1alpha1.APIVersion}
	props["kind"] = map[string]any{"const": v1alpha1.Kind}
	root["required"] = []string{"apiVersion", "kind", "metadata", "spec"}
	root["$defs"] = g.defs
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var (
	durationType    = reflect.TypeFor[v1alpha1.Duration]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
)

func (g *generator) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return map[string]any{"$ref": "#/$defs/Duration"}
	case reflect.PointerTo(t).Implements(jsonUnmarshaler):
		// A resource quantity: "100m", "250Mi" or a plain number.
		return map[string]any{"anyOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}}
	}
	switch t.Kind() {
	case reflect.Struct:
		name := t.Name()
		if _, done := g.defs[name]; !done {
			g.defs[name] = map[string]any{} // break recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.String:
		s := map[string]any{"type": "string"}
		if m := enumMarker.FindStringSubmatch(g.docs.types[t.Name()]); m != nil && t.PkgPath() == durationType.PkgPath() {
			s["enum"] = strings.Split(m[1], ";")
		}
		return s
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	}
	panic(fmt.Sprintf("schemagen: unsupported type %s", t))
}

// object is the schema of a struct: its fields (inline ones flattened),
// which of them are required, and no others.
func (g *generator) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if t.PkgPath() == durationType.PkgPath() {
		if d := description(g.docs.types[t.Name()]); d != "" {
			s["description"] = d
		}
	}
	if len(required) > 0 {
		sort.Strings(required)
		s["required"] = required
	}
	return s
}

func (g *generator) fields(t reflect.Type, props map[string]any, required *[]string) {
	ours := t.PkgPath() == durationType.PkgPath()
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
			if f.Type.PkgPath() == durationType.PkgPath() || f.Type.Name() == "TypeMeta" {
				g.fields(f.Type, props, required)
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(f.Type)
		comment := ""
		if ours {
			comment = g.docs.fields[t.Name()][f.Name]
		}
		if d := description(comment); d != "" {
			if _, isRef := s["$ref"]; isRef {
				s = map[string]any{"allOf": []any{s}, "description": d}
			} else {
				s["description"] = d
			}
		}
		props[name] = s
		optional := strings.Contains(comment, "+optional") || strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		if ours && !optional {
			*required = append(*required, name)
		}
	}
}
