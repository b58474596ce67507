package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// GitOpsEngineToolchain is the Go that builds test/e2e/gitopsengine: Argo
// CD's gitops-engine needs Go 1.27, mtlsgen builds with 1.26. The go
// command fetches it from the module proxy on first use.
const GitOpsEngineToolchain = "go1.27.3"

// ArgoCDManager is the field manager Argo CD's server-side apply syncs
// with; the suite applies as it, so that Argo CD's server-side diff sees
// the ownership it would see after a sync.
const ArgoCDManager = "argocd-controller"

// gitopsEngineModule is Argo CD's sync and diff library.
const gitopsEngineModule = "github.com/argoproj/argo-cd/gitops-engine/v3"

// gitopsEngineDir is the module of the gitopsengine program.
func gitopsEngineDir(repoRoot string) string {
	return filepath.Join(repoRoot, "test", "e2e", "gitopsengine")
}

// BuildGitOpsEngine builds the gitopsengine program (test/e2e/gitopsengine,
// a module of its own) into workDir, unless MTLSGEN_E2E_GITOPSENGINE names
// one. Go's build cache makes every build after the first quick.
func BuildGitOpsEngine(repoRoot, workDir string) (string, error) {
	if p := os.Getenv("MTLSGEN_E2E_GITOPSENGINE"); p != "" {
		return p, nil
	}
	bin := filepath.Join(workDir, "gitopsengine")
	if _, err := goOutputWith(GitOpsEngineToolchain, gitopsEngineDir(repoRoot), "build", "-o", bin, "."); err != nil {
		return "", err
	}
	return bin, nil
}

// gitopsEngineVersion is the gitops-engine version gitopsengine is built
// from.
func gitopsEngineVersion(repoRoot string) (string, error) {
	return goOutputWith(GitOpsEngineToolchain, gitopsEngineDir(repoRoot), "list", "-m", "-f", "{{.Version}}", gitopsEngineModule)
}

// ArgoCDHealthScripts is the directory of the Lua health checks Argo CD
// ships (resource_customizations/GROUP/KIND/health.lua), from the Argo CD
// release whose CRDs the suite installs.
func ArgoCDHealthScripts() (string, error) {
	dir, err := ModuleDir(ArgoCDModule, ArgoCDVersion)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "resource_customizations"), nil
}

// ArgoDiff is one object Argo CD would show as out of sync, in one of its
// diff strategies ("legacy" or "server-side").
type ArgoDiff struct {
	Object   string `json:"object"`
	Strategy string `json:"strategy"`
	Diff     string `json:"diff"`
}

func (d ArgoDiff) String() string {
	return fmt.Sprintf("%s (%s diff; - live, + what Argo CD expects):\n%s", d.Object, d.Strategy, d.Diff)
}

// ArgoDiff runs Argo CD's diff of objs against what the cluster holds and
// returns every difference.
func (c *Cluster) ArgoDiff(ctx context.Context, tools *Tools, objs []*unstructured.Unstructured) ([]ArgoDiff, error) {
	var diffs []ArgoDiff
	err := c.gitopsEngine(ctx, tools, objs, &diffs, "diff")
	return diffs, err
}

// ArgoSync is how Argo CD's sync of a set of objects ended.
type ArgoSync struct {
	// Phase is Succeeded, Failed or Error, or Running when the sync had
	// not completed in time.
	Phase   string `json:"phase"`
	Message string `json:"message"`
	// Attempts is how many sync operations ran; Failed says why each one
	// that was retried failed.
	Attempts int      `json:"attempts"`
	Failed   []string `json:"failed"`
	// Rounds is how many times the last operation was resumed.
	Rounds int `json:"rounds"`
	// RoundSeconds is how long each round took.
	RoundSeconds []float64 `json:"roundSeconds"`
	// Resources are in the order they were applied.
	Resources []struct {
		Object  string `json:"object"`
		Wave    int    `json:"wave"`
		Status  string `json:"status"`
		Health  string `json:"health"`
		Message string `json:"message"`
	} `json:"resources"`
}

// ArgoSync syncs objs to the cluster as Argo CD's application controller
// syncs an Application with ServerSideApply=true, automated prune and a
// syncPolicy.retry of retries: dry run, then wave by wave, each waiting for
// its objects to be healthy by Argo CD's health checks; a failed sync runs
// again; what managed (the previous sync's objects) holds and objs does not
// is pruned. It returns how the sync ended, within timeout.
func (c *Cluster) ArgoSync(ctx context.Context, tools *Tools, objs, managed []*unstructured.Unstructured, retries int, timeout time.Duration) (*ArgoSync, error) {
	args := []string{"sync", "-health", tools.ArgoCDHealthScripts, "-retries", strconv.Itoa(retries), "-timeout", timeout.String()}
	if len(managed) > 0 {
		b, err := json.Marshal(managed)
		if err != nil {
			return nil, err
		}
		f, err := os.CreateTemp(c.Dir, "managed-*.json")
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		args = append(args, "-managed", f.Name())
	}
	var s ArgoSync
	err := c.gitopsEngine(ctx, tools, objs, &s, args...)
	return &s, err
}

// HealthCheck is one of Argo CD's test cases of a Lua health check, with
// the verdict Argo CD's test expects and the one the suite's runner gave.
type HealthCheck struct {
	Kind, Input, Want, Got string
}

// CheckArgoCDHealthScripts runs Argo CD's own test cases of the Lua health
// checks of kinds (GROUP/KIND) with the runner the suite's sync uses.
func CheckArgoCDHealthScripts(ctx context.Context, tools *Tools, kinds []string) ([]HealthCheck, error) {
	var checks []HealthCheck
	err := runGitOpsEngine(ctx, tools, nil, io.Discard, &checks, append([]string{"check-health", "-health", tools.ArgoCDHealthScripts}, kinds...)...)
	return checks, err
}

// gitopsEngine runs the gitopsengine program on objs against the cluster
// and decodes its report into out. Its log, every request it made to the
// API server, is appended to gitopsengine.log in the cluster's directory.
func (c *Cluster) gitopsEngine(ctx context.Context, tools *Tools, objs []*unstructured.Unstructured, out any, args ...string) error {
	in, err := json.Marshal(objs)
	if err != nil {
		return err
	}
	logPath := filepath.Join(c.Dir, "gitopsengine.log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	fmt.Fprintf(log, "--- gitopsengine %s of %d objects\n", args[0], len(objs))
	args = append([]string{args[0], "-trace", "-kubeconfig", c.API.AdminKubeconfig}, args[1:]...)
	if err := runGitOpsEngine(ctx, tools, in, log, out, args...); err != nil {
		return fmt.Errorf("%w\n(log: %s)", err, logPath)
	}
	return nil
}

// runGitOpsEngine runs the gitopsengine program with args and stdin,
// copies its standard error to log, and decodes its report into out.
func runGitOpsEngine(ctx context.Context, tools *Tools, stdin []byte, log io.Writer, out any, args ...string) error {
	cmd := exec.CommandContext(ctx, tools.GitOpsEngine, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, io.MultiWriter(log, &stderr)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("gitopsengine %s: %v\n%s", args[0], err, lastLines(stderr.String(), 20))
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("gitopsengine %s's report: %v", args[0], err)
	}
	return nil
}

// lastLines is the end of s, at most n lines.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
