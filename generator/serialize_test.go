package generator_test

import (
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
