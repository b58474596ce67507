// Package cmp is mtlsgen as an Argo CD Config Management Plugin (v2,
// sidecar): `mtlsgen cmp generate`, run by argocd-cmp-server in the
// application directory, reads the spec and its parameters and prints the
// manifests of one Application on standard output.
//
// Argo CD applies whatever generate prints, and with prune on, an empty
// output deletes everything the Application deployed. So generate prints
// either every manifest of its selection or nothing at all: any problem is
// an error (message on standard error, non-zero exit), and a selection that
// renders no object is a problem too.
//
// Parameters come from whoever can edit an Application, who is not
// necessarily someone who may read every file of the repository. So the
// spec file must resolve inside the application directory (no absolute
// path, no "..", no symbolic link leading out), and no error message quotes
// a file that is not a MeshTLS spec.
package cmp

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/load"
	"github.com/mtlsgen/mtlsgen/plugin"
)

// PluginYAML is plugin.yaml, the plugin's configuration for
// argocd-cmp-server, as the image carries it at ConfigPath.
//
//go:embed plugin.yaml
var PluginYAML []byte

// ConfigPath is where argocd-cmp-server reads its configuration.
const ConfigPath = "/home/argocd/cmp-server/config/plugin.yaml"

// The parameters an Application can set (spec.source.plugin.parameters),
// announced in plugin.yaml.
const (
	ParamSpec      = "spec"
	ParamCluster   = "cluster"
	ParamComponent = "component"
	ParamProfile   = "profile"
)

// Parameters lists every parameter name, in announcement order.
var Parameters = []string{ParamSpec, ParamCluster, ParamComponent, ParamProfile}

// DefaultSpecFile is the spec read when the spec parameter is not set.
const DefaultSpecFile = "mtlsgen.yaml"

// MaxSpecSize bounds the spec file read: a spec is a few kilobytes, and a
// parameter must not make the plugin read a huge file.
const MaxSpecSize = 1 << 20

// Request is what one generate call renders.
type Request struct {
	// SpecFile is the spec's path relative to the application directory.
	SpecFile string
	// Cluster, Component and Profile select as render's --cluster,
	// --component and --profile do; empty means not set.
	Cluster   string
	Component string
	Profile   string
	// SourcePath is the application directory's path in the repository
	// (ARGOCD_APP_SOURCE_PATH), or "" when not known.
	SourcePath string
}

// parameter is one entry of ARGOCD_APP_PARAMETERS, as Argo CD marshals
// ApplicationSourcePluginParameter.
type parameter struct {
	Name   string            `json:"name"`
	String *string           `json:"string"`
	Map    map[string]string `json:"map"`
	Array  []string          `json:"array"`
}

// RequestFromEnv reads a request from the environment Argo CD gives a
// plugin. For each parameter the first non-empty value wins, from:
//
//  1. ARGOCD_APP_PARAMETERS, the JSON list of the Application's
//     spec.source.plugin.parameters;
//  2. PARAM_<NAME>, the same parameters one variable each (NAME upper-cased,
//     every character other than A-Z, 0-9 and _ replaced by _);
//  3. ARGOCD_ENV_<name>, from the Application's spec.source.plugin.env,
//     the name in any case.
//
// An unknown parameter or env name, or a parameter given as a map or an
// array, is an error: it is a mistake that would otherwise render something else than
// asked.
func RequestFromEnv(environ []string) (Request, error) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	values := map[string]string{}
	if raw := env["ARGOCD_APP_PARAMETERS"]; strings.TrimSpace(raw) != "" {
		var params []parameter
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		err := dec.Decode(&params)
		if err == nil {
			if _, tail := dec.Token(); tail != io.EOF {
				err = errors.New("more after the list")
			}
		}
		if err == nil {
			err = exactKeys(raw)
		}
		if err != nil {
			return Request{}, fmt.Errorf(`ARGOCD_APP_PARAMETERS is not a JSON list of plugin parameters, such as [{"name":"cluster","string":"east"}]: %s`, jsonReason(raw, err))
		}
		var errs []error
		seen := map[string]bool{}
		for _, p := range params {
			switch {
			case seen[p.Name]:
				errs = append(errs, fmt.Errorf("plugin parameter %s is set twice", v1alpha1.QuoteValue(p.Name)))
				continue
			case !slices.Contains(Parameters, p.Name):
				errs = append(errs, fmt.Errorf("unknown plugin parameter %s (parameters: %s)", v1alpha1.QuoteValue(p.Name), strings.Join(Parameters, ", ")))
			case p.Map != nil || p.Array != nil:
				errs = append(errs, fmt.Errorf("plugin parameter %q must be a string, not a map or an array", p.Name))
			case p.String != nil && *p.String != "":
				values[p.Name] = *p.String
			}
			seen[p.Name] = true
		}
		if err := errors.Join(errs...); err != nil {
			return Request{}, err
		}
	}
	fromEnv, err := pluginEnv(env)
	if err != nil {
		return Request{}, err
	}
	for _, name := range Parameters {
		if values[name] == "" {
			values[name] = env["PARAM_"+envName(name)]
		}
		if values[name] == "" {
			values[name] = fromEnv[name]
		}
	}
	return Request{
		SpecFile:  values[ParamSpec],
		Cluster:   values[ParamCluster],
		Component: values[ParamComponent],
		Profile:   values[ParamProfile],
		// Argo CD's own, not the Application editor's: no parameter.
		SourcePath: env["ARGOCD_APP_SOURCE_PATH"],
	}, nil
}

// pluginEnv maps the Application's spec.source.plugin.env entries to
// parameters. Argo CD passes each as ARGOCD_ENV_ followed by the name as
// written, so `component` and `COMPONENT` both name the component; a name
// that is no parameter is an error, not a setting silently ignored (an
// ignored component would render every component, the ApplicationSet too).
func pluginEnv(env map[string]string) (map[string]string, error) {
	out := map[string]string{}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(env)) {
		suffix, ok := strings.CutPrefix(k, "ARGOCD_ENV_")
		if !ok {
			continue
		}
		i := slices.IndexFunc(Parameters, func(p string) bool { return envName(p) == envName(suffix) })
		switch {
		case i < 0:
			errs = append(errs, fmt.Errorf("unknown plugin env %s in spec.source.plugin.env (names: %s, in any case)", v1alpha1.QuoteValue(suffix), strings.Join(Parameters, ", ")))
		case out[Parameters[i]] != "" && env[k] != "" && out[Parameters[i]] != env[k]:
			errs = append(errs, fmt.Errorf("plugin env %s is set twice, to %s and %s", Parameters[i], v1alpha1.QuoteValue(out[Parameters[i]]), v1alpha1.QuoteValue(env[k])))
		case env[k] != "":
			out[Parameters[i]] = env[k]
		}
	}
	return out, errors.Join(errs...)
}

var notEnvChar = regexp.MustCompile(`[^A-Z0-9_]`)

// envName escapes a parameter name as Argo CD does for PARAM_ variables.
func envName(name string) string {
	return notEnvChar.ReplaceAllString(strings.ToUpper(name), "_")
}

// Generate renders a request for the application directory appDir and
// returns the manifests: a YAML stream byte-identical to `mtlsgen render
// --cluster C --component K --profile P SPEC` run in appDir. It returns an
// error, and no output, for any problem, including a selection that renders
// nothing.
func Generate(appDir string, req Request, version string) ([]byte, error) {
	if req.Profile != "" && !slices.Contains(v1alpha1.Profiles, req.Profile) {
		return nil, fmt.Errorf("plugin parameter profile: %s is not a profile (allowed: %s)", v1alpha1.QuoteValue(req.Profile), strings.Join(v1alpha1.Profiles, ", "))
	}
	name, raw, err := readSpec(appDir, req.SpecFile)
	if err != nil {
		return nil, err
	}
	if err := checkIsSpec(name, raw); err != nil {
		return nil, err
	}
	go generator.WarmEncoders() // on the other core while the spec is parsed
	m, err := load.Parse(name, raw, load.Options{Profile: v1alpha1.Profile(req.Profile)})
	if err != nil {
		return nil, redactSyntax(err, name)
	}
	opts := generator.Options{Version: version, Cluster: req.Cluster, Component: generator.Component(req.Component)}
	if err := generator.CheckOptions(m, generator.Options{Cluster: opts.Cluster}); err != nil {
		return nil, fmt.Errorf("plugin parameter cluster: %v", err)
	}
	if err := plugin.CheckComponent(opts.Component); err != nil {
		return nil, fmt.Errorf("plugin parameter component: %v", err)
	}
	objs, err := plugin.Render(m, opts)
	var several *plugin.SeveralClustersError
	switch {
	case errors.As(err, &several):
		return nil, fmt.Errorf("%s: the spec has %d clusters (%s) whose objects share names: set the plugin parameter cluster to the one this Application deploys to",
			name, len(several.Clusters), strings.Join(several.Clusters, ", "))
	case errors.Is(err, plugin.ErrClusterRequired):
		return nil, fmt.Errorf("%s: plugin parameter cluster: required: %v", name, err)
	case errors.Is(err, plugin.ErrNothingRendered):
		return nil, fmt.Errorf("%s: %s renders no object; refusing to print an empty output, which would make Argo CD prune everything this Application deployed",
			name, plugin.Describe(opts))
	case err != nil:
		return nil, err
	}
	if err := checkSpecLocation(name, req, m, objs); err != nil {
		return nil, err
	}
	out, err := plugin.EncodeYAML(objs)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("rendered an empty output; refusing to print it")
	}
	return out, nil
}

// checkSpecLocation refuses an ApplicationSet whose plugin Applications
// would read another spec than the one this Application renders: they read
// spec.argocd.specFile in spec.argocd.path, which nothing else checks
// against where the spec really is. A parent Application rendering
// fleets/prod/fleet.yaml with the default specFile (mtlsgen.yaml) would
// sync, and every child fail with "no such file".
func checkSpecLocation(name string, req Request, m *v1alpha1.MeshTLS, objs []generator.Object) error {
	if !slices.ContainsFunc(objs, func(o generator.Object) bool {
		return o.Object.GetObjectKind().GroupVersionKind().Kind == "ApplicationSet"
	}) ||
		!generator.ReadsSpecThroughPlugin(m) {
		return nil
	}
	file := req.SpecFile
	if file == "" {
		file = DefaultSpecFile
	}
	file = path.Clean(filepath.ToSlash(file))
	a := m.Spec.ArgoCD
	if base := path.Base(file); base != a.SpecFile {
		return fmt.Errorf("%s: spec.argocd.specFile is %s, but this Application renders %s: the ApplicationSet's plugin Applications would read %s; set spec.argocd.specFile: %s",
			name, v1alpha1.QuoteValue(a.SpecFile), v1alpha1.QuoteValue(base), v1alpha1.QuoteValue(a.SpecFile), base)
	}
	if req.SourcePath == "" {
		return nil
	}
	if dir := path.Join(req.SourcePath, path.Dir(file)); dir != path.Clean(a.Path) {
		return fmt.Errorf("%s: spec.argocd.path is %s, but this Application reads the spec from %s (ARGOCD_APP_SOURCE_PATH %s): the ApplicationSet's plugin Applications would read %s; set spec.argocd.path: %s",
			name, v1alpha1.QuoteValue(a.Path), v1alpha1.QuoteValue(dir), v1alpha1.QuoteValue(req.SourcePath), v1alpha1.QuoteValue(path.Join(a.Path, a.SpecFile)), dir)
	}
	return nil
}

// readSpec reads the spec file named by the spec parameter, which must stay
// inside appDir: a relative path, without "..", that no symbolic link leads
// out of. It returns the name problems use and the content. Its errors name
// the parameter's value, never anything read from a file.
func readSpec(appDir, file string) (string, []byte, error) {
	if file == "" {
		file = DefaultSpecFile
	}
	fail := func(format string, args ...any) (string, []byte, error) {
		return "", nil, fmt.Errorf("plugin parameter spec %s: "+format, append([]any{v1alpha1.QuoteValue(file)}, args...)...)
	}
	slashed := filepath.ToSlash(file)
	switch {
	case strings.ContainsRune(file, 0):
		return fail("not a file name")
	case filepath.IsAbs(file) || path.IsAbs(slashed) || filepath.VolumeName(file) != "":
		return fail("must be a path relative to the application directory, not an absolute path")
	case slices.Contains(strings.Split(slashed, "/"), ".."):
		return fail(`must stay inside the application directory: ".." is not allowed`)
	}
	root, err := os.OpenRoot(appDir)
	if err != nil {
		return "", nil, fmt.Errorf("cannot open the application directory: %v", describe(err))
	}
	defer root.Close()
	info, err := root.Stat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail("no such file in the application directory")
	case err != nil && escapes(err):
		return fail("leads out of the application directory (through a symbolic link)")
	case err != nil:
		return fail("cannot read: %s", describe(err))
	case !info.Mode().IsRegular():
		return fail("not a regular file")
	case info.Size() > MaxSpecSize:
		return fail("larger than %d bytes: not a spec", MaxSpecSize)
	}
	f, err := root.Open(file)
	if err != nil {
		if escapes(err) {
			return fail("leads out of the application directory (through a symbolic link)")
		}
		return fail("cannot read: %s", describe(err))
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, MaxSpecSize+1))
	if err != nil {
		return fail("cannot read: %s", describe(err))
	}
	if len(raw) > MaxSpecSize {
		return fail("larger than %d bytes: not a spec", MaxSpecSize)
	}
	return file, raw, nil
}

// escapes reports whether an os.Root error says the path leads out of the
// root. The standard library does not export that error, only its text.
func escapes(err error) bool {
	return strings.Contains(err.Error(), "path escapes from parent")
}

// describe is an error's reason without the path os puts in front of it.
func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// checkIsSpec refuses a file whose first document is not a MeshTLS spec
// before anything reports on its content: the spec parameter may point at
// any file of the application directory, and what the loader says about a
// file quotes it. A MeshTLS spec may be quoted: it is what the Application
// renders, and its values are in the manifests anyone who can see the
// Application sees.
func checkIsSpec(name string, raw []byte) error {
	var doc yaml.Node
	err := yaml.NewDecoder(bytes.NewReader(raw)).Decode(&doc)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: empty: expected a MeshTLS spec", name)
	}
	if err != nil {
		return syntaxError(name, err)
	}
	notSpec := fmt.Errorf("%s: not a MeshTLS spec (expected a YAML document with apiVersion: %s and kind: %s)", name, v1alpha1.APIVersion, v1alpha1.Kind)
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return notSpec
	}
	fields := map[string]string{}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k, v := m.Content[i], m.Content[i+1]; k.Kind == yaml.ScalarNode && v.Kind == yaml.ScalarNode {
			fields[k.Value] = v.Value
		}
	}
	if fields["apiVersion"] != v1alpha1.APIVersion || fields["kind"] != v1alpha1.Kind {
		return notSpec
	}
	return nil
}

// syntaxError reports invalid YAML by line only: a YAML parser's message
// can quote the text it failed on.
func syntaxError(name string, err error) error {
	where := name
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		where += ":" + m[1]
	}
	return fmt.Errorf("%s: invalid YAML (run `mtlsgen validate %s` for the details)", where, name)
}

// redactSyntax replaces the parser's wording in a spec's YAML syntax
// problems (a later document of the file may not be a spec) and keeps every
// other problem as the loader reported it.
func redactSyntax(err error, name string) error {
	le, ok := load.AsError(err)
	if !ok {
		return err
	}
	for i, p := range le.Problems {
		if strings.HasPrefix(p.Message, "invalid YAML") {
			le.Problems[i].Message = fmt.Sprintf("invalid YAML (run `mtlsgen validate %s` for the details)", name)
		}
	}
	return le
}

// exactKeys refuses what encoding/json lets through in a list of
// parameters: a key given twice in one entry (the last would win) and a key
// in another case than Argo CD writes ("NAME" would be read as "name").
// Call it on JSON that decoded as a list of parameters.
func exactKeys(raw string) error {
	dec := json.NewDecoder(strings.NewReader(raw))
	entry, depth, seen := -1, 0, map[string]bool{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth == 2 && tok == json.Delim('{') {
				entry, seen = entry+1, map[string]bool{}
			}
			continue
		case json.Delim('}'), json.Delim(']'):
			depth--
			continue
		}
		key, ok := tok.(string)
		if !ok || depth != 2 {
			continue
		}
		switch {
		case seen[key]:
			return fmt.Errorf("entry %d has %q twice", entry, key)
		case !slices.Contains([]string{"name", "string", "map", "array"}, key):
			return fmt.Errorf("entry %d has unknown key %q (keys: name, string, map, array)", entry, key)
		}
		seen[key] = true
		// Skip the value, whatever it is.
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
	}
}

// jsonReason says what is wrong with ARGOCD_APP_PARAMETERS in JSON's terms
// rather than Go's ("cannot unmarshal object into Go value of type
// []cmp.parameter").
func jsonReason(raw string, err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field == "" && strings.HasPrefix(strings.TrimSpace(raw), "["):
		return "an item is a JSON " + typeErr.Value
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return "it is a JSON " + typeErr.Value
	case errors.As(err, &typeErr):
		return fmt.Sprintf("%s is a JSON %s", typeErr.Field, typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("not JSON at byte %d: %s", syntaxErr.Offset, syntaxErr)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends before the list does"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
