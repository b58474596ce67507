package cmp_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
	"github.com/mtlsgen/mtlsgen/plugin/cmp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testutil.RemoveBinary()
	os.Exit(code)
}

// envFixture is one testdata/argocd-env*/NAME.env: the exact environment
// argocd-cmp-server gives the generate command (KEY=VALUE lines, nothing
// inherited), and directives in #key: value comment lines.
type envFixture struct {
	name       string
	env        []string
	example    string   // examples/EXAMPLE, copied into the application directory
	specFile   string   // under this name (default mtlsgen.yaml)
	renderArgs []string // the `mtlsgen render` flags that print the same
	wantErr    string   // for failing cases: standard error contains this
}

func readEnvFixtures(t *testing.T, dir string) []envFixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.env"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata/%s", dir)
	}
	var out []envFixture
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fx := envFixture{name: strings.TrimSuffix(filepath.Base(f), ".env"), specFile: cmp.DefaultSpecFile}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if d, ok := strings.CutPrefix(line, "#"); ok {
				key, value, _ := strings.Cut(d, ":")
				value = strings.TrimSpace(value)
				switch key {
				case "example":
					fx.example = value
				case "specfile":
					fx.specFile = value
				case "render":
					fx.renderArgs = strings.Fields(value)
				case "error":
					fx.wantErr = value
				}
				continue
			}
			if line != "" {
				fx.env = append(fx.env, line)
			}
		}
		if fx.example == "" {
			t.Fatalf("%s: no #example", f)
		}
		out = append(out, fx)
	}
	return out
}

// appDirFor lays out a repository as the sidecar receives it: the
// application directory (ARGOCD_APP_SOURCE_PATH) holding the example spec,
// and a secret elsewhere in the repository.
func appDirFor(t *testing.T, fx envFixture) string {
	t.Helper()
	repo := t.TempDir()
	sourcePath := "app"
	for _, kv := range fx.env {
		if v, ok := strings.CutPrefix(kv, "ARGOCD_APP_SOURCE_PATH="); ok {
			sourcePath = v
		}
	}
	app := filepath.Join(repo, sourcePath)
	spec, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", fx.example))
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.MkdirAll(filepath.Dir(filepath.Join(app, fx.specFile)), 0o755))
	must(t, os.WriteFile(filepath.Join(app, fx.specFile), spec, 0o644))
	must(t, os.WriteFile(filepath.Join(repo, "secret.yaml"), []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {token: "+secret+"}\n"), 0o644))
	return app
}

// generateCommand is plugin.yaml's generate command with the binary under
// test in place of the image's /usr/local/bin/mtlsgen.
func generateCommand(t *testing.T, bin string) []string {
	t.Helper()
	var c pluginConfig
	if err := yaml.Unmarshal(cmp.PluginYAML, &c); err != nil {
		t.Fatal(err)
	}
	return append([]string{bin}, c.Spec.Generate.Command[1:]...)
}

type result struct {
	stdout, stderr []byte
	code           int
	took           time.Duration
}

func runIn(t *testing.T, dir string, env []string, argv ...string) result {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.Bytes(), stderr: stderr.Bytes(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// deadline is what generate may take at most in these tests: Argo CD's
// repo-server gives a plugin 60 s by default, and generate must finish far
// inside it.
const deadline = 5 * time.Second

// For every fixture, the built binary run exactly as argocd-cmp-server runs
// it (plugin.yaml's command, in the application directory, with only the
// fixture's environment) prints a YAML stream of objects byte-identical to
// `mtlsgen render` with the same options; where render prints nothing, the
// plugin fails instead of printing an empty output.
func TestArgoCD_generateEqualsRender(t *testing.T) {
	bin := testutil.Binary(t)
	fixtures := readEnvFixtures(t, "argocd-env")
	covered := map[string]bool{}
	for _, fx := range fixtures {
		covered[fx.example] = true
		t.Run(fx.name, func(t *testing.T) {
			app := appDirFor(t, fx)
			got := runIn(t, app, fx.env, generateCommand(t, bin)...)
			t.Logf("generate took %v", got.took)
			if got.took > deadline {
				t.Errorf("generate took %v, more than %v", got.took, deadline)
			}
			want := runIn(t, app, []string{"PATH=/usr/bin:/bin"}, append(append([]string{bin, "render"}, fx.renderArgs...), fx.specFile)...)
			if want.code != 0 || len(want.stdout) == 0 {
				// Nothing to deliver for this selection (yet): the plugin
				// must refuse, never print an empty success.
				if got.code == 0 || len(got.stdout) != 0 {
					t.Fatalf("render printed nothing (exit %d: %s) but generate exited %d with %d bytes", want.code, want.stderr, got.code, len(got.stdout))
				}
				return
			}
			if got.code != 0 {
				t.Fatalf("generate exit %d:\n%s", got.code, got.stderr)
			}
			if len(got.stderr) != 0 {
				t.Errorf("generate wrote to stderr on success: %s", got.stderr)
			}
			if !bytes.Equal(got.stdout, want.stdout) {
				t.Fatalf("generate differs from mtlsgen render %v", fx.renderArgs)
			}
			objs := testutil.ParseStream(t, got.stdout)
			testutil.ByKey(t, objs) // one cluster's objects: no duplicate
		})
	}
	for _, ex := range exampleSpecs(t) {
		if !covered[ex] {
			t.Errorf("examples/%s has no Argo CD environment fixture in testdata/argocd-env", ex)
		}
	}
}

// A failing generate prints its problem on stderr and nothing on stdout,
// and exits non-zero: Argo CD shows the message, and never applies (and
// prunes against) an empty output.
func TestArgoCD_errors(t *testing.T) {
	bin := testutil.Binary(t)
	for _, fx := range readEnvFixtures(t, "argocd-env-errors") {
		t.Run(fx.name, func(t *testing.T) {
			if fx.wantErr == "" {
				t.Fatal("no #error")
			}
			app := appDirFor(t, fx)
			got := runIn(t, app, fx.env, generateCommand(t, bin)...)
			if got.code == 0 {
				t.Errorf("exit 0")
			}
			if len(got.stdout) != 0 {
				t.Errorf("stdout is not empty: %.300s", got.stdout)
			}
			if !strings.Contains(string(got.stderr), fx.wantErr) {
				t.Errorf("stderr %q, want %q", got.stderr, fx.wantErr)
			}
			if strings.Contains(string(got.stderr), secret) || strings.Contains(string(got.stderr), "Run 'mtlsgen --help'") {
				t.Errorf("stderr: %s", got.stderr)
			}
		})
	}
}

func exampleSpecs(t *testing.T) []string {
	t.Helper()
	files := testutil.Examples(t)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	return names
}

// application is the part of an Argo CD Application the example sets.
type application struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Source struct {
			Path   string `json:"path"`
			Plugin struct {
				Name       string `json:"name"`
				Parameters []struct {
					Name   string  `json:"name"`
					String *string `json:"string,omitempty"`
				} `json:"parameters"`
			} `json:"plugin"`
		} `json:"source"`
	} `json:"spec"`
}

// The sample Applications name the plugin as Argo CD requires
// (<name>-<version>), set only parameters generate reads, and have an
// environment fixture whose parameters are exactly what Argo CD derives from
// them (ARGOCD_APP_PARAMETERS and one PARAM_ variable per parameter).
func TestArgoCD_sampleApplications(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "argocd-cmp", "application.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c pluginConfig
	must(t, yaml.Unmarshal(cmp.PluginYAML, &c))
	fixtures := map[string]envFixture{}
	for _, fx := range readEnvFixtures(t, "argocd-env") {
		fixtures[fx.name] = fx
	}
	docs := strings.Split(string(raw), "\n---\n")
	if len(docs) != 3 {
		t.Fatalf("%d sample Applications, want the 3 its header and README describe", len(docs))
	}
	for _, doc := range docs {
		var app application
		if err := yaml.Unmarshal([]byte(doc), &app); err != nil {
			t.Fatal(err)
		}
		t.Run(app.Metadata.Name, func(t *testing.T) {
			if want := c.Metadata.Name + "-" + c.Spec.Version; app.Spec.Source.Plugin.Name != want {
				t.Errorf("plugin name %q, want %q", app.Spec.Source.Plugin.Name, want)
			}
			fx, ok := fixtures[app.Metadata.Name]
			if !ok {
				t.Fatalf("no testdata/argocd-env/%s.env", app.Metadata.Name)
			}
			// What Argo CD's ApplicationSourcePluginParameters.Environ makes
			// of the parameters.
			params := app.Spec.Source.Plugin.Parameters
			js, err := json.Marshal(params)
			must(t, err)
			want := []string{"ARGOCD_APP_PARAMETERS=" + string(js)}
			for _, p := range params {
				if !slices.Contains(cmp.Parameters, p.Name) {
					t.Errorf("parameter %q is not one generate reads", p.Name)
				}
				want = append(want, "PARAM_"+strings.ToUpper(p.Name)+"="+*p.String)
			}
			var got []string
			for _, kv := range fx.env {
				if strings.HasPrefix(kv, "ARGOCD_APP_PARAMETERS=") || strings.HasPrefix(kv, "PARAM_") {
					got = append(got, kv)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("fixture parameters\n%v\nwant (from the Application)\n%v", got, want)
			}
			for _, kv := range fx.env {
				if v, ok := strings.CutPrefix(kv, "ARGOCD_APP_SOURCE_PATH="); ok && v != app.Spec.Source.Path {
					t.Errorf("fixture source path %q, Application %q", v, app.Spec.Source.Path)
				}
			}
		})
	}
}
