package v1alpha1

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
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
