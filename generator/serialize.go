package generator

import (
	"encoding/json"
	"fmt"

	yamlv2 "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/runtime"
)

// EncodeYAML serialises one object as YAML: keys sorted, no status, no
// creationTimestamp: null, so the output only ever changes when the object
// does.
//
// It writes the JSON-shaped tree with the YAML v2 encoder directly, which is
// what sigs.k8s.io/yaml.Marshal ends in; going through it would marshal to
// JSON and parse it back once more, which was most of the render time. The
// tree comes from apimachinery's unstructured converter (the json tags, as
// the API server reads them) rather than a JSON round trip, which would turn
// every integer into a float64 that the encoder writes as 2e+06.
func EncodeYAML(o KubeObject) ([]byte, error) {
	tree, err := cleanTree(o)
	if err != nil {
		return nil, err
	}
	return yamlv2.Marshal(tree)
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
	tree, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, fmt.Errorf("encoding %s %s: %w", kindOf(o), o.GetName(), err)
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
// pod template, a job template) put it, and the meaningless empty objects.
func clean(v any) {
	switch t := v.(type) {
	case map[string]any:
		if ts, ok := t["creationTimestamp"]; ok && ts == nil {
			delete(t, "creationTimestamp")
		}
		for k, e := range t {
			clean(e)
			if m, ok := e.(map[string]any); ok && len(m) == 0 && meaninglessWhenEmpty[k] {
				delete(t, k)
			}
		}
	case []any:
		for _, e := range t {
			clean(e)
		}
	}
}
