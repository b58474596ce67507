package cli

import (
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
	"sigs.k8s.io/kustomize/kyaml/fn/framework/frameworktestutil"

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
					Run(append([]string{"krm"}, a...), IOStreams{In: c.InOrStdin(), Out: c.OutOrStdout(), ErrOut: c.ErrOrStderr()}, goldenVersion)
					return nil
				},
			}
		},
	}
	checker.Assert(t)
}
