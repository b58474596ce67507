package schemagen

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Markers around the generated spec reference in README.md.
const (
	BeginMarker = "<!-- BEGIN spec reference: generated from the Go types by `go test ./internal/schemagen -update` -->"
	EndMarker   = "<!-- END spec reference -->"
)

// opaque are definitions the reference names instead of expanding: upstream
// Kubernetes types whose fields their own docs describe.
var opaque = map[string]string{
	"LabelSelector":        "label selector (matchLabels, matchExpressions)",
	"ResourceRequirements": "resources (requests, limits)",
}

// Reference renders the schema as a Markdown table of every field path, its
// type and its description.
func Reference(schema []byte) (string, error) {
	var root map[string]any
	if err := json.Unmarshal(schema, &root); err != nil {
		return "", err
	}
	defs, _ := root["$defs"].(map[string]any)
	var b strings.Builder
	b.WriteString("| Field | Type | Description |\n| --- | --- | --- |\n")
	var walk func(prefix string, s map[string]any)
	walk = func(prefix string, s map[string]any) {
		props, _ := s["properties"].(map[string]any)
		req := map[string]bool{}
		if r, ok := s["required"].([]any); ok {
			for _, n := range r {
				req[n.(string)] = true
			}
		}
		names := make([]string, 0, len(props))
		for n := range props {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			p := props[n].(map[string]any)
			path := n
			if prefix != "" {
				path = prefix + "." + n
			}
			if prefix == "" && (n == "apiVersion" || n == "kind") {
				fmt.Fprintf(&b, "| `%s` | `%v` | required |\n", path, p["const"])
				continue
			}
			desc, _ := p["description"].(string)
			target, typ := resolve(p, defs)
			if req[n] {
				desc = "**Required.** " + desc
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", path, typ, strings.ReplaceAll(desc, "|", "\\|"))
			if target != nil {
				next := path
				if typ == "list of objects" {
					next += "[]"
				}
				walk(next, target)
			}
		}
	}
	walk("", root)
	return b.String(), nil
}

// resolve returns the object schema to descend into (if any) and a short
// type name.
func resolve(p map[string]any, defs map[string]any) (map[string]any, string) {
	if all, ok := p["allOf"].([]any); ok && len(all) == 1 {
		p = all[0].(map[string]any)
	}
	if ref, ok := p["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		if name == "Duration" {
			return nil, "duration"
		}
		if o, ok := opaque[name]; ok {
			return nil, o
		}
		return defs[name].(map[string]any), "object"
	}
	if enum, ok := p["enum"].([]any); ok {
		s := make([]string, len(enum))
		for i, e := range enum {
			s[i] = fmt.Sprintf("`%v`", e)
		}
		return nil, strings.Join(s, " \\| ")
	}
	switch p["type"] {
	case "array":
		items := p["items"].(map[string]any)
		if t, typ := resolve(items, defs); t != nil {
			return t, "list of objects"
		} else {
			return nil, "list of " + typ
		}
	case "object":
		return nil, "map"
	case nil:
		return nil, "quantity"
	}
	return nil, fmt.Sprint(p["type"])
}
