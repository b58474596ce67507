package restarter

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Flag names of `mtlsgen restarter`. The generator renders the CronJob's
// arguments from a Config with Args, and the command parses them back into a
// Config, so the two cannot drift apart (a test parses the rendered
// arguments with the real command).
const (
	FlagLinkerdNamespace    = "linkerd-namespace"
	FlagExtensionNamespaces = "extension-namespaces"
	FlagNamespaces          = "data-plane-namespaces"
	FlagSelector            = "data-plane-selector"
	FlagAllMeshed           = "all-meshed"
	FlagMaxRestarts         = "max-restarts"
	FlagArgoRollouts        = "argo-rollouts"
	FlagControlPlaneTimeout = "control-plane-timeout"
	FlagMeshNamespaces      = "mesh-namespaces"
)

// DefaultControlPlaneTimeout is how long a run waits for the control plane
// to roll out before it turns to the data plane. The CronJob's
// activeDeadlineSeconds leaves room for it.
const DefaultControlPlaneTimeout = 5 * time.Minute

// Config is what one run of the restarter acts on.
type Config struct {
	// LinkerdNamespace holds the control plane, the trust roots ConfigMap
	// and the status ConfigMap.
	LinkerdNamespace string
	// ExtensionNamespaces are the enabled extensions' namespaces: control
	// plane too, restarted after the Linkerd namespace, in this order.
	ExtensionNamespaces []string
	// DataPlane chooses the application namespaces: exactly one of its
	// fields is set.
	DataPlane DataPlane
	// MaxRestarts bounds the workloads one run restarts.
	MaxRestarts int
	// ArgoRollouts follows ReplicaSets owned by Argo Rollouts.
	ArgoRollouts bool
	// ControlPlaneTimeout is how long a run waits for a restarted control
	// plane to roll out before restarting the data plane; 0 leaves the data
	// plane to the next run.
	ControlPlaneTimeout time.Duration
	// MeshNamespaces are the namespaces spec.mesh enrolls: there the
	// restarter also restarts workloads whose running pods do not match
	// their injection (no proxy where injection is enabled, a proxy where
	// it is disabled), and reports mesh coverage.
	MeshNamespaces []string
}

// DataPlane selects the application namespaces.
type DataPlane struct {
	// Namespaces by name.
	Namespaces []string
	// Selector is a label selector over namespaces, in kubectl's syntax.
	Selector string
	// AllMeshed is every namespace.
	AllMeshed bool
}

// ControlPlaneNamespaces are the Linkerd namespace then the extensions'.
func (c *Config) ControlPlaneNamespaces() []string {
	return append([]string{c.LinkerdNamespace}, c.ExtensionNamespaces...)
}

// IsExtension reports an extension's namespace.
func (c *Config) IsExtension(ns string) bool {
	return slices.Contains(c.ExtensionNamespaces, ns)
}

// IsControlPlane reports a control-plane namespace.
func (c *Config) IsControlPlane(ns string) bool {
	return slices.Contains(c.ControlPlaneNamespaces(), ns)
}

// Validate reports the first problem of a config built from flags.
func (c *Config) Validate() error {
	var errs []error
	for _, ns := range c.ControlPlaneNamespaces() {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("namespace %q: %s", ns, strings.Join(msgs, "; ")))
		}
	}
	// A namespace twice would be restarted, and counted, twice; the Linkerd
	// namespace as an extension's would restart the core with the
	// extensions, after it has to have rolled out.
	cp := c.ControlPlaneNamespaces()
	for i, ns := range cp {
		if slices.Index(cp, ns) != i {
			errs = append(errs, fmt.Errorf("--%s: %s is named twice, or is the Linkerd namespace", FlagExtensionNamespaces, ns))
		}
	}
	for _, list := range []struct {
		flag string
		nss  []string
	}{{FlagNamespaces, c.DataPlane.Namespaces}, {FlagMeshNamespaces, c.MeshNamespaces}} {
		for i, ns := range list.nss {
			if slices.Index(list.nss, ns) != i {
				errs = append(errs, fmt.Errorf("--%s: %s is named twice", list.flag, ns))
			}
			if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
				errs = append(errs, fmt.Errorf("--%s: namespace %q: %s", list.flag, ns, strings.Join(msgs, "; ")))
			}
			if c.IsControlPlane(ns) {
				errs = append(errs, fmt.Errorf("--%s: %s is a control-plane namespace", list.flag, ns))
			}
		}
	}
	set := 0
	if len(c.DataPlane.Namespaces) > 0 {
		set++
	}
	if c.DataPlane.Selector != "" {
		set++
		if _, err := labels.Parse(c.DataPlane.Selector); err != nil {
			errs = append(errs, fmt.Errorf("--%s: %w", FlagSelector, err))
		}
	}
	if c.DataPlane.AllMeshed {
		set++
	}
	if set != 1 {
		errs = append(errs, fmt.Errorf("choose the data plane with exactly one of --%s, --%s and --%s", FlagNamespaces, FlagSelector, FlagAllMeshed))
	}
	if c.MaxRestarts < 1 {
		errs = append(errs, fmt.Errorf("--%s must be at least 1", FlagMaxRestarts))
	}
	if c.ControlPlaneTimeout < 0 {
		errs = append(errs, fmt.Errorf("--%s must not be negative", FlagControlPlaneTimeout))
	}
	return errors.Join(errs...)
}

// Args are the command-line arguments of `mtlsgen restarter` that give this
// config, after the subcommand name.
func (c *Config) Args() []string {
	args := []string{"--" + FlagLinkerdNamespace + "=" + c.LinkerdNamespace}
	if len(c.ExtensionNamespaces) > 0 {
		args = append(args, "--"+FlagExtensionNamespaces+"="+strings.Join(c.ExtensionNamespaces, ","))
	}
	switch {
	case len(c.DataPlane.Namespaces) > 0:
		args = append(args, "--"+FlagNamespaces+"="+strings.Join(c.DataPlane.Namespaces, ","))
	case c.DataPlane.Selector != "":
		args = append(args, "--"+FlagSelector+"="+c.DataPlane.Selector)
	case c.DataPlane.AllMeshed:
		args = append(args, "--"+FlagAllMeshed)
	}
	args = append(args, "--"+FlagMaxRestarts+"="+strconv.Itoa(c.MaxRestarts))
	if c.ArgoRollouts {
		args = append(args, "--"+FlagArgoRollouts)
	}
	args = append(args, "--"+FlagControlPlaneTimeout+"="+c.ControlPlaneTimeout.String())
	if len(c.MeshNamespaces) > 0 {
		args = append(args, "--"+FlagMeshNamespaces+"="+strings.Join(c.MeshNamespaces, ","))
	}
	return args
}
