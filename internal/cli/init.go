package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/profiles"
)

// starterSpec is the part of `mtlsgen init`'s output a user must fill in.
const starterSpec = `# A MeshTLS spec for mtlsgen. Check it with "mtlsgen validate FILE" and see
# what it generates with "mtlsgen render FILE".
apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata:
  name: %[1]s                      # names the ApplicationSet: a DNS-1123 label
spec:
  profile: %[2]s                   # dev | prod | ha: where every default below comes from
  trust:
    anchors:
      # Every listed anchor is in the trust bundle; exactly one is active and
      # signs the identity issuer. To rotate: add a new anchor, wait until
      # "mtlsgen status" says it is safe, make it active, later remove the old.
      - name: root-a
        active: true
        selfSigned: {}             # or: secret: {name: my-root-ca}  (your own CA keypair)
                                   # or: external: {issuerRef: {...}, ca: {...}}  (Vault, AWS PCA, ...)
  argocd:
    repoURL: https://git.example.com/platform.git   # the repository holding this file
    path: mesh                                      # this file's directory in it
    targetRevision: main
  # kubeVersion: "1.33"   # your clusters' Kubernetes version (the oldest): render --hydrate needs it; below 1.30, set it
`

func newInitCommand(streams IOStreams) *cobra.Command {
	var profile, name string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Print a commented starter spec",
		Long: `Print a starter spec that validates as it is, followed by every default of the
chosen profile as comments, ready to be uncommented and changed.`,
		Args: args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if _, err := loadOptions(profile); err != nil || profile == "" {
				return usagef("unknown profile %q (allowed: dev, prod, ha)", profile)
			}
			// The name goes into the YAML as it is: it must be one the
			// spec accepts, and so one that cannot break the YAML.
			if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
				return usagef("--name %q: %s", name, strings.Join(msgs, "; "))
			}
			text, err := StarterSpec(v1alpha1.Profile(profile), name)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(streams.Out, text)
			return err
		},
	}
	cmd.Flags().StringVar(&profile, "profile", string(profiles.Default), "profile of the starter spec (dev, prod, ha)")
	cmd.Flags().StringVar(&name, "name", "mesh", "metadata.name of the starter spec")
	cmd.RegisterFlagCompletionFunc("profile", fixedCompletion(v1alpha1.Profiles...))
	return cmd
}

// StarterSpec returns the text `mtlsgen init` prints.
func StarterSpec(profile v1alpha1.Profile, name string) (string, error) {
	defaults, err := profiles.Spec(profile)
	if err != nil {
		return "", err
	}
	delete(defaults, "profile")
	raw, err := yaml.Marshal(defaults)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, starterSpec, name, profile)
	fmt.Fprintf(&b, "  # Defaults of the %s profile. To change one, uncomment it and merge it\n", profile)
	b.WriteString("  # into the keys above; a field you set always wins over the profile.\n")
	for _, line := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
		b.WriteString("  # " + line + "\n")
	}
	return b.String(), nil
}
