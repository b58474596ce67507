package generator_test

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// knownKeys reads the table of a chart's values keys at a release
// (generator/testdata/chartkeys, written by go run ./hack/chartkeys from the
// linkerd2 sources).
func knownKeys(t *testing.T, version, chart string) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "chartkeys", version, chart+".keys"))
	if err != nil {
		t.Fatalf("no key table for %s %s: %v", chart, version, err)
	}
	defer f.Close()
	keys := map[string]bool{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := s.Text(); line != "" && !strings.HasPrefix(line, "#") {
			keys[line] = true
		}
	}
	return keys
}

// leafPaths lists the dotted paths of every value mtlsgen sets.
func leafPaths(prefix string, v any, out *[]string) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		*out = append(*out, prefix)
		return
	}
	for k, e := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		leafPaths(p, e, out)
	}
}

func known(keys map[string]bool, path string) bool {
	if keys[path] {
		return true
	}
	// Under an open map (podLabels: {}) any key is the user's to choose.
	parts := strings.Split(path, ".")
	for i := len(parts) - 1; i > 0; i-- {
		if keys[strings.Join(parts[:i], ".")+".*"] {
			return true
		}
	}
	return false
}

// Every key mtlsgen sets exists in the chart version it targets, for every
// supported release and every profile: a typo such as
// proxyInjector.externalSecrets fails here.
func TestValues_keysExistInTheChart(t *testing.T) {
	for _, r := range v1alpha1.LinkerdReleases {
		for _, profile := range v1alpha1.Profiles {
			spec := `apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata: {name: keys}
spec:
  profile: ` + profile + `
  linkerd:
    version: "` + r.Version + `"
    extensions: {viz: {enabled: true}, multicluster: {enabled: true}, jaeger: {enabled: ` + map[bool]string{true: "true", false: "false"}[r.HasJaeger()] + `}}
  trust:
    anchors: [{name: root, active: true, secret: {name: root}}]
  argocd: {enabled: false, gatewayAPI: {install: ` + map[bool]string{true: "true", false: "false"}[profile != "dev"] + `}}
`
			m := loadSpec(t, spec)
			for _, cv := range generator.LinkerdValues(&m.Spec, m.Metadata.Name) {
				keys := knownKeys(t, r.Version, cv.Chart)
				var paths []string
				leafPaths("", cv.Values, &paths)
				sort.Strings(paths)
				for _, p := range paths {
					if p != "" && !known(keys, p) {
						t.Errorf("Linkerd %s, profile %s: %s has no value %s", r.Version, profile, cv.Chart, p)
					}
				}
			}
		}
	}
}

// The key check itself must catch a misspelt key.
func TestValues_keyCheckCatchesTypos(t *testing.T) {
	keys := knownKeys(t, "2.18", v1alpha1.ChartControlPlane)
	if known(keys, "proxyInjector.externalSecrets") {
		t.Error("proxyInjector.externalSecrets passes the key check")
	}
	if !known(keys, "proxyInjector.externalSecret") || !known(keys, "podLabels.team") {
		t.Error("real keys fail the key check")
	}
}

// Values are data of the spec alone: rendering twice gives the same, and no
// generator file reads the clock.
func TestValues_deterministic(t *testing.T) {
	m := loadExample(t, "ha")
	a := generator.LinkerdValues(&m.Spec, m.Metadata.Name)
	b := generator.LinkerdValues(&m.Spec, m.Metadata.Name)
	if !reflect.DeepEqual(a, b) {
		t.Error("two renders of the values differ")
	}
	files, _ := filepath.Glob(filepath.Join(testutil.RepoRoot(t), "generator", "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, _ := os.ReadFile(f)
		for _, clock := range []string{"time.Now", "time.Since", "rand."} {
			if strings.Contains(string(src), clock) {
				t.Errorf("%s uses %s: generated output must not depend on when it is rendered", f, clock)
			}
		}
	}
	if s := generator.HeartbeatSchedule("checkout"); s != generator.HeartbeatSchedule("checkout") || s == generator.HeartbeatSchedule("payments") {
		t.Errorf("heartbeat schedule %q is not a stable function of the spec name", s)
	}
}

// Gateway API: bundled by linkerd-crds up to 2.18, a separate Application
// before it from 2.19.
func TestValues_gatewayAPI(t *testing.T) {
	for _, r := range v1alpha1.LinkerdReleases {
		m := releaseSpec(t, r.Version, `{repoURL: "https://git.example.com/x.git", path: x}`)
		var has bool
		for _, c := range generator.AppComponents(m) {
			has = has || c.Component == "gateway-api"
		}
		if has == r.BundlesGatewayAPI {
			t.Errorf("Linkerd %s: gateway-api Application %v, but linkerd-crds bundles it: %v", r.Version, has, r.BundlesGatewayAPI)
		}
		crds := generator.LinkerdValues(&m.Spec, "gw")[0]
		if _, set := crds.Values["installGatewayAPI"]; set == r.BundlesGatewayAPI {
			t.Errorf("Linkerd %s: linkerd-crds values %v", r.Version, crds.Values)
		}
		// A cluster that manages Gateway API itself: linkerd-crds must not
		// install the CRDs too, on any release.
		m.Spec.ArgoCD.GatewayAPI.Install = new(false)
		crds = generator.LinkerdValues(&m.Spec, "gw")[0]
		if len(crds.Values) == 0 {
			t.Errorf("Linkerd %s with gatewayAPI.install false: linkerd-crds values %v install the Gateway API CRDs", r.Version, crds.Values)
		}
		for k, v := range crds.Values {
			if v != false {
				t.Errorf("Linkerd %s with gatewayAPI.install false: linkerd-crds %s: %v", r.Version, k, v)
			}
		}
	}
}
