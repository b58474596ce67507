package generator

import (
	"path"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// Helm repositories and sources of the prerequisites.
const (
	JetstackRepo     = "https://charts.jetstack.io"
	GatewayAPIRepo   = "https://github.com/kubernetes-sigs/gateway-api.git"
	gatewayAPIPath   = "config/crd/standard"
	PluginName       = "mtlsgen-v1" // <ConfigManagementPlugin name>-<version>
	RenderedDir      = "rendered"   // mtlsgen render -o dir=rendered, next to the spec
	LabelStage       = "mtlsgen.dev/stage"
	LabelCluster     = "mtlsgen.dev/cluster"
	LabelComponent   = "mtlsgen.dev/component"
	componentMeshApp = "mesh"
)

// Stages order the Applications of a cluster. Progressive sync steps through
// them; without it, retries let later stages wait for earlier ones.
var Stages = []string{"prerequisites", "certificates", "control-plane", "extensions"}

// Source kinds of an Application, as the ApplicationSet's templatePatch knows
// them.
const (
	sourceHelm     = "helm"
	sourceGit      = "git"
	sourcePlugin   = "plugin"
	sourceRendered = "rendered"
)

// AppComponent is one Application per cluster: an element of the
// ApplicationSet's component list.
type AppComponent struct {
	Component      string
	Namespace      string
	Stage          string
	Kind           string
	RepoURL        string
	TargetRevision string
	Chart          string // helm
	ReleaseName    string // helm
	Values         map[string]any
	Path           string // git, plugin, rendered
	SyncOptions    []string
}

// element is the component as a list generator element: exactly the keys
// the template and the templatePatch read for its kind, since with
// missingkey=error a key the executed template reads must exist (and one it
// does not read is noise).
func (c AppComponent) element(specFile string) map[string]any {
	e := map[string]any{
		"component": c.Component, "namespace": c.Namespace, "stage": c.Stage, "kind": c.Kind,
		"repoURL": c.RepoURL, "targetRevision": c.TargetRevision, "syncOptions": c.SyncOptions,
	}
	switch c.Kind {
	case sourceHelm:
		e["chart"], e["releaseName"], e["values"] = c.Chart, c.ReleaseName, c.Values
	case sourcePlugin:
		e["path"], e["specFile"] = c.Path, specFile
	default:
		e["path"] = c.Path
	}
	return e
}

// ReadsSpecThroughPlugin reports whether an Application of the
// ApplicationSet renders this spec with the mtlsgen plugin, reading
// argocd.specFile in argocd.path: then those two must name the spec.
func ReadsSpecThroughPlugin(m *v1alpha1.MeshTLS) bool {
	return slices.ContainsFunc(AppComponents(m), func(c AppComponent) bool { return c.Kind == sourcePlugin })
}

// AppComponents lists the Applications each cluster gets, in stage order.
// With argocd.source: rendered, every Helm chart's Application reads the
// directory `mtlsgen render --hydrate -o dir=rendered` wrote for it,
// PATH/rendered/clusters/CLUSTER/COMPONENT, instead of the chart.
func AppComponents(m *v1alpha1.MeshTLS) []AppComponent {
	out := appComponents(m)
	a := m.Spec.ArgoCD
	if a.Source != v1alpha1.SourceRendered {
		return out
	}
	for i, c := range out {
		if c.Kind == sourceHelm {
			out[i] = AppComponent{Component: c.Component, Namespace: c.Namespace, Stage: c.Stage,
				Kind: sourceRendered, RepoURL: a.RepoURL, TargetRevision: a.TargetRevision,
				Path: path.Join(a.Path, RenderedDir, "clusters"), SyncOptions: c.SyncOptions}
		}
	}
	return out
}

// HelmChart is a Helm chart an Application installs in every cluster, with
// the values it is installed with.
type HelmChart struct {
	// Component is the Application's component: the directory
	// CLUSTER/COMPONENT its hydrated manifests go to.
	Component string
	// Chart, Repo and Version say which chart: its name, Helm repository
	// (https:// or oci://) and pinned version.
	Chart, Repo, Version string
	// ReleaseName and Namespace are the release's.
	ReleaseName, Namespace string
	// Values are the values, as plain data.
	Values map[string]any
}

// HelmCharts lists the Helm charts AppComponents installs in each cluster,
// in stage order, whatever argocd.source is: what `mtlsgen charts pull`
// downloads and `mtlsgen render --hydrate` renders.
func HelmCharts(m *v1alpha1.MeshTLS) []HelmChart {
	var out []HelmChart
	for _, c := range appComponents(m) {
		if c.Kind == sourceHelm {
			out = append(out, HelmChart{Component: c.Component, Chart: c.Chart, Repo: c.RepoURL, Version: c.TargetRevision,
				ReleaseName: c.ReleaseName, Namespace: c.Namespace, Values: c.Values})
		}
	}
	return out
}

// appComponents lists the Applications with every chart as a Helm source.
func appComponents(m *v1alpha1.MeshTLS) []AppComponent {
	s := &m.Spec
	a := s.ArgoCD
	r := s.Linkerd.Release()
	trustNS := s.Trust.Namespace
	// Server-side apply everywhere: cert-manager's and Linkerd's CRDs are
	// larger than the 262 kB last-applied annotation client-side apply
	// needs, and a Namespace labelled by one Application and created by
	// another merges instead of flapping.
	ssa := []string{"ServerSideApply=true"}
	// The trust namespace is nobody else's: its Applications create it.
	ssaCreateNS := []string{"ServerSideApply=true", "CreateNamespace=true"}

	var out []AppComponent
	helm := func(stage, chart, repo, version, ns string, values map[string]any, opts []string) AppComponent {
		return AppComponent{Component: chart, Namespace: ns, Stage: stage, Kind: sourceHelm, RepoURL: repo,
			TargetRevision: version, Chart: chart, ReleaseName: chart, Values: values, SyncOptions: opts}
	}
	if v1alpha1.IsEnabled(a.CertManager.Install) {
		values := map[string]any{
			// The chart installs no CRDs unless told; keep them if the
			// release is ever deleted, or every Certificate goes with them.
			"crds": map[string]any{"enabled": true, "keep": true},
			// ClusterIssuers find their CA Secrets here: the anchors.
			"clusterResourceNamespace": trustNS,
		}
		if s.Monitoring.PrometheusRule {
			values["prometheus"] = certManagerServiceMonitor(s.Monitoring)
		}
		out = append(out, helm(Stages[0], "cert-manager", JetstackRepo, a.CertManager.Version, trustNS, values, ssaCreateNS))
	}
	if v1alpha1.IsEnabled(a.TrustManager.Install) {
		out = append(out, helm(Stages[0], "trust-manager", JetstackRepo, a.TrustManager.Version, trustNS, map[string]any{
			// trust-manager reads sources only from its trust namespace,
			// where the anchors are.
			"app":  map[string]any{"trust": map[string]any{"namespace": trustNS}},
			"crds": map[string]any{"enabled": true},
		}, ssaCreateNS))
	}
	if !r.BundlesGatewayAPI && v1alpha1.IsEnabled(a.GatewayAPI.Install) {
		version := a.GatewayAPI.Version
		if version == "" {
			version = r.GatewayAPIVersion
		}
		out = append(out, AppComponent{Component: "gateway-api", Namespace: "", Stage: Stages[0], Kind: sourceGit,
			RepoURL: GatewayAPIRepo, TargetRevision: version, Path: gatewayAPIPath, SyncOptions: ssa})
	}
	values := LinkerdValues(s, m.Metadata.Name)
	crds := values[0]
	out = append(out, helm(Stages[0], crds.Chart, crds.Repo, crds.Version, crds.Namespace, crds.Values, ssa))

	mesh := AppComponent{Component: componentMeshApp, Namespace: s.Linkerd.Namespace, Stage: Stages[1],
		RepoURL: a.RepoURL, TargetRevision: a.TargetRevision, Path: a.Path, SyncOptions: ssa}
	if a.Source == v1alpha1.SourceRendered {
		mesh.Kind = sourceRendered
		mesh.Path = path.Join(a.Path, RenderedDir, "clusters")
	} else {
		mesh.Kind = sourcePlugin
	}
	out = append(out, mesh)

	for _, v := range values[1:] {
		stage := Stages[3]
		if v.Chart == v1alpha1.ChartControlPlane {
			stage = Stages[2]
		}
		out = append(out, helm(stage, v.Chart, v.Repo, v.Version, v.Namespace, v.Values, ssa))
	}
	return out
}

// templatePatch fills in what differs by source kind, which plain string
// templating cannot: the Helm block with its values object, the plugin
// block, or a directory. Argo CD renders it with the same parameters and
// merges it over the template.
const templatePatch = `spec:
  source:
    repoURL: {{ .repoURL | quote }}
    targetRevision: {{ .targetRevision | quote }}
{{- if eq .kind "helm" }}
    chart: {{ .chart | quote }}
    helm:
      releaseName: {{ .releaseName | quote }}
      valuesObject: {{ toJson .values }}
{{- else if eq .kind "plugin" }}
    path: {{ .path | quote }}
    plugin:
      name: ` + PluginName + `
      parameters:
        - name: spec
          string: {{ .specFile | quote }}
        - name: cluster
          string: {{ .name | quote }}
        - name: component
          string: mesh
{{- else if eq .kind "rendered" }}
    path: {{ printf "%s/%s/%s" .path .name .component | quote }}
    directory:
      include: "*.yaml"
{{- else }}
    path: {{ .path | quote }}
    directory:
      include: "*.yaml"
{{- end }}
  syncPolicy:
    syncOptions: {{ toJson .syncOptions }}
`

// applicationSet is the one ApplicationSet that installs everything on every
// cluster: a matrix of the clusters and the components.
func applicationSet(m *v1alpha1.MeshTLS, _ Options) []Object {
	s := &m.Spec
	a := s.ArgoCD
	if !v1alpha1.IsEnabled(a.Enabled) {
		return nil
	}
	var clusters ApplicationSetGenerator
	// nameParam names a cluster in Application names and labels: listed
	// clusters are DNS-1123 labels already; a cluster Secret's name may be
	// anything (an EKS ARN), and Argo CD offers it normalized.
	nameParam, clusterLabel := "{{ .name }}", "{{ .name }}"
	if a.ClusterSelector != nil {
		// Clusters come from Argo CD's cluster Secrets: adding a cluster
		// is labelling its Secret, not editing this spec.
		clusters.Clusters = &ClusterGenerator{Selector: *a.ClusterSelector}
		nameParam = "{{ .nameNormalized }}"
		// A label value holds 63 characters, ending in a letter or digit;
		// a normalized EKS ARN can be longer.
		clusterLabel = `{{ regexReplaceAll "[-.]+$" (.nameNormalized | trunc 63) "" }}`
	} else {
		var elements []map[string]any
		for _, c := range s.Clusters {
			elements = append(elements, map[string]any{"name": c.Name, "server": c.Server})
		}
		clusters.List = &ListGenerator{Elements: elements}
	}
	var components []map[string]any
	for _, c := range AppComponents(m) {
		components = append(components, c.element(a.SpecFile))
	}
	set := &ApplicationSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: ArgoAPIVersion, Kind: "ApplicationSet"},
		ObjectMeta: objectMeta(m.Metadata.Name, a.Namespace),
		Spec: ApplicationSetSpec{
			// Go templates with missingkey=error: a misspelt parameter
			// fails the ApplicationSet instead of deploying "<no value>".
			GoTemplate:        true,
			GoTemplateOptions: []string{"missingkey=error"},
			Generators: []ApplicationSetGenerator{{Matrix: &MatrixGenerator{Generators: []ApplicationSetGenerator{
				clusters, {List: &ListGenerator{Elements: components}},
			}}}},
			Template: ApplicationSetTemplate{
				ApplicationSetTemplateMeta: ApplicationSetTemplateMeta{
					Name: v1alpha1.ApplicationName(m.Metadata.Name, nameParam, "{{ .component }}"),
					Labels: map[string]string{
						LabelManagedBy: ManagedByValue,
						LabelStage:     "{{ .stage }}",
						LabelCluster:   clusterLabel,
						LabelComponent: "{{ .component }}",
					},
				},
				Spec: ApplicationSpec{
					Project:     a.Project,
					Destination: ApplicationDestination{Server: "{{ .server }}", Namespace: "{{ .namespace }}"},
					SyncPolicy: &SyncPolicy{
						Automated: &SyncPolicyAutomated{Prune: true, SelfHeal: true},
						// The ApplicationSet controller ignores sync waves
						// between Applications, so a component whose CRDs
						// or webhooks another one installs fails at first.
						// Retry long enough for cert-manager's webhook to
						// start (a minute or two) and the CRDs to land.
						// Argo CD v3.6 retries a failed sync Limit times
						// and waits Duration*Factor^n, at most
						// MaxDuration, before retry n (NextRetryAt with
						// the RetryCount it has already incremented; its
						// status message names the time one doubling
						// earlier): 30s, 1m, 2m, 4m, then 5m six times,
						// 37.5 minutes in all.
						Retry: &RetryStrategy{Limit: 10, Backoff: &Backoff{Duration: "15s", Factor: 2, MaxDuration: "5m"}},
					},
				},
			},
			TemplatePatch: templatePatch,
			// Deleting an Application (a cluster leaving the list) must not
			// delete the mesh's issuer and trust bundle under running pods.
			SyncPolicy: &ApplicationSetSyncPolicy{PreserveResourcesOnDeletion: true},
		},
	}
	if a.ProgressiveSync {
		// Needs the ApplicationSet controller's progressive-syncs feature
		// (--enable-progressive-syncs); each stage waits for the previous
		// one to be Healthy.
		steps := make([]ApplicationSetRolloutStep, len(Stages))
		for i, st := range Stages {
			steps[i] = ApplicationSetRolloutStep{MatchExpressions: []ApplicationMatchExpression{{Key: LabelStage, Operator: "In", Values: []string{st}}}}
		}
		set.Spec.Strategy = &ApplicationSetStrategy{Type: "RollingSync", RollingSync: &ApplicationSetRolloutStrategy{Steps: steps}}
	}
	return []Object{{Component: ComponentArgoCD, Object: set}}
}

// certManagerServiceMonitor has the cert-manager chart create a
// ServiceMonitor, so that the certificate metrics the alerts read are
// scraped. honorLabels keeps the Certificate's namespace in the metrics'
// namespace label; without it Prometheus moves it to exported_namespace
// and puts cert-manager's own namespace there. The monitoring labels let the
// Prometheus's serviceMonitorSelector pick it, as its ruleSelector picks the
// PrometheusRule.
func certManagerServiceMonitor(m v1alpha1.MonitoringSpec) map[string]any {
	sm := map[string]any{"enabled": true, "honorLabels": true}
	if len(m.Labels) > 0 {
		labels := map[string]any{}
		for k, v := range m.Labels {
			labels[k] = v
		}
		sm["labels"] = labels
	}
	return map[string]any{"servicemonitor": sm}
}
