package kubecmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/cli"
	"github.com/mtlsgen/mtlsgen/internal/restarter"
	"github.com/mtlsgen/mtlsgen/internal/restarter/cluster"
)

const statusHelp = `Say whether the next step of a trust-anchor rotation is safe.

Reads, with your kubeconfig: the trust roots ConfigMap, the ConfigMap
mtlsgen-trust-status the restarter writes after every run, the Ready
condition of every Certificate mtlsgen manages, the CertificateRequests of
the identity issuer (which anchor signed it, by key, and since when), the
proxy certificate lifetime Linkerd was installed with (ConfigMap
linkerd-config), and the trust-root hash of every meshed pod in the cluster
(also outside the restarter's namespaces: without the right to list them all,
it is not safe, unless --only-restarter-namespaces).
The next step is safe when the restarter has run since the bundle was last
written, every workload holds the current roots, no meshed pod anywhere holds
other roots and every Certificate is Ready. For
removing old anchors (step 3) it also says when the last proxy certificate
signed under them expires.

Exit code 0 when safe, 1 when not (or on error), so a script can wait on it.`

const flagProxyLifetime = restarter.FlagProxyLifetime

type statusFlags struct {
	kubeconfig       string
	kubeContext      string
	linkerdNamespace string
	proxyLifetime    time.Duration
	// onlyRestarterNamespaces: see restarter.Observation.
	onlyRestarterNamespaces bool
}

func newStatusCommand(streams cli.IOStreams, version string) *cobra.Command {
	return newStatusCommandWith(streams, version, cluster.Connect, time.Now)
}

func newStatusCommandWith(streams cli.IOStreams, version string, connect connectFunc, now func() time.Time) *cobra.Command {
	f := &statusFlags{}
	cmd := &cobra.Command{
		Use:   cli.KubeStatus.Use,
		Short: cli.KubeStatus.Short,
		Long:  statusHelp,
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if msgs := validation.IsDNS1123Label(f.linkerdNamespace); len(msgs) > 0 {
				return cli.Usage(fmt.Errorf("--%s %q: %s", restarter.FlagLinkerdNamespace, f.linkerdNamespace, strings.Join(msgs, "; ")))
			}
			if cmd.Flags().Changed(flagProxyLifetime) && f.proxyLifetime <= 0 {
				// Zero would make removing an anchor look safe at once.
				return cli.Usage(fmt.Errorf("--%s %s: must be positive: spec.identityIssuer.issuanceLifetime plus clockSkewAllowance", flagProxyLifetime, f.proxyLifetime))
			}
			dyn, _, err := connect(f.kubeconfig, f.kubeContext, "mtlsgen-status/"+version)
			if err != nil {
				return err
			}
			c := cluster.New(dyn)
			ctx := cmd.Context()
			bundle, version, err := c.TrustRoots(ctx, f.linkerdNamespace)
			if err != nil {
				return err
			}
			anchors, err := restarter.ParseAnchors(bundle)
			if err != nil {
				return err
			}
			st, err := c.ReadStatus(ctx, f.linkerdNamespace)
			if err != nil {
				return err
			}
			certs, err := c.CertificatesReadiness(ctx, metav1.NamespaceAll,
				metav1.ListOptions{LabelSelector: generator.LabelManagedBy + "=" + generator.ManagedByValue})
			if err != nil {
				return err
			}
			hash := restarter.TrustRootsHash(bundle)
			o := &restarter.Observation{
				Now: now(), BundleHash: hash, BundleVersion: version, Anchors: anchors,
				Status: st, Certificates: certs, ProxyLifetime: f.proxyLifetime, ProxyLifetimeFrom: "--" + flagProxyLifetime,
				LinkerdNamespace: f.linkerdNamespace, OnlyRestarterNamespaces: f.onlyRestarterNamespaces,
			}
			if !cmd.Flags().Changed(flagProxyLifetime) {
				// What Linkerd was installed with, rather than a default
				// that may not be the spec's.
				if d, err := c.ProxyLifetime(ctx, f.linkerdNamespace); err != nil {
					// Not a default: the spec may give proxies days, and
					// a shorter guess would call a removal safe too early.
					o.ProxyLifetime = 0
					o.ProxyLifetimeFrom = fmt.Sprintf("%s could not be read: %v", cluster.LinkerdConfig, err)
				} else {
					o.ProxyLifetime, o.ProxyLifetimeFrom = d, "issuanceLifetime plus clockSkewAllowance in "+cluster.LinkerdConfig
				}
			}
			// The restarter sees only its namespaces; a meshed pod
			// elsewhere that holds old roots breaks as much on step 2.
			if o.StalePods, err = c.StalePods(ctx, f.linkerdNamespace, hash); err != nil {
				o.StalePodsUnread = err.Error()
			}
			// Which anchor signed the identity issuer, and from when, by
			// key: its CertificateRequests keep that history.
			o.ReloadAllowance = generator.IdentityIssuerReloadAllowance
			if o.Issuances, err = c.Issuances(ctx, f.linkerdNamespace, generator.IdentityIssuerName); err != nil {
				o.IssuancesUnread = err.Error()
			}
			v := restarter.Judge(o)
			for _, l := range v.Lines {
				fmt.Fprintln(streams.Out, l)
			}
			if !v.Safe {
				// The verdict, printed above, says why.
				return cli.ExitCode(cli.ExitInvalid)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.kubeContext, "context", "", "kubeconfig context (default: the current one)")
	fl.StringVar(&f.linkerdNamespace, restarter.FlagLinkerdNamespace, "linkerd", "namespace of the Linkerd control plane")
	fl.DurationVar(&f.proxyLifetime, flagProxyLifetime, 0,
		"longest life of a proxy certificate: spec.identityIssuer.issuanceLifetime plus clockSkewAllowance; when not given, read from the ConfigMap linkerd-config (unreadable, no removal is called safe)")
	fl.BoolVar(&f.onlyRestarterNamespaces, restarter.FlagOnlyRestarterNamespaces, false,
		"when the meshed pods of every namespace cannot be listed, judge by the restarter's namespaces alone (otherwise that is not safe)")
	return cmd
}
