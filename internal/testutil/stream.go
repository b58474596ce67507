package testutil

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"go.yaml.in/yaml/v3"
)

// ParseStream parses a YAML stream of Kubernetes objects, failing the test
// on invalid YAML, on a document that is not an object with apiVersion,
// kind and metadata.name, and on an empty stream.
func ParseStream(t testing.TB, stream []byte) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(stream))
	var objs []map[string]any
	for {
		var o map[string]any
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not a YAML stream: %v", err)
		}
		if o == nil {
			continue
		}
		meta, _ := o["metadata"].(map[string]any)
		if o["apiVersion"] == nil || o["kind"] == nil || meta == nil || meta["name"] == nil {
			t.Fatalf("document %d is not a Kubernetes object: %v", len(objs)+1, o)
		}
		objs = append(objs, o)
	}
	if len(objs) == 0 {
		t.Fatal("empty stream")
	}
	return objs
}

// ObjectKey identifies an object as kustomize and Argo CD do:
// apiVersion/kind/namespace/name.
func ObjectKey(o map[string]any) string {
	meta, _ := o["metadata"].(map[string]any)
	return fmt.Sprintf("%v/%v/%v/%v", o["apiVersion"], o["kind"], meta["namespace"], meta["name"])
}

// ByKey indexes objects by ObjectKey, failing the test on a duplicate.
func ByKey(t testing.TB, objs []map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, o := range objs {
		k := ObjectKey(o)
		if _, dup := out[k]; dup {
			t.Fatalf("duplicate object %s", k)
		}
		out[k] = o
	}
	return out
}
