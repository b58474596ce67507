package generator_test

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/appsettest"
	"github.com/mtlsgen/mtlsgen/internal/invariants"
)

func applicationSetOf(t *testing.T, m *v1alpha1.MeshTLS) *generator.ApplicationSet {
	t.Helper()
	for _, o := range byCluster(t, m)[""] {
		if set, ok := o.Object.(*generator.ApplicationSet); ok {
			return set
		}
	}
	t.Fatal("no ApplicationSet rendered")
	return nil
}

// Expand every example's ApplicationSet as Argo CD's controller would and
// check each Application it would create.
func TestApplicationSet_expandsAsArgoCDWould(t *testing.T) {
	for _, name := range exampleNames(t) {
		m := loadExample(t, name)
		if !v1alpha1.IsEnabled(m.Spec.ArgoCD.Enabled) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			apps, err := appsettest.Expand(applicationSetOf(t, m), nil)
			if err != nil {
				t.Fatal(err)
			}
			components := generator.AppComponents(m)
			if want := len(m.Spec.Clusters) * len(components); len(apps) != want {
				t.Fatalf("%d Applications, want %d (clusters × components)", len(apps), want)
			}
			checkApplications(t, m, apps, m.Spec.Clusters)
		})
	}
}

func checkApplications(t *testing.T, m *v1alpha1.MeshTLS, apps []generator.Application, clusters []v1alpha1.Cluster) {
	t.Helper()
	r := m.Spec.Linkerd.Release()
	servers := map[string]string{}
	for _, c := range clusters {
		servers[c.Name] = c.Server
	}
	seen := map[string]bool{}
	for _, app := range apps {
		name := app.Name
		if seen[name] {
			t.Errorf("duplicate Application %s", name)
		}
		seen[name] = true
		// Argo CD labels every resource app.kubernetes.io/instance=<name>.
		for _, msg := range validation.IsDNS1123Label(name) {
			t.Errorf("Application name %q: %s", name, msg)
		}
		cluster := app.Labels[generator.LabelCluster]
		if app.Spec.Destination.Server != servers[cluster] || servers[cluster] == "" {
			t.Errorf("%s: destination %s, but cluster %s is at %s", name, app.Spec.Destination.Server, cluster, servers[cluster])
		}
		if !slices.Contains(generator.Stages, app.Labels[generator.LabelStage]) {
			t.Errorf("%s: stage %q is no stage", name, app.Labels[generator.LabelStage])
		}
		sp := app.Spec.SyncPolicy
		if sp == nil || sp.Retry == nil || sp.Retry.Limit < 5 || !slices.Contains(sp.SyncOptions, "ServerSideApply=true") {
			t.Errorf("%s: sync policy %+v lacks retry or server-side apply", name, sp)
		}
		src := app.Spec.Source
		if src == nil {
			t.Errorf("%s: no source", name)
			continue
		}
		component := app.Labels[generator.LabelComponent]
		if name != v1alpha1.ApplicationName(m.Metadata.Name, cluster, component) {
			t.Errorf("Application %s is not named after %s/%s", name, cluster, component)
		}
		want := map[string][2]string{
			v1alpha1.ChartCRDs:         {r.HelmRepo, r.Charts.CRDs},
			v1alpha1.ChartControlPlane: {r.HelmRepo, r.Charts.ControlPlane},
			v1alpha1.ChartViz:          {r.HelmRepo, r.Charts.Viz},
			v1alpha1.ChartMulticluster: {r.HelmRepo, r.Charts.Multicluster},
			v1alpha1.ChartJaeger:       {r.HelmRepo, r.Charts.Jaeger},
			"cert-manager":             {generator.JetstackRepo, m.Spec.ArgoCD.CertManager.Version},
			"trust-manager":            {generator.JetstackRepo, m.Spec.ArgoCD.TrustManager.Version},
		}
		switch component {
		case "mesh":
			checkMeshSource(t, m, name, cluster, src)
		case "gateway-api":
			if src.RepoURL != generator.GatewayAPIRepo || src.TargetRevision != r.GatewayAPIVersion || src.Directory == nil {
				t.Errorf("%s: source %+v", name, src)
			}
		default:
			w, ok := want[component]
			if !ok {
				t.Errorf("%s: unknown component %s", name, component)
				continue
			}
			if m.Spec.ArgoCD.Source == v1alpha1.SourceRendered {
				// The chart's hydrated directory in the spec's repository.
				a := m.Spec.ArgoCD
				if want := a.Path + "/rendered/clusters/" + cluster + "/" + component; src.Path != want || src.Directory == nil ||
					src.RepoURL != a.RepoURL || src.TargetRevision != a.TargetRevision || src.Chart != "" || src.Helm != nil {
					t.Errorf("%s: source %+v, want directory %s in %s@%s", name, src, want, a.RepoURL, a.TargetRevision)
				}
				continue
			}
			if src.Chart != component || src.RepoURL != w[0] || src.TargetRevision != w[1] || src.Helm == nil || src.Helm.ReleaseName != component {
				t.Errorf("%s: source %s %s %s, want chart %s from %s at %s", name, src.Chart, src.RepoURL, src.TargetRevision, component, w[0], w[1])
			}
		}
	}
}

func checkMeshSource(t *testing.T, m *v1alpha1.MeshTLS, name, cluster string, src *generator.ApplicationSource) {
	t.Helper()
	a := m.Spec.ArgoCD
	if src.RepoURL != a.RepoURL || src.TargetRevision != a.TargetRevision {
		t.Errorf("%s: source %s@%s, want the spec's repository %s@%s", name, src.RepoURL, src.TargetRevision, a.RepoURL, a.TargetRevision)
	}
	if a.Source == v1alpha1.SourceRendered {
		if want := a.Path + "/rendered/clusters/" + cluster + "/mesh"; src.Path != want || src.Directory == nil {
			t.Errorf("%s: path %s, want %s", name, src.Path, want)
		}
		return
	}
	if src.Path != a.Path || src.Plugin == nil || src.Plugin.Name != generator.PluginName {
		t.Errorf("%s: plugin source %+v", name, src)
		return
	}
	params := map[string]string{}
	for _, p := range src.Plugin.Parameters {
		params[p.Name] = p.String
	}
	if params["cluster"] != cluster || params["component"] != "mesh" || params["spec"] != a.SpecFile {
		t.Errorf("%s: plugin parameters %v", name, params)
	}
}

// A misspelt parameter must fail the expansion, as missingkey=error makes
// Argo CD fail it, instead of deploying "<no value>".
func TestApplicationSet_typoFails(t *testing.T) {
	set := applicationSetOf(t, loadExample(t, "prod"))
	for name, mutate := range map[string]func(*generator.ApplicationSet){
		"template": func(s *generator.ApplicationSet) { s.Spec.Template.Spec.Destination.Server = "{{ .sever }}" },
		"templatePatch": func(s *generator.ApplicationSet) {
			s.Spec.TemplatePatch = strings.Replace(s.Spec.TemplatePatch, ".releaseName", ".relaseName", 1)
		},
		"label": func(s *generator.ApplicationSet) { s.Spec.Template.Labels[generator.LabelStage] = "{{ .stag }}" },
	} {
		t.Run(name, func(t *testing.T) {
			broken := set.DeepCopyObject().(*generator.ApplicationSet)
			mutate(broken)
			if _, err := appsettest.Expand(broken, nil); err == nil || !strings.Contains(err.Error(), "map has no entry for key") {
				t.Errorf("expansion did not fail on the typo: %v", err)
			}
		})
	}
}

// With a cluster selector, the clusters come from Argo CD's cluster Secrets,
// and the plugin renders each one it is given: every selected cluster gets
// its certificates, whatever its name.
func TestApplicationSet_clusterSelector(t *testing.T) {
	m := loadSpec(t, `apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata: {name: fleet}
spec:
  trust:
    anchors: [{name: root, active: true, secret: {name: fleet-root}}]
  argocd:
    repoURL: https://git.example.com/mesh.git
    path: fleet
    clusterSelector: {matchLabels: {mesh: prod}}
`)
	set := applicationSetOf(t, m)
	arn := "arn:aws:eks:eu-1:1:cluster/Prod" // a name as EKS clusters are often registered
	longARN := "arn:aws:eks:ap-southeast-2:123456789012:cluster/production-platform-blue"
	secrets := []appsettest.ClusterSecret{
		{Name: "east", Server: "https://east:6443", Labels: map[string]string{"mesh": "prod"}},
		{Name: "lab", Server: "https://lab:6443", Labels: map[string]string{"mesh": "dev"}},
		{Name: "west", Server: "https://west:6443", Labels: map[string]string{"mesh": "prod"}},
		{Name: arn, Server: "https://eks:443", Labels: map[string]string{"mesh": "prod"}},
		{Name: longARN, Server: "https://eks-long:443", Labels: map[string]string{"mesh": "prod"}},
	}
	apps, err := appsettest.Expand(set, secrets)
	if err != nil {
		t.Fatal(err)
	}
	if want := 4 * len(generator.AppComponents(m)); len(apps) != want {
		t.Fatalf("%d Applications, want %d: only clusters labelled mesh=prod", len(apps), want)
	}
	var named []generator.Application
	for _, app := range apps {
		if app.Spec.Destination.Server == "https://eks-long:443" {
			// 73 characters normalized: the label is cut to a valid value.
			c := app.Labels[generator.LabelCluster]
			for _, msg := range validation.IsValidLabelValue(c) {
				t.Errorf("Application %s: cluster label %q: %s", app.Name, c, msg)
			}
			if !strings.HasPrefix(app.Name, "fleet-arn-aws-eks-ap-southeast-2-123456789012-cluster-production-platform-blue-") {
				t.Errorf("Application %s is not named after the normalized cluster name", app.Name)
			}
			continue
		}
		if app.Spec.Destination.Server != "https://eks:443" {
			named = append(named, app)
			continue
		}
		// Named and labelled after Argo CD's nameNormalized.
		if c := app.Labels[generator.LabelCluster]; c != "arn-aws-eks-eu-1-1-cluster-prod" || !strings.HasPrefix(app.Name, "fleet-"+c+"-") {
			t.Errorf("Application %s labelled cluster %q", app.Name, c)
		}
		for _, msg := range validation.IsDNS1123Label(app.Name) {
			t.Errorf("Application name %q: %s", app.Name, msg)
		}
	}
	checkApplications(t, m, named, []v1alpha1.Cluster{{Name: "east", Server: "https://east:6443"}, {Name: "west", Server: "https://west:6443"}})

	for _, app := range apps {
		if app.Labels[generator.LabelComponent] != "mesh" {
			continue
		}
		cluster := ""
		for _, p := range app.Spec.Source.Plugin.Parameters {
			if p.Name == "cluster" {
				cluster = p.String
			}
		}
		objs, err := generator.RenderAll(m, generator.Options{Cluster: cluster, Component: generator.ComponentMesh})
		if err != nil {
			t.Fatalf("%s: the plugin cannot render cluster %q: %v", app.Name, cluster, err)
		}
		if !slices.ContainsFunc(objs, func(o generator.Object) bool {
			return o.Object.GetObjectKind().GroupVersionKind().Kind == "Certificate" && o.Object.GetName() == generator.IdentityIssuerName && o.Cluster == cluster
		}) {
			t.Errorf("%s: cluster %q gets no identity issuer Certificate (%d objects)", app.Name, cluster, len(objs))
		}
	}

	// A name no cluster has, that would end the comment heading each
	// document and write YAML of its own into the output, is refused.
	for _, name := range []string{"x\n---\nkind: ConfigMap", "tab\there", "nel\u0085", "ls\u2028", strings.Repeat("c", 254)} {
		if _, err := generator.RenderAll(m, generator.Options{Cluster: name}); err == nil || !strings.Contains(err.Error(), "a cluster name must be at most 253 bytes of printable characters") {
			t.Errorf("cluster %q: %v", name, err)
		}
	}
}

// A fleet of N clusters is one ApplicationSet whose Linkerd values appear
// once, not N copies.
func TestApplicationSet_fleetIsOneObject(t *testing.T) {
	m := loadExample(t, "multicluster")
	fleet := byCluster(t, m)[""]
	if len(fleet) != 1 {
		t.Fatalf("%d fleet objects, want the one ApplicationSet", len(fleet))
	}
	out := string(mustYAML(t, fleet[0]))
	if n := strings.Count(out, "identityTrustDomain"); n != 2 { // control plane and multicluster, once each
		t.Errorf("the values appear %d times", n)
	}
}

func TestApplicationSet_progressiveSync(t *testing.T) {
	set := applicationSetOf(t, loadExample(t, "ha"))
	st := set.Spec.Strategy
	if st == nil || st.Type != "RollingSync" || len(st.RollingSync.Steps) != len(generator.Stages) {
		t.Fatalf("strategy %+v", st)
	}
	for i, step := range st.RollingSync.Steps {
		e := step.MatchExpressions[0]
		if e.Key != generator.LabelStage || e.Operator != "In" || e.Values[0] != generator.Stages[i] {
			t.Errorf("step %d: %+v", i, e)
		}
	}
	if applicationSetOf(t, loadExample(t, "prod")).Spec.Strategy != nil {
		t.Error("progressive sync without progressiveSync: true")
	}
}

// The injectCaFrom values each name a Certificate the certificate plane
// emits for that webhook (invariant 1, and invariant 2's Secret and DNS name).
func TestValues_injectCaFromNamesTheCertificates(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			m := loadExample(t, name)
			var refs []string
			for _, cv := range generator.LinkerdValues(&m.Spec, m.Metadata.Name) {
				for _, w := range generator.Webhooks(&m.Spec) {
					if w.Chart != cv.Chart {
						continue
					}
					block, ok := cv.Values[w.ValuesKey].(map[string]any)
					if !ok || block["externalSecret"] != true {
						t.Errorf("%s: %s.externalSecret is not true", cv.Chart, w.ValuesKey)
						continue
					}
					ref, _ := block["injectCaFrom"].(string)
					if ref != w.Namespace+"/"+w.Certificate {
						t.Errorf("%s: %s.injectCaFrom is %q, want %s/%s", cv.Chart, w.ValuesKey, ref, w.Namespace, w.Certificate)
					}
					refs = append(refs, ref)
				}
			}
			if len(refs) != len(generator.Webhooks(&m.Spec)) {
				t.Errorf("%d webhooks have injectCaFrom, want %d", len(refs), len(generator.Webhooks(&m.Spec)))
			}
			for _, c := range clusterNames(byCluster(t, m)) {
				for _, v := range invariants.CheckCluster(plain(t, byCluster(t, m)[c]), invariantOptions(m)) {
					t.Errorf("cluster %s: %s", c, v)
				}
			}
		})
	}
}

func mustYAML(t *testing.T, o generator.Object) []byte {
	t.Helper()
	b, err := generator.EncodeYAML(o.Object)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The validator bounds Application names with the longest component name;
// every component of every example must fit under it (a multicluster one
// enables every extension).
func TestAppComponents_fitTheNameBound(t *testing.T) {
	for _, name := range exampleNames(t) {
		for _, c := range generator.AppComponents(loadExample(t, name)) {
			if len(c.Component) > len(v1alpha1.LongestAppComponent) {
				t.Errorf("%s: component %q is longer than v1alpha1.LongestAppComponent %q", name, c.Component, v1alpha1.LongestAppComponent)
			}
		}
	}
}
