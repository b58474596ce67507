package generator_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
)

// TestEncodedKinds_matchWhatRenderEmits keeps WarmEncoders' list honest: a
// kind added to the generator but not to the list would be encoded cold,
// and a kind on the list that nothing emits is work for nothing.
func TestEncodedKinds_matchWhatRenderEmits(t *testing.T) {
	listed := map[reflect.Type]bool{}
	for _, k := range generator.EncodedKinds {
		ty := reflect.TypeOf(k())
		if listed[ty] {
			t.Errorf("%v is listed twice", ty)
		}
		listed[ty] = true
	}
	marshaler := reflect.TypeFor[json.Marshaler]()
	emitted := map[reflect.Type]bool{}
	for _, name := range exampleNames(t) {
		for _, objs := range byCluster(t, loadExample(t, name)) {
			for _, o := range objs {
				ty := reflect.TypeOf(o.Object)
				if ty.Implements(marshaler) {
					continue // marshals itself: no encoder to build
				}
				emitted[ty] = true
				if !listed[ty] {
					t.Errorf("examples/%s.yaml: Render emits a %v, which encodedKinds does not list", name, ty)
				}
			}
		}
	}
	for ty := range listed {
		if !emitted[ty] {
			t.Errorf("encodedKinds lists %v, which no example renders", ty)
		}
	}
}

// TestWarmEncoders_outputUnchanged renders every example after warming, on
// a goroutine racing the render as the CLI runs it, and compares with a
// render that did not wait for it. (go test -race checks the concurrency.)
func TestWarmEncoders_outputUnchanged(t *testing.T) {
	for _, name := range exampleNames(t) {
		m := loadExample(t, name)
		done := make(chan struct{})
		go func() { generator.WarmEncoders(); close(done) }()
		raced := encodeAll(t, m)
		<-done
		if got, want := string(raced), string(encodeAll(t, m)); got != want {
			t.Errorf("examples/%s.yaml: output differs after WarmEncoders", name)
		}
	}
}

func encodeAll(t *testing.T, m *v1alpha1.MeshTLS) []byte {
	t.Helper()
	objs, err := generator.RenderAll(m, generator.Options{Version: testVersion})
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, o := range objs {
		b, err := generator.EncodeYAML(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}
