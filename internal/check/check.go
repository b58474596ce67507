package check

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Options tune a check.
type Options struct {
	// LinkerdVersion is the Linkerd release the values target ("2.18"),
	// when the input does not say.
	LinkerdVersion string
}

// Run checks the input and returns every finding, ordered by file, line
// and rule.
func Run(in *Input, opts Options) []Finding {
	collectArgoValues(in)
	var out []Finding
	out = append(out, in.Problems...)
	clusters := buildClusters(in)
	for _, c := range clusters {
		out = append(out, checkDurations(c)...)
		out = append(out, checkIdentityIssuer(c)...)
		out = append(out, checkAnchors(c)...)
		out = append(out, checkBundles(c)...)
		out = append(out, checkWebhookCertificates(c)...)
		out = append(out, checkWorkloads(c)...)
		out = append(out, checkInjectedNamespaces(c)...)
		out = append(out, checkCadence(c)...)
	}
	// Values and Argo CD objects are checked once, against the first
	// cluster that has Certificates (the values are the same everywhere).
	out = append(out, checkValues(clusterWithCerts(clusters), opts)...)
	out = append(out, checkArgoCD(in)...)
	out = append(out, checkFleet(clusters)...)
	out = append(out, checkPrivateKeys(in)...)
	return dedupe(out)
}

func clusterWithCerts(cs []*cluster) *cluster {
	for _, c := range cs {
		if len(c.certs) > 0 {
			return c
		}
	}
	return cs[0]
}

// at makes a finding at a field of a document.
func at(r *Rule, d *Doc, path, msg, fix string) Finding {
	return Finding{Rule: r, File: d.File, Line: d.LineOf(path), Object: d.Ref(), Path: path, Message: msg, Fix: fix}
}

// dedupe drops repeats (the same object rendered for several clusters has
// the same finding at the same place) and sorts.
func dedupe(fs []Finding) []Finding {
	seen := map[string]bool{}
	var out []Finding
	for _, f := range fs {
		key := fmt.Sprintf("%s|%s|%d|%s|%s|%s", f.Rule.ID, f.File, f.Line, f.Object, f.Path, f.Message)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule.ID < b.Rule.ID
	})
	return out
}

// checkFleet: clusters whose bundles hold different anchors (MTLS080).
func checkFleet(all []*cluster) []Finding {
	// Only clusters with a trust bundle are meshes; the fleet's own objects
	// (the ApplicationSet) come as a cluster of their own.
	var cs []*cluster
	for _, c := range all {
		if len(c.linkerdBundles()) > 0 {
			cs = append(cs, c)
		}
	}
	if len(cs) < 2 {
		return nil
	}
	var first *cluster
	var firstSources []string
	var out []Finding
	for _, c := range cs {
		for _, a := range c.anchors() {
			if i := c.issuerFor(a); i != nil && i.selfSigned {
				out = append(out, at(RuleFleetAnchors, a.doc, "spec.issuerRef",
					fmt.Sprintf("anchor %s is self-signed in cluster %s: every cluster mints its own root, so no cluster trusts another's workloads", a.name, c.name),
					"use one CA keypair for every cluster (a bring-your-own Secret) or an external issuer"))
			}
		}
		bs := c.linkerdBundles()
		sources := bs[0].sourceIDs()
		if first == nil {
			first, firstSources = c, sources
			continue
		}
		if !slices.Equal(sources, firstSources) {
			d := bs[0].doc
			out = append(out, at(RuleFleetAnchors, d, "spec.sources",
				fmt.Sprintf("cluster %s publishes %s, cluster %s publishes %s: workloads in one would not trust the other's",
					c.name, strings.Join(sources, ", "), first.name, strings.Join(firstSources, ", ")),
				"source the same anchors (the same Secret names, holding the same CA) in every cluster"))
		}
	}
	return out
}
