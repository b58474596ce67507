package v1alpha1

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// cert-manager's own limits (internal/apis/certmanager/validation): a
// Certificate shorter than an hour, or renewed less than five minutes before
// expiry, is refused by its webhook after the commit; refuse it here, before.
const (
	MinimumCertificateDuration = time.Hour
	MinimumRenewBefore         = 5 * time.Minute
)

// Profiles lists the profile names a spec may select.
var Profiles = []string{string(ProfileDev), string(ProfileProd), string(ProfileHA)}

var digestPattern = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// The image reference grammar of the OCI distribution spec, as
// github.com/distribution/reference writes it: a repository is an optional
// registry host (with port) and lowercase path components; a tag is up to
// 128 word characters, dots and dashes. That package is not imported because
// its init compiles a dozen larger expressions, about a millisecond of every
// render's start-up (measured with GODEBUG=inittrace=1).
var (
	imageRepositoryPattern = regexp.MustCompile(`^(?:` + hostComponent + `(?:\.` + hostComponent + `)*(?::[0-9]+)?/)?` +
		pathComponent + `(?:/` + pathComponent + `)*$`)
	// The tag's length is checked apart: a {0,127} here would compile into
	// 127 copies of the class, a third of a millisecond of every start-up.
	imageTagPattern = regexp.MustCompile(`^[\w][\w.-]*$`)
)

const (
	hostComponent = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
	pathComponent = `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`
	// maxImageNameLength and maxImageTagLength are the distribution
	// spec's bounds.
	maxImageNameLength = 255
	maxImageTagLength  = 128
)

// Validate checks a defaulted spec and returns every problem, each with its
// field path. It never stops at the first one.
func Validate(m *MeshTLS) field.ErrorList {
	var el field.ErrorList
	el = append(el, validateName(m.Metadata.Name, field.NewPath("metadata", "name"))...)
	el = append(el, ValidateSpec(&m.Spec, field.NewPath("spec"))...)
	el = append(el, validateApplicationNames(m)...)
	return el
}

// ValidateSpec checks a defaulted MeshTLSSpec.
func ValidateSpec(s *MeshTLSSpec, p *field.Path) field.ErrorList {
	var el field.ErrorList
	if !oneOf(string(s.Profile), Profiles) {
		el = append(el, field.NotSupported(p.Child("profile"), s.Profile, Profiles))
	}
	el = append(el, validateLinkerd(&s.Linkerd, p.Child("linkerd"))...)
	el = append(el, validateTrust(s, p.Child("trust"))...)
	el = append(el, validateIdentityIssuer(s, p.Child("identityIssuer"))...)
	el = append(el, validateWebhooks(s, p.Child("webhooks"))...)
	el = append(el, validateRestarter(s, p.Child("restarter"))...)
	el = append(el, validateMonitoring(s, p.Child("monitoring"))...)
	el = append(el, validateMesh(s, p.Child("mesh"))...)
	el = append(el, validateArgoCD(&s.ArgoCD, p.Child("argocd"))...)
	el = append(el, validateClusters(s.Clusters, IsEnabled(s.ArgoCD.Enabled), p.Child("clusters"))...)
	el = append(el, validateCommonNames(s, p)...)
	if len(s.Clusters) > 0 && s.ArgoCD.ClusterSelector != nil {
		el = append(el, field.Invalid(p.Child("argocd", "clusterSelector"), s.ArgoCD.ClusterSelector,
			"set spec.clusters or argocd.clusterSelector, not both: with a selector the clusters are the ones whose Argo CD cluster Secrets it matches"))
	}
	if s.KubeVersion != "" && !kubeVersionPattern.MatchString(s.KubeVersion) {
		el = append(el, field.Invalid(p.Child("kubeVersion"), s.KubeVersion, "must be a Kubernetes version MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. 1.33"))
	}
	return el
}

var kubeVersionPattern = regexp.MustCompile(`^v?[0-9]+\.[0-9]+(\.[0-9]+)?$`)

// KubeAtLeast reports whether version, a spec's kubeVersion, is min
// (MAJOR.MINOR) or later. An empty version is the clusters' unknown, taken
// as recent: the default is what current clusters serve.
func KubeAtLeast(version, min string) bool {
	if version == "" {
		return true
	}
	major, minor, ok := kubeMajorMinor(version)
	wantMajor, wantMinor, wantOK := kubeMajorMinor(min)
	if !ok || !wantOK {
		return true
	}
	return major > wantMajor || major == wantMajor && minor >= wantMinor
}

func kubeMajorMinor(version string) (major, minor int, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}

func validateLinkerd(l *LinkerdSpec, p *field.Path) field.ErrorList {
	var el field.ErrorList
	el = append(el, validateNamespace(l.Namespace, p.Child("namespace"))...)
	el = append(el, validateChartVersions(l.ChartVersions, p.Child("chartVersions"))...)
	release, ok := LookupLinkerdRelease(l.Version)
	if !ok {
		el = append(el, field.NotSupported(p.Child("version"), l.Version, SupportedLinkerdVersions()))
	}
	if ok && !release.HasJaeger() && l.ChartVersions.Jaeger != "" {
		el = append(el, field.Forbidden(p.Child("chartVersions", "jaeger"),
			fmt.Sprintf("Linkerd %s has no linkerd-jaeger chart (it was removed after 2.18)", l.Version)))
	}
	if l.TrustDomain == "" {
		el = append(el, field.Required(p.Child("trustDomain"), "the identity trust domain, e.g. cluster.local"))
	} else {
		for _, msg := range validation.IsDNS1123Subdomain(l.TrustDomain) {
			el = append(el, field.Invalid(p.Child("trustDomain"), l.TrustDomain, msg))
		}
	}
	cp := p.Child("controlPlane")
	if l.ControlPlane.Replicas == nil || *l.ControlPlane.Replicas < 1 {
		el = append(el, field.Invalid(cp.Child("replicas"), ptrValue(l.ControlPlane.Replicas), "must be at least 1"))
	}
	el = append(el, validateResources(l.ControlPlane.Resources, cp.Child("resources"))...)
	if !oneOf(string(l.ControlPlane.WebhookFailurePolicy), []string{string(FailurePolicyIgnore), string(FailurePolicyFail)}) {
		el = append(el, field.NotSupported(cp.Child("webhookFailurePolicy"), l.ControlPlane.WebhookFailurePolicy,
			[]FailurePolicy{FailurePolicyIgnore, FailurePolicyFail}))
	}

	ext := p.Child("extensions")
	seen := map[string]string{l.Namespace: p.Child("namespace").String()}
	for _, e := range []struct {
		name string
		ext  Extension
	}{{"viz", l.Extensions.Viz}, {"multicluster", l.Extensions.Multicluster.Extension}, {"jaeger", l.Extensions.Jaeger}} {
		if !e.ext.Enabled {
			continue
		}
		np := ext.Child(e.name, "namespace")
		el = append(el, validateNamespace(e.ext.Namespace, np)...)
		if other, dup := seen[e.ext.Namespace]; dup && e.ext.Namespace != "" {
			el = append(el, field.Invalid(np, e.ext.Namespace, "already used by "+other+"; every Linkerd component needs its own namespace"))
		}
		seen[e.ext.Namespace] = np.String()
	}
	if ok && l.Extensions.Jaeger.Enabled && !release.HasJaeger() {
		el = append(el, field.Forbidden(ext.Child("jaeger", "enabled"),
			fmt.Sprintf("linkerd-jaeger does not exist in Linkerd %s: it was removed after 2.18 (allowed with linkerd.version %s)",
				l.Version, strings.Join(versionsWithJaeger(), ", "))))
	}
	gw := l.Extensions.Multicluster.Gateway
	if l.Extensions.Multicluster.Enabled && IsEnabled(gw.Enabled) {
		allowed := []string{"LoadBalancer", "NodePort", "ClusterIP"}
		if !oneOf(string(gw.ServiceType), allowed) {
			el = append(el, field.NotSupported(ext.Child("multicluster", "gateway", "serviceType"), gw.ServiceType, allowed))
		}
	}
	return el
}

func versionsWithJaeger() []string {
	var out []string
	for _, r := range LinkerdReleases {
		if r.HasJaeger() {
			out = append(out, r.Version)
		}
	}
	return out
}

func validateTrust(s *MeshTLSSpec, p *field.Path) field.ErrorList {
	t := &s.Trust
	var el field.ErrorList
	el = append(el, validateNamespace(t.Namespace, p.Child("namespace"))...)
	if t.Namespace != "" && t.Namespace == s.Linkerd.Namespace {
		el = append(el, field.Invalid(p.Child("namespace"), t.Namespace,
			"must differ from spec.linkerd.namespace: anchor keys must not live where the mesh runs (use cert-manager's namespace)"))
	} else if t.Namespace != "" && slices.Contains(s.ControlPlaneNamespaces(), t.Namespace) {
		el = append(el, field.Invalid(p.Child("namespace"), t.Namespace,
			"is an enabled Linkerd extension's namespace: anchor keys must not live where the mesh runs, and disabling the extension would delete its namespace (use cert-manager's namespace)"))
	}
	el = append(el, validateLifetime(t.AnchorLifetime, p.Child("anchorLifetime"))...)

	ap := p.Child("anchors")
	if len(t.Anchors) == 0 {
		el = append(el, field.Required(ap, "at least one anchor, exactly one of them active"))
		return el
	}
	names := map[string]bool{}
	var active []string
	for i, a := range t.Anchors {
		ip := ap.Index(i)
		el = append(el, validateName(a.Name, ip.Child("name"))...)
		if names[a.Name] && a.Name != "" {
			el = append(el, field.Duplicate(ip.Child("name"), a.Name))
		}
		names[a.Name] = true
		if a.Active {
			active = append(active, a.Name)
		}
		el = append(el, validateAnchorSource(s, &a, ip)...)
	}
	switch len(active) {
	case 0:
		el = append(el, field.Required(ap, "exactly one anchor must be active: set active: true on the one that signs the identity issuers"))
	case 1:
	default:
		names := active
		if len(names) > 10 {
			names = append(slices.Clone(names[:10]), fmt.Sprintf("and %d more", len(active)-10))
		}
		el = append(el, field.Invalid(ap, strings.Join(names, ", "),
			"exactly one anchor may be active, found "+fmt.Sprint(len(active))+": "+strings.Join(names, ", ")))
	}
	return el
}

func validateAnchorSource(s *MeshTLSSpec, a *TrustAnchor, p *field.Path) field.ErrorList {
	var el field.ErrorList
	set := 0
	for _, b := range []bool{a.SelfSigned != nil, a.Secret != nil, a.External != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		el = append(el, field.Invalid(p, a.Name, fmt.Sprintf("set exactly one of selfSigned, secret or external (found %d)", set)))
	}
	if a.SelfSigned != nil && s.IsFleet() {
		el = append(el, field.Forbidden(p.Child("selfSigned"),
			"a fleet (several clusters, a cluster selector or the multicluster extension) needs one anchor shared by every cluster, "+
				"and a self-signed anchor would be a different root in each; use secret (the same CA keypair in every cluster) or external"))
	}
	if a.Secret != nil {
		sp := p.Child("secret", "name")
		el = append(el, validateObjectName(a.Secret.Name, sp)...)
		if what := ownCA(s, a.Secret.Name); what != "" {
			el = append(el, field.Invalid(sp, a.Secret.Name, "is the Secret of "+what+", which cert-manager writes for mtlsgen: its key would be another anchor's too; name your CA keypair's own Secret"))
		}
		for _, b := range s.Trust.Anchors {
			if b.Secret != nil && b.Name != a.Name && b.Secret.Name == a.Secret.Name && b.Name < a.Name {
				el = append(el, field.Invalid(sp, a.Secret.Name, fmt.Sprintf("is anchor %s's Secret too: two anchors would be one key", b.Name)))
			}
		}
	}
	if e := a.External; e != nil {
		ep := p.Child("external")
		for _, f := range []struct{ name, value string }{{"name", e.IssuerRef.Name}, {"kind", e.IssuerRef.Kind}, {"group", e.IssuerRef.Group}} {
			if f.value == "" {
				el = append(el, field.Required(ep.Child("issuerRef", f.name), "an external issuer needs name, kind and group, e.g. kind: ClusterIssuer and group: cert-manager.io for a Vault issuer, or kind: AWSPCAClusterIssuer and group: awspca.cert-manager.io"))
			}
		}
		el = append(el, validateKeySource(e.CA, ep.Child("ca"))...)
		// mtlsgen's own CAs are not an external anchor: the webhook CA's
		// key would sign the mesh, or two anchors would be one key.
		if r := e.IssuerRef; r.Kind == "ClusterIssuer" && r.Group == "cert-manager.io" {
			if what := ownCA(s, r.Name); what != "" {
				el = append(el, field.Invalid(ep.Child("issuerRef", "name"), r.Name, "is the ClusterIssuer of "+what+", which mtlsgen renders: name your external CA's own issuer"))
			}
		}
		if k := e.CA.Secret; k != nil {
			if what := ownCA(s, k.Name); what != "" {
				el = append(el, field.Invalid(ep.Child("ca", "secret", "name"), k.Name, "is the Secret of "+what+", which cert-manager writes for mtlsgen: name where your external CA's certificate is published"))
			}
		}
	}
	return el
}

// ownCA says which CA of mtlsgen's own has objects named name (its
// Certificate, Secret and ClusterIssuer share it), or "".
func ownCA(s *MeshTLSSpec, name string) string {
	if name == WebhookCAObjectName {
		return "mtlsgen's webhook CA"
	}
	for _, b := range s.Trust.Anchors {
		if b.SelfSigned != nil && name == AnchorObjectPrefix+b.Name {
			return "the self-signed anchor " + b.Name
		}
	}
	return ""
}

func validateKeySource(k KeySource, p *field.Path) field.ErrorList {
	var el field.ErrorList
	if (k.ConfigMap == nil) == (k.Secret == nil) {
		return append(el, field.Invalid(p, "", "set exactly one of configMap or secret: where the anchor's public certificate is published in the trust namespace"))
	}
	ref, rp := k.ConfigMap, p.Child("configMap")
	if ref == nil {
		ref, rp = k.Secret, p.Child("secret")
	}
	el = append(el, validateObjectName(ref.Name, rp.Child("name"))...)
	if ref.Key == "" {
		el = append(el, field.Required(rp.Child("key"), "the data key holding the PEM certificate, e.g. ca.crt"))
	} else {
		for _, msg := range validation.IsConfigMapKey(ref.Key) {
			el = append(el, field.Invalid(rp.Child("key"), ref.Key, msg))
		}
		if strings.HasSuffix(ref.Key, ".key") {
			// trust-manager refuses a private key's PEM, and the whole
			// bundle with it: the trust roots would stop syncing.
			el = append(el, field.Invalid(rp.Child("key"), ref.Key, "names a private key (as tls.key of a kubernetes.io/tls Secret): give the key of the public certificate, e.g. ca.crt or tls.crt"))
		}
	}
	return el
}

func validateIdentityIssuer(s *MeshTLSSpec, p *field.Path) field.ErrorList {
	ii := &s.IdentityIssuer
	el := validateLifetime(ii.Lifetime, p)
	issuance, err := ii.IssuanceLifetime.Parse()
	if err != nil {
		el = append(el, field.Invalid(p.Child("issuanceLifetime"), ii.IssuanceLifetime, err.Error()))
	} else if issuance <= 0 {
		el = append(el, field.Invalid(p.Child("issuanceLifetime"), ii.IssuanceLifetime, "must be positive"))
	}
	skew, serr := ii.ClockSkewAllowance.Parse()
	if serr != nil {
		el = append(el, field.Invalid(p.Child("clockSkewAllowance"), ii.ClockSkewAllowance, serr.Error()))
	} else if skew <= 0 {
		el = append(el, field.Invalid(p.Child("clockSkewAllowance"), ii.ClockSkewAllowance,
			"must be positive: Linkerd takes 0 for its default, 10s, so the lifetimes mtlsgen works out would be 10s short"))
	}
	renew, rerr := ii.RenewBefore.Parse()
	// Compared without adding, which could overflow and pass.
	if err == nil && serr == nil && rerr == nil && issuance >= renew-skew {
		el = append(el, field.Invalid(p.Child("issuanceLifetime"), ii.IssuanceLifetime,
			fmt.Sprintf("plus clockSkewAllowance (%s) must be shorter than renewBefore (%s), so that every proxy certificate gets its whole lifetime (Linkerd cuts one off at its issuer's expiry)",
				ii.ClockSkewAllowance, ii.RenewBefore)))
	}
	if a := s.Trust.ActiveAnchor(); a != nil && a.SelfSigned != nil {
		el = append(el, notLongerThanAnchor(ii.Duration, s.Trust.AnchorLifetime, p.Child("duration"))...)
	}
	return el
}

func validateWebhooks(s *MeshTLSSpec, p *field.Path) field.ErrorList {
	w := &s.Webhooks
	el := validateLifetime(w.Lifetime, p)
	if !oneOf(string(w.KeyAlgorithm), []string{string(KeyAlgorithmECDSA), string(KeyAlgorithmRSA)}) {
		el = append(el, field.NotSupported(p.Child("keyAlgorithm"), w.KeyAlgorithm, []KeyAlgorithm{KeyAlgorithmECDSA, KeyAlgorithmRSA}))
	}
	// The webhook CA is self-signed with the anchors' lifetime.
	return append(el, notLongerThanAnchor(w.Duration, s.Trust.AnchorLifetime, p.Child("duration"))...)
}

// notLongerThanAnchor refuses a certificate that could outlive the anchor
// certificate that signed it: one issued just before the anchor renews must
// expire before the anchor certificate it was issued under.
func notLongerThanAnchor(d Duration, anchor Lifetime, p *field.Path) field.ErrorList {
	dv, err := d.Parse()
	av, aerr := anchor.RenewBefore.Parse()
	if err != nil || aerr != nil || dv <= av {
		return nil
	}
	return field.ErrorList{field.Invalid(p, d, fmt.Sprintf(
		"must not be longer than spec.trust.anchorLifetime.renewBefore (%s): a certificate issued just before the anchor renews would outlive the anchor certificate that signed it",
		anchor.RenewBefore))}
}

// validateLifetime applies cert-manager's rules to a duration and renewBefore.
func validateLifetime(l Lifetime, p *field.Path) field.ErrorList {
	var el field.ErrorList
	d, derr := l.Duration.Parse()
	if derr != nil {
		el = append(el, field.Invalid(p.Child("duration"), l.Duration, derr.Error()))
	} else if d < MinimumCertificateDuration {
		el = append(el, field.Invalid(p.Child("duration"), l.Duration, "must be at least 1h (cert-manager's minimum)"))
	}
	r, rerr := l.RenewBefore.Parse()
	if rerr != nil {
		el = append(el, field.Invalid(p.Child("renewBefore"), l.RenewBefore, rerr.Error()))
	} else if r < MinimumRenewBefore {
		el = append(el, field.Invalid(p.Child("renewBefore"), l.RenewBefore, "must be at least 5m (cert-manager's minimum)"))
	}
	if derr == nil && rerr == nil && r >= d {
		el = append(el, field.Invalid(p.Child("renewBefore"), l.RenewBefore,
			fmt.Sprintf("must be shorter than duration (%s)", l.Duration)))
	}
	return el
}

func validateRestarter(s *MeshTLSSpec, p *field.Path) field.ErrorList {
	r := &s.Restarter
	var el field.ErrorList
	if _, err := cron.ParseStandard(r.Schedule); err != nil || len(strings.Fields(r.Schedule)) != 5 {
		el = append(el, field.Invalid(p.Child("schedule"), r.Schedule,
			"must be a five-field cron expression (minute hour day-of-month month day-of-week), e.g. \"25 */6 * * *\""))
	} else if _, err := ScheduleGap(r.Schedule); errors.Is(err, ErrScheduleNeverRuns) {
		el = append(el, field.Invalid(p.Child("schedule"), r.Schedule,
			"never runs: no date matches it (such as 30 February), so workloads are never restarted onto a new trust bundle"))
	}
	if r.MaxRestartsPerRun == nil || *r.MaxRestartsPerRun < 1 {
		el = append(el, field.Invalid(p.Child("maxRestartsPerRun"), ptrValue(r.MaxRestartsPerRun), "must be at least 1"))
	}
	dp := p.Child("dataPlane")
	set := 0
	if len(r.DataPlane.Namespaces) > 0 {
		set++
	}
	if r.DataPlane.Selector != nil {
		set++
		if errs := validateLabelSelector(r.DataPlane.Selector, dp.Child("selector")); len(errs) > 0 {
			el = append(el, errs...)
		} else if len(r.DataPlane.Selector.MatchLabels) == 0 && len(r.DataPlane.Selector.MatchExpressions) == 0 {
			el = append(el, field.Invalid(dp.Child("selector"), r.DataPlane.Selector,
				"an empty selector matches every namespace: set allMeshed instead"))
		}
	}
	if r.DataPlane.AllMeshed {
		set++
	}
	if set > 1 {
		el = append(el, field.Invalid(dp, "", "set at most one of namespaces, selector or allMeshed"))
	}
	seen := map[string]bool{}
	for i, ns := range r.DataPlane.Namespaces {
		el = append(el, validateNamespace(ns, dp.Child("namespaces").Index(i))...)
		if seen[ns] {
			el = append(el, field.Duplicate(dp.Child("namespaces").Index(i), ns))
		}
		if slices.Contains(s.ControlPlaneNamespaces(), ns) {
			el = append(el, field.Invalid(dp.Child("namespaces").Index(i), ns,
				"is a control-plane namespace ("+strings.Join(s.ControlPlaneNamespaces(), ", ")+"), which the restarter always restarts first: list application namespaces only"))
		}
		seen[ns] = true
	}
	ip := p.Child("image")
	switch repo := r.Image.Repository; {
	case repo == "":
		el = append(el, field.Required(ip.Child("repository"), "the mtlsgen image, e.g. ghcr.io/mtlsgen/mtlsgen"))
	case len(repo) > maxImageNameLength || !imageRepositoryPattern.MatchString(repo):
		el = append(el, field.Invalid(ip.Child("repository"), repo,
			"must be an image repository such as ghcr.io/mtlsgen/mtlsgen: an optional registry host[:port], then lowercase path components of letters and digits separated by '/', '.', '_' or '-', at most 255 characters; the tag and digest go in image.tag and image.digest"))
	}
	if tag := r.Image.Tag; tag != "" && (len(tag) > maxImageTagLength || !imageTagPattern.MatchString(tag)) {
		el = append(el, field.Invalid(ip.Child("tag"), r.Image.Tag,
			"must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"))
	}
	if r.Image.Digest != "" && !digestPattern.MatchString(r.Image.Digest) {
		el = append(el, field.Invalid(ip.Child("digest"), r.Image.Digest, "must be sha256: followed by 64 lowercase hex digits"))
	}
	return el
}

func validateArgoCD(a *ArgoCDSpec, p *field.Path) field.ErrorList {
	var el field.ErrorList
	if a.ClusterSelector != nil {
		el = append(el, validateLabelSelector(a.ClusterSelector, p.Child("clusterSelector"))...)
	}
	if !IsEnabled(a.Enabled) {
		return el
	}
	if a.ClusterSelector != nil && a.Source == SourceRendered {
		el = append(el, field.Invalid(p.Child("source"), a.Source,
			"rendered needs the clusters listed in spec.clusters (the rendered tree has a directory per cluster); with argocd.clusterSelector use source: plugin, which renders each cluster Argo CD selects"))
	}
	el = append(el, validateNamespace(a.Namespace, p.Child("namespace"))...)
	el = append(el, validateArgoCDText(a, p)...)
	if a.Project == "" {
		el = append(el, field.Required(p.Child("project"), "the Argo CD project of the generated Applications, e.g. default"))
	}
	if a.RepoURL == "" {
		el = append(el, field.Required(p.Child("repoURL"), "the git repository that holds this spec (or set argocd.enabled: false)"))
	}
	if a.Path == "" {
		el = append(el, field.Required(p.Child("path"), "the directory of this spec in that repository, e.g. clusters/payments"))
	} else if strings.HasPrefix(a.Path, "/") || hasDotDot(a.Path) {
		el = append(el, field.Invalid(p.Child("path"), a.Path, "must be relative to the repository root, without .."))
	}
	if a.TargetRevision == "" {
		el = append(el, field.Required(p.Child("targetRevision"), "a branch, tag or commit, e.g. main"))
	}
	if !oneOf(string(a.TrackingMethod), []string{string(TrackingAnnotation), string(TrackingLabel), string(TrackingAnnotationAndLabel)}) {
		el = append(el, field.NotSupported(p.Child("trackingMethod"), a.TrackingMethod, TrackingMethods))
	}
	if !oneOf(string(a.Source), []string{string(SourcePlugin), string(SourceRendered)}) {
		el = append(el, field.NotSupported(p.Child("source"), a.Source, []SourceMode{SourcePlugin, SourceRendered}))
	}
	if a.SpecFile == "" || strings.ContainsAny(a.SpecFile, "/\\") || a.SpecFile == ".." || a.SpecFile == "." {
		el = append(el, field.Invalid(p.Child("specFile"), a.SpecFile, "must be a file name in argocd.path (no directories), e.g. mtlsgen.yaml"))
	}
	for _, ad := range []struct {
		name  string
		addon Addon
	}{{"certManager", a.CertManager}, {"trustManager", a.TrustManager}} {
		if IsEnabled(ad.addon.Install) && ad.addon.Version == "" {
			el = append(el, field.Required(p.Child(ad.name, "version"), "the chart version to install (or install: false)"))
		}
	}
	return el
}

// LongestAppComponent is the longest Application name suffix mtlsgen uses
// (a test holds every component to it).
const LongestAppComponent = "linkerd-control-plane"

// validateApplicationNames refuses, under label-only tracking, names whose
// generated Argo CD Application names would not fit in a label value: Argo
// CD then tracks resources with the label app.kubernetes.io/instance=<application
// name>, at most 63 characters. Annotation tracking has no such bound.
func validateApplicationNames(m *MeshTLS) field.ErrorList {
	// annotation+label cuts the label to fit (Argo CD 3's SetAppInstanceLabel
	// truncates it there); label alone refuses a longer name.
	if !IsEnabled(m.Spec.ArgoCD.Enabled) || m.Spec.ArgoCD.TrackingMethod != TrackingLabel {
		return nil
	}
	var el field.ErrorList
	for i, c := range m.Spec.Clusters {
		name := ApplicationName(m.Metadata.Name, c.Name, LongestAppComponent)
		if len(name) > validation.LabelValueMaxLength {
			el = append(el, field.Invalid(field.NewPath("spec", "clusters").Index(i).Child("name"), c.Name,
				fmt.Sprintf("with metadata.name %q the Argo CD Application %q would be %d characters, more than the %d a label value allows (argocd.trackingMethod %s); shorten one of them",
					m.Metadata.Name, name, len(name), validation.LabelValueMaxLength, m.Spec.ArgoCD.TrackingMethod)))
		}
	}
	return el
}

// ApplicationName is the name of the Argo CD Application that delivers a
// component to a cluster.
func ApplicationName(spec, cluster, component string) string {
	return spec + "-" + cluster + "-" + component
}

// serverKey is an API server URL as one server: Argo CD compares URLs as
// written (but a trailing slash), so two spellings of one server would be
// two clusters to it, and two sets of Applications on the same objects.
// Host case, a trailing dot, the default port 443 and the spelling of an
// IPv6 address do not make another server.
func serverKey(u *url.URL) string {
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if ip, err := netip.ParseAddr(host); err == nil {
		host = ip.String()
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && port != "443" {
		host += ":" + port
	}
	return "https://" + host + strings.TrimRight(u.Path, "/")
}

// validateClusters checks the fleet's list; argo says whether Argo CD
// deploys to it, which tells clusters apart by server.
func validateClusters(cs []Cluster, argo bool, p *field.Path) field.ErrorList {
	var el field.ErrorList
	seen := map[string]bool{}
	servers := map[string]string{} // URL, as Argo CD tells clusters apart, to the first cluster's name
	for i, c := range cs {
		ip := p.Index(i)
		el = append(el, validateName(c.Name, ip.Child("name"))...)
		if seen[c.Name] && c.Name != "" {
			el = append(el, field.Duplicate(ip.Child("name"), c.Name))
		}
		seen[c.Name] = true
		if c.Server == "" {
			el = append(el, field.Required(ip.Child("server"), "the API server URL Argo CD deploys to, e.g. https://east.example:6443"))
		} else if u, err := url.Parse(c.Server); err != nil || u.Scheme != "https" || u.Host == "" {
			el = append(el, field.Invalid(ip.Child("server"), c.Server, "must be an https:// URL"))
		} else if key := serverKey(u); argo && servers[key] != "" {
			// Two sets of Applications would manage the same objects in
			// one cluster, each undoing the other's changes.
			el = append(el, field.Invalid(ip.Child("server"), c.Server,
				fmt.Sprintf("the API server of cluster %s too: one cluster is listed once (to rename it, change its name in place)", servers[key])))
		} else {
			servers[key] = c.Name
		}
	}
	return el
}

// validateName checks a name mtlsgen builds object names from: a DNS-1123
// label.
func validateName(name string, p *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "a DNS-1123 label: lowercase letters, digits and '-'")}
	}
	var el field.ErrorList
	for _, msg := range validation.IsDNS1123Label(name) {
		el = append(el, field.Invalid(p, name, msg))
	}
	return el
}

// validateLabelSelector checks a label selector as the API server does, with
// the path of each wrong key, operator or value; then that the selector
// converts, which is what its users do with it.
func validateLabelSelector(sel *metav1.LabelSelector, p *field.Path) field.ErrorList {
	// Upstream reports every bad matchLabels entry at matchLabels itself,
	// without the key, so one problem hides the others: each entry is
	// checked here, at its key.
	labels := p.Child("matchLabels")
	var el field.ErrorList
	for _, k := range slices.Sorted(maps.Keys(sel.MatchLabels)) {
		for _, msg := range validation.IsQualifiedName(k) {
			el = append(el, field.Invalid(labels.Key(k), k, "key: "+msg))
		}
		for _, msg := range validation.IsValidLabelValue(sel.MatchLabels[k]) {
			el = append(el, field.Invalid(labels.Key(k), sel.MatchLabels[k], "value: "+msg))
		}
	}
	for _, e := range metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, p) {
		if e.Field == labels.String() {
			continue
		}
		if e.Type == field.ErrorTypeInvalid && strings.HasSuffix(e.Field, ".operator") {
			e.Detail += fmt.Sprintf(" (allowed: %s, %s, %s, %s)", metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn,
				metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist)
		}
		el = append(el, e)
	}
	if len(el) > 0 {
		return el
	}
	if _, err := metav1.LabelSelectorAsSelector(sel); err != nil {
		return field.ErrorList{field.Invalid(p, sel, err.Error())}
	}
	return nil
}

func validateNamespace(ns string, p *field.Path) field.ErrorList {
	if ns == "" {
		return field.ErrorList{field.Required(p, "a namespace name (a DNS-1123 label)")}
	}
	return validateName(ns, p)
}

func validateObjectName(name string, p *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "an object name (a DNS-1123 subdomain)")}
	}
	var el field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		el = append(el, field.Invalid(p, name, msg))
	}
	return el
}

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

func hasDotDot(path string) bool {
	for _, part := range strings.Split(path, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func ptrValue(v *int32) any {
	if v == nil {
		return nil
	}
	return *v
}
