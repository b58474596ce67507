package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ArgoDiffToolchain is the Go that builds test/e2e/argodiff: Argo CD's
// gitops-engine needs Go 1.27, mtlsgen builds with 1.26. The go command
// fetches it from the module proxy on first use.
const ArgoDiffToolchain = "go1.27.3"

// ArgoCDManager is the field manager Argo CD's server-side apply syncs
// with; the suite applies as it, so that Argo CD's server-side diff sees
// the ownership it would see after a sync.
const ArgoCDManager = "argocd-controller"

// gitopsEngineModule is Argo CD's diff and sync library.
const gitopsEngineModule = "github.com/argoproj/argo-cd/gitops-engine/v3"

// BuildArgoDiff builds the argodiff program (test/e2e/argodiff, a module
// of its own) into workDir, unless MTLSGEN_E2E_ARGODIFF names one. Go's
// build cache makes every build after the first quick.
func BuildArgoDiff(repoRoot, workDir string) (string, error) {
	if p := os.Getenv("MTLSGEN_E2E_ARGODIFF"); p != "" {
		return p, nil
	}
	bin := filepath.Join(workDir, "argodiff")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(repoRoot, "test", "e2e", "argodiff")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+ArgoDiffToolchain)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building argodiff with %s (in %s): %v\n%s", ArgoDiffToolchain, cmd.Dir, err, out)
	}
	return bin, nil
}

// argoDiffVersion is the gitops-engine version argodiff is built from.
func argoDiffVersion(repoRoot string) (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", gitopsEngineModule)
	cmd.Dir = filepath.Join(repoRoot, "test", "e2e", "argodiff")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+ArgoDiffToolchain)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s (in %s): %v", gitopsEngineModule, cmd.Dir, err)
	}
	return strings.TrimSpace(string(out)), nil
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

// ArgoDiff runs Argo CD's diff of objs against what the cluster holds,
// with the argodiff program at bin, and returns every difference.
func (c *Cluster) ArgoDiff(ctx context.Context, bin string, objs []*unstructured.Unstructured) ([]ArgoDiff, error) {
	in, err := json.Marshal(objs)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "-kubeconfig", c.API.AdminKubeconfig)
	cmd.Stdin = bytes.NewReader(in)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("argodiff: %v\n%s", err, strings.TrimSpace(errb.String()))
	}
	var diffs []ArgoDiff
	if err := json.Unmarshal(out.Bytes(), &diffs); err != nil {
		return nil, fmt.Errorf("argodiff's output: %v", err)
	}
	return diffs, nil
}
