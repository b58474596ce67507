package helmengine

import (
	"encoding/json"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/mtlsgen/mtlsgen/internal/charts"
)

// Render renders a chart as `helm template RELEASE CHART --namespace NS
// --kube-version V --api-versions ... --include-crds -f VALUES` prints it,
// which is how Argo CD renders a Helm source: CRDs first, then the
// templates in Helm's install order (Namespace, ..., CustomResourceDefinition,
// ..., Deployment, ...), then the hooks with their helm.sh/hook annotations
// (Argo CD maps them onto its own sync hooks).
//
// Before rendering it checks the chart is the one requested, the chart's
// kubeVersion constraint against the Kubernetes version, and the values
// against the chart's values.schema.json (Helm's own check, with every
// failing value reported). It renders twice and refuses a chart whose two
// renders differ: committed manifests that change on every render would
// make every pull request noisy and every sync a change.
func Render(r charts.RenderRequest) charts.RenderResult {
	fail := func(format string, args ...any) charts.RenderResult {
		return charts.RenderResult{Error: &charts.RenderError{Message: fmt.Sprintf(format, args...)}}
	}
	kv, err := chartutil.ParseKubeVersion(fullVersion(r.KubeVersion))
	if err != nil {
		return fail("Kubernetes version %q: %v", r.KubeVersion, err)
	}
	ch, err := loader.Load(r.Path)
	if err != nil {
		return fail("loading %s: %v", r.Path, err)
	}
	if md := ch.Metadata; md.Name != r.Chart || strings.TrimPrefix(md.Version, "v") != strings.TrimPrefix(r.Version, "v") {
		return fail("%s holds chart %s version %s, not the %s %s the spec pins", r.Path, md.Name, md.Version, r.Chart, r.Version)
	}
	if c := ch.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, kv.Version) {
		return fail("the chart requires Kubernetes %s, and it is rendered for %s (spec.kubeVersion)", c, kv.Version)
	}
	if e := validateValues(ch, copyValues(r.Values)); e != nil {
		return charts.RenderResult{Error: e}
	}
	var manifests [2]string
	for i := range manifests {
		// A fresh chart each time: installing processes its
		// dependencies in place.
		ch, err := loader.Load(r.Path)
		if err != nil {
			return fail("loading %s: %v", r.Path, err)
		}
		if manifests[i], err = template(ch, r, kv); err != nil {
			return fail("%v", err)
		}
	}
	if manifests[0] != manifests[1] {
		return fail("the chart renders differently every time (%s): its output cannot be committed; "+
			"set the values that pin what it generates (a schedule, a certificate, a random name)", firstDifference(manifests[0], manifests[1]))
	}
	return charts.RenderResult{Manifest: manifests[0]}
}

// template runs Helm's install action in client-only mode, as `helm
// template` does, and prints the release as it does: the manifest, then
// each hook under its "# Source:" line.
func template(ch *chart.Chart, r charts.RenderRequest, kv *chartutil.KubeVersion) (string, error) {
	cfg := &action.Configuration{Log: func(string, ...any) {}}
	in := action.NewInstall(cfg)
	in.DryRun, in.DryRunOption, in.ClientOnly, in.Replace = true, "client", true, true
	in.IncludeCRDs = true
	in.SkipSchemaValidation = true // validateValues did it, reporting every value
	in.ReleaseName, in.Namespace = r.ReleaseName, r.Namespace
	in.KubeVersion = kv
	in.APIVersions = chartutil.VersionSet(r.APIVersions)
	rel, err := in.Run(ch, copyValues(r.Values))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintln(&b, strings.TrimSpace(rel.Manifest))
	for _, h := range rel.Hooks {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
	}
	return b.String(), nil
}

// fullVersion completes MAJOR.MINOR to MAJOR.MINOR.0: a cluster always
// reports a patch version, and charts compare .Capabilities.KubeVersion
// with semver.
func fullVersion(v string) string {
	if strings.Count(v, ".") == 1 {
		return v + ".0"
	}
	return v
}

// copyValues deep-copies values, which Helm may change in place.
func copyValues(v map[string]any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		return map[string]any{}
	}
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out) // it was just marshalled
	return out
}

// firstDifference names the template of the first document that differs.
func firstDifference(a, b string) string {
	da, db := charts.SplitDocuments([]byte(a)), charts.SplitDocuments([]byte(b))
	for i := range min(len(da), len(db)) {
		if da[i].Text != db[i].Text {
			return da[i].Source
		}
	}
	return "a different number of documents"
}
