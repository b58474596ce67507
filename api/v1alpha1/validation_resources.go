package v1alpha1

import (
	"maps"
	"math"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// linkerdResourceNames are the resources Linkerd's charts take requests and
// limits for; any other would be dropped from the values without a word.
var linkerdResourceNames = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage}

// validateResources checks the control plane's and the proxies' requests
// and limits as the API server would check the pods they end up in: known
// names, no negative quantity, no request above its limit.
func validateResources(r ControlPlaneResources, p *field.Path) field.ErrorList {
	var el field.ErrorList
	for _, c := range []struct {
		name string
		rr   corev1.ResourceRequirements
	}{{"controller", r.Controller}, {"identity", r.Identity}, {"proxy", r.Proxy}} {
		cp := p.Child(c.name)
		if len(c.rr.Claims) > 0 {
			el = append(el, field.Forbidden(cp.Child("claims"), "Linkerd's charts take no resource claims"))
		}
		for _, kind := range []struct {
			name string
			list corev1.ResourceList
		}{{"requests", c.rr.Requests}, {"limits", c.rr.Limits}} {
			for _, name := range slices.Sorted(maps.Keys(kind.list)) {
				q := kind.list[name]
				switch {
				case !slices.Contains(linkerdResourceNames, name):
					el = append(el, field.NotSupported(cp.Child(kind.name).Key(string(name)), name, linkerdResourceNames))
				case q.Sign() < 0:
					el = append(el, field.Invalid(cp.Child(kind.name).Key(string(name)), q.String(), "must not be negative"))
				case tooLarge(name, q):
					el = append(el, field.Invalid(cp.Child(kind.name).Key(string(name)), q.String(),
						"too large: the kubelet counts "+unitOf(name)+" in 64 bits, so at most "+maxQuantityText(name)))
				case tooFine(name, q):
					el = append(el, field.Invalid(cp.Child(kind.name).Key(string(name)), q.String(),
						"finer than a kubelet counts: whole "+unitOf(name)+", e.g. "+map[bool]string{true: "100m", false: "128Mi"}[name == corev1.ResourceCPU]))
				}
			}
		}
		for _, name := range linkerdResourceNames {
			req, hasReq := c.rr.Requests[name]
			limit, hasLimit := c.rr.Limits[name]
			if hasReq && hasLimit && req.Cmp(limit) > 0 {
				el = append(el, field.Invalid(cp.Child("requests").Key(string(name)), req.String(),
					"must not be more than the limit ("+limit.String()+"): the API server refuses such a pod"))
			}
		}
	}
	return el
}

// tooLarge reports a quantity past what a 64-bit count holds in the unit the
// kubelet keeps it in: millicores for CPU, bytes otherwise. Such a value
// also renders as an exponent (1e400 as 10e399) that YAML 1.1 readers load
// as infinity.
func tooLarge(name corev1.ResourceName, q resource.Quantity) bool {
	return q.Cmp(maxQuantity(name)) > 0
}

func maxQuantity(name corev1.ResourceName) resource.Quantity {
	if name == corev1.ResourceCPU {
		return *resource.NewMilliQuantity(math.MaxInt64, resource.DecimalSI)
	}
	return *resource.NewQuantity(math.MaxInt64, resource.BinarySI)
}

func maxQuantityText(name corev1.ResourceName) string {
	q := maxQuantity(name)
	return q.String()
}

func unitOf(name corev1.ResourceName) string {
	if name == corev1.ResourceCPU {
		return "millicores"
	}
	return "bytes"
}

// tooFine reports a quantity below the unit the kubelet counts in: a
// fraction of a byte (which the API server only warns about), or of a
// millicore.
func tooFine(name corev1.ResourceName, q resource.Quantity) bool {
	if name == corev1.ResourceCPU {
		return q.Cmp(*resource.NewMilliQuantity(q.MilliValue(), resource.DecimalSI)) != 0
	}
	return q.Cmp(*resource.NewQuantity(q.Value(), resource.BinarySI)) != 0
}
