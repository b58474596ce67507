package kubecmd

import (
	"github.com/spf13/cobra"

	"github.com/mtlsgen/mtlsgen/internal/cli"
	"github.com/mtlsgen/mtlsgen/plugin/krm"
)

const krmHelp = `Run mtlsgen as a kustomize KRM function.

With no argument, read a ResourceList from standard input whose
functionConfig is a MeshTLS spec, and write it back with the generated
objects appended to its items. mtlsgen run without any argument does the
same when its standard input is not a terminal. This is how kustomize runs
it: list the spec under generators: in kustomization.yaml and annotate it
with

  config.kubernetes.io/function: |
    exec:
      path: mtlsgen      # looked up in PATH, or a path relative to the kustomization
      # args: [krm]      # also works, with kustomize v5.7.0 or later

or with container: {image: IMAGE} (the image's default command is krm), then
run kustomize build --enable-alpha-plugins --enable-exec DIR. kubectl
kustomize cannot run exec functions (it has no --enable-exec).

A spec with several clusters needs the annotation mtlsgen.dev/cluster: NAME
on the function config (kustomize refuses two objects of the same name);
mtlsgen.dev/component: NAME selects one component.

With CONFIG (a spec file) and optional INPUT files ("-" for standard input),
run standalone and print the inputs and the generated objects as a YAML
stream.

Problems with the spec are returned as results with severity error (field
path, spec file) and printed on standard error, and the exit code is 1:
kustomize ignores results from a function that succeeds.`

func newKrmCommand(streams cli.IOStreams, version string) *cobra.Command {
	cmd := krm.NewCommand(version)
	cmd.Use = cli.KubeKrm.Use
	cmd.Short = cli.KubeKrm.Short
	cmd.Long = krmHelp
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		cli.SetRenderGC()
		return run(c, args)
	}
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	return cmd
}
