package profiles

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	_ "github.com/mtlsgen/mtlsgen/internal/testutil"
)

// Every profile decodes strictly (a typo in a profile fails here) and sets
// the values its comments promise.
func TestSpec_profiles(t *testing.T) {
	want := map[string]struct {
		replicas float64
		policy   string
	}{"dev": {1, "Ignore"}, "prod": {2, "Ignore"}, "ha": {3, "Fail"}}
	for _, name := range Names() {
		s, err := Spec(v1alpha1.Profile(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cp := s["linkerd"].(map[string]any)["controlPlane"].(map[string]any)
		if cp["replicas"] != int64(want[name].replicas) || cp["webhookFailurePolicy"] != want[name].policy {
			t.Errorf("%s: replicas %v, failure policy %v", name, cp["replicas"], cp["webhookFailurePolicy"])
		}
		if s["identityIssuer"].(map[string]any)["duration"] != "48h" {
			t.Errorf("%s: base defaults missing: %v", name, s["identityIssuer"])
		}
	}
	for _, bad := range []v1alpha1.Profile{"staging", "base"} {
		if _, err := Spec(bad); err == nil {
			t.Errorf("unknown profile %q accepted", bad)
		}
	}
}

func TestMerge(t *testing.T) {
	under := map[string]any{
		"a": map[string]any{"x": 1, "y": 2},
		"l": []any{"p", "q"},
		"s": "under",
	}
	over := map[string]any{
		"a": map[string]any{"y": 3, "z": nil},
		"l": []any{"r"},
		"s": nil,
		"n": true,
	}
	got := Merge(under, over)
	want := map[string]any{
		"a": map[string]any{"x": 1, "y": 3, "z": nil},
		"l": []any{"r"},
		"s": "under",
		"n": true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	got.(map[string]any)["a"].(map[string]any)["x"] = 99
	if under["a"].(map[string]any)["x"] != 1 {
		t.Error("Merge shares maps with its input")
	}
}
