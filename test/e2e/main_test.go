//go:build e2e

package e2e

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

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
	mods = append(mods, harness.ArgoCDModule+" "+harness.ArgoCDVersion+" (CRDs)")
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
