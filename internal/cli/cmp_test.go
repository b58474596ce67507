package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// cmp generate prints what render prints for the same selection, and on any
// error nothing at all.
func TestCmpGenerate(t *testing.T) {
	app := t.TempDir()
	spec, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "multicluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(app, "mtlsgen.yaml"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	want, _, code := run(t, "", "render", "--cluster", "west", "--component", "mesh", filepath.Join(app, "mtlsgen.yaml"))
	if code != 0 || want == "" {
		t.Fatal("render failed")
	}
	for name, tc := range map[string]struct {
		env     []string
		wantErr string
	}{
		"parameters": {env: []string{`ARGOCD_APP_PARAMETERS=[{"name":"cluster","string":"west"},{"name":"component","string":"mesh"}]`}},
		"plugin env": {env: []string{"ARGOCD_ENV_CLUSTER=west", "ARGOCD_ENV_COMPONENT=mesh"}},
		"no cluster": {env: []string{"PARAM_COMPONENT=mesh"}, wantErr: "set the plugin parameter cluster"},
		"bad JSON":   {env: []string{"ARGOCD_APP_PARAMETERS=[{"}, wantErr: "ARGOCD_APP_PARAMETERS is not a JSON list"},
		"escape":     {env: []string{"PARAM_SPEC=../mtlsgen.yaml", "PARAM_CLUSTER=west"}, wantErr: `".." is not allowed`},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runCmpGenerate(IOStreams{Out: &out, ErrOut: &errOut}, goldenVersion, tc.env, app)
			if tc.wantErr == "" {
				if err != nil || out.String() != want {
					t.Fatalf("err %v; output equals render: %v", err, out.String() == want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || out.Len() != 0 {
				t.Fatalf("err %v, %d bytes out, want error %q and no output", err, out.Len(), tc.wantErr)
			}
		})
	}
}

// The plugin commands are usage-checked like every other command, and are
// listed in the help.
func TestPluginCommands_usage(t *testing.T) {
	if _, errOut, code := run(t, "", "cmp", "generate", "extra"); code != ExitUsage || !strings.Contains(errOut, "extra") {
		t.Errorf("cmp generate extra: exit %d, %s", code, errOut)
	}
	help, _, _ := run(t, "", "--help")
	for _, cmd := range []string{"krm ", "cmp "} {
		if !strings.Contains(help, "\n  "+cmd) {
			t.Errorf("help does not list %q:\n%s", cmd, help)
		}
	}
}

// A typo of generate in plugin.yaml is a usage error with nothing on
// standard output: help there, with exit 0, would be taken for manifests.
func TestCmp_unknownSubcommand(t *testing.T) {
	out, errOut, code := run(t, "", "cmp", "genrate")
	if code != ExitUsage || out != "" || !strings.Contains(errOut, `unknown command "genrate" for "mtlsgen cmp"`) {
		t.Errorf("exit %d, stdout %q: %s", code, out, errOut)
	}
}
