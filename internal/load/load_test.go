package load

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// header is the start every case below shares; its lines are 1-4, so a
// case's own lines start at 5.
const header = `apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata:
  name: mesh
`

// anchors is a valid anchor list for cases about something else.
const anchors = `  trust:
    anchors:
      - {name: root, active: true, selfSigned: {}}
`

const argocd = `  argocd: {enabled: false}
`

// Each case is a whole spec and every problem it must produce, exactly as
// the CLI prints them after "mtlsgen: ".
func TestParse_invalid(t *testing.T) {
	cases := map[string]struct {
		spec string
		want []string
	}{
		"empty file": {
			spec: "",
			want: []string{"spec.yaml: empty: expected one MeshTLS document (try `mtlsgen init`)"},
		},
		"not YAML": {
			spec: "apiVersion: [\n",
			want: []string{"spec.yaml:1: invalid YAML: did not find expected node content"},
		},
		"two documents": {
			spec: header + "spec: {}\n---\n" + header,
			want: []string{"spec.yaml:7: expected one MeshTLS document, found 2 (a spec file holds exactly one)"},
		},
		"a list, not an object": {
			spec: "- a\n- b\n",
			want: []string{"spec.yaml:1: expected a MeshTLS object (apiVersion, kind, metadata, spec)"},
		},
		"wrong apiVersion and kind": {
			spec: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nspec:\n" + anchors + argocd,
			want: []string{
				`spec.yaml:1: apiVersion: "v1" is not supported (allowed: mtlsgen.dev/v1alpha1)`,
				`spec.yaml:2: kind: "ConfigMap" is not supported (allowed: MeshTLS)`,
			},
		},
		"no spec": {
			spec: header,
			want: []string{"spec.yaml: spec: required: the mesh to generate (try `mtlsgen init`)"},
		},
		"unknown profile": {
			spec: header + "spec:\n  profile: staging\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.profile: "staging" is not supported (allowed: dev, prod, ha)`},
		},
		"misspelt field, with a suggestion": {
			spec: header + "spec:\n  identityIssuer:\n    renewbefore: 24h\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.identityIssuer.renewbefore: unknown field (did you mean "renewBefore"?) (allowed: clockSkewAllowance, duration, issuanceLifetime, renewBefore)`},
		},
		"unknown top-level field": {
			spec: header + "status: {}\nspec:\n" + anchors + argocd,
			want: []string{`spec.yaml:5: status: unknown field (allowed: apiVersion, kind, metadata, spec)`},
		},
		"duplicate key": {
			spec: header + "spec:\n  profile: dev\n  profile: ha\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.profile: set twice (first on line 6); keep one`},
		},
		"wrong type: string for a number": {
			spec: header + "spec:\n  linkerd:\n    controlPlane: {replicas: two}\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.linkerd.controlPlane.replicas: must be a whole number, not "two"`},
		},
		"an alias of no anchor": {
			spec: header + "spec:\n  profile: *nope\n" + anchors + argocd,
			want: []string{`spec.yaml:6: invalid YAML: unknown anchor 'nope' referenced`},
		},
		"two byte-order marks, as from joined files": {
			spec: "\xef\xbb\xbf\xef\xbb\xbf" + header + "spec:\n" + anchors + argocd,
			want: []string{`spec.yaml:1: invalid YAML: a byte-order mark (U+FEFF) inside the file, as when files are joined with theirs: remove it`},
		},
		"a byte-order mark inside": {
			spec: header + "spec:\n\xef\xbb\xbf" + anchors + argocd,
			want: []string{`spec.yaml:6: invalid YAML: a byte-order mark (U+FEFF) inside the file, as when files are joined with theirs: remove it`},
		},
		// Explicit tags: what kubectl's YAML library refuses, or would
		// decode into something else than the text written.
		"a key that is a list": {
			spec: header + "spec:\n  ? [a]\n  : 1\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec: has a key that is a list: keys are names`},
		},
		"a string field tagged !!int": {
			spec: header + "spec:\n  profile: !!int prod\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.profile: must be a string, not a value tagged !!int`},
		},
		"a string field tagged !!binary": {
			spec: header + "spec:\n  profile: !!binary ZGV2\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.profile: must be a string, not a value tagged !!binary`},
		},
		"a string field tagged !!null": {
			spec: header + "spec:\n  profile: !!null prod\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.profile: tagged !!null, but "prod" is not null`},
		},
		"a number field tagged !!int, not a number": {
			spec: header + "spec:\n  linkerd:\n    controlPlane: {replicas: !!int abc}\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.linkerd.controlPlane.replicas: must be a whole number, not "abc"`},
		},
		"a number past int64, which YAML reads as a float": {
			spec: header + "spec:\n  linkerd:\n    controlPlane: {replicas: 99999999999999999999}\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.linkerd.controlPlane.replicas: out of range (at most 2147483647)`},
		},
		"a number below int64": {
			spec: header + "spec:\n  linkerd:\n    controlPlane: {replicas: -99999999999999999999}\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.linkerd.controlPlane.replicas: out of range (at least -2147483648)`},
		},
		"a fraction for a whole number": {
			spec: header + "spec:\n  linkerd:\n    controlPlane: {replicas: 2.5}\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.linkerd.controlPlane.replicas: must be a whole number, not "2.5"`},
		},
		"wrong type: list for an object": {
			spec: header + "spec:\n  webhooks: [8760h]\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.webhooks: must be an object, not a list`},
		},
		"wrong type: string for a boolean": {
			spec: header + "spec:\n  linkerd:\n    extensions: {viz: {enabled: \"yes\"}}\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.linkerd.extensions.viz.enabled: must be true or false, not "yes"`},
		},
		"duration without unit": {
			spec: header + "spec:\n  identityIssuer: {renewBefore: 24}\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.identityIssuer.renewBefore: missing unit, e.g. 24h`},
		},
		"duration that is not one": {
			spec: header + "spec:\n  webhooks: {duration: a year}\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.webhooks.duration: not a duration (use Go syntax with a unit, e.g. 48h, 90m or 8760h)`},
		},
		"duration below cert-manager's minimum": {
			spec: header + "spec:\n  identityIssuer:\n    duration: 30m\n    renewBefore: 10m\n    issuanceLifetime: 5m\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.identityIssuer.duration: must be at least 1h (cert-manager's minimum)`},
		},
		"renewBefore below cert-manager's minimum": {
			spec: header + "spec:\n  webhooks: {renewBefore: 1m}\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.webhooks.renewBefore: must be at least 5m (cert-manager's minimum)`},
		},
		"renewBefore not shorter than duration": {
			spec: header + "spec:\n  webhooks:\n    duration: 48h\n    renewBefore: 48h\n" + anchors + argocd,
			want: []string{`spec.yaml:8: spec.webhooks.renewBefore: must be shorter than duration (48h)`},
		},
		"renewBefore from the profile not shorter than the user's duration": {
			spec: header + "spec:\n  identityIssuer: {duration: 2h, issuanceLifetime: 1h}\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.identityIssuer.renewBefore: must be shorter than duration (2h)`},
		},
		"proxy certificates outliving the issuer": {
			spec: header + "spec:\n  identityIssuer: {issuanceLifetime: 25h}\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.identityIssuer.issuanceLifetime: plus clockSkewAllowance (20s) must be shorter than renewBefore (25h), so that every proxy certificate gets its whole lifetime (Linkerd cuts one off at its issuer's expiry)`},
		},
		"webhook certificate outliving its anchor": {
			spec: header + "spec:\n  webhooks: {duration: 17520h}\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.webhooks.duration: must not be longer than spec.trust.anchorLifetime.renewBefore (8760h): a certificate issued just before the anchor renews would outlive the anchor certificate that signed it`},
		},
		"no anchors": {
			spec: header + "spec:\n  trust: {namespace: cert-manager}\n" + argocd,
			want: []string{`spec.yaml:6: spec.trust.anchors: required: at least one anchor, exactly one of them active`},
		},
		"no active anchor": {
			spec: header + "spec:\n  trust:\n    anchors:\n      - {name: a, selfSigned: {}}\n" + argocd,
			want: []string{`spec.yaml:7: spec.trust.anchors: required: exactly one anchor must be active: set active: true on the one that signs the identity issuers`},
		},
		"two active anchors": {
			spec: header + "spec:\n  trust:\n    anchors:\n      - {name: a, active: true, selfSigned: {}}\n      - {name: b, active: true, selfSigned: {}}\n" + argocd,
			want: []string{`spec.yaml:7: spec.trust.anchors: exactly one anchor may be active, found 2: a, b`},
		},
		"anchor with two sources": {
			spec: header + "spec:\n  trust:\n    anchors:\n      - name: a\n        active: true\n        selfSigned: {}\n        secret: {name: my-root}\n" + argocd,
			want: []string{`spec.yaml:8: spec.trust.anchors[0]: set exactly one of selfSigned, secret or external (found 2)`},
		},
		"anchor with no source": {
			spec: header + "spec:\n  trust:\n    anchors:\n      - {name: a, active: true}\n" + argocd,
			want: []string{`spec.yaml:8: spec.trust.anchors[0]: set exactly one of selfSigned, secret or external (found 0)`},
		},
		"duplicate anchor names": {
			spec: header + "spec:\n  trust:\n    anchors:\n      - {name: a, active: true, selfSigned: {}}\n      - {name: a, selfSigned: {}}\n" + argocd,
			want: []string{`spec.yaml:9: spec.trust.anchors[1].name: duplicate value "a": each must be unique`},
		},
		"external anchor without kind, group and CA": {
			spec: header + "spec:\n  trust:\n    anchors:\n      - name: vault\n        active: true\n        external:\n          issuerRef: {name: vault}\n" + argocd,
			want: []string{
				`spec.yaml:10: spec.trust.anchors[0].external.ca: set exactly one of configMap or secret: where the anchor's public certificate is published in the trust namespace`,
				`spec.yaml:11: spec.trust.anchors[0].external.issuerRef.group: required: an external issuer needs name, kind and group, e.g. kind: ClusterIssuer and group: cert-manager.io for a Vault issuer, or kind: AWSPCAClusterIssuer and group: awspca.cert-manager.io`,
				`spec.yaml:11: spec.trust.anchors[0].external.issuerRef.kind: required: an external issuer needs name, kind and group, e.g. kind: ClusterIssuer and group: cert-manager.io for a Vault issuer, or kind: AWSPCAClusterIssuer and group: awspca.cert-manager.io`,
			},
		},
		"invalid DNS-1123 names": {
			spec: header + "spec:\n  linkerd: {namespace: Linkerd_NS}\n  trust:\n    anchors:\n      - {name: Root.A, active: true, selfSigned: {}}\n" + argocd,
			want: []string{
				`spec.yaml:6: spec.linkerd.namespace: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
				`spec.yaml:9: spec.trust.anchors[0].name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
			},
		},
		"duplicate cluster names": {
			spec: header + "spec:\n" + strings.ReplaceAll(anchors, "selfSigned: {}", "secret: {name: root}") + argocd +
				"  clusters:\n    - {name: east, server: \"https://east:6443\"}\n    - {name: east, server: \"https://west:6443\"}\n",
			want: []string{`spec.yaml:12: spec.clusters[1].name: duplicate value "east": each must be unique`},
		},
		"cluster server not https": {
			spec: header + "spec:\n" + anchors + argocd + "  clusters:\n    - {name: east, server: \"http://east:6443\"}\n",
			want: []string{`spec.yaml:11: spec.clusters[0].server: must be an https:// URL`},
		},
		"fleet with a self-signed anchor": {
			spec: header + "spec:\n" + anchors + argocd +
				"  clusters:\n    - {name: east, server: \"https://east:6443\"}\n    - {name: west, server: \"https://west:6443\"}\n",
			want: []string{`spec.yaml:8: spec.trust.anchors[0].selfSigned: not allowed: a fleet (several clusters, a cluster selector or the multicluster extension) needs one anchor shared by every cluster, and a self-signed anchor would be a different root in each; use secret (the same CA keypair in every cluster) or external`},
		},
		"multicluster extension with a self-signed anchor": {
			spec: header + "spec:\n  linkerd:\n    extensions: {multicluster: {enabled: true}}\n" + anchors + argocd,
			want: []string{`spec.yaml:10: spec.trust.anchors[0].selfSigned: not allowed: a fleet (several clusters, a cluster selector or the multicluster extension) needs one anchor shared by every cluster, and a self-signed anchor would be a different root in each; use secret (the same CA keypair in every cluster) or external`},
		},
		"jaeger on a Linkerd version without it": {
			spec: header + "spec:\n  linkerd:\n    version: \"2.19\"\n    extensions: {jaeger: {enabled: true}}\n" + anchors + argocd,
			want: []string{`spec.yaml:8: spec.linkerd.extensions.jaeger.enabled: not allowed: linkerd-jaeger does not exist in Linkerd 2.19: it was removed after 2.18 (allowed with linkerd.version 2.14, 2.16, 2.17, 2.18)`},
		},
		"unknown Linkerd version, written as a YAML float": {
			spec: header + "spec:\n  linkerd: {version: 2.10}\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.linkerd.version: "2.10" is not supported (allowed: 2.14, 2.16, 2.17, 2.18, 2.19, 2.20)`},
		},
		"two extensions in one namespace": {
			spec: header + "spec:\n  linkerd:\n    extensions:\n      viz: {enabled: true, namespace: linkerd}\n" + anchors + argocd,
			want: []string{`spec.yaml:8: spec.linkerd.extensions.viz.namespace: already used by spec.linkerd.namespace; every Linkerd component needs its own namespace`},
		},
		"Application names too long for Argo CD's tracking label": {
			spec: "apiVersion: mtlsgen.dev/v1alpha1\nkind: MeshTLS\nmetadata:\n  name: payments-platform-production\nspec:\n" +
				strings.ReplaceAll(anchors, "selfSigned: {}", "secret: {name: root}") +
				"  argocd: {repoURL: https://git.example.com/x.git, path: x, trackingMethod: label}\n" +
				"  clusters:\n    - {name: eu-central-1-primary, server: \"https://a:6443\"}\n    - {name: b, server: \"https://b:6443\"}\n",
			want: []string{`spec.yaml:11: spec.clusters[0].name: with metadata.name "payments-platform-production" the Argo CD Application "payments-platform-production-eu-central-1-primary-linkerd-control-plane" would be 71 characters, more than the 63 a label value allows (argocd.trackingMethod label); shorten one of them`},
		},
		"an Application name one character too long": {
			// 21 + 1 + 20 + 1 + len("linkerd-control-plane") = 64
			spec: "apiVersion: mtlsgen.dev/v1alpha1\nkind: MeshTLS\nmetadata:\n  name: abcdefghijklmnopqrstu\nspec:\n" + anchors +
				"  argocd: {repoURL: https://git.example.com/x.git, path: x, trackingMethod: label}\n  clusters:\n    - {name: abcdefghijklmnopqrst, server: \"https://a:6443\"}\n",
			want: []string{`spec.yaml:11: spec.clusters[0].name: with metadata.name "abcdefghijklmnopqrstu" the Argo CD Application "abcdefghijklmnopqrstu-abcdefghijklmnopqrst-linkerd-control-plane" would be 64 characters, more than the 63 a label value allows (argocd.trackingMethod label); shorten one of them`},
		},
		"an unknown tracking method": {
			spec: header + "spec:\n" + anchors + "  argocd: {repoURL: https://git.example.com/x.git, path: x, trackingMethod: labels}\n",
			want: []string{`spec.yaml:9: spec.argocd.trackingMethod: "labels" is not supported (allowed: annotation, label, annotation+label)`},
		},
		"a cluster selector and a clusters list": {
			spec: header + "spec:\n" + strings.ReplaceAll(anchors, "selfSigned: {}", "secret: {name: root}") +
				"  argocd:\n    repoURL: https://git.example.com/x.git\n    path: x\n    clusterSelector: {matchLabels: {mesh: prod}}\n" +
				"  clusters:\n    - {name: east, server: \"https://a:6443\"}\n",
			want: []string{`spec.yaml:12: spec.argocd.clusterSelector: set spec.clusters or argocd.clusterSelector, not both: with a selector the clusters are the ones whose Argo CD cluster Secrets it matches`},
		},
		"a cluster selector with rendered manifests": {
			spec: header + "spec:\n" + strings.ReplaceAll(anchors, "selfSigned: {}", "secret: {name: root}") +
				"  argocd:\n    repoURL: https://git.example.com/x.git\n    path: x\n    source: rendered\n    clusterSelector: {matchLabels: {mesh: prod}}\n",
			want: []string{`spec.yaml:12: spec.argocd.source: rendered needs the clusters listed in spec.clusters (the rendered tree has a directory per cluster); with argocd.clusterSelector use source: plugin, which renders each cluster Argo CD selects`},
		},
		"audit on Linkerd 2.14": {
			spec: header + "spec:\n  linkerd: {version: \"2.14\"}\n  mesh:\n    namespaces:\n      - {name: shop, inject: enabled, policy: audit}\n" + anchors + argocd,
			want: []string{`spec.yaml:9: spec.mesh.namespaces[0].policy: not allowed: audit needs Linkerd 2.16 or later (its policy controller has no audit mode in 2.14); use off, then enforce`},
		},
		"a mesh namespace listed twice": {
			spec: header + "spec:\n  mesh:\n    namespaces:\n      - {name: shop, inject: enabled}\n      - {name: shop, inject: disabled}\n" + anchors + argocd,
			want: []string{`spec.yaml:9: spec.mesh.namespaces[1].name: duplicate value "shop": each must be unique`},
		},
		"meshing the Linkerd, cert-manager and kube-system namespaces": {
			spec: header + "spec:\n  mesh:\n    namespaces:\n      - {name: linkerd, inject: enabled}\n      - {name: cert-manager, inject: enabled}\n      - {name: kube-system, inject: enabled}\n" + anchors + argocd,
			want: []string{
				`spec.yaml:8: spec.mesh.namespaces[0].name: not allowed: linkerd is a Linkerd control-plane namespace: it must not be meshed or have its inbound policy changed`,
				`spec.yaml:9: spec.mesh.namespaces[1].name: not allowed: cert-manager is the anchors' (cert-manager's) namespace: it must not be meshed or have its inbound policy changed`,
				`spec.yaml:10: spec.mesh.namespaces[2].name: not allowed: kube-system is Kubernetes' own namespace: it must not be meshed or have its inbound policy changed`,
			},
		},
		"workloads opted in while the namespace is injected, and a bad workload": {
			spec: header + "spec:\n  mesh:\n    namespaces:\n      - {name: shop, inject: enabled, workloads: [Deployment/web]}\n      - {name: pay, inject: disabled, workloads: [web, CronJob/x]}\n" + anchors + argocd,
			want: []string{
				`spec.yaml:8: spec.mesh.namespaces[0].workloads: not allowed: workloads opt in one at a time only while inject is disabled; with inject: enabled every workload is meshed already`,
				`spec.yaml:9: spec.mesh.namespaces[1].workloads[0]: must be KIND/NAME with KIND one of Deployment, StatefulSet, DaemonSet, e.g. Deployment/checkout`,
				`spec.yaml:9: spec.mesh.namespaces[1].workloads[1]: must be KIND/NAME with KIND one of Deployment, StatefulSet, DaemonSet, e.g. Deployment/checkout`,
			},
		},
		"unknown inject and policy values": {
			spec: header + "spec:\n  mesh:\n    enforce: strict\n    namespaces:\n      - {name: shop, inject: yes, policy: deny}\n" + anchors + argocd,
			want: []string{
				`spec.yaml:7: spec.mesh.enforce: "strict" is not supported (allowed: all-authenticated, cluster-authenticated)`,
				`spec.yaml:9: spec.mesh.namespaces[0].inject: "yes" is not supported (allowed: enabled, disabled)`,
				`spec.yaml:9: spec.mesh.namespaces[0].policy: "deny" is not supported (allowed: off, audit, enforce)`,
			},
		},
		"bad restarter schedule": {
			spec: header + "spec:\n  restarter: {schedule: \"@hourly\"}\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.restarter.schedule: must be a five-field cron expression (minute hour day-of-month month day-of-week), e.g. "25 */6 * * *"`},
		},
		"an extension namespace among the restarter's data-plane namespaces": {
			spec: header + "spec:\n  linkerd:\n    extensions: {viz: {enabled: true}}\n  restarter:\n    dataPlane:\n      namespaces: [shop, linkerd-viz]\n" + anchors + argocd,
			want: []string{`spec.yaml:10: spec.restarter.dataPlane.namespaces[1]: is a control-plane namespace (linkerd, linkerd-viz), which the restarter always restarts first: list application namespaces only`},
		},
		"an empty data-plane selector": {
			spec: header + "spec:\n  restarter:\n    dataPlane: {selector: {}}\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.restarter.dataPlane.selector: an empty selector matches every namespace: set allMeshed instead`},
		},
		"a selector operator that does not exist, and In without values": {
			spec: header + "spec:\n  restarter:\n    dataPlane:\n      selector:\n        matchExpressions:\n          - {key: team, operator: Bogus}\n          - {key: env, operator: In}\n" + anchors + argocd,
			want: []string{
				`spec.yaml:10: spec.restarter.dataPlane.selector.matchExpressions[0].operator: not a valid selector operator (allowed: In, NotIn, Exists, DoesNotExist)`,
				"spec.yaml:11: spec.restarter.dataPlane.selector.matchExpressions[1].values: required: must be specified when `operator` is 'In' or 'NotIn'",
			},
		},
		"an image repository with a tag, and a tag no registry accepts": {
			spec: header + "spec:\n  restarter:\n    image: {repository: \"ghcr.io/acme/mtlsgen:v1\", tag: \"v1 beta\"}\n" + anchors + argocd,
			want: []string{
				`spec.yaml:7: spec.restarter.image.repository: must be an image repository such as ghcr.io/mtlsgen/mtlsgen: an optional registry host[:port], then lowercase path components of letters and digits separated by '/', '.', '_' or '-', at most 255 characters; the tag and digest go in image.tag and image.digest`,
				`spec.yaml:7: spec.restarter.image.tag: must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`,
			},
		},
		"an image tag one character too long": {
			spec: header + "spec:\n  restarter:\n    image: {repository: ghcr.io/acme/mtlsgen, tag: " + strings.Repeat("v", 129) + "}\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.restarter.image.tag: must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`},
		},
		"an image repository with capitals": {
			spec: header + "spec:\n  restarter:\n    image: {repository: registry.Example.com:5000/Acme/mtlsgen}\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.restarter.image.repository: must be an image repository such as ghcr.io/mtlsgen/mtlsgen: an optional registry host[:port], then lowercase path components of letters and digits separated by '/', '.', '_' or '-', at most 255 characters; the tag and digest go in image.tag and image.digest`},
		},
		"argoRollouts that is not a boolean": {
			spec: header + "spec:\n  restarter: {argoRollouts: sometimes}\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.restarter.argoRollouts: must be true or false, not "sometimes"`},
		},
		"argocd without a repository": {
			spec: header + "spec:\n" + anchors + "  argocd: {path: mesh}\n",
			want: []string{`spec.yaml:9: spec.argocd.repoURL: required: the git repository that holds this spec (or set argocd.enabled: false)`},
		},
		"trust namespace equal to the Linkerd namespace": {
			spec: header + "spec:\n  trust:\n    namespace: linkerd\n    anchors:\n      - {name: a, active: true, selfSigned: {}}\n" + argocd,
			want: []string{`spec.yaml:7: spec.trust.namespace: must differ from spec.linkerd.namespace: anchor keys must not live where the mesh runs (use cert-manager's namespace)`},
		},
		"alert threshold that would fire on every renewal": {
			spec: header + "spec:\n  monitoring:\n    identityIssuer: {expiringWithin: 25h}\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.monitoring.identityIssuer.expiringWithin: must be shorter than spec.identityIssuer.renewBefore (25h): cert-manager renews only when less than renewBefore is left, so the alert would fire before every renewal`},
		},
		"renewal-overdue warning that would come after the expiry alert": {
			spec: header + "spec:\n  monitoring:\n    identityIssuer: {renewalOverdueBy: 13h}\n" + anchors + argocd,
			want: []string{`spec.yaml:7: spec.monitoring.identityIssuer.renewalOverdueBy: must be shorter than spec.identityIssuer.renewBefore minus expiringWithin (25h - 12h30m = 12h30m), so that the overdue warning comes before the expiry alert`},
		},
		"alert thresholds that are not positive durations": {
			spec: header + "spec:\n  monitoring:\n    rootCAs: {expiringWithin: -1h}\n    webhooks: {renewalOverdueBy: 12}\n" + anchors + argocd,
			want: []string{
				`spec.yaml:7: spec.monitoring.rootCAs.expiringWithin: must be at least 1m: alert rules are evaluated about once a minute`,
				`spec.yaml:8: spec.monitoring.webhooks.renewalOverdueBy: missing unit, e.g. 12h`,
			},
		},
		"stale trust roots alerted before the restarter runs": {
			spec: header + "spec:\n  monitoring: {staleTrustRootsFor: 6h}\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.monitoring.staleTrustRootsFor: must be longer than the longest interval between two restarter runs (6h, from spec.restarter.schedule), or the alert fires before the restarter has had a chance to run`},
		},
		"not-ready alert slower than the identity issuer's renewal window": {
			spec: header + "spec:\n  monitoring: {notReadyFor: 25h}\n" + anchors + argocd,
			want: []string{`spec.yaml:6: spec.monitoring.notReadyFor: must be shorter than the shortest renewBefore (25h, spec.identityIssuer.renewBefore): a certificate not Ready that long may have expired before anyone is told`},
		},
		"monitoring labels and namespace label that Prometheus or Kubernetes refuse": {
			spec: header + "spec:\n  monitoring:\n    labels: {release: kube prometheus}\n    certificateNamespaceLabel: exported-namespace\n    namespace: Monitoring\n" + anchors + argocd,
			want: []string{
				`spec.yaml:7: spec.monitoring.labels[release]: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
				`spec.yaml:8: spec.monitoring.certificateNamespaceLabel: must be a Prometheus label name (letters, digits and _, not starting with a digit or __), e.g. namespace or exported_namespace`,
				`spec.yaml:9: spec.monitoring.namespace: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
			},
		},
		"several problems, reported together in file order": {
			spec: header + "spec:\n  profile: staging\n  webhooks: {renewBefore: 24}\n  trust:\n    anchors: []\n" + argocd,
			want: []string{
				`spec.yaml:6: spec.profile: "staging" is not supported (allowed: dev, prod, ha)`,
				`spec.yaml:7: spec.webhooks.renewBefore: missing unit, e.g. 24h`,
				`spec.yaml:9: spec.trust.anchors: required: at least one anchor, exactly one of them active`,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := Parse("spec.yaml", []byte(tc.spec), Options{})
			if m != nil {
				t.Errorf("Parse returned a spec along with problems")
			}
			le, ok := AsError(err)
			if !ok {
				t.Fatalf("want problems, got %v", err)
			}
			var got []string
			for _, p := range le.Problems {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems differ (-want +got):\n%s", diff)
			}
		})
	}
}

// The problems carry their parts separately, for the KRM function's results.
func TestParse_problemFields(t *testing.T) {
	_, err := Parse("x.yaml", []byte(header+"spec:\n  webhooks: {renewBefore: 24}\n"+anchors+argocd), Options{})
	le, _ := AsError(err)
	want := []Problem{{File: "x.yaml", Line: 6, Path: "spec.webhooks.renewBefore", Message: "missing unit, e.g. 24h"}}
	if diff := cmp.Diff(want, le.Problems); diff != "" {
		t.Error(diff)
	}
}

func TestParse_userWinsOverProfile(t *testing.T) {
	spec := header + "spec:\n  profile: ha\n  linkerd:\n    controlPlane: {replicas: 5, webhookFailurePolicy: Ignore}\n" + anchors + argocd
	m, err := Parse("spec.yaml", []byte(spec), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cp := m.Spec.Linkerd.ControlPlane
	if *cp.Replicas != 5 || cp.WebhookFailurePolicy != v1alpha1.FailurePolicyIgnore {
		t.Errorf("user values lost: replicas %d, failure policy %s", *cp.Replicas, cp.WebhookFailurePolicy)
	}
	if !*cp.PodAntiAffinity || cp.Resources.Proxy.Limits.Memory().String() != "250Mi" {
		t.Errorf("ha defaults not applied under the user's values: %+v", cp)
	}
}

func TestParse_profileFlagOverridesSpec(t *testing.T) {
	spec := header + "spec:\n  profile: dev\n" + anchors + argocd
	m, err := Parse("spec.yaml", []byte(spec), Options{Profile: v1alpha1.ProfileHA})
	if err != nil {
		t.Fatal(err)
	}
	if m.Spec.Profile != v1alpha1.ProfileHA || *m.Spec.Linkerd.ControlPlane.Replicas != 3 {
		t.Errorf("--profile ha did not win: profile %s, replicas %d", m.Spec.Profile, *m.Spec.Linkerd.ControlPlane.Replicas)
	}
}

func TestParse_defaultProfileIsProd(t *testing.T) {
	m, err := Parse("spec.yaml", []byte(header+"spec:\n"+anchors+argocd), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Spec.Profile != v1alpha1.ProfileProd || *m.Spec.Linkerd.ControlPlane.Replicas != 2 {
		t.Errorf("got profile %s with %d replicas, want prod with 2", m.Spec.Profile, *m.Spec.Linkerd.ControlPlane.Replicas)
	}
	if len(m.Spec.Clusters) != 1 || m.Spec.Clusters[0].Name != v1alpha1.InClusterName {
		t.Errorf("a spec without clusters must target in-cluster, got %+v", m.Spec.Clusters)
	}
}

// The default applies to a profile left out (or null); an empty string is a
// mistake, named at its line with the profiles allowed.
func TestParse_emptyProfile(t *testing.T) {
	if m, err := Parse("spec.yaml", []byte(header+"spec:\n  profile:\n"+anchors+argocd), Options{}); err != nil || m.Spec.Profile != v1alpha1.ProfileProd {
		t.Errorf("profile null: %v, %v; want prod", m, err)
	}
	_, err := Parse("spec.yaml", []byte(header+"spec:\n  profile: \"\"\n"+anchors+argocd), Options{})
	if want := `spec.yaml:6: spec.profile: an empty value is not supported (allowed: dev, prod, ha)`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("profile \"\": %v, want %q", err, want)
	}
}

// A list the user writes replaces the profile's, never merges with it.
func TestParse_listsReplace(t *testing.T) {
	spec := header + "spec:\n  restarter:\n    dataPlane: {namespaces: [shop]}\n" + anchors + argocd
	m, err := Parse("spec.yaml", []byte(spec), Options{})
	if err != nil {
		t.Fatal(err)
	}
	dp := m.Spec.Restarter.DataPlane
	if diff := cmp.Diff([]string{"shop"}, dp.Namespaces); diff != "" || dp.AllMeshed {
		t.Errorf("namespaces %v, allMeshed %v", dp.Namespaces, dp.AllMeshed)
	}
}

// Argo Rollouts support is off unless asked for: it grants the restarter
// rights on argoproj.io rollouts.
func TestParse_argoRollouts(t *testing.T) {
	for spec, want := range map[string]bool{
		header + "spec:\n" + anchors + argocd:                                    false,
		header + "spec:\n  restarter: {argoRollouts: true}\n" + anchors + argocd: true,
	} {
		m, err := Parse("spec.yaml", []byte(spec), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if m.Spec.Restarter.ArgoRollouts != want {
			t.Errorf("argoRollouts %v, want %v in\n%s", m.Spec.Restarter.ArgoRollouts, want, spec)
		}
	}
}

// YAML merge keys work as in kubectl: the mapping's own keys win over the
// merged ones, the first merged mapping over later ones.
func TestParse_mergeKeys(t *testing.T) {
	fleet := header + "spec:\n" + strings.ReplaceAll(anchors, "selfSigned: {}", "secret: {name: root}") + argocd +
		"  clusters:\n" +
		"    - &east {name: east, server: \"https://east:6443\"}\n" +
		"    - &lab {name: lab, server: \"https://lab:6443\"}\n" +
		"    - <<: *east\n      name: west\n" +
		"    - <<: [*lab, *east]\n      name: dev\n"
	m, err := Parse("spec.yaml", []byte(fleet), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []v1alpha1.Cluster{{Name: "east", Server: "https://east:6443"}, {Name: "lab", Server: "https://lab:6443"},
		{Name: "west", Server: "https://east:6443"}, {Name: "dev", Server: "https://lab:6443"}}
	if diff := cmp.Diff(want, m.Spec.Clusters); diff != "" {
		t.Errorf("clusters (-want +got):\n%s", diff)
	}

	for spec, problem := range map[string]string{
		// A merged mapping is checked like any other, where it is written.
		header + "spec:\n" + anchors + argocd + "  clusters:\n    - &c {name: east, sever: x}\n    - <<: *c\n      name: west\n": "spec.yaml:11: spec.clusters[0].sever: unknown field",
		header + "spec:\n" + anchors + argocd + "  clusters:\n    - &c\n      name: x\n      <<: *c\n":                           "spec.yaml:13: spec.clusters[0].<<: merges the mapping it is part of",
		header + "spec:\n" + anchors + argocd + "  clusters:\n    - <<: 5\n      name: west\n":                                   "spec.yaml:11: spec.clusters[0].<<: a merge key takes a mapping or a list of mappings (<<: *anchor)",
		header + "spec:\n" + anchors + argocd + "  clusters:\n    - {\"<<\": {server: x}, name: west}\n":                         `spec.yaml:11: spec.clusters[0].<<: unknown field`,
	} {
		_, err := Parse("spec.yaml", []byte(spec), Options{})
		if err == nil || !strings.Contains(err.Error(), problem) {
			t.Errorf("got %v, want a problem %q in\n%s", err, problem, spec)
		}
	}
}

// Nested merges through many aliases resolve each mapping once: forty
// levels of ten references each would otherwise mean 10^40 merges (the test
// would never end), from a file of a few kilobytes.
func TestParse_nestedMergesResolveOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString(header + "x-defaults:\n  m0: &m0 {server: \"https://west:6443\"}\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "  m%d: &m%d {<<: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d,", i-1), 10), ","))
	}
	b.WriteString("spec:\n" + strings.ReplaceAll(anchors, "selfSigned: {}", "secret: {name: root}") + argocd +
		"  clusters:\n    - <<: *m40\n      name: west\n")
	_, err := Parse("spec.yaml", []byte(b.String()), Options{})
	// The merged cluster is whole; the only problem is the top-level key
	// that holds the anchors.
	if err == nil || !strings.Contains(err.Error(), "x-defaults: unknown field") || strings.Contains(err.Error(), "spec.clusters") {
		t.Errorf("got %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	root := testutil.RepoRoot(t)
	if _, err := LoadFile(filepath.Join(root, "examples", "prod.yaml"), nil, Options{}); err != nil {
		t.Errorf("examples/prod.yaml: %v", err)
	}
	_, err := LoadFile(filepath.Join(t.TempDir(), "missing.yaml"), nil, Options{})
	if le, ok := AsError(err); !ok || !strings.HasSuffix(le.Error(), "missing.yaml: cannot read: no such file") {
		t.Errorf("missing file: %v", err)
	}
	raw, _ := os.ReadFile(filepath.Join(root, "examples", "dev.yaml"))
	m, err := LoadFile("-", strings.NewReader(string(raw)), Options{})
	if err != nil || m.Metadata.Name != "dev" {
		t.Errorf("stdin: %v", err)
	}
	_, err = LoadFile("-", strings.NewReader("kind: x\n"), Options{})
	if le, ok := AsError(err); !ok || le.Problems[0].File != StdinName {
		t.Errorf("stdin problems must name %s: %v", StdinName, err)
	}
}

// Tags that say what the text already is are read: !!str on a string, and
// !!float on a whole number (which is no "out of range").
func TestParse_harmlessTags(t *testing.T) {
	m, err := Parse("spec.yaml", []byte(header+"spec:\n  profile: !!str dev\n  linkerd:\n    controlPlane: {replicas: !!float 3}\n"+anchors+argocd), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Spec.Profile != "dev" || m.Spec.Linkerd.ControlPlane.Replicas == nil || *m.Spec.Linkerd.ControlPlane.Replicas != 3 {
		t.Errorf("profile %q, replicas %v", m.Spec.Profile, m.Spec.Linkerd.ControlPlane.Replicas)
	}
}

// Problems on one line come in the order a reader counts list items.
func TestComparePaths(t *testing.T) {
	paths := []string{"spec.clusters[10].name", "spec.b", "spec.clusters[2].server", "spec.clusters[2].name", "spec.clusters[1].name", "spec.a[0]", "spec.clusters[10].a"}
	slices.SortFunc(paths, comparePaths)
	want := []string{"spec.a[0]", "spec.b", "spec.clusters[1].name", "spec.clusters[2].name", "spec.clusters[2].server", "spec.clusters[10].a", "spec.clusters[10].name"}
	if !slices.Equal(paths, want) {
		t.Errorf("sorted %v, want %v", paths, want)
	}
}
