//go:build e2e

package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/klog/v2"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
	"github.com/mtlsgen/mtlsgen/test/e2e/harness"
)

// env is shared by every test of the run.
var env *harness.Env

// repoRoot is the repository root.
var repoRoot string

func TestMain(m *testing.M) {
	flag.Parse()
	_ = testutil.Update // every test package registers -update
	os.Exit(run(m))
}

func run(m *testing.M) int {
	start := time.Now()
	timing := &harness.Timing{}
	wd, _ := os.Getwd()
	repoRoot = filepath.Join(wd, "..", "..")
	work, err := os.MkdirTemp("", "mtlsgen-e2e-")
	if err != nil {
		fmt.Println("e2e:", err)
		return 1
	}
	code := 1
	defer func() {
		fmt.Printf("\n--- e2e timing (this test binary)\n%s", timing.Summary(time.Since(start)))
		if code == 0 && os.Getenv("MTLSGEN_E2E_KEEP") == "" {
			os.RemoveAll(work)
		} else {
			fmt.Printf("e2e: logs and data kept in %s\n", work)
		}
	}()

	if err := logKlogTo(filepath.Join(work, "cert-manager.log")); err != nil {
		fmt.Println("e2e:", err)
		return 1
	}
	tools, err := harness.BuildTools(repoRoot, work, os.Stdout, timing)
	if err != nil {
		fmt.Println("e2e:", err)
		return 1
	}
	t0 := time.Now()
	crds, err := harness.LoadCRDs(harness.CRDSources(tools.Versions))
	if err != nil {
		fmt.Println("e2e:", err)
		return 1
	}
	timing.Since(fmt.Sprintf("download and read %d CRDs", len(crds)), t0)
	var mods []string
	for m, v := range tools.Versions {
		mods = append(mods, m+" "+v)
	}
	mods = append(mods, harness.ArgoCDModule+" "+harness.ArgoCDVersion+" (CRDs, Lua health checks)")
	if v := linkedVersion(certManagerModule); v != "" {
		mods = append(mods, certManagerModule+" "+v+" (controller and admission webhooks, in this process)")
	}
	sort.Strings(mods)
	fmt.Println("e2e: versions under test:")
	for _, m := range mods {
		fmt.Println("  " + m)
	}

	t0 = time.Now()
	dataDir := filepath.Join(work, "etcd")
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		// etcd fsyncs every write; memory makes that free.
		if d, err := os.MkdirTemp("/dev/shm", "mtlsgen-e2e-etcd-"); err == nil {
			dataDir = d
			defer os.RemoveAll(d)
		}
	}
	etcd, err := harness.StartEtcd(tools.Etcd, dataDir, work)
	if err != nil {
		fmt.Println("e2e:", err)
		return 1
	}
	defer etcd.Stop()
	timing.Since("start etcd", t0)

	env = &harness.Env{Tools: tools, Etcd: etcd, CRDs: crds, WorkDir: work, Timing: timing}
	code = m.Run()
	return code
}

// logKlogTo sends klog's output to a file beside the other components' logs.
// cert-manager's controller and webhook run in this process and log through
// klog, which would bury the suite's own output.
func logKlogTo(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	for name, value := range map[string]string{"logtostderr": "false", "alsologtostderr": "false", "stderrthreshold": "FATAL"} {
		if err := fs.Set(name, value); err != nil {
			return err
		}
	}
	// MTLSGEN_E2E_KLOG_V raises cert-manager's log verbosity for debugging.
	if v := os.Getenv("MTLSGEN_E2E_KLOG_V"); v != "" {
		if err := fs.Set("v", v); err != nil {
			return err
		}
	}
	klog.SetOutput(f)
	return nil
}

// certManagerModule is the module whose controller and webhooks the suite
// runs in-process.
const certManagerModule = "github.com/cert-manager/cert-manager"

// linkedVersion is the version of a module this test binary links, as the
// go command resolves it (test binaries carry no module list of their own).
func linkedVersion(module string) string {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", module)
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
