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
				default:
					u := kubeletUnitOf(name)
					if most := resource.NewScaledQuantity(math.MaxInt64, u.scale); q.Cmp(*most) > 0 {
						// Such a value also renders as an exponent (1e400
						// as 10e399) that YAML 1.1 readers load as infinity.
						el = append(el, field.Invalid(cp.Child(kind.name).Key(string(name)), q.String(),
							"too large: the kubelet counts "+u.name+" in 64 bits, so at most "+most.String()))
					} else if q.Cmp(*resource.NewScaledQuantity(q.ScaledValue(u.scale), u.scale)) != 0 {
						// A fraction of a byte, which the API server only
						// warns about, or of a millicore.
						el = append(el, field.Invalid(cp.Child(kind.name).Key(string(name)), q.String(),
							"finer than a kubelet counts: whole "+u.name+", e.g. "+u.example))
					}
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

// kubeletUnit is the unit the kubelet counts a resource in.
type kubeletUnit struct {
	name    string
	scale   resource.Scale
	example string
}

// kubeletUnitOf is millicores for CPU, bytes for memory and storage.
func kubeletUnitOf(name corev1.ResourceName) kubeletUnit {
	if name == corev1.ResourceCPU {
		return kubeletUnit{"millicores", resource.Milli, "100m"}
	}
	return kubeletUnit{"bytes", 0, "128Mi"}
}
