package plugin_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/load"
	"github.com/mtlsgen/mtlsgen/internal/testutil"
	"github.com/mtlsgen/mtlsgen/plugin"
)

func loadExample(t *testing.T, name string) (raw []byte, opts load.Options) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw, load.Options{}
}

func TestRender(t *testing.T) {
	raw, opts := loadExample(t, "multicluster.yaml")
	fleet, err := load.Parse("multicluster.yaml", raw, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, opts = loadExample(t, "dev.yaml")
	dev, err := load.Parse("dev.yaml", raw, opts)
	if err != nil {
		t.Fatal(err)
	}

	_, err = plugin.Render(fleet, generator.Options{Component: generator.ComponentMesh})
	var several *plugin.SeveralClustersError
	if !errors.As(err, &several) || !slices.Equal(several.Clusters, []string{"central", "east", "west"}) {
		t.Errorf("a fleet without a cluster: %v", err)
	}
	objs, err := plugin.Render(fleet, generator.Options{Cluster: "west"})
	if err != nil || len(objs) == 0 {
		t.Fatalf("one cluster: %v", err)
	}
	for _, o := range objs {
		if o.Cluster != "west" {
			t.Errorf("%s/%s goes to %q", o.Component, o.Object.GetName(), o.Cluster)
		}
	}
	if _, err := plugin.Render(dev, generator.Options{Component: generator.ComponentArgoCD}); !errors.Is(err, plugin.ErrNothingRendered) {
		t.Errorf("an empty selection: %v", err)
	}
	if _, err := plugin.Render(dev, generator.Options{Cluster: "nope"}); err == nil {
		t.Error("an unknown cluster rendered")
	}

	// EncodeYAML is exactly render's YAML stream.
	all, err := generator.RenderAll(dev, generator.Options{Version: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := plugin.EncodeYAML(all)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "golden", "dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(golden) {
		t.Error("EncodeYAML differs from golden/dev.yaml (mtlsgen render examples/dev.yaml)")
	}
}
