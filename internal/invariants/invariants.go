// Package invariants proves the promises of README.md ("Invariants") on a
// set of objects: it runs mtlsgen check's rules that protect an invariant,
// and adds what only a generator knows: which webhooks must have
// certificates, and that the identity issuer and trust bundle exist at all.
// Tests run it on the output of every example.
package invariants

import (
	"fmt"
	"sort"

	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/check"
)

// Violation is one broken invariant.
type Violation struct {
	// Invariant is its number in README.md's list (1-7).
	Invariant int
	// Rule is the check rule that found it ("" for an existence check).
	Rule string
	// Object is kind/namespace/name.
	Object string
	// Message says what is broken.
	Message string
}

func (v Violation) String() string {
	return fmt.Sprintf("invariant %d (%s): %s: %s", v.Invariant, v.Rule, v.Object, v.Message)
}

// Options say what one cluster's objects must provide.
type Options struct {
	// LinkerdNamespace is the control plane's namespace.
	LinkerdNamespace string
	// Webhooks must each have a serving certificate.
	Webhooks []generator.Webhook
	// Values are the Linkerd charts' values the objects go with.
	Values []generator.ChartValues
}

// CheckCluster checks invariants 1-5 and 7 on the objects of one cluster.
func CheckCluster(objs []map[string]any, opts Options) []Violation {
	in := input(map[string][]map[string]any{"": objs})
	for _, v := range opts.Values {
		raw, err := yaml.Marshal(v.Values)
		if err != nil {
			return []Violation{{0, "", v.Chart, err.Error()}}
		}
		in.AddValues(v.Chart+" values", v.Chart, raw)
	}
	out := fromFindings(check.Run(in, check.Options{}))
	out = append(out, existence(in.Docs, opts)...)
	return out
}

// CheckFleet checks invariant 6 across the clusters of a fleet.
func CheckFleet(clusters map[string][]map[string]any) []Violation {
	if len(clusters) < 2 {
		return nil
	}
	var out []Violation
	for _, v := range fromFindings(check.Run(input(clusters), check.Options{})) {
		if v.Invariant == 6 {
			out = append(out, v)
		}
	}
	return out
}

// input turns decoded objects, by cluster, into check's input.
func input(clusters map[string][]map[string]any) *check.Input {
	names := make([]string, 0, len(clusters))
	for n := range clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	in := &check.Input{}
	for _, n := range names {
		for _, o := range clusters[n] {
			raw, err := yaml.Marshal(o)
			if err != nil {
				continue
			}
			header := ""
			if n != "" {
				header = "# mtlsgen: cluster " + n + ", component mesh\n"
			}
			in.AddManifests("cluster-"+n, []byte(header+string(raw)))
		}
	}
	return in
}

// fromFindings keeps the findings of rules that protect an invariant.
func fromFindings(fs []check.Finding) []Violation {
	var out []Violation
	for _, f := range fs {
		if f.Rule.Invariant > 0 {
			out = append(out, Violation{f.Rule.Invariant, f.Rule.ID, f.Object, f.Message})
		}
	}
	return out
}

// existence checks what check cannot know from the input alone: that every
// expected webhook has its certificate (2), that the identity issuer exists
// (3) and that the trust bundle exists (4).
func existence(docs []*check.Doc, opts Options) []Violation {
	has := func(kind, ns, field, value string) bool {
		for _, d := range docs {
			if d.Kind() != kind || d.Namespace() != ns {
				continue
			}
			spec, _ := d.Obj["spec"].(map[string]any)
			if field == "" && d.Name() == value || field != "" && spec[field] == value {
				return true
			}
		}
		return false
	}
	var out []Violation
	for _, w := range opts.Webhooks {
		if !has("Certificate", w.Namespace, "secretName", w.Secret) {
			out = append(out, Violation{2, "", "Certificate/" + w.Namespace + "/" + w.Certificate,
				fmt.Sprintf("no Certificate writes Secret %s/%s, which %s mounts", w.Namespace, w.Secret, w.Service)})
		}
	}
	if !has("Certificate", opts.LinkerdNamespace, "secretName", generator.IdentityIssuerName) {
		out = append(out, Violation{3, "", "Certificate/" + opts.LinkerdNamespace + "/" + generator.IdentityIssuerName,
			"no Certificate writes the identity issuer Secret: the identity controller cannot start"})
	}
	if !has("Bundle", "", "", generator.TrustRootsName) {
		out = append(out, Violation{4, "", "Bundle/" + generator.TrustRootsName, "no trust Bundle: the control plane finds no trust roots"})
	}
	return out
}
