// Package check finds the mistakes in a Linkerd + cert-manager +
// trust-manager + Argo CD manifest set before it reaches a cluster. It reads
// any YAML (hand-written or generated) and Helm values, builds the graph of
// who issues, mounts, injects and trusts what, and reports each problem with
// a stable rule ID, the object and field, what breaks and when, and the fix.
//
// It is pure apart from ReadPaths: everything else works on Input.
package check

// Severity of a finding.
type Severity string

// Severities. Errors make `mtlsgen check` exit 1; warnings only with
// --strict.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Rule is one kind of mistake check finds.
type Rule struct {
	// ID is stable: MTLS000, MTLS001, ...
	ID string
	// Title names the mistake.
	Title string
	// Severity is the default severity of its findings.
	Severity Severity
	// Invariant is the README's invariant it protects, or 0.
	Invariant int
	// Help says what breaks and how to fix it, in general.
	Help string
}

// The rules. Their IDs never change meaning; retired rules leave a gap.
var (
	RuleUnreadable = &Rule{"MTLS000", "Unreadable input", Error, 0,
		"A file or document could not be parsed; the rest of the input is still checked. Fix the YAML at the line given."}

	RuleDurationUnit = &Rule{"MTLS001", "Duration without a unit", Error, 5,
		"cert-manager durations are Go duration strings: `renewBefore: 24` is refused when applied, after the commit (an unquoted number by the CRD's schema, a quoted one by cert-manager's webhook). Write `24h`."}
	RuleDurationMinimum = &Rule{"MTLS002", "Duration below cert-manager's minimum", Error, 5,
		"cert-manager refuses a duration under 1h or a renewBefore under 5m. Lengthen it."}
	RuleRenewBeforeDuration = &Rule{"MTLS003", "renewBefore not shorter than duration", Error, 5,
		"A certificate renewed before it is even issued renews forever (cert-manager refuses it). Make renewBefore shorter than duration."}
	RuleOutlivesSigner = &Rule{"MTLS004", "Certificate can outlive the CA that signs it", Warning, 5,
		"A certificate issued just before its CA renews must not expire after that CA certificate; shorten its duration to at most the CA's renewBefore."}
	RuleCommonNameLength = &Rule{"MTLS006", "commonName longer than 64 bytes", Error, 5,
		"cert-manager's webhook refuses a Certificate whose commonName is longer than 64 bytes (RFC 5280's upper bound), so nothing it would sign is ever issued. Shorten the name it is made from, or leave commonName out and rely on dnsNames."}
	RuleRenewBeforePercentage = &Rule{"MTLS005", "renewBeforePercentage set with renewBefore or out of range", Error, 5,
		"renewBeforePercentage is the whole percent of the duration left when cert-manager renews, from 1 to 99, instead of renewBefore. cert-manager's webhook rejects a Certificate that sets both, or a percentage out of range (unless neither duration nor renewBefore is set: then it is ignored), or one above what a short duration allows. Set one of the two, within range."}

	RuleIssuerPlacement = &Rule{"MTLS010", "Identity issuer in the wrong place", Error, 3,
		"Linkerd's identity controller mounts Secret linkerd-identity-issuer in the Linkerd namespace; any other name or namespace leaves it without an issuer."}
	RuleIssuerNotCA = &Rule{"MTLS011", "Identity issuer is not a CA", Error, 3,
		"Linkerd refuses an issuer without isCA: true; proxies get no certificates. Set isCA: true."}
	RuleIssuerKey = &Rule{"MTLS012", "Identity issuer key is not ECDSA P-256", Error, 3,
		"linkerd check refuses an issuer key other than ECDSA P-256. Set privateKey.algorithm: ECDSA and size: 256."}
	RuleIssuerCertSign = &Rule{"MTLS013", "Identity issuer usages lack cert sign", Warning, 3,
		"cert-manager adds cert sign to CA certificates it signs itself, but an external issuer may issue exactly the usages listed (a leaf, see linkerd2#6428). List cert sign and crl sign."}
	RuleIssuerNoServerAuth = &Rule{"MTLS015", "Identity issuer or anchor whose extended key usages lack server auth", Error, 3,
		"Linkerd's identity controller verifies its issuer's chain with Go's defaults, which ask every certificate in it for the server auth extended key usage whenever it lists any: an issuer or anchor with only client auth, say, is refused at start and skipped on renewal. List server auth (an issuer with client auth too, as Linkerd's own issuers carry both), or no extended usage at all."}
	RuleIssuerUntrusted = &Rule{"MTLS014", "Identity issuer signed by a CA the bundle does not publish", Error, 3,
		"The identity controller rejects an issuer that does not chain to the trust roots, and proxies would not trust its certificates. Publish the signing CA in the bundle, or sign with a CA that is published."}

	RuleAnchorRotatesKey = &Rule{"MTLS020", "Sole trust anchor renews with a new key", Error, 0,
		"With rotationPolicy Always (unset means Always since cert-manager 1.18) the anchor's first renewal makes a new key; the bundle then holds only the new anchor and no running proxy trusts the re-signed issuer: the mesh breaks. Set rotationPolicy: Never on anchors and rotate by adding a second anchor."}
	RuleBundleIssuerCA = &Rule{"MTLS021", "Bundle publishes an issuer Secret's ca.crt", Error, 4,
		"ca.crt of an issued Secret is the top of its issuer's chain as of the last issuance, not an anchor of its own: when that changes (a new anchor key, a switch of issuer), the old anchor leaves the bundle at once while pods still present chains to it. Source each anchor's own Secret, key tls.crt."}

	RuleBundleName = &Rule{"MTLS030", "Trust bundle name or key is not Linkerd's", Error, 4,
		"Linkerd mounts ConfigMap linkerd-identity-trust-roots, key ca-bundle.crt, and trust-manager names the ConfigMap after the Bundle. Name the Bundle linkerd-identity-trust-roots with target.configMap.key ca-bundle.crt."}
	RuleBundleSelector = &Rule{"MTLS031", "Bundle does not reach the Linkerd namespace", Error, 4,
		"The Bundle's namespaceSelector does not match the Linkerd namespace's labels, so the trust roots ConfigMap never appears there and the control plane does not start. Select linkerd.io/is-control-plane: \"true\" and label the namespace."}
	RuleClusterScopedNamespace = &Rule{"MTLS032", "Namespace on a cluster-scoped object", Warning, 0,
		"Bundle and ClusterIssuer are cluster-scoped: the API server drops metadata.namespace, and tools that key objects by namespace (Argo CD, kustomize) then see an object that never matches. Remove it."}
	RuleBundleLeaf = &Rule{"MTLS033", "Bundle publishes a leaf or an intermediate", Error, 4,
		"A trust bundle holds anchors only; a leaf or the identity issuer in it makes proxies trust whatever that key signs and breaks at its next renewal. Source the anchors' Secrets."}
	RuleControlPlaneNamespaces = &Rule{"MTLS034", "Several namespaces labelled as Linkerd's control plane", Warning, 0,
		"Linkerd runs one control plane per cluster, whose namespace is labelled linkerd.io/is-control-plane: \"true\". Another namespace with the label is mislabelled: Bundles that select by it copy the trust roots there too, and which namespace holds the control plane is ambiguous (check takes the first by name). Remove the label from all but the control plane's namespace."}

	RuleWebhookCertificate = &Rule{"MTLS040", "Webhook certificate does not match the chart", Error, 2,
		"Each Linkerd webhook serves the Secret its chart mounts, for SERVICE.NAMESPACE.svc; another Secret name is never mounted and other DNS names fail the API server's TLS check. Use the chart's Secret name and DNS name."}
	RulePolicyValidatorPKCS8 = &Rule{"MTLS041", "Policy validator key not PKCS#8", Error, 2,
		"The policy validator (Rust) cannot load an ECDSA key in PKCS#1 form and fails to start (linkerd2#7963). Set privateKey.encoding: PKCS8."}
	RuleExternalSecretNoCA = &Rule{"MTLS042", "externalSecret without a CA source", Error, 1,
		"With externalSecret the chart needs injectCaFrom, injectCaFromSecret or caBundle, or the webhook has no CA and the API server cannot call it (the chart refuses to render). Set injectCaFrom: NAMESPACE/CERTIFICATE."}
	RuleInjectCAFromMissing = &Rule{"MTLS043", "injectCaFrom names no Certificate", Error, 1,
		"cainjector injects the CA of the Certificate injectCaFrom names; if it does not exist (or lacks the namespace/ prefix) the webhook never gets a CA. Name the webhook's Certificate as NAMESPACE/NAME."}
	RuleChartGeneratedCerts = &Rule{"MTLS044", "Webhook left on chart-generated certificates", Warning, 0,
		"Without externalSecret the chart generates a new certificate and caBundle on every render, so Argo CD shows the webhook out of sync forever and restarts its pods. Set externalSecret: true with injectCaFrom and issue the certificate with cert-manager."}

	RuleExternalCAOff = &Rule{"MTLS050", "externalCA is off while cert-manager issues the identity issuer", Error, 3,
		"Without identity.externalCA the chart renders its own trust roots ConfigMap, overwriting trust-manager's. Set identity.externalCA: true."}
	RuleIssuerScheme = &Rule{"MTLS051", "Issuer scheme does not read cert-manager's Secret", Error, 3,
		"Scheme linkerd.io/tls makes the chart render its own issuer Secret (crt.pem/key.pem) and ignore the one cert-manager writes. Set identity.issuer.scheme: kubernetes.io/tls."}
	RuleTrustAnchorsPEMWithExternalCA = &Rule{"MTLS052", "identityTrustAnchorsPEM set alongside externalCA", Error, 4,
		"The trust roots come from the Bundle; a PEM pasted into the values is a second source of truth that goes stale at the first rotation. Remove identityTrustAnchorsPEM."}
	RuleProxyOutlivesIssuer = &Rule{"MTLS053", "Proxy certificates reach past the identity issuer's renewal", Error, 5,
		"issuanceLifetime plus clockSkewAllowance must be shorter than the identity issuer's renewBefore. Linkerd cuts a proxy certificate off at its issuer's expiry, so with a longer lifetime the certificates issued before each renewal get less than it, down to minutes, and every proxy renews early and often around each renewal. Shorten issuanceLifetime or lengthen renewBefore."}
	RuleNoHeartbeatSchedule = &Rule{"MTLS054", "No fixed heartbeatSchedule", Warning, 0,
		"Left unset, the chart derives the heartbeat CronJob's schedule from the render time, so every Argo CD render differs. Set heartbeatSchedule (or disableHeartBeat: true)."}
	RuleJaegerRemoved = &Rule{"MTLS055", "linkerd-jaeger on Linkerd 2.19 or later", Error, 0,
		"linkerd-jaeger was removed after 2.18 (edge-25.10.1); there is no chart to install. Remove it or stay on 2.18."}

	RuleDeletesSecrets = &Rule{"MTLS060", "A job deletes Secrets", Error, 0,
		"Deleting cert-manager's Secrets forces re-issuance of everything at once, anchors included, with new keys: the mesh loses trust. Nothing needs it: issuers and webhooks hot-reload, and only a bundle change needs restarts."}
	RuleOrderedContainers = &Rule{"MTLS061", "Containers of one pod expected to run in order", Warning, 0,
		"Containers of a pod start together; steps that must run in order race. Use initContainers for earlier steps, or one container."}
	RuleRestrictedPSS = &Rule{"MTLS062", "Pod fails the restricted Pod Security Standard", Warning, 0,
		"A job that only talks to the API server needs no privileges; in a namespace enforcing restricted it is refused. Run as non-root with a read-only root, no privilege escalation, all capabilities dropped and the RuntimeDefault seccomp profile."}
	RuleInjectedPSS = &Rule{"MTLS064", "Injected namespace enforces baseline or restricted Pod Security", Error, 0,
		"Without Linkerd's CNI plugin, the injector adds linkerd-init, which needs NET_ADMIN and NET_RAW; the baseline and restricted levels forbid both, so every injected pod in such a namespace is refused and rollouts stall. Enforce privileged there (warn and audit restricted to keep the view), or install linkerd-cni (cniEnabled: true)."}
	RuleBroadRBAC = &Rule{"MTLS063", "RBAC grants Secrets or everything", Error, 0,
		"A role that can read Secrets can read every private key in its scope, and * grants what nobody reviewed. Grant exactly the verbs and resources needed. Roles a Helm chart rendered (label helm.sh/chart, as in a hydrated tree) are the chart's and not checked: cert-manager must manage Secrets."}

	RuleIgnoreDifferencesGroup = &Rule{"MTLS070", "ignoreDifferences group with a version", Error, 0,
		"ignoreDifferences.group is an API group without version (admissionregistration.k8s.io); with /v1 it matches nothing and the drift stays."}
	RuleAppLevelSkipDryRun = &Rule{"MTLS071", "Application-level SkipDryRunOnMissingResource", Warning, 0,
		"Before Argo CD 3.1 the Application-level option is ignored (argo-cd#15095, fixed by #22679), so custom resources whose CRD another Application installs fail the first sync. Annotating the custom resources with argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true works on every version, and skips the dry run for them alone."}
	RuleNoRetry = &Rule{"MTLS072", "Application without retry", Warning, 0,
		"Applications sync in no particular order; one whose CRDs or webhooks another installs fails until they are there. Without syncPolicy.retry, Argo CD retries a failed automated sync five times over about five minutes, then not again for that commit: less than cert-manager and its webhook may take to come up. Add syncPolicy.retry with a longer backoff."}

	RuleFleetAnchors = &Rule{"MTLS080", "Clusters trust different anchors", Error, 6,
		"Linked clusters must share a trust anchor; bundles with different anchors make cross-cluster mTLS fail. Publish the same anchors in every cluster."}

	RuleCadence = &Rule{"MTLS090", "Restarts too rare for an automatically renewed anchor", Warning, 0,
		"When an anchor renews on its own, every workload must restart onto the new bundle before the identity issuer is re-signed under the new key (within the issuer's duration minus renewBefore). Restart more often than that (a restart job that is suspended, or whose schedule never fires, restarts nothing; the gap between runs is counted in the CronJob's timeZone, where a daylight saving change can skip a run), or keep anchor keys (rotationPolicy: Never)."}

	RulePrivateKey = &Rule{"MTLS099", "Private key in the manifests", Error, 7,
		"A private key in git is a key everyone with read access holds. Let cert-manager make keys in the cluster; deliver your own CA keypair with External Secrets."}
)

// Rules lists every rule, by ID.
var Rules = []*Rule{
	RuleUnreadable, RuleDurationUnit, RuleDurationMinimum, RuleRenewBeforeDuration, RuleOutlivesSigner, RuleRenewBeforePercentage, RuleCommonNameLength,
	RuleIssuerPlacement, RuleIssuerNotCA, RuleIssuerKey, RuleIssuerCertSign, RuleIssuerUntrusted, RuleIssuerNoServerAuth,
	RuleAnchorRotatesKey, RuleBundleIssuerCA,
	RuleBundleName, RuleBundleSelector, RuleClusterScopedNamespace, RuleBundleLeaf, RuleControlPlaneNamespaces,
	RuleWebhookCertificate, RulePolicyValidatorPKCS8, RuleExternalSecretNoCA, RuleInjectCAFromMissing, RuleChartGeneratedCerts,
	RuleExternalCAOff, RuleIssuerScheme, RuleTrustAnchorsPEMWithExternalCA, RuleProxyOutlivesIssuer, RuleNoHeartbeatSchedule, RuleJaegerRemoved,
	RuleDeletesSecrets, RuleOrderedContainers, RuleRestrictedPSS, RuleBroadRBAC, RuleInjectedPSS,
	RuleIgnoreDifferencesGroup, RuleAppLevelSkipDryRun, RuleNoRetry,
	RuleFleetAnchors,
	RuleCadence,
	RulePrivateKey,
}

// Finding is one problem in the input.
type Finding struct {
	Rule *Rule
	// Severity is the rule's unless a finding says otherwise.
	Severity Severity
	File     string
	Line     int
	// Object is kind/namespace/name.
	Object string
	// Path is the field path in the object.
	Path string
	// Message says what is wrong here, what breaks and when.
	Message string
	// Fix says what to change here.
	Fix string
}

// Level is the finding's severity.
func (f Finding) Level() Severity {
	if f.Severity != "" {
		return f.Severity
	}
	return f.Rule.Severity
}
