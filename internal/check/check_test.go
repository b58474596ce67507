package check

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/load"
	"github.com/mtlsgen/mtlsgen/internal/output"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// readFixture reads FILE.yaml and FILE.values.yaml of a fixture directory,
// if present.
func readFixture(t *testing.T, dir, name string) (*Input, bool) {
	t.Helper()
	in := &Input{}
	found := false
	if raw, err := os.ReadFile(filepath.Join(dir, name+".yaml")); err == nil {
		in.AddManifests(filepath.Join(dir, name+".yaml"), raw)
		found = true
	}
	if raw, err := os.ReadFile(filepath.Join(dir, name+".values.yaml")); err == nil {
		in.AddValues(filepath.Join(dir, name+".values.yaml"), "", raw)
		found = true
	}
	return in, found
}

// lines renders findings one per line: LINE RULE OBJECT PATH.
func lines(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s:%d %s %s %s\n", filepath.Base(f.File), f.Line, f.Rule.ID, f.Object, f.Path)
	}
	return b.String()
}

// Every rule has a fixture: bad.yaml (and/or bad.values.yaml) produces
// exactly the findings in want.txt, all of that rule; good.yaml produces
// none at all.
func TestRules_fixtures(t *testing.T) {
	for _, r := range Rules {
		t.Run(r.ID, func(t *testing.T) {
			dir := filepath.Join("testdata", "rules", r.ID)
			bad, ok := readFixture(t, dir, "bad")
			if !ok {
				t.Fatalf("no fixture %s/bad.yaml", dir)
			}
			got := Run(bad, Options{})
			if len(got) == 0 {
				t.Fatal("the bad fixture produces no finding")
			}
			for _, f := range got {
				if f.Rule != r {
					t.Errorf("the bad fixture also produces %s at line %d: %s", f.Rule.ID, f.Line, f.Message)
				}
				if strings.TrimSpace(f.Message) == "" || f.Line < 1 {
					t.Errorf("finding without message or line: %+v", f)
				}
			}
			testutil.AssertGolden(t, filepath.Join(dir, "want.txt"), []byte(lines(got)))
			good, ok := readFixture(t, dir, "good")
			if !ok {
				t.Fatalf("no fixture %s/good.yaml", dir)
			}
			if fs := Run(good, Options{}); len(fs) > 0 {
				t.Errorf("the good fixture produces findings:\n%s", lines(fs))
			}
		})
	}
}

// A hand-written setup in the style people publish, with all its mistakes.
func TestRun_realisticHandWrittenSetup(t *testing.T) {
	dir := filepath.Join("testdata", "realistic")
	in := &Input{}
	raw, _ := os.ReadFile(filepath.Join(dir, "input.yaml"))
	in.AddManifests(filepath.Join(dir, "input.yaml"), raw)
	raw, _ = os.ReadFile(filepath.Join(dir, "values.yaml"))
	in.AddValues(filepath.Join(dir, "values.yaml"), "", raw)
	testutil.AssertGolden(t, filepath.Join(dir, "want.txt"), []byte(lines(Run(in, Options{}))))
}

// mtlsgen's own output checks clean, for every example: the manifests as
// rendered (with their cluster headers) and the Linkerd values on their own.
func TestRun_examplesCheckClean(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testutil.RepoRoot(t), "examples", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			m, err := load.LoadFile(f, nil, load.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			sink, _ := output.Format{Kind: "yaml"}.Open(&buf)
			if err := generator.Render(m, generator.Options{Version: "test"}, sink.Write); err != nil {
				t.Fatal(err)
			}
			sink.Close()
			in := &Input{}
			in.AddManifests("render.yaml", buf.Bytes())
			if len(in.Docs) == 0 {
				t.Fatal("nothing read")
			}
			// The values file as `render --only linkerd-values` writes it, given
			// whole (as `check --values FILE` reads it): each document is
			// known by its header as the values of its chart and version.
			var values bytes.Buffer
			charts := generator.LinkerdValues(&m.Spec, m.Metadata.Name)
			output.WriteValues(&values, charts)
			in.AddValues("values.yaml", "", values.Bytes())
			var want, got []string
			for _, cv := range charts {
				want = append(want, cv.Chart+" "+cv.Version)
			}
			for _, v := range in.Values {
				got = append(got, v.Chart+" "+v.Version)
			}
			if !slices.Equal(want, got) {
				t.Errorf("values read as %q, want %q", got, want)
			}
			if fs := Run(in, Options{LinkerdVersion: m.Spec.Linkerd.Version}); len(fs) > 0 {
				t.Errorf("findings in mtlsgen's own output:\n%s", lines(fs))
			}
			// The ApplicationSet carries the charts' values, unless there is
			// none (argocd disabled) or it points at hydrated manifests.
			a := m.Spec.ArgoCD
			if fromApps := len(in.Values) - len(charts); v1alpha1.IsEnabled(a.Enabled) && a.Source != v1alpha1.SourceRendered && fromApps < 2 {
				t.Errorf("only %d values read: the ApplicationSet's values were not found", fromApps)
			}
		})
	}
}

// Unparseable documents are findings, and the documents around them are
// still read.
func TestAddManifests_keepsGoingAfterABrokenDocument(t *testing.T) {
	in := &Input{}
	in.AddManifests("x.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"))
	if len(in.Docs) != 2 || in.Docs[1].Name() != "b" || in.Docs[1].Line != 7 {
		t.Fatalf("docs %d, second %+v", len(in.Docs), in.Docs)
	}
	if len(in.Problems) != 1 || in.Problems[0].Line != 5 {
		t.Fatalf("problems %+v", in.Problems)
	}
}

func TestAddManifests_clusters(t *testing.T) {
	in := &Input{}
	in.AddManifests("out/clusters/east/mesh/manifests.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"))
	in.AddManifests("render.yaml", []byte("---\n# mtlsgen: cluster west, component mesh\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"))
	if in.Docs[0].Cluster != "east" || in.Docs[1].Cluster != "west" || in.Docs[1].Line != 3 {
		t.Errorf("clusters %q %q, line %d", in.Docs[0].Cluster, in.Docs[1].Cluster, in.Docs[1].Line)
	}
}

func FuzzCheck(f *testing.F) {
	dirs, _ := filepath.Glob("testdata/rules/*")
	for _, dir := range append(dirs, "testdata/realistic") {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			raw, _ := os.ReadFile(file)
			f.Add(raw, false)
		}
	}
	f.Add([]byte("kind: List\nitems: [1, {kind: Secret}]\n"), false)
	f.Add([]byte("a: &x [*x]\n"), true)
	// A list entry of the wrong type where a rule reads fields (a panic once).
	f.Add([]byte("apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  ignoreDifferences: [admissionregistration.k8s.io/v1]\n"), false)
	f.Fuzz(func(t *testing.T, raw []byte, asValues bool) {
		in := &Input{}
		if asValues {
			in.AddValues("v.yaml", "", raw)
		} else {
			in.AddManifests("m.yaml", raw)
		}
		for _, fd := range Run(in, Options{}) {
			if fd.Rule == nil || fd.Message == "" {
				t.Fatalf("finding without rule or message: %+v", fd)
			}
		}
	})
}

// fleetInput is clusters east and west, each with a Linkerd trust Bundle
// with the given sources (YAML list entries, one a line).
func fleetInput(east, west []string) *Input {
	var b strings.Builder
	for _, c := range []struct {
		name    string
		sources []string
	}{{"east", east}, {"west", west}} {
		fmt.Fprintf(&b, "---\n# mtlsgen: cluster %s, component mesh\n", c.name)
		b.WriteString("apiVersion: trust.cert-manager.io/v1alpha1\nkind: Bundle\nmetadata:\n  name: linkerd-identity-trust-roots\nspec:\n  sources:\n")
		for _, s := range c.sources {
			b.WriteString("    - " + s + "\n")
		}
		b.WriteString("  target:\n    configMap: {key: ca-bundle.crt}\n    namespaceSelector:\n      matchLabels: {linkerd.io/is-control-plane: \"true\"}\n")
	}
	in := &Input{}
	in.AddManifests("fleet.yaml", []byte(b.String()))
	return in
}

// MTLS080 compares what the bundles publish: inLine PEMs by content, and
// the sources as a set, in any order.
func TestCheckFleet_comparesAnchorsNotShapes(t *testing.T) {
	const (
		pemA = `inLine: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"`
		// pemA again, without its final newline: the same anchor.
		pemA2 = `inLine: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"`
		pemB  = `inLine: "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n"`
		root  = "secret: {name: root-ca, key: tls.crt}"
		prev  = "secret: {name: previous-root-ca, key: tls.crt}"
	)
	for name, tc := range map[string]struct {
		east, west []string
		findings   int
	}{
		"different inLine PEMs":             {[]string{pemA}, []string{pemB}, 1},
		"the same inLine PEM":               {[]string{pemA}, []string{pemA2}, 0},
		"the same Secrets in another order": {[]string{root, prev}, []string{prev, root}, 0},
		"one Secret fewer":                  {[]string{root, prev}, []string{root}, 1},
		"a Secret and a PEM, swapped":       {[]string{root, pemA}, []string{pemA, root}, 0},
	} {
		t.Run(name, func(t *testing.T) {
			var got []Finding
			for _, f := range Run(fleetInput(tc.east, tc.west), Options{}) {
				if f.Rule == RuleFleetAnchors {
					got = append(got, f)
				}
			}
			if len(got) != tc.findings {
				t.Errorf("%d MTLS080 findings, want %d:\n%s", len(got), tc.findings, lines(got))
			}
		})
	}
}

// With two Namespaces labelled as Linkerd's control plane, where check
// expects the identity issuer must not depend on map order: repeated runs
// give the same findings.
func TestRun_deterministicWithTwoControlPlaneNamespaces(t *testing.T) {
	const manifests = `apiVersion: v1
kind: Namespace
metadata:
  name: mesh
  labels: {linkerd.io/is-control-plane: "true"}
---
apiVersion: v1
kind: Namespace
metadata:
  name: linkerd
  labels: {linkerd.io/is-control-plane: "true"}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: linkerd-identity-issuer
  namespace: mesh
spec:
  secretName: linkerd-identity-issuer
  isCA: true
  commonName: identity.linkerd.cluster.local
  privateKey: {algorithm: ECDSA, size: 256}
  issuerRef: {name: root, kind: ClusterIssuer}
`
	render := func() string {
		in := &Input{}
		in.AddManifests("in.yaml", []byte(manifests))
		var b strings.Builder
		for _, f := range Run(in, Options{}) {
			fmt.Fprintf(&b, "%d %s %s %s\n", f.Line, f.Rule.ID, f.Path, f.Message)
		}
		return b.String()
	}
	first := render()
	if !strings.Contains(first, `Linkerd's control plane is in "linkerd"`) {
		t.Errorf("the control plane is not taken to be the first labelled namespace by name, linkerd:\n%s", first)
	}
	for range 50 {
		if got := render(); got != first {
			t.Fatalf("findings differ between runs:\n%s\nthen\n%s", first, got)
		}
	}
}

// Files joined with their byte-order marks, and an alias of no anchor, are
// reported at their lines, as the spec loader reports them.
func TestAddManifests_strayBOMAndAlias(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
	in := &Input{}
	in.AddManifests("joined.yaml", []byte("\xef\xbb\xbf"+cm+"\xef\xbb\xbf"+cm))
	in.AddManifests("alias.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: *nope\n"))
	got := problemLines(in)
	want := []string{
		"joined.yaml:4: unparseable YAML: a byte-order mark (U+FEFF) inside the file, as when files are joined with theirs: remove it",
		"alias.yaml:4: unparseable YAML: unknown anchor 'nope' referenced",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// MTLS064 holds only where linkerd-init runs: with Linkerd's CNI plugin
// (cniEnabled in the control plane's values) nothing asks for NET_ADMIN.
func TestInjectedNamespace_CNI(t *testing.T) {
	bad, err := os.ReadFile(filepath.Join("testdata", "rules", "MTLS064", "bad.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for values, want := range map[string]int{"": 1, "cniEnabled: false\n": 1, "cniEnabled: true\n": 0} {
		in := &Input{}
		in.AddManifests("bad.yaml", bad)
		if values != "" {
			in.AddValues("values.yaml", "linkerd-control-plane", []byte(values))
		}
		got := 0
		for _, f := range Run(in, Options{}) {
			if f.Rule == RuleInjectedPSS {
				got++
			}
		}
		if got != want {
			t.Errorf("values %q: %d MTLS064 findings, want %d", values, got, want)
		}
	}
}

// A document that is not a Kubernetes object is MTLS000 when the file was
// named (Helm values passed as a manifest would otherwise check clean), and
// left out when a directory walk found it (a Chart.yaml, say); a List's
// items are checked one by one, at their own lines.
func TestManifests_notObjects(t *testing.T) {
	in := &Input{}
	in.AddManifests("values.yaml", []byte("identity:\n  externalCA: true\n"))
	in.AddManifests("list.yaml", []byte("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- 5\n- {name: b}\n"))
	in.AddManifests("items.yaml", []byte("apiVersion: v1\nkind: List\nitems: 5\n"))
	if diff := cmp.Diff([]string{
		"values.yaml:1: not a Kubernetes object (no apiVersion and kind); pass Helm values with --values",
		"list.yaml:7: items[1] of a List is not a Kubernetes object (expected a mapping with apiVersion and kind)",
		"list.yaml:8: items[2] of a List is not a Kubernetes object (expected a mapping with apiVersion and kind)",
		"items.yaml:1: a List whose items are not a list of objects",
	}, problemLines(in)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if len(in.Docs) != 1 || in.Docs[0].Name() != "a" || in.Docs[0].Line != 4 || in.Docs[0].LineOf("metadata.name") != 6 {
		t.Errorf("docs %+v", in.Docs)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: x\nversion: 1.0.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	walked := &Input{}
	if err := ReadPaths(walked, []string{dir}, nil); err != nil {
		t.Fatal(err)
	}
	if len(walked.Problems)+len(walked.Docs) != 0 {
		t.Errorf("a Chart.yaml found in a directory: problems %v, docs %d", walked.Problems, len(walked.Docs))
	}
}

// Lines are recorded down to a bound: a deeply nested document costs
// memory by its size, not by the square of its depth.
func TestManifests_deepNesting(t *testing.T) {
	in := &Input{}
	in.AddManifests("deep.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: "+strings.Repeat("[", 5000)+strings.Repeat("]", 5000)+"\n"))
	if len(in.Docs) != 1 {
		t.Fatalf("docs %d, problems %v", len(in.Docs), in.Problems)
	}
	if n := len(in.Docs[0].pos); n > 2*maxPositionDepth {
		t.Errorf("%d positions recorded for a 5000-deep document", n)
	}
}

// A %YAML directive heads the document after it, as for the spec loader.
func TestManifests_directive(t *testing.T) {
	in := &Input{}
	in.AddManifests("d.yaml", []byte("%YAML 1.1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"))
	if len(in.Problems) != 0 || len(in.Docs) != 1 || in.Docs[0].Line != 3 {
		t.Errorf("problems %v, %d docs", in.Problems, len(in.Docs))
	}
}

// problemLines are an input's problems as FILE:LINE: MESSAGE.
func problemLines(in *Input) []string {
	var out []string
	for _, p := range in.Problems {
		out = append(out, fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message))
	}
	return out
}
