// Package profiles holds mtlsgen's defaults as data (base.yaml, and dev.yaml,
// prod.yaml, ha.yaml over it) and applies a profile under a user's spec.
//
// A profile is a partial MeshTLS. Applying one is a merge of plain trees: the
// user's tree over the profile's over the base, where objects merge key by
// key and anything else (a string, a number, a list) is replaced whole. So a
// field the user set always wins, and a list the user wrote is never mixed
// with a profile's. The package does no I/O beyond its embedded files.
package profiles

import (
	"embed"
	"fmt"
	"reflect"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

//go:embed *.yaml
var files embed.FS

// Default is the profile of a spec that names none: production settings,
// because a spec that forgets the profile should not get dev's fail-open
// webhooks.
const Default = v1alpha1.ProfileProd

// Names lists the profiles a spec may select.
func Names() []string { return v1alpha1.Profiles }

// decoded decodes each embedded profile on first use. A render needs the
// base and one profile, and decoding YAML is a visible share of a short
// process's run, so the others are never decoded.
var decoded = func() map[string]func() (map[string]any, error) {
	m := map[string]func() (map[string]any, error){}
	for _, name := range append([]string{"base"}, Names()...) {
		m[name] = sync.OnceValues(func() (map[string]any, error) { return decode(name) })
	}
	return m
}()

// decode reads one embedded profile with the same strict decoder user specs
// go through, so a typo in a profile is caught by the tests.
func decode(name string) (map[string]any, error) {
	raw, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", name, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("profile %s: %w", name, err)
	}
	tree, errs := v1alpha1.DecodeTree(&doc, reflect.TypeFor[v1alpha1.MeshTLS](), v1alpha1.Positions{})
	if len(errs) > 0 {
		return nil, fmt.Errorf("profile %s: %v", name, errs.ToAggregate())
	}
	spec, _ := tree.(map[string]any)["spec"].(map[string]any)
	return spec, nil
}

// Spec returns the defaults of a profile as a spec tree: the base with the
// profile merged over it.
func Spec(name v1alpha1.Profile) (map[string]any, error) {
	profile, ok := decoded[string(name)]
	if !ok || name == "base" {
		return nil, fmt.Errorf("unknown profile %q (allowed: %v)", name, Names())
	}
	base, err := decoded["base"]()
	if err != nil {
		return nil, err
	}
	p, err := profile()
	if err != nil {
		return nil, err
	}
	return Merge(base, p).(map[string]any), nil
}

// Apply returns the user's spec tree merged over the profile's defaults. It
// does not modify its arguments.
func Apply(name v1alpha1.Profile, user map[string]any) (map[string]any, error) {
	defaults, err := Spec(name)
	if err != nil {
		return nil, err
	}
	return Merge(defaults, user).(map[string]any), nil
}

// Merge returns over merged onto under. Objects merge key by key; a null in
// over means "not set" and keeps under's value; anything else in over
// replaces under's value whole. Neither argument is modified.
func Merge(under, over any) any {
	if over == nil {
		return deepCopy(under)
	}
	uo, uok := under.(map[string]any)
	oo, ook := over.(map[string]any)
	if !uok || !ook {
		return deepCopy(over)
	}
	out := make(map[string]any, len(uo)+len(oo))
	for k, v := range uo {
		out[k] = deepCopy(v)
	}
	for k, v := range oo {
		out[k] = Merge(uo[k], v)
	}
	return out
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}
