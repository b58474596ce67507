package harness

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/mtlsgen/mtlsgen/generator"
)

// Rendered is what `mtlsgen render -o dir=` wrote: every object, by cluster
// and for the fleet, each list in output order (components in name order).
type Rendered struct {
	Clusters map[string][]*unstructured.Unstructured
	// ClusterNames are the keys of Clusters, sorted.
	ClusterNames []string
	// Fleet holds the objects applied once, to the cluster Argo CD runs in.
	Fleet []*unstructured.Unstructured
}

// Mtlsgen runs the mtlsgen binary and returns its standard output; the
// error carries standard error.
func Mtlsgen(bin string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("mtlsgen %v: %v\n%s", args, err, errb.String())
	}
	return out.Bytes(), nil
}

// Render renders spec with the mtlsgen binary into a directory under
// workDir and reads it back.
func Render(bin, spec, workDir string, extra ...string) (*Rendered, error) {
	dir, err := os.MkdirTemp(workDir, "render-")
	if err != nil {
		return nil, err
	}
	out := filepath.Join(dir, "out")
	if _, err := Mtlsgen(bin, append([]string{"render", spec, "-o", "dir=" + out}, extra...)...); err != nil {
		return nil, err
	}
	r := &Rendered{Clusters: map[string][]*unstructured.Unstructured{}}
	clusters, err := os.ReadDir(filepath.Join(out, "clusters"))
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	for _, c := range clusters {
		objs, err := readComponents(filepath.Join(out, "clusters", c.Name()))
		if err != nil {
			return nil, err
		}
		r.ClusterNames = append(r.ClusterNames, c.Name())
		r.Clusters[c.Name()] = objs
	}
	if r.Fleet, err = readComponents(filepath.Join(out, "fleet")); err != nil {
		return nil, err
	}
	sort.Strings(r.ClusterNames)
	if len(r.ClusterNames) == 0 {
		return nil, fmt.Errorf("mtlsgen render %s wrote no cluster", spec)
	}
	return r, nil
}

// readComponents reads dir/COMPONENT/manifests.yaml in mtlsgen's component
// order, then any component it does not know yet in name order, leaving out
// the patches.
func readComponents(dir string) ([]*unstructured.Unstructured, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		// Patches are for the Applications that own the patched objects,
		// not applied with mtlsgen's output.
		if e.Name() != string(generator.ComponentPatches) {
			names = append(names, e.Name())
		}
	}
	rank := func(n string) int {
		if i := slices.Index(generator.Components, generator.Component(n)); i >= 0 {
			return i
		}
		return len(generator.Components)
	}
	slices.SortStableFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b)) })
	var out []*unstructured.Unstructured
	for _, n := range names {
		objs, err := ReadObjects(filepath.Join(dir, n, "manifests.yaml"))
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}
