package helmengine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/mtlsgen/mtlsgen/internal/charts"
)

// validateValues checks the values, merged over the chart's defaults as
// Helm merges them, against the chart's values.schema.json and its
// subcharts'. Helm's ValidateAgainstSchema decides; its message is one
// string, so when it fails the same schemas are compiled again to list
// each failing value with the rule it breaks.
func validateValues(ch *chart.Chart, vals map[string]any) *charts.RenderError {
	if err := refuseRemoteRefs(ch); err != nil {
		return &charts.RenderError{Message: err.Error()}
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return &charts.RenderError{Message: err.Error()}
	}
	merged, err := chartutil.CoalesceValues(ch, vals)
	if err != nil {
		return &charts.RenderError{Message: err.Error()}
	}
	verdict := chartutil.ValidateAgainstSchema(ch, merged)
	if verdict == nil {
		return nil
	}
	e := &charts.RenderError{Message: "values do not match the chart's values.schema.json:\n" + strings.TrimSpace(verdict.Error())}
	e.Schema = schemaProblems(ch, merged.AsMap())
	return e
}

// schemaProblems walks the chart and its subcharts as
// chartutil.ValidateAgainstSchema does.
func schemaProblems(ch *chart.Chart, vals map[string]any) []charts.SchemaProblem {
	var out []charts.SchemaProblem
	if ch.Schema != nil {
		out = append(out, problemsOf(ch.Name(), ch.Schema, vals)...)
	}
	for _, sub := range ch.Dependencies() {
		if sv, ok := vals[sub.Name()].(map[string]any); ok {
			out = append(out, schemaProblems(sub, sv)...)
		}
	}
	return out
}

var english = message.NewPrinter(language.English)

func problemsOf(chartName string, schemaJSON []byte, vals map[string]any) []charts.SchemaProblem {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("file:///values.schema.json", doc); err != nil {
		return nil
	}
	s, err := c.Compile("file:///values.schema.json")
	if err != nil {
		return nil
	}
	// Validate the values as Helm does: JSON numbers, not Go ints.
	raw, err := json.Marshal(vals)
	if err != nil {
		return nil
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil
	}
	verr, ok := s.Validate(inst).(*jsonschema.ValidationError)
	if !ok {
		return nil
	}
	var out []charts.SchemaProblem
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		rule := ruleOf(e)
		key := keyOf(e.InstanceLocation)
		msg := e.ErrorKind.LocalizedString(english)
		switch k := e.ErrorKind.(type) {
		case *kind.AdditionalProperties:
			for _, p := range k.Properties {
				out = append(out, charts.SchemaProblem{Chart: chartName, Key: strings.TrimPrefix(join(key, p), "."), Rule: rule, Message: "not allowed: the schema admits no such key"})
			}
			return
		case *kind.Required:
			for _, p := range k.Missing {
				out = append(out, charts.SchemaProblem{Chart: chartName, Key: strings.TrimPrefix(join(key, p), "."), Rule: rule, Message: "required, and missing"})
			}
			return
		}
		out = append(out, charts.SchemaProblem{Chart: chartName, Key: key, Rule: rule, Message: msg})
	}
	walk(verr)
	slices.SortStableFunc(out, func(a, b charts.SchemaProblem) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// ruleOf is the failing keyword's location in the schema, as a JSON
// pointer fragment: #/properties/crds/properties/enabled/type.
func ruleOf(e *jsonschema.ValidationError) string {
	_, frag, _ := strings.Cut(e.SchemaURL, "#")
	parts := []string{frag}
	for _, k := range e.ErrorKind.KeywordPath() {
		parts = append(parts, strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"))
	}
	return "#" + strings.Join(parts, "/")
}

var index = regexp.MustCompile(`^[0-9]+$`)

// keyOf writes an instance location as a values path: a.b[0].c.
func keyOf(loc []string) string {
	var b strings.Builder
	for _, t := range loc {
		b.WriteString(join("", t))
	}
	return strings.TrimPrefix(b.String(), ".")
}

func join(parent, key string) string {
	if index.MatchString(key) {
		return parent + "[" + key + "]"
	}
	if parent == "" {
		return "." + key
	}
	return parent + "." + key
}

// refuseRemoteRefs refuses a schema that refers to another document:
// Helm's validator would fetch it over the network, and hydration is
// offline and repeatable.
func refuseRemoteRefs(ch *chart.Chart) error {
	var errs []string
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		if c.Schema != nil {
			var doc any
			if err := json.Unmarshal(c.Schema, &doc); err == nil {
				for _, ref := range remoteRefs(doc) {
					errs = append(errs, fmt.Sprintf("the values.schema.json of %s refers to %s, which Helm would fetch: hydration does not use the network", c.Name(), ref))
				}
			}
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(ch)
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func remoteRefs(v any) []string {
	var out []string
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if s, ok := e.(string); ok && (k == "$ref" || k == "$dynamicRef") && !strings.HasPrefix(s, "#") {
				out = append(out, s)
			}
			out = append(out, remoteRefs(e)...)
		}
	case []any:
		for _, e := range t {
			out = append(out, remoteRefs(e)...)
		}
	}
	slices.Sort(out)
	return out
}
