package kubecmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"sigs.k8s.io/kustomize/kyaml/fn/framework/frameworktestutil"

	"github.com/mtlsgen/mtlsgen/internal/cli"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// `mtlsgen krm CONFIG [INPUT...]` (standalone mode) through the real command
// line: each testdata/krm-standalone/<case> has config.yaml (the spec),
// optional input*.yaml, and expected.yaml (a plain YAML stream: the inputs,
// then the generated objects) or errors.txt (standard error, exactly).
func TestKrm_standalone(t *testing.T) {
	checker := frameworktestutil.CommandResultsChecker{
		TestDataDirectory:        filepath.Join("testdata", "krm-standalone"),
		UpdateExpectedFromActual: *testutil.Update,
		ErrorAssertionFunc:       frameworktestutil.RequireStrippedStringsEqual,
		Command: func() *cobra.Command {
			// A command that runs `mtlsgen krm ARGS...` as main does, exit
			// code and error printing included.
			return &cobra.Command{
				SilenceErrors: true,
				SilenceUsage:  true,
				RunE: func(c *cobra.Command, a []string) error {
					Run(append([]string{"krm"}, a...), cli.IOStreams{In: c.InOrStdin(), Out: c.OutOrStdout(), ErrOut: c.ErrOrStderr()}, goldenVersion)
					return nil
				},
			}
		},
	}
	checker.Assert(t)
}

// Without arguments, mtlsgen is a KRM function when standard input is a
// pipe or a file (kustomize's exec functions before v5.7.0 cannot pass
// arguments), and prints its help on a terminal-like device.
func TestRun_noArgumentsIsKrmOnAPipe(t *testing.T) {
	in, err := os.Open(filepath.Join(testutil.RepoRoot(t), "plugin", "krm", "testdata", "processor", "valid", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var out, errOut bytes.Buffer
	if code := Run(nil, cli.IOStreams{In: in, Out: &out, ErrOut: &errOut}, goldenVersion); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n") || !strings.Contains(out.String(), "kind: Certificate") {
		t.Errorf("not a ResourceList with generated objects:\n%.400s", out.String())
	}

	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	out.Reset()
	if code := Run(nil, cli.IOStreams{In: devNull, Out: &out, ErrOut: &errOut}, goldenVersion); code != 0 || !strings.Contains(out.String(), "Usage:") {
		t.Errorf("mtlsgen < /dev/null: exit %d, want the help:\n%.300s", code, out.String())
	}
}
