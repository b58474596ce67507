package krm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/kustomize/kyaml/fn/framework/command"

	"github.com/mtlsgen/mtlsgen/internal/load"
)

// isResourceList reports output that is one ResourceList, as kyaml writes
// it (v1, or the v1alpha1 it was sent): not input it took for items and
// wrote back, which may be anything, even a misspelt ResourceList or two.
func isResourceList(out []byte) bool {
	for _, v := range []string{"v1", "v1alpha1"} {
		if bytes.HasPrefix(out, []byte("apiVersion: config.kubernetes.io/"+v+"\nkind: ResourceList\n")) {
			// Without items, kyaml took the input for one item of its
			// own and wrote it back: no ResourceList it made.
			return !bytes.Contains(out, []byte("\n---")) && bytes.Contains(out, []byte("\nitems:"))
		}
	}
	return false
}

// NewCommand returns the function as a cobra command built by kyaml's
// command.Build, in both of its modes:
//
//   - no arguments: a ResourceList on standard input, a ResourceList (items
//     plus results) on standard output. This is how kustomize runs it, as an
//     exec function (args: [krm]) or from the container image (whose CMD is
//     krm).
//   - CONFIG [INPUT...|-]: standalone; CONFIG is the spec, the output is a
//     plain YAML stream of the inputs followed by the generated objects.
//
// Errors are returned, not printed: the caller prints them (the mtlsgen CLI
// prints each problem as FILE: FIELD.PATH: message and exits 1).
func NewCommand(version string) *cobra.Command {
	p := &Processor{Version: version}
	cmd := command.Build(p, command.StandaloneEnabled, true)
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		p.SpecFile = ""
		if len(args) > 0 {
			p.SpecFile = args[0]
			// kyaml reads the config's first document and ignores the
			// rest; the file must be what render accepts, exactly one
			// MeshTLS document, with problems at their lines.
			if args[0] == "-" {
				return errors.New("CONFIG must be a spec file: standard input is for the inputs (krm CONFIG -)")
			}
			// Only a regular file: a pipe (a process substitution) can be
			// read once, and kyaml must be the one to read it.
			if fi, err := os.Stat(args[0]); err != nil || fi.Mode().IsRegular() {
				// Missing, unreadable or a file: the loader says which, in
				// its terms, rather than kyaml in its own.
				if _, err := load.LoadFile(args[0], nil, load.Options{}); err != nil {
					return err
				}
			}
			for _, in := range args[1:] {
				if in == "-" {
					continue
				}
				fi, err := os.Stat(in)
				if err != nil {
					return fmt.Errorf("%s: cannot read: %s", in, load.DescribeReadError(err))
				}
				if fi.IsDir() {
					return fmt.Errorf("%s: a directory: name the YAML files in it", in)
				}
			}
		}
		if len(args) > 0 {
			err := run(c, args)
			if reason, ok := kyamlReadError(err); ok {
				return fmt.Errorf("the inputs are not a stream of Kubernetes objects (%s)", reason)
			}
			return err
		}
		// kyaml takes input that is not a ResourceList for its items and
		// writes them back out: on failure, only a ResourceList (with
		// its results) is output; anything else, bad input, gets none.
		stdout, buf := c.OutOrStdout(), &bytes.Buffer{}
		c.SetOut(buf)
		defer c.SetOut(stdout)
		err := run(c, args)
		if err == nil || isResourceList(buf.Bytes()) {
			if _, werr := stdout.Write(buf.Bytes()); werr != nil && err == nil {
				err = werr
			}
		}
		if reason, ok := kyamlReadError(err); ok {
			return fmt.Errorf("standard input is not a KRM ResourceList as kustomize sends it (%s); to render a spec, mtlsgen render FILE", reason)
		}
		return err
	}
	return cmd
}

// kyamlReadError reports whether err is kyaml failing to read its input as
// objects (not a spec's problems, nor a failed write), and the reason,
// without kyaml's prefix and without the input it quotes whole ("node
// contents: ...").
func kyamlReadError(err error) (string, bool) {
	if _, spec := load.AsError(err); err == nil || spec {
		return "", false
	}
	msg := err.Error()
	reason, read := strings.CutPrefix(msg, "failed to read ResourceList input: ")
	if !read && !strings.Contains(msg, "node contents:") && !strings.Contains(msg, "MalformedYAMLError") {
		return "", false
	}
	reason, _, _ = strings.Cut(reason, ": node contents:")
	return reason, true
}
