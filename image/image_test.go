package image_test

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
	"github.com/mtlsgen/mtlsgen/plugin/cmp"
)

// requireEnv makes a missing container tool a failure instead of a skip:
// CI sets it, so a broken CI machine cannot pass by skipping the test.
const requireEnv = "MTLSGEN_REQUIRE_IMAGE_TEST"

// buildah runs buildah against a storage of the test's own, so the test
// neither needs nor touches the machine's image store.
type buildah struct {
	t     *testing.T
	flags []string // --root, --runroot, --storage-driver
}

func (b buildah) command() string {
	return "buildah " + strings.Join(b.flags, " ")
}

// run runs buildah with args, stdin and env; it returns stdout, stderr and
// the exit code of what ran.
func (b buildah) run(stdin []byte, args ...string) ([]byte, []byte, int) {
	b.t.Helper()
	cmd := exec.Command("buildah", append(slices.Clone(b.flags), args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.Bytes(), stderr.Bytes(), 0
	case errors.As(err, &ee):
		return stdout.Bytes(), stderr.Bytes(), ee.ExitCode()
	}
	b.t.Fatalf("buildah %v: %v", args, err)
	return nil, nil, 0
}

func (b buildah) must(args ...string) string {
	b.t.Helper()
	out, errOut, code := b.run(nil, args...)
	if code != 0 {
		b.t.Fatalf("buildah %v: exit %d\n%s", args, code, errOut)
	}
	return strings.TrimSpace(string(out))
}

const imageName = "localhost/mtlsgen-image-test"

// setup builds the image with `make image`, exactly as a developer does,
// into a storage and build context of the test's own. It skips, saying why,
// only where buildah cannot run; with MTLSGEN_REQUIRE_IMAGE_TEST set it
// fails instead.
func setup(t *testing.T) (b buildah, context string) {
	t.Helper()
	skip := t.Skipf
	if os.Getenv(requireEnv) != "" {
		skip = t.Fatalf
	}
	if _, err := exec.LookPath("buildah"); err != nil {
		skip("image test skipped: buildah is not installed (apt-get install buildah; CI installs it)")
	}
	if _, err := exec.LookPath("make"); err != nil {
		skip("image test skipped: make is not installed")
	}
	dir := t.TempDir()
	b = buildah{t: t, flags: []string{"--root", filepath.Join(dir, "storage"), "--runroot", filepath.Join(dir, "run"), "--storage-driver", "vfs"}}
	if out, errOut, code := b.run(nil, "images"); code != 0 {
		skip("image test skipped: buildah cannot run here (exit %d): %s%s", code, out, errOut)
	}
	context = filepath.Join(dir, "context")
	make := exec.Command("make", "image",
		"IMAGE="+imageName, "IMAGE_TAG="+testutil.BinaryVersion, "VERSION="+testutil.BinaryVersion,
		"IMAGE_CONTEXT="+context, "IMAGE_BUILDER=buildah", "BUILDAH="+b.command())
	make.Dir = testutil.RepoRoot(t)
	start := time.Now()
	if out, err := make.CombinedOutput(); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	t.Logf("make image took %v", time.Since(start))
	return b, context
}

// TestImage builds the image once and checks it in subtests.
func TestImage(t *testing.T) {
	b, context := setup(t)
	host := filepath.Join(context, "mtlsgen") // the very binary the image holds
	ctr := b.must("from", "--quiet", imageName+":"+testutil.BinaryVersion)
	t.Cleanup(func() { b.run(nil, "rm", ctr) })

	t.Run("config", func(t *testing.T) { testConfig(t, b) })
	t.Run("files", func(t *testing.T) { testFiles(t, b, ctr, context) })
	t.Run("cmp generate as uid 999 on a read-only app directory", func(t *testing.T) { testCMP(t, b, ctr, host) })
	t.Run("krm as nobody", func(t *testing.T) { testKRM(t, b, ctr, host) })
	t.Run("kustomize container function", func(t *testing.T) { testKustomizeContainer(t, b, host) })
}

// The image runs as uid 999 the binary as entrypoint, with krm as default
// command (kustomize passes no arguments to a container function).
func testConfig(t *testing.T, b buildah) {
	raw := b.must("inspect", "--type", "image", imageName+":"+testutil.BinaryVersion)
	var img struct {
		OCIv1 struct {
			Config struct {
				User       string
				Entrypoint []string
				Cmd        []string
				WorkingDir string
				Labels     map[string]string
			} `json:"config"`
		}
	}
	if err := json.Unmarshal([]byte(raw), &img); err != nil {
		t.Fatal(err)
	}
	c := img.OCIv1.Config
	if c.User != "999:999" {
		t.Errorf("user %q, want 999:999", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/usr/local/bin/mtlsgen"}) || !slices.Equal(c.Cmd, []string{"krm"}) {
		t.Errorf("entrypoint %v, cmd %v", c.Entrypoint, c.Cmd)
	}
	if c.Labels["org.opencontainers.image.version"] != testutil.BinaryVersion {
		t.Errorf("version label %q", c.Labels["org.opencontainers.image.version"])
	}
}

// The image holds exactly its five files: no shell, nothing else. The
// binary is static (a scratch image has no dynamic loader), and the users
// the sidecar and kustomize run it as resolve.
func testFiles(t *testing.T, b buildah, ctr, context string) {
	root := b.must("mount", ctr)
	t.Cleanup(func() { b.run(nil, "umount", ctr) })
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, "/"+rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	want := []string{
		"/etc/group",
		"/etc/passwd",
		"/etc/ssl/certs/ca-certificates.crt",
		cmp.ConfigPath,
		"/usr/local/bin/mtlsgen",
		"/usr/local/bin/mtlsgen-kube",
	}
	if !slices.Equal(files, want) {
		t.Errorf("files in the image:\n%s\nwant:\n%s", strings.Join(files, "\n"), strings.Join(want, "\n"))
	}
	plugin, err := os.ReadFile(filepath.Join(root, cmp.ConfigPath))
	if err != nil || !bytes.Equal(plugin, cmp.PluginYAML) {
		t.Errorf("%s is not plugin/cmp/plugin.yaml (%v)", cmp.ConfigPath, err)
	}
	for _, bin := range []string{"mtlsgen", "mtlsgen-kube"} {
		inImage, err := os.ReadFile(filepath.Join(root, "usr/local/bin", bin))
		if err != nil {
			t.Fatal(err)
		}
		onHost, err := os.ReadFile(filepath.Join(context, bin))
		if err != nil || !bytes.Equal(inImage, onHost) {
			t.Errorf("the image's %s is not the one make image compiled (%v)", bin, err)
		}
		f, err := elf.Open(filepath.Join(root, "usr/local/bin", bin))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s is dynamically linked: it cannot run in a scratch image", bin)
			}
		}
		f.Close()
	}
	users := map[string]string{}
	passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd"))
	sc := bufio.NewScanner(bytes.NewReader(passwd))
	for sc.Scan() {
		if f := strings.Split(sc.Text(), ":"); len(f) >= 4 {
			users[f[0]] = f[2] + ":" + f[3]
		}
	}
	if users["argocd"] != "999:999" || users["nobody"] != "65534:65534" {
		t.Errorf("passwd users %v: want argocd 999:999 and nobody 65534:65534", users)
	}
}

// run runs argv in the container as user, with env, stdin and the
// application directory mounted read-only at /app (when app is set).
func run(t *testing.T, b buildah, ctr, user, app string, env []string, stdin []byte, argv ...string) ([]byte, []byte, int) {
	t.Helper()
	args := []string{"run", "--isolation", "chroot", "--user", user}
	if app != "" {
		args = append(args, "--volume", app+":/app:ro", "--workingdir", "/app")
	}
	for _, kv := range env {
		args = append(args, "--env", kv)
	}
	args = append(append(args, ctr, "--"), argv...)
	return b.run(stdin, args...)
}

// hostRun runs the same binary on the host, in dir, with exactly env.
func hostRun(t *testing.T, dir string, env []string, stdin []byte, argv ...string) ([]byte, []byte, int) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, env, bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	code := 0
	if ee != nil {
		code = ee.ExitCode()
	}
	return stdout.Bytes(), stderr.Bytes(), code
}

// fixtureEnv reads the KEY=VALUE lines of one of plugin/cmp's Argo CD
// environment fixtures.
func fixtureEnv(t *testing.T, name string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "plugin", "cmp", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, line := range strings.Split(string(raw), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			env = append(env, line)
		}
	}
	return env
}

// The image's generate, run as the sidecar runs it (uid 999, plugin.yaml's
// command, the Argo CD environment) on a read-only application directory,
// prints byte for byte what the host binary prints, and fails the same way.
func testCMP(t *testing.T, b buildah, ctr, host string) {
	repo := t.TempDir()
	app := filepath.Join(repo, "fleets", "prod")
	if err := os.MkdirAll(app, 0o777); err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "multicluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(app, "fleet.yaml"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	// World-writable, so that only the read-only mount can stop a write.
	if err := os.Chmod(app, 0o777); err != nil {
		t.Fatal(err)
	}
	generate := []string{"/usr/local/bin/mtlsgen", "cmp", "generate"}
	for _, tc := range []struct {
		fixture string
		fails   bool
	}{
		{"argocd-env/fleet-mesh-east.env", false},
		{"argocd-env-errors/spec-outside.env", true},
		{"argocd-env-errors/fleet-without-cluster.env", true},
	} {
		env := fixtureEnv(t, tc.fixture)
		if tc.fixture == "argocd-env-errors/fleet-without-cluster.env" {
			env = append(env, "PARAM_SPEC=fleet.yaml")
		}
		out, errOut, code := run(t, b, ctr, "999:999", app, env, nil, generate...)
		hostOut, hostErr, hostCode := hostRun(t, app, env, nil, append([]string{host}, generate[1:]...)...)
		// buildah run has lost the output of a process that exits at once
		// (seen once, with go test ./... on a loaded machine: stderr held
		// only buildah's "subprocess exited with status 1"): try a failure
		// again before calling its message wrong.
		for try := 0; tc.fails && code != 0 && len(errOut) > 0 && !bytes.Contains(errOut, bytes.TrimSpace(hostErr)) && try < 2; try++ {
			out, errOut, code = run(t, b, ctr, "999:999", app, env, nil, generate...)
		}
		if tc.fails {
			if code == 0 || len(out) != 0 {
				t.Errorf("%s: exit %d with %d bytes of output, want a failure with none", tc.fixture, code, len(out))
			}
			if !bytes.Contains(errOut, bytes.TrimSpace(hostErr)) || hostCode == 0 {
				t.Errorf("%s: image stderr %q, host stderr %q (exit %d)", tc.fixture, errOut, hostErr, hostCode)
			}
			continue
		}
		if code != 0 || hostCode != 0 {
			t.Fatalf("%s: exit %d (%s), host exit %d (%s)", tc.fixture, code, errOut, hostCode, hostErr)
		}
		if len(out) == 0 || !bytes.Equal(out, hostOut) {
			t.Errorf("%s: image output (%d bytes) differs from the host binary's (%d bytes)", tc.fixture, len(out), len(hostOut))
		}
	}
	// The view is read-only: the same binary cannot write there.
	_, errOut, code := run(t, b, ctr, "999:999", app, nil, nil, "/usr/local/bin/mtlsgen", "render", "fleet.yaml", "--cluster", "east", "-o", "dir=/app/out")
	if code == 0 || !bytes.Contains(errOut, []byte("read-only file system")) {
		t.Errorf("writing into the application directory: exit %d, %s", code, errOut)
	}
}

// The image's krm, as kustomize runs a container function (user nobody,
// ResourceList on stdin), prints what the host binary prints, and fails the
// same way on an invalid spec.
func testKRM(t *testing.T, b buildah, ctr, host string) {
	for _, tc := range []struct {
		input string
		fails bool
	}{
		{"valid", false},
		{"cluster-annotation", false},
		{"invalid-spec", true},
	} {
		in, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "plugin", "krm", "testdata", "processor", tc.input, "input.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		out, errOut, code := run(t, b, ctr, "nobody", "", nil, in, "/usr/local/bin/mtlsgen", "krm")
		hostOut, _, hostCode := hostRun(t, t.TempDir(), nil, in, host, "krm")
		if (code != 0) != tc.fails || (hostCode != 0) != tc.fails {
			t.Errorf("%s: exit %d (%s), host exit %d", tc.input, code, errOut, hostCode)
		}
		if len(out) == 0 || !bytes.Equal(out, hostOut) {
			t.Errorf("%s: image output (%d bytes) differs from the host binary's (%d bytes)", tc.input, len(out), len(hostOut))
		}
	}
}

// kustomize, in-process, runs examples/kustomize/fleet-east's container
// function from the image, through a docker stand-in that runs images with
// buildah as docker would. The build equals the host binary's render of the
// same cluster.
func testKustomizeContainer(t *testing.T, b buildah, host string) {
	shimDir := t.TempDir()
	shim, err := os.ReadFile("testdata/docker")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shimDir, "docker"), shim, 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(shimDir, "calls.log")
	t.Setenv("PATH", shimDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("BUILDAH", b.command())
	t.Setenv("DOCKER_SHIM_LOG", log)

	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(testutil.RepoRoot(t), "examples", "kustomize", "fleet-east"))); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "mtlsgen.yaml")
	raw, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const exampleImage = "image: mtlsgen:latest\n"
	if !bytes.Contains(raw, []byte(exampleImage)) {
		t.Fatalf("%s does not run %q; update this test", cfg, exampleImage)
	}
	raw = bytes.Replace(raw, []byte(exampleImage), []byte("image: "+imageName+":"+testutil.BinaryVersion+"\n"), 1)
	if err := os.WriteFile(cfg, raw, 0o644); err != nil {
		t.Fatal(err)
	}

	o := krusty.MakeDefaultOptions()
	o.Reorder = krusty.ReorderOptionLegacy
	o.PluginConfig = types.EnabledPluginConfig(types.BploUseStaticallyLinked)
	m, err := krusty.MakeKustomizer(o).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		calls, _ := os.ReadFile(log)
		t.Fatalf("kustomize build: %v\ndocker calls:\n%s", err, calls)
	}
	out, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	calls, _ := os.ReadFile(log)
	if !bytes.Contains(calls, []byte("--user nobody")) || !bytes.Contains(calls, []byte(imageName)) {
		t.Errorf("kustomize did not run the image through docker as nobody: %s", calls)
	}
	want, errOut, code := hostRun(t, dir, nil, nil, host, "render", "--cluster", "east", "--component", "mesh", cfg)
	if code != 0 {
		t.Fatalf("render: %s", errOut)
	}
	w, g := testutil.ByKey(t, testutil.ParseStream(t, want)), testutil.ByKey(t, testutil.ParseStream(t, out))
	if len(w) != len(g) {
		t.Fatalf("kustomize built %d objects, render %d", len(g), len(w))
	}
	for k, o := range w {
		gotJSON, _ := json.Marshal(g[k])
		wantJSON, _ := json.Marshal(o)
		if !bytes.Equal(gotJSON, wantJSON) {
			t.Errorf("%s differs:\nkustomize %s\nrender    %s", k, gotJSON, wantJSON)
		}
	}
}
