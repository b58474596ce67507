package kubecmd

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/dynamic"

	"github.com/mtlsgen/mtlsgen/internal/cli"
	"github.com/mtlsgen/mtlsgen/internal/restarter"
	"github.com/mtlsgen/mtlsgen/internal/restarter/cluster"
)

const restarterHelp = `Restart exactly the workloads that hold stale Linkerd trust roots.

Reads the ConfigMap linkerd-identity-trust-roots (key ca-bundle.crt) in the
Linkerd namespace and hashes it as Linkerd's proxy injector does. Then:

  - control plane (the Linkerd namespace, then each --extension-namespaces):
    every Deployment, StatefulSet and DaemonSet whose pod template annotation
    mtlsgen.dev/trust-roots-sha256 differs is patched to the current hash;
    that patch is the rolling restart;
  - data plane (--data-plane-namespaces, --data-plane-selector or
    --all-meshed), once the control plane has rolled out: a workload is
    restarted only if one of its running meshed pods carries a
    linkerd.io/trust-root-sha256 other than the current hash. Pods are
    traced to Deployments (through ReplicaSets), StatefulSets, DaemonSets
    and, with --argo-rollouts, Argo Rollouts (restarted through
    spec.restartAt). Pods of any other owner are reported, never deleted.

At most --max-restarts workloads are restarted per run; a second run right
after restarts nothing. Each action is one JSON log line on standard error.
The outcome is written to the ConfigMap mtlsgen-trust-status in the Linkerd
namespace, which 'mtlsgen status' reads. No Secret is ever read or deleted.

It runs in the cluster as the CronJob mtlsgen renders, with the service
account's token, or from a workstation with --kubeconfig (or $KUBECONFIG,
or ~/.kube/config). --dry-run prints the plan and changes nothing.`

// connectFunc makes the dynamic client; tests pass a fake one.
type connectFunc func(kubeconfig, kubeContext, userAgent string) (dynamic.Interface, string, error)

type restarterFlags struct {
	kubeconfig  string
	kubeContext string
	dryRun      bool
	cfg         restarter.Config
}

func newRestarterCommand(streams cli.IOStreams, version string) *cobra.Command {
	return newRestarterCommandWith(streams, version, cluster.Connect, time.Now)
}

func newRestarterCommandWith(streams cli.IOStreams, version string, connect connectFunc, now func() time.Time) *cobra.Command {
	f := &restarterFlags{}
	cmd := &cobra.Command{
		Use:   cli.KubeRestarter.Use,
		Short: cli.KubeRestarter.Short,
		Long:  restarterHelp,
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.cfg.Validate(); err != nil {
				return cli.Usage(err)
			}
			dyn, host, err := connect(f.kubeconfig, f.kubeContext, "mtlsgen-restarter/"+version)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM)
			defer stop()
			log := slog.New(slog.NewJSONHandler(streams.ErrOut, nil))
			log.Info("start", "version", version, "server", host, "linkerdNamespace", f.cfg.LinkerdNamespace, "maxRestarts", f.cfg.MaxRestarts)
			// The Job's pod, or the workstation, with the process: what a
			// person reading the lock can find.
			node, _ := os.Hostname()
			r := &cluster.Runner{
				Client: cluster.New(dyn), Config: f.cfg, DryRun: f.dryRun,
				Out: streams.Out, Log: log, Now: now, Sleep: cluster.SleepContext,
				Holder: fmt.Sprintf("%s/%d", node, os.Getpid()),
			}
			_, err = r.Run(ctx)
			return err
		},
	}
	bindRestarterFlags(cmd, f)
	return cmd
}

// bindRestarterFlags declares the flags. Their names are restarter.Flag*,
// the ones restarter.Config.Args renders into the CronJob.
func bindRestarterFlags(cmd *cobra.Command, f *restarterFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
	fl.StringVar(&f.kubeContext, "context", "", "kubeconfig context (default: the current one)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan; change nothing")
	c := &f.cfg
	fl.StringVar(&c.LinkerdNamespace, restarter.FlagLinkerdNamespace, "linkerd", "namespace of the Linkerd control plane, its trust roots and the status ConfigMap")
	fl.StringSliceVar(&c.ExtensionNamespaces, restarter.FlagExtensionNamespaces, nil, "namespaces of enabled Linkerd extensions (control plane, restarted after the Linkerd namespace)")
	fl.StringSliceVar(&c.DataPlane.Namespaces, restarter.FlagNamespaces, nil, "application namespaces to act in")
	fl.StringSliceVar(&c.MeshNamespaces, restarter.FlagMeshNamespaces, nil, "namespaces spec.mesh enrolls: restart workloads whose pods do not match their injection, and report mesh coverage")
	fl.StringVar(&c.DataPlane.Selector, restarter.FlagSelector, "", "label selector choosing the application namespaces to act in")
	fl.BoolVar(&c.DataPlane.AllMeshed, restarter.FlagAllMeshed, false, "act in every namespace with meshed pods")
	fl.IntVar(&c.MaxRestarts, restarter.FlagMaxRestarts, 20, "most workloads restarted in one run")
	fl.BoolVar(&c.ArgoRollouts, restarter.FlagArgoRollouts, false, "restart Argo Rollouts (argoproj.io/v1alpha1) through spec.restartAt")
	fl.DurationVar(&c.ControlPlaneTimeout, restarter.FlagControlPlaneTimeout, restarter.DefaultControlPlaneTimeout, "how long to wait for the control plane to roll out before the data plane; 0 leaves the data plane to the next run")
}
