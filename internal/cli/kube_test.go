package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// handedOver records what mtlsgen would run in its place.
type handedOver struct {
	path string
	args []string
}

// fakeKube points MTLSGEN_KUBE at an executable file and records hand-overs
// instead of making them.
func fakeKube(t *testing.T) (string, *[]handedOver) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mtlsgen-kube")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(KubeBinary.Env, path)
	var got []handedOver
	old := handOver
	handOver = func(p string, args []string, _ IOStreams) error {
		got = append(got, handedOver{p, args})
		return nil
	}
	t.Cleanup(func() { handOver = old })
	return path, &got
}

// mtlsgen hands krm, restarter and status over whole: every argument,
// --help included, goes to mtlsgen-kube unparsed.
func TestKubeCommands_handOverEveryArgument(t *testing.T) {
	path, got := fakeKube(t)
	cases := [][]string{
		{"restarter", "--linkerd-namespace=linkerd", "--all-meshed", "--dry-run"},
		{"restarter", "--help"},
		{"status", "--kubeconfig", "/tmp/k", "--no-such-flag"},
		{"krm", "spec.yaml", "-"},
		{"krm"},
	}
	for _, args := range cases {
		*got = nil
		if _, errOut, code := run(t, "", args...); code != 0 {
			t.Errorf("mtlsgen %v: exit %d: %s", args, code, errOut)
		}
		if len(*got) != 1 || (*got)[0].path != path || !slices.Equal((*got)[0].args, args) {
			t.Errorf("mtlsgen %v handed over %+v, want %s %v", args, *got, path, args)
		}
	}
}

// Run without arguments on a pipe (kustomize's exec function before
// v5.7.0), mtlsgen is the KRM function: it hands `krm` over.
func TestKubeCommands_noArgumentsOnAPipeIsKrm(t *testing.T) {
	_, got := fakeKube(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	defer r.Close()
	if code := Run(nil, IOStreams{In: r, Out: &strings.Builder{}, ErrOut: &strings.Builder{}}, goldenVersion); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if len(*got) != 1 || !slices.Equal((*got)[0].args, []string{"krm"}) {
		t.Errorf("handed over %+v, want krm", *got)
	}
}

// Without mtlsgen-kube, the command says what is missing and how to
// install it, and fails.
func TestKubeCommands_missingBinary(t *testing.T) {
	t.Setenv(KubeBinary.Env, "")
	t.Setenv("PATH", t.TempDir())
	_, errOut, code := run(t, "", "restarter", "--all-meshed")
	for _, want := range []string{
		"mtlsgen: mtlsgen restarter: mtlsgen-kube not found: it holds the commands that talk to Kubernetes",
		"go install github.com/mtlsgen/mtlsgen/cmd/...@latest", "MTLSGEN_KUBE=PATH",
	} {
		if code != ExitInvalid || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, want %d and %q in:\n%s", code, ExitInvalid, want, errOut)
		}
	}
	t.Setenv(KubeBinary.Env, filepath.Join(t.TempDir(), "absent"))
	if _, errOut, code := run(t, "", "status"); code != ExitInvalid || !strings.Contains(errOut, "MTLSGEN_KUBE="+filepath.Join(filepath.Dir(os.Getenv(KubeBinary.Env)), "absent")+": not an executable file") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// mtlsgen handed its own command back (MTLSGEN_KUBE naming mtlsgen, or an
// mtlsgen-kube that is a copy of it) stops instead of handing it over again
// forever.
func TestKubeCommands_handedBack(t *testing.T) {
	fakeKube(t)
	t.Setenv(handedOverEnv, "/usr/local/bin/mtlsgen-kube")
	_, errOut, code := run(t, "", "krm", "spec.yaml")
	if code != ExitInvalid || !strings.Contains(errOut, "mtlsgen krm: /usr/local/bin/mtlsgen-kube is mtlsgen, not mtlsgen-kube: it handed the command back") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// mtlsgen's help lists the handed-over commands with the same summary as
// mtlsgen-kube's.
func TestKubeCommands_listedInHelp(t *testing.T) {
	help, _, _ := run(t, "", "--help")
	for _, k := range KubeCommands {
		if !strings.Contains(help, "\n  "+k.Name+" ") || !strings.Contains(help, k.Short) {
			t.Errorf("help does not list %s (%q):\n%s", k.Name, k.Short, help)
		}
	}
}
