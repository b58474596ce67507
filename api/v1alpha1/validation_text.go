package v1alpha1

import (
	"regexp"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Free-text fields go into generated YAML, into Application sources and
// into the helm commands the output prints: each is held to what it names,
// so that a stray line break or shell text fails here, at its field, and
// not in Argo CD or in a reader's terminal.

// chartVersion is a Helm chart version (SemVer 2, as Helm requires, with an
// optional v) or a release tag such as Gateway API's v1.2.1.
var chartVersion = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// scpLikeURL is git's user@host:path form of a repository URL.
var scpLikeURL = regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:`)

func validateChartVersion(v string, p *field.Path) field.ErrorList {
	if v == "" || chartVersion.MatchString(v) {
		return nil
	}
	return field.ErrorList{field.Invalid(p, v, "must be a chart version, e.g. 1.21.2, v1.21.2 or 2026.6.3")}
}

// hasSpaceOrControl reports a whitespace or control character (a line
// break, a tab, NUL, U+2028...).
func hasSpaceOrControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsSpace) || HasControl(s)
}

// HasControl reports a character that is not printable (the ASCII space
// is): a line break, a tab, NUL, U+2028... In a name that goes into YAML
// or a comment, it could end the line and write YAML of its own.
func HasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) })
}

// validateArgoCDText checks the Argo CD fields that are free text.
func validateArgoCDText(a *ArgoCDSpec, p *field.Path) field.ErrorList {
	var el field.ErrorList
	if a.Project != "" {
		for _, msg := range validation.IsDNS1123Subdomain(a.Project) {
			el = append(el, field.Invalid(p.Child("project"), a.Project, "the name of an Argo CD AppProject: "+msg))
		}
	}
	if u := a.RepoURL; u != "" && (hasSpaceOrControl(u) || !strings.Contains(u, "://") && !scpLikeURL.MatchString(u)) {
		el = append(el, field.Invalid(p.Child("repoURL"), u, "must be a git repository URL, e.g. https://git.example.com/platform.git or git@git.example.com:platform.git"))
	}
	if r := a.TargetRevision; r != "" && hasSpaceOrControl(r) {
		el = append(el, field.Invalid(p.Child("targetRevision"), r, "must be a branch, tag or commit, without spaces or control characters"))
	}
	for _, f := range []struct{ name, value string }{{"path", a.Path}, {"specFile", a.SpecFile}} {
		if HasControl(f.value) {
			el = append(el, field.Invalid(p.Child(f.name), f.value, "must not hold a line break or another control character"))
		}
	}
	for _, ad := range []struct {
		name  string
		addon Addon
	}{{"certManager", a.CertManager}, {"trustManager", a.TrustManager}, {"gatewayAPI", a.GatewayAPI}} {
		el = append(el, validateChartVersion(ad.addon.Version, p.Child(ad.name, "version"))...)
	}
	return el
}

// validateChartVersions checks the pinned Linkerd chart versions.
func validateChartVersions(c ChartVersions, p *field.Path) field.ErrorList {
	var el field.ErrorList
	for _, v := range []struct{ name, value string }{
		{"crds", c.CRDs}, {"controlPlane", c.ControlPlane}, {"viz", c.Viz}, {"multicluster", c.Multicluster}, {"jaeger", c.Jaeger},
	} {
		el = append(el, validateChartVersion(v.value, p.Child(v.name))...)
	}
	return el
}
