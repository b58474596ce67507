package harness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Tools are the binaries the suite runs, and the versions they were built
// from.
type Tools struct {
	Etcd, KubeAPIServer, TrustManager, Mtlsgen string
	// GitOpsEngine runs Argo CD's sync and diff (test/e2e/gitopsengine),
	// with Argo CD's Lua health checks from ArgoCDHealthScripts.
	GitOpsEngine, ArgoCDHealthScripts string
	// Versions maps a module path to the version in use.
	Versions map[string]string
}

// The packages built from test/e2e/tools, and the module each comes from.
var toolPackages = []struct{ name, pkg, module, env string }{
	{"kube-apiserver", "k8s.io/kubernetes/cmd/kube-apiserver", "k8s.io/kubernetes", "MTLSGEN_E2E_KUBE_APISERVER"},
	{"trust-manager", "github.com/cert-manager/trust-manager/cmd/trust-manager", "github.com/cert-manager/trust-manager", "MTLSGEN_E2E_TRUST_MANAGER"},
}

// CacheDir is where built binaries are kept between runs:
// $MTLSGEN_E2E_CACHE, or mtlsgen-e2e under the user cache directory
// ($XDG_CACHE_HOME, ~/.cache).
func CacheDir() (string, error) {
	if d := os.Getenv("MTLSGEN_E2E_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "mtlsgen-e2e"), nil
}

// BuildTools finds or builds every binary. kube-apiserver and trust-manager
// come from the tools module (repoRoot/test/e2e/tools), cached under
// CacheDir by module version and a hash of the tools go.sum, so only the
// first run pays for the build; mtlsgen (from repoRoot) and gitopsengine
// (from test/e2e/gitopsengine, with Go 1.27) are built every time (Go's build
// cache makes that quick). An environment variable naming a binary
// (MTLSGEN_E2E_KUBE_APISERVER, MTLSGEN_E2E_TRUST_MANAGER, MTLSGEN_E2E_MTLSGEN,
// MTLSGEN_E2E_GITOPSENGINE, MTLSGEN_E2E_ETCD) wins.
func BuildTools(repoRoot, workDir string, log io.Writer, timing *Timing) (*Tools, error) {
	t := &Tools{Versions: map[string]string{}}
	var err error
	if t.Etcd, err = FindEtcd(); err != nil {
		return nil, err
	}
	toolsDir := filepath.Join(repoRoot, "test", "e2e", "tools")
	cache, err := CacheDir()
	if err != nil {
		return nil, err
	}
	sum, err := os.ReadFile(filepath.Join(toolsDir, "go.sum"))
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(sum)
	sumHash := hex.EncodeToString(h[:])[:12]

	var missing []string // packages to build
	var targets []string // their cache directories
	paths := map[string]*string{"kube-apiserver": &t.KubeAPIServer, "trust-manager": &t.TrustManager}
	for _, tp := range toolPackages {
		v, err := goOutput(toolsDir, "list", "-m", "-f", "{{.Version}}", tp.module)
		if err != nil {
			return nil, err
		}
		t.Versions[tp.module] = v
		if p := os.Getenv(tp.env); p != "" {
			*paths[tp.name] = p
			continue
		}
		dir := filepath.Join(cache, fmt.Sprintf("%s-%s-%s", tp.name, v, sumHash))
		*paths[tp.name] = filepath.Join(dir, tp.name)
		if _, err := os.Stat(*paths[tp.name]); err == nil {
			fmt.Fprintf(log, "using cached %s %s (%s)\n", tp.name, v, dir)
			continue
		}
		missing = append(missing, tp.pkg)
		targets = append(targets, dir)
	}
	if len(missing) > 0 {
		fmt.Fprintf(log, "building %s (the first run takes a few minutes; cached in %s)\n", strings.Join(missing, ", "), cache)
		start := time.Now()
		tmp, err := os.MkdirTemp(workDir, "tools-build-")
		if err != nil {
			return nil, err
		}
		// One go build for all of them, so the shared dependencies build
		// once and in parallel.
		args := append([]string{"build", "-ldflags", versionLDFlags(t.Versions["k8s.io/kubernetes"]), "-o", tmp + string(os.PathSeparator)}, missing...)
		if _, err := goOutput(toolsDir, args...); err != nil {
			return nil, err
		}
		for i, pkg := range missing {
			name := filepath.Base(pkg)
			if err := os.MkdirAll(filepath.Dir(targets[i]), 0o755); err != nil {
				return nil, err
			}
			stage := targets[i] + ".tmp"
			os.RemoveAll(stage)
			if err := os.MkdirAll(stage, 0o755); err != nil {
				return nil, err
			}
			if err := os.Rename(filepath.Join(tmp, name), filepath.Join(stage, name)); err != nil {
				return nil, err
			}
			os.RemoveAll(targets[i])
			if err := os.Rename(stage, targets[i]); err != nil {
				return nil, err
			}
		}
		timing.Add("build kube-apiserver/trust-manager", time.Since(start))
	}

	if p := os.Getenv("MTLSGEN_E2E_MTLSGEN"); p != "" {
		t.Mtlsgen = p
	} else {
		start := time.Now()
		// mtlsgen-kube and mtlsgen-helm next to it: mtlsgen hands them the
		// restarter and chart hydration.
		t.Mtlsgen = filepath.Join(workDir, "mtlsgen")
		if _, err := goOutput(repoRoot, "build", "-o", workDir+string(filepath.Separator), "./cmd/mtlsgen", "./cmd/mtlsgen-kube", "./cmd/mtlsgen-helm"); err != nil {
			return nil, err
		}
		timing.Add("build mtlsgen", time.Since(start))
	}
	start := time.Now()
	if t.GitOpsEngine, err = BuildGitOpsEngine(repoRoot, workDir); err != nil {
		return nil, err
	}
	timing.Add("build gitopsengine", time.Since(start))
	v, err := gitopsEngineVersion(repoRoot)
	if err != nil {
		return nil, err
	}
	if v != ArgoCDVersion {
		return nil, fmt.Errorf("test/e2e/gitopsengine builds with gitops-engine %s but the suite installs Argo CD %s's CRDs and health checks: move both to one release", v, ArgoCDVersion)
	}
	t.Versions[gitopsEngineModule+" (Argo CD's sync and diff)"] = v
	if t.ArgoCDHealthScripts, err = ArgoCDHealthScripts(); err != nil {
		return nil, err
	}
	for _, m := range []string{"github.com/cert-manager/cert-manager", "github.com/cert-manager/trust-manager"} {
		v, err := goOutput(repoRoot, "list", "-m", "-f", "{{.Version}}", m)
		if err != nil {
			return nil, err
		}
		t.Versions[m+" (CRDs)"] = v
	}
	return t, nil
}

// versionLDFlags stamps the Kubernetes version into the binaries, as
// Kubernetes' own build does, so /version reports it.
func versionLDFlags(v string) string {
	major, minor, _ := strings.Cut(strings.TrimPrefix(v, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	const pkg = "k8s.io/component-base/version"
	return fmt.Sprintf("-X %s.gitVersion=%s -X %s.gitMajor=%s -X %s.gitMinor=%s", pkg, v, pkg, major, pkg, minor)
}

// goOutput runs the go command in dir and returns its trimmed output.
func goOutput(dir string, args ...string) (string, error) {
	return goOutputWith("local", dir, args...)
}

// goOutputWith is goOutput with the toolchain GOTOOLCHAIN names.
func goOutputWith(toolchain, dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+toolchain)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s (in %s, GOTOOLCHAIN=%s): %v\n%s", strings.Join(args, " "), dir, toolchain, err, errb.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// ModuleDir downloads a module version into the module cache (never into
// any go.mod) and returns its directory. It runs the go command of the
// newest toolchain the suite uses (GitOpsEngineToolchain), which a module
// declaring that Go version needs even to be downloaded (Argo CD v3.6).
func ModuleDir(path, version string) (string, error) {
	tmp, err := os.MkdirTemp("", "mtlsgen-e2e-mod-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "mod", "download", "-json", path+"@"+version)
	cmd.Dir = tmp // outside any module
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+GitOpsEngineToolchain, "GOFLAGS=-mod=mod", "GO111MODULE=on")
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr != nil || info.Error != "" || err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %v %s %v", path, version, err, info.Error, jerr)
	}
	return info.Dir, nil
}
