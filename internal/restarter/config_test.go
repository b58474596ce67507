package restarter_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

func TestConfig_Validate(t *testing.T) {
	ok := config()
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for name, tc := range map[string]struct {
		mutate func(*restarter.Config)
		want   string
	}{
		"no data plane":   {func(c *restarter.Config) { c.DataPlane = restarter.DataPlane{} }, "exactly one of"},
		"two data planes": {func(c *restarter.Config) { c.DataPlane.Namespaces = []string{"shop"} }, "exactly one of"},
		"bad selector": {func(c *restarter.Config) {
			c.DataPlane = restarter.DataPlane{Selector: "a in (b"}
		}, "--data-plane-selector"},
		"bad namespace": {func(c *restarter.Config) { c.ExtensionNamespaces = []string{"Viz"} }, `namespace "Viz"`},
		"the Linkerd namespace as an extension's": {func(c *restarter.Config) { c.ExtensionNamespaces = []string{"linkerd"} },
			"--extension-namespaces: linkerd is named twice, or is the Linkerd namespace"},
		"a data-plane namespace twice": {func(c *restarter.Config) { c.DataPlane = restarter.DataPlane{Namespaces: []string{"a", "a"}} },
			"--data-plane-namespaces: a is named twice"},
		"no restarts":      {func(c *restarter.Config) { c.MaxRestarts = 0 }, "--max-restarts must be at least 1"},
		"negative timeout": {func(c *restarter.Config) { c.ControlPlaneTimeout = -time.Second }, "must not be negative"},
	} {
		t.Run(name, func(t *testing.T) {
			c := config()
			tc.mutate(c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
