package output

import (
	"bufio"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/generator"
)

// WriteValues writes plain Helm values files, one per chart, separated by
// "---" and each headed by a comment naming the chart, its version and
// repository, and the command that installs it with them.
func WriteValues(w io.Writer, charts []generator.ChartValues) error {
	bw := bufio.NewWriter(w)
	for i, c := range charts {
		if i > 0 {
			bw.WriteString("---\n")
		}
		fmt.Fprintf(bw, "# %s %s from %s, release %s in namespace %s:\n", c.Chart, c.Version, c.Repo, c.Chart, c.Namespace)
		fmt.Fprintf(bw, "#   helm upgrade --install %s %s --repo %s --version %s --namespace %s --values FILE\n",
			c.Chart, c.Chart, c.Repo, c.Version, c.Namespace)
		for _, b := range c.Before {
			fmt.Fprintf(bw, "# before it: %s\n", b)
		}
		if len(c.Values) == 0 {
			bw.WriteString("{}\n")
			continue
		}
		b, err := yaml.Marshal(c.Values)
		if err != nil {
			return fmt.Errorf("values of %s: %w", c.Chart, err)
		}
		bw.Write(b)
	}
	return bw.Flush()
}

// WriteObject writes one object on its own, as YAML (a single document) or
// as JSON, for the outputs that are not a set of manifests (--only alerts).
func WriteObject(w io.Writer, f Format, o generator.KubeObject) error {
	encode := generator.EncodeYAML
	if f.Kind == "json" {
		encode = generator.EncodeJSON
	}
	b, err := encode(o)
	if err != nil {
		return err
	}
	if f.Kind == "json" {
		b = append(b, '\n')
	}
	_, err = w.Write(b)
	return err
}
