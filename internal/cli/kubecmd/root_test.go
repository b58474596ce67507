package kubecmd

import (
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/internal/cli"
)

// mtlsgen-kube has the real commands where mtlsgen has stand-ins, with the
// summaries mtlsgen lists, and every other command of mtlsgen besides.
func TestRootCommand_realCommandsInPlace(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"krm", "--help"}, "--enable-alpha-plugins --enable-exec"},
		{[]string{"restarter", "--help"}, "--control-plane-timeout duration"},
		{[]string{"status", "--help"}, "--proxy-certificate-lifetime duration"},
		{[]string{"render", "--help"}, "--hydrate"},
	} {
		out, errOut, code := run(t, "", tc.args...)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("mtlsgen-kube %v: exit %d, want %q in:\n%s%s", tc.args, code, tc.want, out, errOut)
		}
	}
	root := NewRootCommand(cli.IOStreams{}, goldenVersion)
	for _, k := range cli.KubeCommands {
		c, _, err := root.Find([]string{k.Name})
		if err != nil || c.Name() != k.Name || c.Short != k.Short || c.DisableFlagParsing {
			t.Errorf("%s: got %v (short %q, stand-in %v), err %v", k.Name, c.Name(), c.Short, c.DisableFlagParsing, err)
		}
	}
}
