package restarter

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// AnchorIssuerPrefix prefixes the CA ClusterIssuer mtlsgen renders for each
// anchor (generator.AnchorPrefix); the rest of the name is the anchor's name
// in the spec.
const AnchorIssuerPrefix = "linkerd-anchor-"

// Flag names of `mtlsgen status` the verdict names in its advice.
const (
	FlagProxyLifetime           = "proxy-certificate-lifetime"
	FlagOnlyRestarterNamespaces = "only-restarter-namespaces"
)

// CertificateReadiness is a cert-manager Certificate's Ready condition.
type CertificateReadiness struct {
	Namespace, Name string
	Ready           bool
	// Message of the Ready condition, or why it is missing.
	Message string
}

// Observation is what `mtlsgen status` read from the cluster.
type Observation struct {
	Now time.Time
	// BundleHash, BundleVersion (the ConfigMap's resourceVersion) and
	// Anchors describe the trust roots ConfigMap now.
	BundleHash    string
	BundleVersion string
	Anchors       []Anchor
	// Status is the restarter's last record; nil if there is none yet.
	Status *Status
	// Certificates are the cert-manager Certificates of the mesh.
	Certificates []CertificateReadiness
	// ProxyLifetime is how long a proxy certificate can live: Linkerd's
	// issuanceLifetime plus its clock skew allowance; zero when it is not
	// known, and then no removal is called safe. ProxyLifetimeFrom
	// says where it was read.
	ProxyLifetime     time.Duration
	ProxyLifetimeFrom string
	// StalePods counts, by namespace, the meshed pods anywhere in the
	// cluster whose proxy holds other roots than the bundle: the
	// restarter only sees its own namespaces. StalePodsUnread says why
	// they could not be listed, if they could not.
	StalePods       map[string]int
	StalePodsUnread string
	// OnlyRestarterNamespaces accepts a verdict on the restarter's
	// namespaces alone when StalePods could not be listed; otherwise that
	// is not safe.
	OnlyRestarterNamespaces bool
	// LinkerdNamespace is where the status ConfigMap is, for the commands
	// the verdict suggests.
	LinkerdNamespace string
	// Issuances are the identity issuer's CertificateRequests;
	// IssuancesUnread says why they could not be listed, if they could
	// not. ReloadAllowance is how long after a new identity issuer is
	// signed the identity controller may still sign with the previous one.
	Issuances       []Issuance
	IssuancesUnread string
	ReloadAllowance time.Duration
}

// Verdict is the answer to "is the next rotation step safe?".
type Verdict struct {
	// Safe reports that the next step may be made.
	Safe bool
	// Lines explain it, for a person.
	Lines []string
}

// Judge decides whether the next step of a trust-anchor rotation is safe.
func Judge(o *Observation) Verdict {
	var v Verdict
	say := func(format string, args ...any) { v.Lines = append(v.Lines, fmt.Sprintf(format, args...)) }

	say("trust bundle %s: %d anchors", short(o.BundleHash), len(o.Anchors))
	for _, a := range o.Anchors {
		say("  %s  key %s  expires %s", a.Subject, short(a.KeySHA256), a.NotAfter.Format(time.DateOnly))
	}
	s := o.Status
	var issuer *IssuerObservation
	if s != nil {
		issuer = s.IdentityIssuer
	}
	active := ""
	if issuer != nil {
		active = strings.TrimPrefix(issuer.Name, AnchorIssuerPrefix)
		if issuer.Since.IsZero() {
			say("identity issuer named for %s %s, not yet issued by it", issuer.Kind, issuer.Name)
		} else {
			say("identity issuer signed by %s %s (seen issued since %s)", issuer.Kind, issuer.Name, issuer.Since.Format(time.RFC3339))
		}
	}

	h := ReadIssuerHistory(o.Issuances, o.Anchors)
	switch {
	case o.IssuancesUnread != "":
		say("note: the identity issuer's CertificateRequests could not be listed (%s): its anchor is known only by its issuer's name", o.IssuancesUnread)
	case h.Newest != nil && h.Active >= 0:
		a := o.Anchors[h.Active]
		say("identity issuer: CertificateRequest %s (revision %d, signed %s) chains to %s (key %s)",
			h.Newest.Name, h.Newest.Revision, h.Newest.Issued.Format(time.RFC3339), anchorLabel(a), short(a.KeySHA256))
	}

	notReady := 0
	for _, c := range o.Certificates {
		if !c.Ready {
			notReady++
		}
	}
	say("certificates: %d of %d Ready", len(o.Certificates)-notReady, len(o.Certificates))
	switch {
	case o.ProxyLifetime == 0:
		say("proxy certificates live for an unknown time (%s)", o.ProxyLifetimeFrom)
	case o.ProxyLifetimeFrom != "":
		say("proxy certificates live at most %s (%s)", o.ProxyLifetime, o.ProxyLifetimeFrom)
	}
	for _, c := range o.Certificates {
		if !c.Ready {
			say("  not Ready: %s/%s: %s", c.Namespace, c.Name, c.Message)
		}
	}

	if h.Newest != nil && h.Active < 0 {
		say("NOT SAFE: the identity issuer (CertificateRequest %s, revision %d) chains to no anchor of the trust bundle, so no proxy can verify the certificates it signs; its anchor must stay in spec.trust.anchors",
			h.Newest.Name, h.Newest.Revision)
		return v
	}
	if s == nil {
		say("NOT SAFE: the restarter has not recorded a run yet (ConfigMap %s)", StatusConfigMap)
		return v
	}
	c := s.Counts
	say("restarter: last run %s (%s ago): %d current, %d pending, %d stale, %d blocked, %d unmanaged pods",
		s.Time.Format(time.RFC3339), o.Now.Sub(s.Time).Round(time.Second), c.Current, c.Pending, c.Stale, c.Blocked, c.Unmanaged)
	for _, m := range s.Mesh {
		inject := m.Inject
		if inject == "" {
			inject = "not annotated"
		}
		say("mesh coverage %s (inject %s): %d meshed, %d not yet meshed, %d opted out, %d still meshed to remove",
			m.Namespace, inject, m.Meshed, m.NotYetMeshed, m.OptedOut, m.ToUnmesh)
	}
	// Workloads held up by their injection are listed here and only here:
	// they say nothing about the trust roots, so nothing about safety.
	var roots []Decision
	for _, d := range s.Workloads {
		switch {
		case !d.Injection:
			roots = append(roots, d)
		case d.State == StateBlocked:
			say("  enrollment blocked: %s: %s", d.Ref, d.Reason)
		}
	}
	if o.StalePodsUnread != "" && o.OnlyRestarterNamespaces {
		say("note: the meshed pods of other namespaces could not be listed (%s): this verdict knows only the restarter's namespaces", o.StalePodsUnread)
	}
	switch {
	case s.BundleSHA256 != o.BundleHash:
		say("NOT SAFE: the trust bundle changed after the restarter's last run (it saw %s); wait for its next run", short(s.BundleSHA256))
		return v
	case s.BundleVersion != "" && o.BundleVersion != "" && s.BundleVersion != o.BundleVersion:
		// Same text, rewritten: it may have changed and changed back, and
		// pods started in between hold the other bundle.
		say("NOT SAFE: the trust bundle was written again after the restarter's last run (version %s, now %s); wait for its next run", s.BundleVersion, o.BundleVersion)
		return v
	case notReady > 0:
		say("NOT SAFE: %d certificates are not Ready", notReady)
		return v
	case !c.Converged():
		say("NOT SAFE: %d of %d workloads do not hold the current roots yet, and %d pods need attention", c.Total()-c.Current, c.Total(), c.Unmanaged)
		for i, d := range roots {
			if i == 10 {
				more := fmt.Sprintf("  ... and %d more (kubectl get configmap %s -n %s -o jsonpath='{.data.status\\.json}')", len(roots)-10, StatusConfigMap, o.LinkerdNamespace)
				if s.Truncated > 0 {
					// Workloads, injection and unmanaged pods alike.
					more += fmt.Sprintf("; %d entries did not fit in the status", s.Truncated)
				}
				say("%s", more)
				break
			}
			say("  %s: %s %s", d.Ref, d.State, d.Reason)
		}
		for i, u := range s.UnmanagedPods {
			if i == 10 {
				break
			}
			say("  pod %s/%s: %s", u.Namespace, u.Name, u.Reason)
		}
		return v
	case o.StalePodsUnread != "" && !o.OnlyRestarterNamespaces:
		// A meshed pod outside the restarter's namespaces that holds the
		// old roots breaks as much on the next step; a script reading the
		// exit code would not see a note.
		say("NOT SAFE: the meshed pods of every namespace could not be listed (%s), and pods outside the restarter's namespaces may hold the old roots; grant list on pods cluster-wide, or pass --%s to judge by the restarter's namespaces alone",
			o.StalePodsUnread, FlagOnlyRestarterNamespaces)
		return v
	case len(o.StalePods) > 0:
		var where []string
		total := 0
		for ns, n := range o.StalePods {
			where = append(where, fmt.Sprintf("%s (%d)", ns, n))
			total += n
		}
		slices.Sort(where)
		say("NOT SAFE: %d meshed pods hold other trust roots than the bundle, in namespaces the restarter does not restart or has not reached: %s; restart their workloads (kubectl rollout restart) or add the namespaces to spec.restarter.dataPlane",
			total, strings.Join(where, ", "))
		return v
	}

	v.Safe = true
	names := make([]string, len(o.Anchors))
	for i, a := range o.Anchors {
		names[i] = anchorLabel(a)
	}
	if len(o.Anchors) == 1 {
		say("SAFE: all %d workloads trust anchor %s, the only one; to rotate, add a new anchor to spec.trust.anchors (step 1)", c.Total(), names[0])
		return v
	}
	act := h.Active
	pending := issuer != nil && issuer.Since.IsZero() // named, not issued yet
	underWay := false                                 // step 2 made, not issued yet
	switch {
	case (act < 0 || pending) && active != "" && namedBySpec(o.Anchors, names, active):
		// The named anchor is the one becoming active, or already is;
		// while the requests still show another, step 2 is under way.
		named := slices.Index(names, active)
		underWay = pending && h.Active >= 0 && h.Active != named
		act = named
	case pending:
		// A bring-your-own or external anchor named, not issued: which of
		// the bundle's it is the bundle cannot say, and the requests show
		// the one before it.
		act = -1
	}
	if act < 0 && issuer != nil {
		// The bundle names its anchors by subject, and only the anchors
		// mtlsgen self-signs carry the spec's name in theirs: which of a
		// bring-your-own or external anchor is the active one the bundle
		// cannot say, so none is named as the one to remove.
		judgeUnnamedActive(o, issuer, names, say)
		return v
	}
	if !unique(names) {
		for i, a := range o.Anchors {
			names[i] += " (key " + short(a.KeySHA256) + ")"
		}
	}
	var others []string
	for i, n := range names {
		if i != act {
			others = append(others, n)
		}
	}
	if underWay {
		say("SAFE: all %d workloads trust anchors %s; step 2 is under way: %s is made active, and cert-manager has not issued the identity issuer under it yet", c.Total(), strings.Join(names, ", "), names[act])
	} else {
		say("SAFE: all %d workloads trust anchors %s; safe to make %s active (step 2)", c.Total(), strings.Join(names, ", "), strings.Join(others, " or "))
	}
	since, ok := activeSince(o, issuer, h)
	if act >= 0 && !ok && issuer != nil {
		say("not yet: removing the anchors but %s (step 3) waits until the identity issuer is issued by %s %s", names[act], issuer.Kind, issuer.Name)
	}
	if act < 0 || !ok {
		return v
	}
	// Whichever way the last switch went, every proxy certificate signed
	// under another anchor has expired once the proxy lifetime has passed
	// since the active anchor began signing the identity issuer alone.
	// Which anchor is the new one only the spec's history knows, so both
	// readings are named.
	gone := strings.Join(others, ", ")
	if o.ProxyLifetime == 0 {
		say("not yet: removing %s (step 3) is safe a proxy certificate lifetime after %s, which is not known here (pass --%s)", gone, since.Format(time.RFC3339), FlagProxyLifetime)
		return v
	}
	if until := since.Add(o.ProxyLifetime); o.Now.After(until) {
		say("also safe: remove %s, keeping the active %s (step 3 if %s is the new anchor, else undoing step 1): proxy certificates signed under %s expired before %s",
			gone, names[act], names[act], gone, until.Format(time.RFC3339))
	} else {
		say("not yet: removing %s (step 3) is safe only after %s, when the last proxy certificate signed under it before %s became active has expired",
			gone, until.Format(time.RFC3339), names[act])
	}
	return v
}

// activeSince is a late bound on when the identity controller last signed
// under another anchor than the active one: the later of the restarter's
// first sight of the identity issuer issued by the issuer it names and,
// when the CertificateRequests show it, the signing of the first request in
// the active anchor's run; plus the identity controller's reload. The
// requests catch what the restarter's runs miss: a switch to another anchor
// and back between two runs, or a bring-your-own anchor's Secret replaced
// under the same issuer name. It is unknown (false) while the named issuer
// has not issued it.
func activeSince(o *Observation, issuer *IssuerObservation, h IssuerHistory) (time.Time, bool) {
	if issuer != nil && issuer.Since.IsZero() {
		return time.Time{}, false
	}
	var since time.Time
	if issuer != nil {
		since = issuer.Since
	}
	if h.Since.After(since) {
		since = h.Since
	}
	if since.IsZero() {
		return since, false
	}
	return since.Add(o.ReloadAllowance), true
}

func unique(names []string) bool {
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	return len(slices.Compact(sorted)) == len(names)
}

// namedBySpec reports that the bundle's anchors can be told apart by the
// spec's names: every one is self-signed by mtlsgen (its subject is exactly
// CN=NAME.linkerd.DOMAIN), no two share a name, and one is the active.
// With a single bring-your-own or external anchor among them, a subject
// that merely looks like another anchor's name could be taken for the
// active one, and then removing "the others" would remove it.
func namedBySpec(anchors []Anchor, names []string, active string) bool {
	for _, a := range anchors {
		if _, ok := selfSignedName(a); !ok {
			return false
		}
	}
	return unique(names) && slices.Contains(names, active)
}

// judgeUnnamedActive says what is safe when every workload trusts every
// anchor of the bundle but the active one is not among their labels.
func judgeUnnamedActive(o *Observation, issuer *IssuerObservation, names []string, say func(string, ...any)) {
	say("SAFE: all %d workloads trust anchors %s; safe to make another anchor active (step 2)", o.Status.Counts.Total(), strings.Join(names, ", "))
	activeOne := fmt.Sprintf("the active one (the anchor of %s %s)", issuer.Kind, issuer.Name)
	if issuer.Since.IsZero() {
		say("not yet: removing the anchors but %s (step 3) waits until the identity issuer is issued by it", activeOne)
		return
	}
	if o.ProxyLifetime == 0 {
		say("not yet: removing the anchors but %s (step 3) is safe a proxy certificate lifetime after %s, which is not known here (pass --%s)",
			activeOne, issuer.Since.Add(o.ReloadAllowance).Format(time.RFC3339), FlagProxyLifetime)
		return
	}
	if until := issuer.Since.Add(o.ReloadAllowance + o.ProxyLifetime); o.Now.After(until) {
		say("also safe: remove every anchor but %s (step 3 if it is the new anchor, else undoing step 1): proxy certificates signed under the others expired before %s",
			activeOne, until.Format(time.RFC3339))
	} else {
		say("not yet: removing the anchors but %s (step 3) is safe only after %s, when the last proxy certificate signed under another before it became active has expired",
			activeOne, until.Format(time.RFC3339))
	}
}

// anchorLabel names an anchor for people: the spec's anchor name for the
// self-signed anchors mtlsgen renders, else its common name when that is
// its whole subject, else its subject.
func anchorLabel(a Anchor) string {
	if name, ok := selfSignedName(a); ok {
		return name
	}
	if cn, ok := strings.CutPrefix(a.Subject, "CN="); ok && !strings.Contains(cn, ",") {
		return cn
	}
	return a.Subject
}

// selfSignedName is the spec's name of an anchor mtlsgen self-signs, whose
// subject is exactly CN=NAME.linkerd.DOMAIN; ok is false for any other.
func selfSignedName(a Anchor) (name string, ok bool) {
	cn, ok := strings.CutPrefix(a.Subject, "CN=")
	if !ok || strings.Contains(cn, ",") {
		return "", false
	}
	name, _, ok = strings.Cut(cn, ".linkerd.")
	return name, ok
}
