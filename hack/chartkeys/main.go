// Command chartkeys writes the table of known values keys of Linkerd's Helm
// charts, per supported release, that generator tests check the generated
// values against (generator/testdata/chartkeys/VERSION/CHART.keys).
//
// A key is known if the chart's values.yaml (or values-ha.yaml) sets it, or a
// template reads it as .Values.a.b. It reads a linkerd/linkerd2 git clone:
//
//	go run ./hack/chartkeys -repo /path/to/linkerd2
//
// Run it when a release is added to api/v1alpha1/versions.go.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// chartDirs are where each chart lives in linkerd2.
var chartDirs = map[string][]string{
	v1alpha1.ChartCRDs:         {"charts/linkerd-crds"},
	v1alpha1.ChartControlPlane: {"charts/linkerd-control-plane", "charts/partials"},
	v1alpha1.ChartViz:          {"viz/charts/linkerd-viz"},
	v1alpha1.ChartMulticluster: {"multicluster/charts/linkerd-multicluster"},
	v1alpha1.ChartJaeger:       {"jaeger/charts/linkerd-jaeger"},
}

var valuesRef = regexp.MustCompile(`\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)`)

func main() {
	repo := flag.String("repo", "", "a linkerd/linkerd2 git clone with its tags")
	out := flag.String("out", "generator/testdata/chartkeys", "output directory")
	flag.Parse()
	if *repo == "" {
		fmt.Fprintln(os.Stderr, "chartkeys: -repo is required")
		os.Exit(2)
	}
	for _, r := range v1alpha1.LinkerdReleases {
		tag := "version-" + r.Version
		if r.HelmRepo == v1alpha1.LinkerdStableRepo {
			tag = r.Tag
		}
		for chart, dirs := range chartDirs {
			if chart == v1alpha1.ChartJaeger && !r.HasJaeger() {
				continue
			}
			keys := map[string]bool{}
			for _, f := range []string{"values.yaml", "values-ha.yaml"} {
				raw, err := git(*repo, "show", tag+":"+dirs[0]+"/"+f)
				if err != nil {
					continue
				}
				var v map[string]any
				if err := yaml.Unmarshal(raw, &v); err != nil {
					fail(err)
				}
				walk("", v, keys)
			}
			for _, d := range dirs {
				raw, err := git(*repo, "grep", "-h", "-o", `\.Values\.[A-Za-z0-9_.]*`, tag, "--", d+"/templates")
				if err != nil {
					continue
				}
				for _, m := range valuesRef.FindAllStringSubmatch(string(raw), -1) {
					parts := strings.Split(strings.TrimPrefix(m[1], "."), ".")
					for i := range parts {
						keys[strings.Join(parts[:i+1], ".")] = true
					}
				}
			}
			list := make([]string, 0, len(keys))
			for k := range keys {
				list = append(list, k)
			}
			sort.Strings(list)
			path := filepath.Join(*out, r.Version, chart+".keys")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				fail(err)
			}
			body := fmt.Sprintf("# %s values keys at linkerd2 %s (go run ./hack/chartkeys)\n%s\n", chart, tag, strings.Join(list, "\n"))
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				fail(err)
			}
		}
	}
}

// walk records every key path of a values tree; an empty object or null
// marks an open map (podLabels, nodeSelector) whose keys the user chooses.
func walk(prefix string, v any, keys map[string]bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	if len(m) == 0 {
		keys[prefix+".*"] = true
	}
	for k, e := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		keys[p] = true
		walk(p, e, keys)
	}
}

func git(repo string, args ...string) ([]byte, error) {
	return exec.Command("git", append([]string{"--git-dir", filepath.Join(repo), "--no-pager"}, args...)...).Output()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "chartkeys:", err)
	os.Exit(1)
}
