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

var (
	loadOnce sync.Once
	trees    map[string]map[string]any
	loadErr  error
)

// load decodes the embedded profiles once, with the same strict decoder user
// specs go through, so a typo in a profile is caught by the tests.
func load() (map[string]map[string]any, error) {
	loadOnce.Do(func() {
		trees = map[string]map[string]any{}
		for _, name := range append([]string{"base"}, Names()...) {
			raw, err := files.ReadFile(name + ".yaml")
			if err != nil {
				loadErr = fmt.Errorf("profile %s: %w", name, err)
				return
			}
			var doc yaml.Node
			if err := yaml.Unmarshal(raw, &doc); err != nil {
				loadErr = fmt.Errorf("profile %s: %w", name, err)
				return
			}
			tree, errs := v1alpha1.DecodeTree(&doc, reflect.TypeFor[v1alpha1.MeshTLS](), v1alpha1.Positions{})
			if len(errs) > 0 {
				loadErr = fmt.Errorf("profile %s: %v", name, errs.ToAggregate())
				return
			}
			spec, _ := tree.(map[string]any)["spec"].(map[string]any)
			trees[name] = spec
		}
	})
	return trees, loadErr
}

// Spec returns the defaults of a profile as a spec tree: the base with the
// profile merged over it.
func Spec(name v1alpha1.Profile) (map[string]any, error) {
	all, err := load()
	if err != nil {
		return nil, err
	}
	p, ok := all[string(name)]
	if !ok {
		return nil, fmt.Errorf("unknown profile %q (allowed: %v)", name, Names())
	}
	return Merge(all["base"], p).(map[string]any), nil
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
