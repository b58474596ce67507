package output

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mtlsgen/mtlsgen/generator"
	_ "github.com/mtlsgen/mtlsgen/internal/testutil" // -update, which every test binary takes
)

func deployment(ns, name string) *appsv1.Deployment {
	return &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

func configMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Namespace: "linkerd", Name: name}}
}

// Names may hold -, so the patch of a/b-c and that of a-b/c must not share
// a file.
func TestRelPath_patchesNeverShareAFile(t *testing.T) {
	a := RelPath(generator.Object{Cluster: "east", Component: generator.ComponentPatches, Object: deployment("a", "b-c")})
	b := RelPath(generator.Object{Cluster: "east", Component: generator.ComponentPatches, Object: deployment("a-b", "c")})
	if a == b || a != filepath.Join("clusters", "east", "patches", "deployment_a_b-c.yaml") {
		t.Errorf("paths %s and %s", a, b)
	}
}

// Objects of one file may arrive apart: the file is reopened and appended
// to, and only one file is open at a time.
func TestDirSink_interleavedFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	s, err := newDirSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []generator.Object{
		{Cluster: "east", Component: generator.ComponentMesh, Object: configMap("one")},
		{Cluster: "west", Component: generator.ComponentMesh, Object: configMap("two")},
		{Cluster: "east", Component: generator.ComponentMesh, Object: configMap("three")},
	} {
		if err := s.Write(o); err != nil {
			t.Fatal(err)
		}
		if s.cur == nil || s.curRel != RelPath(o) {
			t.Fatalf("open file %q, want %q", s.curRel, RelPath(o))
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("output directory %v, want mode 0755 like the directories in it (%v)", fi.Mode(), err)
	}
	east, err := os.ReadFile(filepath.Join(dir, "clusters", "east", "mesh", "manifests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(east); strings.Count(got, "---\n") != 2 || !strings.Contains(got, "name: one") || !strings.Contains(got, "name: three") || strings.Contains(got, "name: two") {
		t.Errorf("east:\n%s", got)
	}
}

// A cluster name that is not one directory name is refused, and nothing is
// written outside the output directory.
func TestDirSink_clusterNameNotADirectory(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"../escaped", "arn:aws:eks:eu-west-1:1:cluster/prod", "..", "."} {
		s, err := newDirSink(filepath.Join(root, "out"))
		if err != nil {
			t.Fatal(err)
		}
		err = s.Write(generator.Object{Cluster: name, Component: generator.ComponentMesh, Object: configMap("x")})
		s.Abort()
		if err == nil || !strings.Contains(err.Error(), "cannot name a directory of -o dir=") {
			t.Errorf("cluster %q: %v", name, err)
		}
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 0 {
		t.Errorf("left in %s: %v", root, entries)
	}
}

// An output directory given as a symbolic link is replaced where the link
// points; the link stays.
func TestDirSink_symlinkedOutput(t *testing.T) {
	root := t.TempDir()
	real, link := filepath.Join(root, "real"), filepath.Join(root, "link")
	for i := range 2 { // the second render replaces the first
		if i == 1 {
			if err := os.Symlink(real, link); err != nil {
				t.Skipf("no symbolic links here: %v", err)
			}
		}
		dir := real
		if i == 1 {
			dir = link
		}
		s, err := newDirSink(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Write(generator.Object{Cluster: "east", Component: generator.ComponentMesh, Object: configMap("v" + string(rune('1'+i)))}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi, err)
	}
	got, err := os.ReadFile(filepath.Join(real, "clusters", "east", "mesh", "manifests.yaml"))
	if err != nil || !strings.Contains(string(got), "name: v2") {
		t.Errorf("the link's target holds %q (%v), want the second render", got, err)
	}
}

// A render into the working directory (or a directory holding it) is
// refused before anything is written: the tree is replaced by renaming, and
// "." cannot be renamed. A directory beside it is fine.
func TestDirSink_workingDirectory(t *testing.T) {
	root := t.TempDir()
	work := filepath.Join(root, "rendered", "clusters")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{work, filepath.Dir(work)} { // earlier renders, so replaceable
		if err := os.WriteFile(filepath.Join(d, markerFile), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(work)
	for _, dir := range []string{".", "..", work, filepath.Dir(work)} {
		s, err := newDirSink(dir)
		if err == nil {
			s.Abort()
			t.Errorf("%s: accepted", dir)
			continue
		}
		if !strings.Contains(err.Error(), "is the working directory or holds it") {
			t.Errorf("%s: %v", dir, err)
		}
	}
	// The shell in the tree through a symbolic link: the tree by its real
	// path is the working directory too.
	link := filepath.Join(root, "link")
	if err := os.Symlink(filepath.Join(root, "rendered"), link); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(link, "clusters"))
	if s, err := newDirSink(filepath.Dir(work)); err == nil || !strings.Contains(err.Error(), "is the working directory or holds it") {
		if err == nil {
			s.Abort()
		}
		t.Errorf("the working directory's tree by its real path, from a link: %v", err)
	}
	os.Remove(link)
	t.Chdir(work)
	s, err := newDirSink(filepath.Join(root, "beside"))
	if err != nil {
		t.Fatalf("a directory beside the working one: %v", err)
	}
	s.Abort()
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Errorf("a refused render left %d entries next to the working directory", len(entries))
	}
}

// A parent the user cannot write to is named, not the temporary tree mtlsgen
// would have made in it.
func TestDirSink_unwritableParent(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes anywhere")
	}
	parent := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(parent, 0o555); err != nil {
		t.Fatal(err)
	}
	_, err := newDirSink(filepath.Join(parent, "out"))
	if err == nil || !strings.Contains(err.Error(), "in "+parent+": permission denied") || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("got %v", err)
	}
}
