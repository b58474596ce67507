package generator

import (
	"bytes"
	"encoding/json"
	"fmt"

	yamlv2 "go.yaml.in/yaml/v2"
)

// EncodeYAML serialises one object as YAML: keys sorted, no status, no
// creationTimestamp: null, so the output only ever changes when the object
// does.
//
// It writes the JSON-shaped tree with the YAML v2 encoder directly, which is
// what sigs.k8s.io/yaml.Marshal ends in; going through it would marshal to
// JSON and parse it back once more, which was most of the render time.
// Numbers are decoded as json.Number and written back as integers where
// they are: as float64 the encoder would write a million as 1e+06.
func EncodeYAML(o KubeObject) ([]byte, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, encodingError(o, err)
	}
	return yamlFromJSON(o, raw)
}

func yamlFromJSON(o KubeObject, raw []byte) ([]byte, error) {
	tree, err := cleanJSON(o, raw)
	if err != nil {
		return nil, err
	}
	return yamlv2.Marshal(tree)
}

func encodingError(o KubeObject, err error) error {
	return fmt.Errorf("encoding %s %s: %w", kindOf(o), o.GetName(), err)
}

// EncodeJSON serialises one object as indented JSON with the same cleaning as
// EncodeYAML.
func EncodeJSON(o KubeObject) ([]byte, error) {
	tree, err := cleanTree(o)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(tree, "", "  ")
}

// cleanTree turns a typed object into a plain tree without the fields Go's
// API types emit for an object that was never stored (status,
// creationTimestamp: null) and without the empty objects their non-pointer
// structs leave behind (spec: {} on a Namespace, resources: {}).
func cleanTree(o KubeObject) (map[string]any, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, encodingError(o, err)
	}
	return cleanJSON(o, raw)
}

// cleanJSON is cleanTree from o's JSON encoding.
func cleanJSON(o KubeObject, raw []byte) (map[string]any, error) {
	var tree map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, encodingError(o, err)
	}
	delete(tree, "status")
	clean(tree)
	return tree, nil
}

// meaninglessWhenEmpty are the keys whose empty object says nothing. Other
// empty objects are kept: selfSigned: {}, emptyDir: {} and automated: {}
// mean something.
var meaninglessWhenEmpty = map[string]bool{
	"spec": true, "metadata": true, "resources": true, "securityContext": true, "status": true,
}

// clean removes creationTimestamp: null wherever an embedded ObjectMeta (a
// pod template, a job template) put it and the meaningless empty objects,
// and turns each json.Number into an int64 or a float64.
func clean(v any) {
	switch t := v.(type) {
	case map[string]any:
		if ts, ok := t["creationTimestamp"]; ok && ts == nil {
			delete(t, "creationTimestamp")
		}
		for k, e := range t {
			if n, ok := e.(json.Number); ok {
				t[k] = number(n)
				continue
			}
			clean(e)
			if m, ok := e.(map[string]any); ok && len(m) == 0 && meaninglessWhenEmpty[k] {
				delete(t, k)
			}
		}
	case []any:
		for i, e := range t {
			if n, ok := e.(json.Number); ok {
				t[i] = number(n)
				continue
			}
			clean(e)
		}
	}
}

func number(n json.Number) any {
	if i, err := n.Int64(); err == nil {
		return i
	}
	f, _ := n.Float64() // encoding/json wrote it: it parses
	return f
}
