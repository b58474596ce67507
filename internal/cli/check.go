package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/internal/check"
)

const checkHelp = `Find the mistakes in Linkerd, cert-manager, trust-manager and Argo CD
manifests before they reach a cluster.

Reads multi-document YAML from files, directories (recursively) and "-"
(standard input), Linkerd Helm values files (--values FILE, or
--values CHART=FILE to name the chart), and the helm.valuesObject of Argo CD
Applications and ApplicationSets. It builds the graph of who issues, mounts,
injects and trusts what, and reports each finding with its rule (MTLS001...),
severity, object, field, what breaks and when, and the fix. Unparseable YAML
is a finding too, and so is a document without apiVersion and kind in a
named file (in a directory, such files are left out); the rest is still
checked.

Exit code: 0 without errors, 1 with errors (or with warnings and --strict, or
with nothing to check), 2 for a usage error.`

type checkFlags struct {
	values         []string
	linkerdVersion string
	output         string
	strict         bool
}

func newCheckCommand(streams IOStreams, version string) *cobra.Command {
	f := &checkFlags{}
	cmd := &cobra.Command{
		Use:   "check FILE|DIR|- ... (or only --values FILE)",
		Short: "Find mistakes in Linkerd mTLS manifests, hand-written or generated",
		Long:  checkHelp,
		Args:  args(cobra.ArbitraryArgs),
		RunE: func(_ *cobra.Command, paths []string) error {
			return runCheck(streams, version, paths, f)
		},
	}
	cmd.Flags().StringArrayVar(&f.values, "values", nil, "a Linkerd Helm values file (one document per chart, as render --only linkerd-values writes; - for standard input), or CHART=FILE (linkerd-crds, linkerd-control-plane, linkerd-viz, linkerd-multicluster, linkerd-jaeger); repeatable")
	cmd.Flags().StringVar(&f.linkerdVersion, "linkerd-version", "", "the Linkerd version the values target, e.g. 2.18 (otherwise read from Argo CD Applications' chart versions)")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text, json or sarif")
	cmd.Flags().BoolVar(&f.strict, "strict", false, "exit 1 on warnings too")
	cmd.RegisterFlagCompletionFunc("output", fixedCompletion("text", "json", "sarif"))
	return cmd
}

func runCheck(streams IOStreams, version string, paths []string, f *checkFlags) error {
	switch f.output {
	case "text", "json", "sarif":
	default:
		return usagef("unknown output format %q (allowed: text, json, sarif)", f.output)
	}
	if len(paths) == 0 && len(f.values) == 0 {
		return usagef("nothing named to check: give manifests (FILE, DIR, or - for standard input), or Linkerd values (--values FILE)")
	}
	if f.linkerdVersion != "" {
		if err := checkLinkerdVersion(f.linkerdVersion); err != nil {
			return err
		}
	}
	in := &check.Input{}
	if err := check.ReadPaths(in, paths, streams.In); err != nil {
		// As render says of a spec it cannot read: exit 1, no usage.
		return err
	}
	readValuesStdin := false
	names := slices.Clone(paths) // every input named, for "nothing to check"
	for _, v := range f.values {
		chart, file, named := strings.Cut(v, "=")
		if !named {
			chart, file = "", v
		} else if !slices.Contains(check.ValuesCharts, chart) {
			return usagef("--values %s: unknown chart %q (allowed: %s)", v, chart, strings.Join(check.ValuesCharts, ", "))
		}
		names = append(names, file)
		var raw []byte
		var err error
		switch file {
		case "":
			return usagef("--values %q: names no file (--values FILE or --values CHART=FILE)", v)
		case "-":
			// Standard input, once, and not also a manifest path.
			if slices.Contains(paths, "-") || readValuesStdin {
				return usagef("--values %s: standard input is read once, and it is already named", v)
			}
			readValuesStdin = true
			raw, err = io.ReadAll(streams.In)
			file = check.StdinName
		default:
			raw, err = os.ReadFile(file)
		}
		if err != nil {
			return fmt.Errorf("--values: %w", err)
		}
		in.AddValues(file, chart, raw)
	}
	if len(in.Docs) == 0 && len(in.Problems) == 0 && len(f.values) == 0 && len(in.Specs) > 0 {
		// "no findings" would read as a verdict on the spec.
		s, arg := in.Specs[0], in.Specs[0].File
		if arg == check.StdinName {
			arg = "-"
		}
		return fmt.Errorf("nothing to check: %s:%d is a MeshTLS spec, and check reads manifests: validate it with `mtlsgen validate %s`, and check what it renders with `mtlsgen render %[3]s | mtlsgen check -`", s.File, s.Line, arg)
	}
	for _, s := range in.Specs {
		fmt.Fprintf(streams.ErrOut, "mtlsgen check: %s:%d: skipped a MeshTLS spec (check reads what it renders; `mtlsgen validate` reads the spec)\n", s.File, s.Line)
	}
	if len(in.Docs) == 0 && len(in.Problems) == 0 && len(in.Values) == 0 {
		// A wrong path in a CI job (an empty directory, a directory of
		// other files) must not pass for a clean check.
		for i, p := range names {
			if p == "-" {
				names[i] = "standard input"
			}
		}
		return fmt.Errorf("nothing to check: %s holds no YAML documents", strings.Join(names, ", "))
	}
	findings := check.Run(in, check.Options{LinkerdVersion: f.linkerdVersion})
	summary := check.Summarize(in, findings)
	var err error
	switch f.output {
	case "json":
		err = check.WriteJSON(streams.Out, findings, summary)
	case "sarif":
		err = check.WriteSARIF(streams.Out, findings, version)
	default:
		err = check.WriteText(streams.Out, findings, summary)
	}
	if err != nil {
		return err
	}
	if summary.Errors > 0 || f.strict && summary.Warnings > 0 {
		return ExitCode(ExitInvalid)
	}
	return nil
}

// checkLinkerdVersion refuses a --linkerd-version that is not a release, or
// is newer than any mtlsgen knows: the rules that read it (jaeger's removal
// in 2.19) would otherwise judge a typo such as 2.91 as a real release.
func checkLinkerdVersion(version string) error {
	minor, ok := check.LinkerdMinor(version)
	if !ok {
		return usagef("--linkerd-version %q: must be a Linkerd release such as 2.18 or 2.19.1", version)
	}
	known := v1alpha1.SupportedLinkerdVersions()
	newest := known[len(known)-1]
	if newestMinor, _ := check.LinkerdMinor(newest); minor > newestMinor {
		return usagef("--linkerd-version %q: newer than any release this mtlsgen knows (%s); allowed: 2.MINOR or 2.MINOR.PATCH up to %s", version, strings.Join(known, ", "), newest)
	}
	return nil
}
