package check

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// collectArgoValues adds the Helm values of Linkerd charts that Argo CD
// Applications and ApplicationSets carry: helm.valuesObject (or a helm.values
// string) of their sources, and mtlsgen's list-generator elements (chart +
// values).
func collectArgoValues(in *Input) {
	for _, d := range in.Docs {
		if d.Group() != "argoproj.io" {
			continue
		}
		switch d.Kind() {
		case "Application":
			addSourceValues(in, d, "spec", get(d.Obj, "spec"))
		case "ApplicationSet":
			addSourceValues(in, d, "spec.template.spec", get(d.Obj, "spec", "template", "spec"))
			gens, _ := get(d.Obj, "spec", "generators").([]any)
			walkGenerators(in, d, "spec.generators", gens)
		}
	}
}

func addSourceValues(in *Input, d *Doc, prefix string, spec any) {
	m, _ := spec.(map[string]any)
	if src, ok := m["source"].(map[string]any); ok {
		addHelmValues(in, d, prefix+".source", src)
	}
	srcs, _ := m["sources"].([]any)
	for i, s := range srcs {
		if src, ok := s.(map[string]any); ok {
			addHelmValues(in, d, fmt.Sprintf("%s.sources[%d]", prefix, i), src)
		}
	}
}

func addHelmValues(in *Input, d *Doc, prefix string, src map[string]any) {
	chart := str(src, "chart")
	if !strings.HasPrefix(chart, "linkerd-") {
		return
	}
	version := str(src, "targetRevision")
	if obj, ok := get(src, "helm", "valuesObject").(map[string]any); ok {
		in.Values = append(in.Values, &Values{Chart: chart, Version: version, Doc: d, Prefix: prefix + ".helm.valuesObject", V: obj})
		return
	}
	if s := str(src, "helm", "values"); s != "" {
		var obj map[string]any
		if yaml.Unmarshal([]byte(s), &obj) == nil && obj != nil {
			in.Values = append(in.Values, &Values{Chart: chart, Version: version, Doc: d, Prefix: prefix + ".helm.values", V: obj})
		}
	}
}

// walkGenerators finds list elements that carry a chart and its values.
func walkGenerators(in *Input, d *Doc, prefix string, gens []any) {
	for i, g := range gens {
		gm, _ := g.(map[string]any)
		p := fmt.Sprintf("%s[%d]", prefix, i)
		if nested, ok := get(gm, "matrix", "generators").([]any); ok {
			walkGenerators(in, d, p+".matrix.generators", nested)
		}
		if nested, ok := get(gm, "merge", "generators").([]any); ok {
			walkGenerators(in, d, p+".merge.generators", nested)
		}
		elements, _ := get(gm, "list", "elements").([]any)
		for j, e := range elements {
			em, _ := e.(map[string]any)
			chart, _ := em["chart"].(string)
			values, ok := em["values"].(map[string]any)
			if !strings.HasPrefix(chart, "linkerd-") || !ok {
				continue
			}
			version, _ := em["targetRevision"].(string)
			in.Values = append(in.Values, &Values{Chart: chart, Version: version, Doc: d,
				Prefix: fmt.Sprintf("%s.list.elements[%d].values", p, j), V: values})
		}
	}
}

// checkArgoCD: MTLS070-072 on Applications and ApplicationSet templates.
func checkArgoCD(in *Input) []Finding {
	var out []Finding
	for _, d := range in.Docs {
		if d.Group() != "argoproj.io" {
			continue
		}
		prefix := "spec"
		if d.Kind() == "ApplicationSet" {
			prefix = "spec.template.spec"
		} else if d.Kind() != "Application" {
			continue
		}
		spec, _ := get(d.Obj, strings.Split(prefix, ".")...).(map[string]any)
		ids, _ := spec["ignoreDifferences"].([]any)
		for i, e := range ids {
			em, _ := e.(map[string]any) // not a map: another tool's schema error, and no group here
			group := str(em, "group")
			if strings.Contains(group, "/") {
				g, _, _ := strings.Cut(group, "/")
				out = append(out, at(RuleIgnoreDifferencesGroup, d, fmt.Sprintf("%s.ignoreDifferences[%d].group", prefix, i),
					fmt.Sprintf("group %q has a version: it matches no resource, so the difference it should hide stays", group),
					"group: "+g))
			}
		}
		opts := strings_(get(spec, "syncPolicy", "syncOptions"))
		if slices.Contains(opts, "SkipDryRunOnMissingResource=true") {
			out = append(out, at(RuleAppLevelSkipDryRun, d, prefix+".syncPolicy.syncOptions",
				"Application-level SkipDryRunOnMissingResource is ignored before Argo CD 3.1 (argo-cd#15095): there, custom resources whose CRD another Application installs fail the first sync",
				"annotate those resources with argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true"))
		}
		if get(spec, "syncPolicy", "automated") != nil && get(spec, "syncPolicy", "retry") == nil {
			out = append(out, at(RuleNoRetry, d, prefix+".syncPolicy",
				"automated sync without retry: Argo CD's default retries a failed sync five times over about five minutes, then gives up on the commit, and cert-manager's CRDs and webhook may take longer to come up",
				"syncPolicy.retry: {limit: 10, backoff: {duration: 15s, factor: 2, maxDuration: 5m}}"))
		}
	}
	return out
}
