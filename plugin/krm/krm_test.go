package krm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/fn/framework/frameworktestutil"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
	"github.com/mtlsgen/mtlsgen/plugin/krm"
)

// testVersion is the version fixtures are rendered with.
const testVersion = "dev"

// requireSameLines compares an error with errors.txt exactly (after
// trimming), where frameworktestutil's default reads each line as a regular
// expression: mtlsgen's messages are full of parentheses and dots, and
// -update writes the actual text, which must then match itself.
func requireSameLines(t *testing.T, expected, actual string) {
	t.Helper()
	want := strings.TrimSpace(strings.ReplaceAll(expected, "\r\n", "\n"))
	got := strings.TrimSpace(strings.ReplaceAll(actual, "\r\n", "\n"))
	if want != got {
		t.Fatalf("error differs from errors.txt:\nwant:\n%s\ngot:\n%s", want, got)
	}
}

// Each testdata/processor/<case>/input.yaml is a ResourceList as kustomize
// sends a generator (the spec as functionConfig and as the only item); the
// output, items and results, must equal expected.yaml, and the error
// errors.txt. Run go test ./plugin/krm -update to rewrite them.
func TestProcessor_fixtures(t *testing.T) {
	checker := frameworktestutil.ProcessorResultsChecker{
		TestDataDirectory:        filepath.Join("testdata", "processor"),
		UpdateExpectedFromActual: *testutil.Update,
		ErrorAssertionFunc:       requireSameLines,
		Processor:                func() framework.ResourceListProcessor { return &krm.Processor{Version: testVersion} },
	}
	checker.Assert(t)
}

// frameworktestutil checks only the error of a failing case; the results
// written to stdout matter as much (kpt and kustomize's verbose mode show
// them), so the output of every failing case must equal its expected.yaml
// too, and must carry one error result per problem and no generated object.
func TestProcessor_failingCasesWriteResults(t *testing.T) {
	cases, _ := filepath.Glob(filepath.Join("testdata", "processor", "*", "errors.txt"))
	if len(cases) < 5 {
		t.Fatalf("expected at least 5 failing cases, found %d", len(cases))
	}
	for _, errFile := range cases {
		dir := filepath.Dir(errFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err = framework.Execute(&krm.Processor{Version: testVersion}, &kio.ByteReadWriter{Reader: bytes.NewReader(in), Writer: &out})
			if err == nil {
				t.Fatal("a failing case must return an error, so the function exits non-zero")
			}
			testutil.AssertGolden(t, filepath.Join(dir, "expected.yaml"), out.Bytes())

			rl, err := yaml.Parse(out.String())
			if err != nil {
				t.Fatal(err)
			}
			results, err := rl.Pipe(yaml.Lookup("results"))
			if err != nil || results == nil {
				t.Fatalf("no results in the output:\n%s", out.String())
			}
			elements, _ := results.Elements()
			problems := strings.Count(strings.TrimSpace(err2string(t, dir)), "\n") + 1
			if len(elements) != problems {
				t.Errorf("%d results for %d problems", len(elements), problems)
			}
			for _, r := range elements {
				if s := yaml.GetValue(r.Field("severity").Value); s != "error" {
					t.Errorf("result severity %q, want error", s)
				}
			}
			inRL, err := yaml.Parse(string(in))
			if err != nil {
				t.Fatal(err)
			}
			inItems, _ := inRL.Pipe(yaml.Lookup("items"))
			items, _ := rl.Pipe(yaml.Lookup("items"))
			if n, inN := len(items.Content()), len(inItems.Content()); n != inN {
				t.Errorf("a failing case changed the items: %d items out, %d in", n, inN)
			}
		})
	}
}

func err2string(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "errors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The results of an invalid spec carry what a tool needs to point at the
// problem: severity error, the spec as resource, the field path, and the
// file when kustomize recorded it (buildMetadata: [originAnnotations]).
func TestProcessor_resultFields(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "processor", "origin-file", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p := &krm.Processor{Version: testVersion}
	rl := &framework.ResourceList{}
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(in), Writer: &out}
	if rl.Items, err = rw.Read(); err != nil {
		t.Fatal(err)
	}
	rl.FunctionConfig = rw.FunctionConfig
	if err := p.Process(rl); err == nil {
		t.Fatal("invalid spec processed without error")
	}
	paths := map[string]bool{}
	for _, r := range rl.Results {
		if r.Severity != framework.Error {
			t.Errorf("severity %q", r.Severity)
		}
		if r.ResourceRef == nil || r.ResourceRef.Kind != "MeshTLS" || r.ResourceRef.Name != "broken" || r.ResourceRef.APIVersion != "mtlsgen.dev/v1alpha1" {
			t.Errorf("resourceRef %+v", r.ResourceRef)
		}
		if r.File == nil || r.File.Path != "mesh/mtlsgen.yaml" {
			t.Errorf("file %+v, want mesh/mtlsgen.yaml from the origin annotation", r.File)
		}
		if r.Field != nil {
			paths[r.Field.Path] = true
		}
	}
	for _, want := range []string{"spec.profile", "spec.identityIssuer.renewBefore", "spec.trust.anchors"} {
		if !paths[want] {
			t.Errorf("no result for %s (got %v)", want, paths)
		}
	}
	if rl.Results.ExitCode() != 1 {
		t.Error("results do not make the function fail")
	}
}

// The function exits non-zero on a failing case when run as kustomize runs
// it (ResourceList on stdin): the command returns the error.
func TestCommand_resourceListModeFails(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "processor", "invalid-spec", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := runResourceListMode(in)
	if err == nil {
		t.Fatal("invalid spec: command succeeded")
	}
	if !strings.Contains(out, "results:") || !strings.Contains(out, "severity: error") {
		t.Errorf("no error results on stdout:\n%s", out)
	}
}

// runResourceListMode runs the function as kustomize does, with in on
// standard input, and returns standard output and the command's error.
func runResourceListMode(in []byte) (string, error) {
	cmd := krm.NewCommand(testVersion)
	var out, errOut bytes.Buffer
	cmd.SetIn(bytes.NewReader(in))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{})
	err := cmd.Execute()
	return out.String(), err
}

// A spec piped in on its own is not a ResourceList: the function says what
// to run instead of "no function config".
func TestCommand_specOnStdin(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "..", "examples", "dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := runResourceListMode(in)
	if err == nil || !strings.Contains(err.Error(), "standard input is a MeshTLS spec, not a KRM ResourceList: render it with `mtlsgen render -`") {
		t.Errorf("error %v", err)
	}
	if out != "" {
		t.Errorf("bad input, but output (kyaml echoing it):\n%s", out)
	}
}

// Input that is not a ResourceList at all gets a message about that, not
// kyaml's, which quotes the input whole; and no output.
func TestCommand_notAResourceList(t *testing.T) {
	for _, in := range []string{"hello\n", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
		"apiVersion: config.kubernetes.io/v1\nkind: ResourceLis\nitems: []\n",
		"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n",
		"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n---\napiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"} {
		out, err := runResourceListMode([]byte(in))
		if err == nil || out != "" || strings.Contains(err.Error(), "node contents") || strings.Contains(err.Error(), "hello") {
			t.Errorf("%q: output %q, error %v", in, out, err)
		}
	}
}

// A function config, or its metadata or annotations, of the wrong shape is
// refused with a message, not a panic in kyaml's accessors; and items that
// are not objects get kyaml's reason without the input it quotes.
func TestCommand_badShapes(t *testing.T) {
	const head = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"
	for in, want := range map[string]string{
		head + "functionConfig: [a]\n":                                                     "functionConfig: must be the MeshTLS spec, a mapping with apiVersion, kind, metadata and spec, not a list",
		head + "functionConfig: {kind: MeshTLS, metadata: [a]}\n":                          "functionConfig: metadata: must be a mapping (name, annotations), not a list",
		head + "functionConfig: {kind: MeshTLS, metadata: {name: x, annotations: [a]}}\n":  "functionConfig: metadata.annotations: must be a mapping of strings, not a list",
		head + "functionConfig: {kind: MeshTLS, metadata: {name: x, labels: b}}\n":         "functionConfig: metadata.labels: must be a mapping of strings, not a scalar",
		"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [secret-value]\n": "standard input is not a KRM ResourceList as kustomize sends it (wrong node kind: expected MappingNode but got ScalarNode)",
	} {
		out, err := runResourceListMode([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "secret-value") {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
		// A well-formed ResourceList comes back with its results, as
		// kustomize expects; anything else gets no output.
		if strings.HasPrefix(in, head) != strings.Contains(out, "results:") {
			t.Errorf("%q: output %q", in, out)
		}
	}
}

// Standalone, a CONFIG or INPUT that cannot be read is named in the
// loader's terms, with nothing on standard output; so is a directory.
func TestCommand_standaloneUnreadable(t *testing.T) {
	spec := filepath.Join("..", "..", "examples", "dev.yaml")
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	for _, args := range [][]string{{missing}, {spec, missing}} {
		cmd := krm.NewCommand(testVersion)
		var out, errOut bytes.Buffer
		cmd.SetIn(bytes.NewReader(nil))
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		cmd.SetArgs(args)
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), missing+": cannot read: no such file") || out.Len() > 0 {
			t.Errorf("%v: output %q, error %v", args, out.String(), err)
		}
	}
	dir := t.TempDir()
	cmd := krm.NewCommand(testVersion)
	var out bytes.Buffer
	cmd.SetIn(bytes.NewReader(nil))
	cmd.SetOut(&out)
	cmd.SetArgs([]string{spec, dir})
	if err := cmd.Execute(); err == nil || err.Error() != dir+": a directory: name the YAML files in it" || out.Len() > 0 {
		t.Errorf("a directory as input: output %q, error %v", out.String(), err)
	}
}
