// Command libfloor is the floor plus the libraries: it writes the same bytes
// as bench/floor from memory, but links every third-party package mtlsgen's
// own packages import, so its start-up pays their package initialisation and
// the size of a binary that holds them. What mtlsgen render costs beyond
// libfloor is mtlsgen's own work; libfloor minus floor is what the libraries
// cost before any of it. imports_test.go keeps the list in step with mtlsgen.
package main

import (
	"os"

	"github.com/mtlsgen/mtlsgen/bench/payload"

	_ "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	_ "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	_ "github.com/cert-manager/trust-manager/pkg/apis/trust/v1alpha1"
	_ "github.com/owenrumney/go-sarif/v2/sarif"
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	_ "github.com/robfig/cron/v3"
	_ "github.com/spf13/cobra"
	_ "go.yaml.in/yaml/v2"
	_ "go.yaml.in/yaml/v3"
	_ "k8s.io/api/admissionregistration/v1"
	_ "k8s.io/api/apps/v1"
	_ "k8s.io/api/batch/v1"
	_ "k8s.io/api/core/v1"
	_ "k8s.io/api/rbac/v1"
	_ "k8s.io/apimachinery/pkg/api/resource"
	_ "k8s.io/apimachinery/pkg/apis/meta/v1"
	_ "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	_ "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	_ "k8s.io/apimachinery/pkg/labels"
	_ "k8s.io/apimachinery/pkg/runtime"
	_ "k8s.io/apimachinery/pkg/runtime/schema"
	_ "k8s.io/apimachinery/pkg/util/intstr"
	_ "k8s.io/apimachinery/pkg/util/validation"
	_ "k8s.io/apimachinery/pkg/util/validation/field"
	_ "k8s.io/pod-security-admission/api"
	_ "k8s.io/pod-security-admission/policy"
	_ "k8s.io/utils/ptr"
	_ "sigs.k8s.io/yaml"
)

func main() {
	if _, err := os.Stdout.Write(payload.Bytes); err != nil {
		os.Exit(1)
	}
}
