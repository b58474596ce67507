package generator_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/mtlsgen/mtlsgen/generator"
)

// Integers stay integers however large: a JSON round trip would make them
// float64, which the YAML encoder writes as 2e+06.
func TestEncodeYAML_largeIntegers(t *testing.T) {
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: "j", Namespace: "n"},
		Spec:       batchv1.JobSpec{ActiveDeadlineSeconds: ptr.To(int64(2000000))},
	}
	out, err := generator.EncodeYAML(job)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "activeDeadlineSeconds: 2000000\n") {
		t.Errorf("got:\n%s", out)
	}
}

// The caching encoder gives exactly EncodeYAML's bytes, for objects it has
// seen and for ones it has not, and past its bound.
func TestYAMLEncoder_sameAsEncodeYAML(t *testing.T) {
	var enc generator.YAMLEncoder
	for round := range 2 {
		for i := range 600 { // more than the cache holds
			job := &batchv1.Job{
				TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("j%d", i%300), Namespace: "n"},
			}
			want, err := generator.EncodeYAML(job)
			if err != nil {
				t.Fatal(err)
			}
			got, err := enc.Encode(job)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("round %d, object %d: got\n%s\nwant\n%s", round, i, got, want)
			}
		}
	}
}
