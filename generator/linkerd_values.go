package generator

import (
	"fmt"
	"hash/fnv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// ChartValues are the Helm values of one chart, the same for every cluster of
// the spec (what differs per cluster is passed by the ApplicationSet as
// template parameters, never as copies of these values).
type ChartValues struct {
	// Chart is the chart name, e.g. linkerd-control-plane.
	Chart string
	// Version is the chart version.
	Version string
	// Repo is the Helm repository URL.
	Repo string
	// Namespace is the release namespace.
	Namespace string
	// Values are the values, as plain data.
	Values map[string]any
	// Before lists what must be in the cluster before the chart is
	// installed, for whoever installs it without the ApplicationSet (whose
	// stages and waves see to it).
	Before []string
}

// LinkerdValues returns the values of every Linkerd chart the spec installs,
// in install order: CRDs, control plane, then the enabled extensions.
//
// Every certificate is external: the identity issuer and trust roots come
// from cert-manager and trust-manager (identity.externalCA, scheme
// kubernetes.io/tls, no identityTrustAnchorsPEM), and each webhook's serving
// certificate from cert-manager with its CA injected by cainjector
// (externalSecret + injectCaFrom). So the charts render no certificate, no
// caBundle and nothing random: the output is the same on every render and
// Argo CD never sees a drift.
func LinkerdValues(s *v1alpha1.MeshTLSSpec, specName string) []ChartValues {
	r := s.Linkerd.Release()
	l := s.Linkerd
	out := []ChartValues{
		{Chart: v1alpha1.ChartCRDs, Version: r.Charts.CRDs, Repo: r.HelmRepo, Namespace: l.Namespace, Values: crdsValues(s, r), Before: crdsBefore(s, r)},
		{Chart: v1alpha1.ChartControlPlane, Version: r.Charts.ControlPlane, Repo: r.HelmRepo, Namespace: l.Namespace, Values: controlPlaneValues(s, r, specName),
			Before: []string{"cert-manager and trust-manager, then the mesh objects (mtlsgen render FILE --component mesh): its namespace, identity issuer, trust roots and webhook certificates"}},
	}
	webhooks := webhooksByChart(s)
	ext := l.Extensions
	if ext.Viz.Enabled {
		v := map[string]any{"linkerdNamespace": l.Namespace}
		addInjectedCA(v, webhooks[v1alpha1.ChartViz])
		noNamespaceJob(v, r)
		out = append(out, ChartValues{Chart: v1alpha1.ChartViz, Version: r.Charts.Viz, Repo: r.HelmRepo, Namespace: ext.Viz.Namespace, Values: v})
	}
	if ext.Multicluster.Enabled {
		gw := ext.Multicluster.Gateway
		v := map[string]any{
			"linkerdNamespace": l.Namespace,
			// Linked clusters must agree on the trust domain: the gateway
			// identity is linkerd-gateway.NS.serviceaccount.identity.NS.DOMAIN.
			"identityTrustDomain": l.TrustDomain,
			"gateway":             gatewayValues(gw),
		}
		noNamespaceJob(v, r)
		out = append(out, ChartValues{Chart: v1alpha1.ChartMulticluster, Version: r.Charts.Multicluster, Repo: r.HelmRepo, Namespace: ext.Multicluster.Namespace, Values: v})
	}
	if ext.Jaeger.Enabled && r.HasJaeger() {
		v := map[string]any{"linkerdNamespace": l.Namespace}
		addInjectedCA(v, webhooks[v1alpha1.ChartJaeger])
		noNamespaceJob(v, r)
		out = append(out, ChartValues{Chart: v1alpha1.ChartJaeger, Version: r.Charts.Jaeger, Repo: r.HelmRepo, Namespace: ext.Jaeger.Namespace, Values: v})
	}
	return out
}

// crdsBefore: from 2.19 linkerd-crds leaves out the Gateway API CRDs, which
// Linkerd needs installed first (its CLI prints the same command).
func crdsBefore(s *v1alpha1.MeshTLSSpec, r v1alpha1.LinkerdRelease) []string {
	if r.BundlesGatewayAPI {
		return nil
	}
	version := s.ArgoCD.GatewayAPI.Version
	if version == "" {
		version = r.GatewayAPIVersion
	}
	return []string{fmt.Sprintf("the Gateway API CRDs %s, unless the cluster has them: kubectl apply --server-side -f %s/releases/download/%s/standard-install.yaml",
		version, strings.TrimSuffix(GatewayAPIRepo, ".git"), version)}
}

// crdsValues: linkerd-crds installs the Gateway API CRDs up to 2.18,
// unless told not to, which clusters that already manage Gateway API need
// (argocd.gatewayAPI.install: false), lest two owners apply them; from 2.19
// they are installed first, by their own Application, and it is told so
// explicitly rather than trusted to the chart default.
func crdsValues(s *v1alpha1.MeshTLSSpec, r v1alpha1.LinkerdRelease) map[string]any {
	v := map[string]any{}
	if !r.BundlesGatewayAPI || !v1alpha1.IsEnabled(s.ArgoCD.GatewayAPI.Install) {
		for _, k := range r.GatewayAPIValues {
			v[k] = false
		}
	}
	return v
}

func controlPlaneValues(s *v1alpha1.MeshTLSSpec, r v1alpha1.LinkerdRelease, specName string) map[string]any {
	ii := s.IdentityIssuer
	cp := s.Linkerd.ControlPlane
	v := map[string]any{
		"identityTrustDomain": s.Linkerd.TrustDomain,
		"identity": map[string]any{
			// The trust roots ConfigMap comes from trust-manager, so the
			// chart must not render its own.
			"externalCA": true,
			"issuer": map[string]any{
				// Read tls.crt/tls.key from the Secret cert-manager
				// writes; the chart then renders no issuer Secret.
				"scheme":             "kubernetes.io/tls",
				"issuanceLifetime":   ii.IssuanceLifetime.MustParse().String(),
				"clockSkewAllowance": ii.ClockSkewAllowance.MustParse().String(),
			},
		},
		// A fixed schedule: left unset, the chart derives it from the
		// render time, and every render (every Argo CD refresh) differs.
		"heartbeatSchedule":     HeartbeatSchedule(specName),
		"controllerReplicas":    *cp.Replicas,
		"enablePodAntiAffinity": *cp.PodAntiAffinity,
		"webhookFailurePolicy":  string(cp.WebhookFailurePolicy),
	}
	if *cp.Replicas > 1 {
		// As values-ha.yaml sets it: the chart records it in linkerd-config,
		// and linkerd check runs its high-availability checks only then.
		v["highAvailability"] = true
	}
	if *cp.PodDisruptionBudget {
		v["enablePodDisruptionBudget"] = true
		// values-ha.yaml: roll one replica at a time, which is what the
		// disruption budget allows.
		v["deploymentStrategy"] = map[string]any{"rollingUpdate": map[string]any{"maxUnavailable": 1, "maxSurge": "25%"}}
		if r.Since216Keys {
			v["controller"] = map[string]any{"podDisruptionBudget": map[string]any{"maxUnavailable": 1}}
		}
	}
	res := cp.Resources
	for key, rr := range map[string]corev1.ResourceRequirements{
		"destinationResources":   res.Controller,
		"proxyInjectorResources": res.Controller,
		"spValidatorResources":   res.Controller,
		"heartbeatResources":     res.Controller,
		"identityResources":      res.Identity,
	} {
		if lr := linkerdResources(rr); lr != nil {
			v[key] = lr
		}
	}
	// Every namespace mtlsgen does not list gets this; listed namespaces
	// carry their own policy as an annotation.
	proxy := map[string]any{"defaultInboundPolicy": s.Mesh.ClusterDefaultPolicy()}
	if lr := linkerdResources(res.Proxy); lr != nil {
		proxy["resources"] = lr
	}
	v["proxy"] = proxy
	addInjectedCA(v, webhooksByChart(s)[v1alpha1.ChartControlPlane])
	return v
}

// addInjectedCA switches each webhook of a chart to the Secret cert-manager
// writes (externalSecret) and has cainjector inject its CA (injectCaFrom:
// NAMESPACE/CERTIFICATE). No caBundle is rendered, so Argo CD sees no diff
// when cainjector fills it in.
func addInjectedCA(v map[string]any, webhooks []Webhook) {
	for _, w := range webhooks {
		v[w.ValuesKey] = map[string]any{
			"externalSecret": true,
			"injectCaFrom":   w.Namespace + "/" + w.Certificate,
		}
	}
}

func webhooksByChart(s *v1alpha1.MeshTLSSpec) map[string][]Webhook {
	out := map[string][]Webhook{}
	for _, w := range Webhooks(s) {
		out[w.Chart] = append(out[w.Chart], w)
	}
	return out
}

// noNamespaceJob turns off the extension's post-install Job that labels its
// namespace: mtlsgen creates the namespace with those labels, and the Job
// needs RBAC on Namespaces and the linkerd-config ConfigMap for nothing.
func noNamespaceJob(v map[string]any, r v1alpha1.LinkerdRelease) {
	if r.Since216Keys {
		v["createNamespaceMetadataJob"] = false
	}
}

func gatewayValues(gw v1alpha1.GatewaySpec) map[string]any {
	if !v1alpha1.IsEnabled(gw.Enabled) {
		return map[string]any{"enabled": false}
	}
	return map[string]any{"enabled": true, "serviceType": string(gw.ServiceType)}
}

// linkerdResources converts Kubernetes resource requirements to the chart's
// shape: {cpu: {request, limit}, memory: {request, limit}}.
func linkerdResources(rr corev1.ResourceRequirements) map[string]any {
	out := map[string]any{}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		e := map[string]any{}
		if q, ok := rr.Requests[name]; ok {
			e["request"] = q.String()
		}
		if q, ok := rr.Limits[name]; ok {
			e["limit"] = q.String()
		}
		if len(e) > 0 {
			out[string(name)] = e
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// HeartbeatSchedule is the fixed daily schedule of Linkerd's heartbeat
// CronJob: a minute and hour derived from the spec's name, so the chart
// renders the same bytes every time while different meshes do not all call
// home at the same minute.
func HeartbeatSchedule(specName string) string {
	h := fnv.New32a()
	h.Write([]byte(specName))
	sum := h.Sum32()
	return fmt.Sprintf("%d %d * * *", sum%60, (sum/60)%24)
}
