package cmp_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
	"github.com/mtlsgen/mtlsgen/plugin/cmp"
)

// pluginConfig is the part of Argo CD's PluginConfig (cmpserver/plugin/
// config.go) mtlsgen's plugin.yaml uses; decoding strictly catches a key
// Argo CD would silently ignore.
type pluginConfig struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version  string `json:"version"`
		Generate struct {
			Command []string `json:"command"`
			Args    []string `json:"args"`
		} `json:"generate"`
		Parameters struct {
			Static []struct {
				Name    string `json:"name"`
				Title   string `json:"title"`
				Tooltip string `json:"tooltip"`
				String  string `json:"string"`
			} `json:"static"`
		} `json:"parameters"`
	} `json:"spec"`
}

func TestPluginYAML(t *testing.T) {
	var raw map[string]any
	if err := yaml.Unmarshal(cmp.PluginYAML, &raw); err != nil {
		t.Fatal(err)
	}
	spec, _ := raw["spec"].(map[string]any)
	for _, forbidden := range []string{"discover", "init"} {
		if _, ok := spec[forbidden]; ok {
			t.Errorf("plugin.yaml has a %s block: an Application names the plugin, discovery would stream the repository once more per Application", forbidden)
		}
	}
	var c pluginConfig
	if err := yaml.UnmarshalStrict(cmp.PluginYAML, &c); err != nil {
		t.Fatalf("plugin.yaml: %v", err)
	}
	if c.Kind != "ConfigManagementPlugin" || c.APIVersion != "argoproj.io/v1alpha1" {
		t.Errorf("kind %q, apiVersion %q", c.Kind, c.APIVersion)
	}
	if got := c.Metadata.Name + "-" + c.Spec.Version; got != "mtlsgen-v1" {
		t.Errorf("Applications would name the plugin %q, the README says mtlsgen-v1", got)
	}
	if want := []string{"/usr/local/bin/mtlsgen", "cmp", "generate"}; !slices.Equal(c.Spec.Generate.Command, want) || len(c.Spec.Generate.Args) > 0 {
		t.Errorf("generate command %v %v, want %v (no shell: the image has none)", c.Spec.Generate.Command, c.Spec.Generate.Args, want)
	}
	var names []string
	for _, p := range c.Spec.Parameters.Static {
		names = append(names, p.Name)
		if p.Title == "" || p.Tooltip == "" {
			t.Errorf("parameter %s has no title or tooltip", p.Name)
		}
	}
	if !slices.Equal(names, cmp.Parameters) {
		t.Errorf("announced parameters %v, generate reads %v", names, cmp.Parameters)
	}
}

func TestRequestFromEnv(t *testing.T) {
	for name, tc := range map[string]struct {
		env     []string
		want    cmp.Request
		wantErr string
	}{
		"nothing set": {
			env: []string{"PATH=/usr/bin", "ARGOCD_APP_NAME=mesh"},
		},
		"parameters as Argo CD sends them, JSON and PARAM_": {
			env: []string{
				`ARGOCD_APP_PARAMETERS=[{"name":"spec","string":"fleet/mtlsgen.yaml"},{"name":"cluster","string":"east"},{"name":"component","string":"mesh"},{"name":"profile","string":"ha"}]`,
				"PARAM_SPEC=fleet/mtlsgen.yaml", "PARAM_CLUSTER=east", "PARAM_COMPONENT=mesh", "PARAM_PROFILE=ha",
			},
			want: cmp.Request{SpecFile: "fleet/mtlsgen.yaml", Cluster: "east", Component: "mesh", Profile: "ha"},
		},
		"PARAM_ without the JSON": {
			env:  []string{"PARAM_CLUSTER=west"},
			want: cmp.Request{Cluster: "west"},
		},
		"plugin env only": {
			env:  []string{"ARGOCD_ENV_CLUSTER=west", "ARGOCD_ENV_SPEC=x.yaml", "ARGOCD_ENV_PROFILE=dev", "ARGOCD_ENV_COMPONENT=mesh"},
			want: cmp.Request{SpecFile: "x.yaml", Cluster: "west", Component: "mesh", Profile: "dev"},
		},
		"plugin env as written, in lower case": {
			env:  []string{"ARGOCD_ENV_component=mesh", "ARGOCD_ENV_Cluster=west"},
			want: cmp.Request{Cluster: "west", Component: "mesh"},
		},
		"plugin env set twice, agreeing": {
			env:  []string{"ARGOCD_ENV_component=mesh", "ARGOCD_ENV_COMPONENT=mesh"},
			want: cmp.Request{Component: "mesh"},
		},
		"plugin env set twice, disagreeing": {
			env:     []string{"ARGOCD_ENV_component=mesh", "ARGOCD_ENV_COMPONENT=argocd"},
			wantErr: `plugin env component is set twice, to "argocd" and "mesh"`,
		},
		"unknown plugin env": {
			env:     []string{"ARGOCD_ENV_components=mesh"},
			wantErr: `unknown plugin env "components" in spec.source.plugin.env (names: spec, cluster, component, profile, in any case)`,
		},
		"parameters win over env": {
			env:  []string{`ARGOCD_APP_PARAMETERS=[{"name":"cluster","string":"east"}]`, "PARAM_CLUSTER=east", "ARGOCD_ENV_CLUSTER=west", "ARGOCD_ENV_PROFILE=dev"},
			want: cmp.Request{Cluster: "east", Profile: "dev"},
		},
		"the JSON wins over a disagreeing PARAM_": {
			env:  []string{`ARGOCD_APP_PARAMETERS=[{"name":"cluster","string":"east"}]`, "PARAM_CLUSTER=west"},
			want: cmp.Request{Cluster: "east"},
		},
		"an empty parameter falls through to env": {
			env:  []string{`ARGOCD_APP_PARAMETERS=[{"name":"cluster","string":""}]`, "ARGOCD_ENV_CLUSTER=west"},
			want: cmp.Request{Cluster: "west"},
		},
		"unknown parameter": {
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"clsuter","string":"east"}]`},
			wantErr: `unknown plugin parameter "clsuter" (parameters: spec, cluster, component, profile)`,
		},
		"array parameter": {
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"cluster","array":["east","west"]}]`},
			wantErr: `plugin parameter "cluster" must be a string, not a map or an array`,
		},
		"map parameter": {
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"profile","map":{}}]`},
			wantErr: `plugin parameter "profile" must be a string, not a map or an array`,
		},
		// encoding/json would take the last of two keys, and match keys
		// in any case.
		"a key twice in one entry": {
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"cluster","string":"east","string":"west"}]`},
			wantErr: `entry 0 has "string" twice`,
		},
		"a key in another case": {
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"spec","string":"a.yaml"},{"NAME":"cluster","string":"east"}]`},
			wantErr: `entry 1 has unknown key "NAME" (keys: name, string, map, array)`,
		},
		"keys of a map parameter are its own": {
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"profile","map":{"name":"x","name2":"y"}}]`},
			wantErr: `plugin parameter "profile" must be a string, not a map or an array`,
		},
		"not JSON": {
			env:     []string{`ARGOCD_APP_PARAMETERS={cluster: east}`},
			wantErr: "ARGOCD_APP_PARAMETERS is not a JSON list of plugin parameters, such as [{\"name\":\"cluster\",\"string\":\"east\"}]: not JSON at byte 2: invalid character 'c'",
		},
		"an object, not a list": {
			env:     []string{`ARGOCD_APP_PARAMETERS={"name":"cluster","string":"east"}`},
			wantErr: "plugin parameters, such as [{\"name\":\"cluster\",\"string\":\"east\"}]: it is a JSON object",
		},
		"a list of strings": {
			env:     []string{`ARGOCD_APP_PARAMETERS=["east"]`},
			wantErr: "plugin parameters, such as [{\"name\":\"cluster\",\"string\":\"east\"}]: an item is a JSON string",
		},
		"a number for a string": {
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"cluster","string":3}]`},
			wantErr: "plugin parameters, such as [{\"name\":\"cluster\",\"string\":\"east\"}]: string is a JSON number",
		},
		"cut short": {
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"cluster"`},
			wantErr: "plugin parameters, such as [{\"name\":\"cluster\",\"string\":\"east\"}]: it ends before the list does",
		},
		"trailing text after the list": {
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"cluster","string":"east"}] trailing`},
			wantErr: "ARGOCD_APP_PARAMETERS is not a JSON list of plugin parameters",
		},
		"a bracket after the list": {
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"cluster","string":"east"}]]`},
			wantErr: "ARGOCD_APP_PARAMETERS is not a JSON list of plugin parameters",
		},
		"a parameter twice": {
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"cluster","string":"east"},{"name":"cluster","string":"west"}]`},
			wantErr: `plugin parameter "cluster" is set twice`,
		},
		"unknown key in a parameter": {
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"cluster","value":"east"}]`},
			wantErr: `plugin parameters, such as [{"name":"cluster","string":"east"}]: unknown field "value"`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := cmp.RequestFromEnv(tc.env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(tc.want, got); diff != "" {
				t.Fatal(diff)
			}
		})
	}
}

// secret is planted in files the spec parameter must not reveal.
const secret = "S3CR3T-d0-n0t-pr1nt"

// appDir makes an application directory inside a "repository" directory
// that also holds a secret outside the application directory.
func appDir(t *testing.T) (repo, app string) {
	t.Helper()
	repo = t.TempDir()
	app = filepath.Join(repo, "apps", "mesh")
	must(t, os.MkdirAll(filepath.Join(app, "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(repo, "secret.yaml"), []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {token: "+secret+"}\n"), 0o644))
	spec, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "dev.yaml"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(app, "mtlsgen.yaml"), spec, 0o644))
	must(t, os.WriteFile(filepath.Join(app, "sub", "spec.yaml"), spec, 0o644))
	return repo, app
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The spec parameter resolves inside the application directory, or the
// plugin refuses: no absolute path, no "..", no symbolic link leading out.
func TestGenerate_specStaysInsideTheApplicationDirectory(t *testing.T) {
	repo, app := appDir(t)
	must(t, os.Symlink(filepath.Join(repo, "secret.yaml"), filepath.Join(app, "abs-link.yaml")))
	must(t, os.Symlink("../../secret.yaml", filepath.Join(app, "rel-link.yaml")))
	must(t, os.Symlink(repo, filepath.Join(app, "repo")))
	must(t, os.Symlink("/etc", filepath.Join(app, "etc")))
	must(t, os.Symlink("sub/spec.yaml", filepath.Join(app, "inside-link.yaml")))
	must(t, os.Symlink("nowhere.yaml", filepath.Join(app, "dangling.yaml")))

	for spec, want := range map[string]string{
		filepath.Join(repo, "secret.yaml"): "must be a path relative to the application directory, not an absolute path",
		"/etc/passwd":                      "must be a path relative to the application directory, not an absolute path",
		"../../secret.yaml":                `must stay inside the application directory: ".." is not allowed`,
		"sub/../../../secret.yaml":         `must stay inside the application directory: ".." is not allowed`,
		"sub/../mtlsgen.yaml":              `must stay inside the application directory: ".." is not allowed`,
		"abs-link.yaml":                    "leads out of the application directory (through a symbolic link)",
		"rel-link.yaml":                    "leads out of the application directory (through a symbolic link)",
		"repo/secret.yaml":                 "leads out of the application directory (through a symbolic link)",
		"etc/passwd":                       "leads out of the application directory (through a symbolic link)",
		"dangling.yaml":                    "no such file in the application directory",
		"missing.yaml":                     "no such file in the application directory",
		"sub":                              "not a regular file",
		"a\x00b":                           "not a file name",
	} {
		t.Run(spec, func(t *testing.T) {
			out, err := cmp.Generate(app, cmp.Request{SpecFile: spec}, "test")
			if err == nil {
				t.Fatalf("read %q:\n%.300s", spec, out)
			}
			if out != nil {
				t.Error("output with an error")
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q, want %q", err, want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error quotes the secret: %v", err)
			}
		})
	}
	for _, spec := range []string{"", "mtlsgen.yaml", "./mtlsgen.yaml", "sub/spec.yaml", "sub//spec.yaml", "inside-link.yaml"} {
		if _, err := cmp.Generate(app, cmp.Request{SpecFile: spec}, "test"); err != nil {
			t.Errorf("spec %q inside the application directory: %v", spec, err)
		}
	}
}

// Whatever file the spec parameter names, an error never quotes it unless
// it is a MeshTLS spec.
func TestGenerate_errorsNeverQuoteAFile(t *testing.T) {
	_, app := appDir(t)
	files := map[string]string{
		"secret.yaml":    "apiVersion: v1\nkind: Secret\nmetadata: {name: " + secret + "}\ndata: {key: " + secret + "}\n",
		"key.pem":        "-----BEGIN PRIVATE KEY-----\n" + secret + "\n-----END PRIVATE KEY-----\n",
		"anchor.yaml":    "a: *" + secret + "\n",
		"tabs.yaml":      "a:\n\t" + secret + ": 1\n",
		"list.yaml":      "- " + secret + "\n",
		"scalar.yaml":    secret + "\n",
		"apiversion.yml": "apiVersion: " + secret + "\nkind: MeshTLS\n",
		"kind.yaml":      "apiVersion: mtlsgen.dev/v1alpha1\nkind: " + secret + "\n",
		"values.json":    `{"password": "` + secret + `"}`,
		"binary.bin":     "\x00\x01\xff" + secret + "\xfe",
		"quote.yaml":     "a: '" + secret + "\n",
		"second.yaml":    "apiVersion: mtlsgen.dev/v1alpha1\nkind: MeshTLS\nmetadata: {name: x}\nspec: {}\n---\nb: *" + secret + "\n",
		"empty.yaml":     "",
	}
	for name, content := range files {
		must(t, os.WriteFile(filepath.Join(app, name), []byte(content), 0o644))
		t.Run(name, func(t *testing.T) {
			for _, req := range []cmp.Request{{SpecFile: name}, {SpecFile: name, Profile: "dev", Cluster: "x", Component: "mesh"}} {
				out, err := cmp.Generate(app, req, "test")
				if err == nil || out != nil {
					t.Fatalf("not a spec, yet: err %v, output %q", err, out)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error quotes the file: %v", err)
				}
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error does not name the file: %v", err)
				}
			}
		})
	}
	big := strings.Repeat("# "+secret+"\n", cmp.MaxSpecSize/len(secret))
	must(t, os.WriteFile(filepath.Join(app, "big.yaml"), []byte(big), 0o644))
	if _, err := cmp.Generate(app, cmp.Request{SpecFile: "big.yaml"}, "test"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a file over %d bytes: %v", cmp.MaxSpecSize, err)
	}
}

// Problems of a MeshTLS spec are reported as the CLI reports them, with
// file, line and field path.
func TestGenerate_specProblems(t *testing.T) {
	_, app := appDir(t)
	must(t, os.WriteFile(filepath.Join(app, "mtlsgen.yaml"), []byte("apiVersion: mtlsgen.dev/v1alpha1\nkind: MeshTLS\nmetadata: {name: x}\nspec:\n  profile: prdo\n"), 0o644))
	_, err := cmp.Generate(app, cmp.Request{}, "test")
	if err == nil || !strings.Contains(err.Error(), `mtlsgen.yaml:5: spec.profile: "prdo" is not supported (allowed: dev, prod, ha)`) {
		t.Fatalf("got %v", err)
	}
}

// Argo CD shows the error in the Application's condition: a huge parameter
// is named, not echoed whole.
func TestGenerate_hugeParametersAreCutShort(t *testing.T) {
	_, app := appDir(t)
	fleet, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "multicluster.yaml"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(app, "mtlsgen.yaml"), fleet, 0o644))
	huge := strings.Repeat("x", 100_000)
	for name, req := range map[string]cmp.Request{
		"cluster": {Cluster: huge},
		"spec":    {SpecFile: huge},
		"profile": {Cluster: "east", Profile: huge},
	} {
		_, err := cmp.Generate(app, req, "test")
		if err == nil || len(err.Error()) > 1000 || !strings.Contains(err.Error(), "(100000 bytes)") {
			t.Errorf("%s: %d bytes of error: %.200s", name, len(fmt.Sprint(err)), err)
		}
	}
}

func TestGenerate_selection(t *testing.T) {
	_, app := appDir(t)
	fleet, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "multicluster.yaml"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(app, "fleet.yaml"), fleet, 0o644))
	// multicluster.yaml's argocd.path is fleets/prod, its specFile the
	// default, mtlsgen.yaml.
	must(t, os.MkdirAll(filepath.Join(app, "prod"), 0o755))
	must(t, os.WriteFile(filepath.Join(app, "prod", "mtlsgen.yaml"), fleet, 0o644))
	must(t, os.WriteFile(filepath.Join(app, "selector.yaml"), []byte(`apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata: {name: fleet}
spec:
  profile: dev
  trust:
    anchors: [{name: fleet-root, active: true, secret: {name: fleet-root}}]
  argocd:
    repoURL: https://git.example.com/platform/mesh.git
    path: apps/mesh
    specFile: selector.yaml
    clusterSelector: {matchLabels: {mesh: prod}}
`), 0o644))
	for name, tc := range map[string]struct {
		req     cmp.Request
		wantErr string
	}{
		"fleet without a cluster": {
			req:     cmp.Request{SpecFile: "fleet.yaml", Component: "mesh"},
			wantErr: "fleet.yaml: the spec has 3 clusters (central, east, west) whose objects share names: set the plugin parameter cluster to the one this Application deploys to",
		},
		"unknown cluster": {
			req:     cmp.Request{SpecFile: "fleet.yaml", Cluster: "north"},
			wantErr: `plugin parameter cluster: no cluster "north" in the spec (clusters: central, east, west)`,
		},
		"unknown component": {
			req:     cmp.Request{SpecFile: "fleet.yaml", Cluster: "east", Component: "linkerd"},
			wantErr: `plugin parameter component: no component "linkerd" (components: mesh, argocd)`,
		},
		"unknown profile": {
			req:     cmp.Request{Profile: "staging"},
			wantErr: `plugin parameter profile: "staging" is not a profile (allowed: dev, prod, ha)`,
		},
		"a selection with no object": {
			req:     cmp.Request{Component: "argocd"}, // dev.yaml: argocd.enabled false
			wantErr: "mtlsgen.yaml: component argocd renders no object; refusing to print an empty output",
		},
		"one cluster of the fleet": {
			req: cmp.Request{SpecFile: "fleet.yaml", Cluster: "west", Component: "mesh"},
		},
		// A parent Application renders the ApplicationSet: its plugin
		// Applications read argocd.specFile in argocd.path, which must be
		// the spec the parent read.
		"an ApplicationSet whose Applications read another file": {
			req:     cmp.Request{SpecFile: "fleet.yaml", Component: "argocd", SourcePath: "fleets/prod"},
			wantErr: `fleet.yaml: spec.argocd.specFile is "mtlsgen.yaml", but this Application renders "fleet.yaml": the ApplicationSet's plugin Applications would read "mtlsgen.yaml"; set spec.argocd.specFile: fleet.yaml`,
		},
		"an ApplicationSet whose Applications read another directory": {
			req:     cmp.Request{SpecFile: "prod/mtlsgen.yaml", Component: "argocd", SourcePath: "apps/mesh"},
			wantErr: `prod/mtlsgen.yaml: spec.argocd.path is "fleets/prod", but this Application reads the spec from "apps/mesh/prod" (ARGOCD_APP_SOURCE_PATH "apps/mesh"): the ApplicationSet's plugin Applications would read "fleets/prod/mtlsgen.yaml"; set spec.argocd.path: apps/mesh/prod`,
		},
		"an ApplicationSet reading the spec it was rendered from": {
			req: cmp.Request{SpecFile: "prod/mtlsgen.yaml", Component: "argocd", SourcePath: "fleets"},
		},
		"an ApplicationSet, the source path unknown": {
			req: cmp.Request{SpecFile: "prod/mtlsgen.yaml", Component: "argocd"},
		},
		"component patches": {
			req:     cmp.Request{Component: "patches"},
			wantErr: "plugin parameter component: component patches holds kustomize patches for objects other Applications own",
		},
		"a cluster selector, no cluster": {
			req:     cmp.Request{SpecFile: "selector.yaml", Component: "mesh"},
			wantErr: "selector.yaml: plugin parameter cluster: required: the spec's clusters come from argocd.clusterSelector",
		},
		"a cluster selector and a cluster": {
			req: cmp.Request{SpecFile: "selector.yaml", Component: "mesh", Cluster: "arn:aws:eks:eu-west-1:1:cluster/east"},
		},
		"another spec file, no ApplicationSet rendered": {
			req: cmp.Request{SpecFile: "fleet.yaml", Cluster: "east", SourcePath: "apps/mesh"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := cmp.Generate(app, tc.req, "test")
			if tc.wantErr == "" {
				if err != nil || len(out) == 0 {
					t.Fatalf("err %v, %d bytes", err, len(out))
				}
				return
			}
			if err == nil || out != nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err %v (output %d bytes), want %q", err, len(out), tc.wantErr)
			}
		})
	}
}

// The plugin's one rule, checked over arbitrary parameters and files: it
// either prints a non-empty stream of objects or fails with no output, and
// never panics.
func FuzzGenerate(f *testing.F) {
	spec, err := os.ReadFile(filepath.Join(testutil.RepoRoot(f), "examples", "multicluster.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	dev, err := os.ReadFile(filepath.Join(testutil.RepoRoot(f), "examples", "dev.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(spec), "", "", "", "")
	f.Add(string(spec), "mtlsgen.yaml", "east", "mesh", "ha")
	f.Add(string(spec), "", "", "argocd", "")
	f.Add(string(spec), "", "west", "", "dev")
	f.Add(string(dev), "", "", "argocd", "")
	f.Add(string(dev), "", "in-cluster", "", "")
	f.Add(string(dev), "../mtlsgen.yaml", "", "", "")
	f.Add(string(dev), "", "", "", "prdo")
	f.Add("apiVersion: mtlsgen.dev/v1alpha1\nkind: MeshTLS\n", "", "", "", "")
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, content, file, cluster, component, profile string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, cmp.DefaultSpecFile), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := cmp.Generate(dir, cmp.Request{SpecFile: file, Cluster: cluster, Component: component, Profile: profile}, "test")
		switch {
		case err == nil && len(out) == 0:
			t.Fatal("success with an empty output")
		case err != nil && out != nil:
			t.Fatalf("output with an error: %v", err)
		case err == nil:
			testutil.ParseStream(t, out)
		}
	})
}
