package v1alpha1

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// promLabelName is a Prometheus label name that is not reserved.
var promLabelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// validateMonitoring checks the alert settings against the lifetimes and the
// restarter schedule they watch.
func validateMonitoring(s *MeshTLSSpec, p *field.Path) field.ErrorList {
	m := &s.Monitoring
	var el field.ErrorList
	if m.Namespace != s.Linkerd.Namespace {
		// The default, the Linkerd namespace, is checked where it is set.
		el = append(el, validateNamespace(m.Namespace, p.Child("namespace"))...)
	}
	for k, v := range m.Labels {
		for _, msg := range validation.IsQualifiedName(k) {
			el = append(el, field.Invalid(p.Child("labels").Key(k), k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			el = append(el, field.Invalid(p.Child("labels").Key(k), v, msg))
		}
	}
	if l := m.CertificateNamespaceLabel; !promLabelName.MatchString(l) || strings.HasPrefix(l, "__") {
		el = append(el, field.Invalid(p.Child("certificateNamespaceLabel"), l,
			"must be a Prometheus label name (letters, digits and _, not starting with a digit or __), e.g. namespace or exported_namespace"))
	}

	// The certificate kinds and the lifetimes their thresholds derive from.
	kinds := []struct {
		name     string
		alerts   ExpiryAlerts
		lifetime Lifetime
		path     string
	}{
		{"rootCAs", m.RootCAs, s.Trust.AnchorLifetime, "spec.trust.anchorLifetime.renewBefore"},
		{"identityIssuer", m.IdentityIssuer, s.IdentityIssuer.Lifetime, "spec.identityIssuer.renewBefore"},
		{"webhooks", m.Webhooks, s.Webhooks.Lifetime, "spec.webhooks.renewBefore"},
	}
	shortest, shortestPath := time.Duration(0), ""
	for _, k := range kinds {
		if len(validateLifetime(k.lifetime, field.NewPath(""))) > 0 {
			// Reported where the lifetime is; thresholds derived from a
			// broken lifetime would only repeat it.
			continue
		}
		renew := k.lifetime.RenewBefore.MustParse()
		if shortest == 0 || renew < shortest {
			shortest, shortestPath = renew, k.path
		}
		el = append(el, validateExpiryAlerts(k.alerts, k.lifetime, renew, k.path, p.Child(k.name))...)
	}

	if d, errs := alertDuration(m.NotReadyFor, p.Child("notReadyFor")); len(errs) > 0 {
		el = append(el, errs...)
	} else if shortest > 0 && d >= shortest {
		el = append(el, field.Invalid(p.Child("notReadyFor"), m.NotReadyFor, fmt.Sprintf(
			"must be shorter than the shortest renewBefore (%s, %s): a certificate not Ready that long may have expired before anyone is told",
			DurationOf(shortest), shortestPath)))
	}
	if d, errs := alertDuration(m.StaleTrustRootsFor, p.Child("staleTrustRootsFor")); len(errs) > 0 {
		el = append(el, errs...)
	} else if IsEnabled(s.Restarter.Enabled) {
		if gap := LongestScheduleGap(s.Restarter.Schedule); gap > 0 && d <= gap {
			el = append(el, field.Invalid(p.Child("staleTrustRootsFor"), m.StaleTrustRootsFor, fmt.Sprintf(
				"must be longer than the longest interval between two restarter runs (%s, from spec.restarter.schedule), or the alert fires before the restarter has had a chance to run",
				DurationOf(gap))))
		}
	}
	return el
}

// validateExpiryAlerts checks the thresholds set for one kind of certificate
// against its renewBefore.
func validateExpiryAlerts(a ExpiryAlerts, l Lifetime, renew time.Duration, renewPath string, p *field.Path) field.ErrorList {
	var el field.ErrorList
	if a.ExpiringWithin != "" {
		if d, errs := alertDuration(a.ExpiringWithin, p.Child("expiringWithin")); len(errs) > 0 {
			return append(el, errs...)
		} else if d >= renew {
			return append(el, field.Invalid(p.Child("expiringWithin"), a.ExpiringWithin, fmt.Sprintf(
				"must be shorter than %s (%s): cert-manager renews only when less than renewBefore is left, so the alert would fire before every renewal",
				renewPath, l.RenewBefore)))
		}
	}
	if a.RenewalOverdueBy != "" {
		d, errs := alertDuration(a.RenewalOverdueBy, p.Child("renewalOverdueBy"))
		if len(errs) > 0 {
			return append(el, errs...)
		}
		expiring := a.Thresholds(l).ExpiringWithin
		if room := renew - expiring; d >= room {
			el = append(el, field.Invalid(p.Child("renewalOverdueBy"), a.RenewalOverdueBy, fmt.Sprintf(
				"must be shorter than %s minus expiringWithin (%s - %s = %s), so that the overdue warning comes before the expiry alert",
				renewPath, l.RenewBefore, DurationOf(expiring), DurationOf(room))))
		}
	}
	return el
}

// minAlertDuration is the shortest alert duration: Prometheus evaluates
// rules every minute or so, and writes `for:` in whole seconds, so a
// shorter one would only be rounded down (1ns became for: 0s).
const minAlertDuration = time.Minute

// alertDuration parses a required alert duration: at least a minute.
func alertDuration(d Duration, p *field.Path) (time.Duration, field.ErrorList) {
	v, err := d.Parse()
	if err != nil {
		return 0, field.ErrorList{field.Invalid(p, d, err.Error())}
	}
	if v < minAlertDuration {
		return 0, field.ErrorList{field.Invalid(p, d, "must be at least 1m: alert rules are evaluated about once a minute")}
	}
	return v, nil
}
