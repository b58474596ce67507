package charts

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// LockFile is the lock file's name, next to the spec it belongs to.
const LockFile = "mtlsgen.lock"

// Lock file identity.
const (
	lockAPIVersion = "mtlsgen.dev/v1alpha1"
	lockKind       = "ChartLock"
)

const lockHeader = `# mtlsgen.lock: the digest of every Helm chart the spec installs, written by
# "mtlsgen charts pull". Commit it. Later pulls and "mtlsgen render --hydrate"
# refuse a chart archive whose sha256 differs from the one recorded here.
`

// Lock records the digest of each chart archive. It is what makes a pull
// reproducible: the first pull trusts the repository (and checks the
// digest its index lists), every later one checks against the lock.
type Lock struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	Charts     []LockedChart `json:"charts"`
}

// LockedChart is one chart archive.
type LockedChart struct {
	// Repo is the Helm repository (https://...) or OCI repository
	// (oci://...) the chart came from.
	Repo string `json:"repo"`
	// Chart is the chart's name.
	Chart string `json:"chart"`
	// Version is the chart version.
	Version string `json:"version"`
	// Digest is "sha256:" and the hex sha256 of the chart archive (.tgz).
	Digest string `json:"digest"`
}

// Ref names a chart version in a repository.
type Ref struct {
	Repo, Chart, Version string
}

func (r Ref) String() string { return fmt.Sprintf("chart %s %s from %s", r.Chart, r.Version, r.Repo) }

// key identifies a chart whatever the spelling of its repository URL.
func (r Ref) key() Ref {
	return Ref{Repo: strings.TrimSuffix(r.Repo, "/"), Chart: r.Chart, Version: r.Version}
}

func (c LockedChart) ref() Ref { return Ref{Repo: c.Repo, Chart: c.Chart, Version: c.Version} }

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ReadLock reads a lock file. A missing file is an empty lock.
func ReadLock(path string) (*Lock, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Lock{APIVersion: lockAPIVersion, Kind: lockKind}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPath(err)) // "adir: is a directory"
	}
	return ParseLock(path, raw)
}

// ParseLock decodes a lock file strictly and checks every entry; name is
// the file's name in messages.
func ParseLock(name string, raw []byte) (*Lock, error) {
	var l Lock
	if err := yaml.UnmarshalStrict(raw, &l); err != nil {
		return nil, fmt.Errorf("%s: not a lock file as `mtlsgen charts pull` writes it: %s", name, decodeReason(err))
	}
	var errs []error
	if l.APIVersion != lockAPIVersion || l.Kind != lockKind {
		errs = append(errs, fmt.Errorf("%s: apiVersion %q, kind %q: want %s, %s (a lock file mtlsgen charts pull wrote)",
			name, l.APIVersion, l.Kind, lockAPIVersion, lockKind))
	}
	seen := map[Ref]bool{}
	for i, c := range l.Charts {
		p := fmt.Sprintf("%s: charts[%d]", name, i)
		if c.Repo == "" || c.Chart == "" || c.Version == "" {
			errs = append(errs, fmt.Errorf("%s: repo, chart and version are required", p))
		}
		if !digestPattern.MatchString(c.Digest) {
			errs = append(errs, fmt.Errorf("%s.digest: %q must be sha256: followed by 64 lowercase hex digits", p, c.Digest))
		}
		if seen[c.ref().key()] {
			errs = append(errs, fmt.Errorf("%s: %s is locked twice", p, c.ref()))
		}
		seen[c.ref().key()] = true
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &l, nil
}

// Digest returns the locked digest of a chart, or "".
func (l *Lock) Digest(r Ref) string {
	if l == nil {
		return ""
	}
	for _, c := range l.Charts {
		if c.ref().key() == r.key() {
			return c.Digest
		}
	}
	return ""
}

// Marshal encodes the lock: charts sorted by repository, name and version,
// so the same charts always give the same bytes.
func (l *Lock) Marshal() ([]byte, error) {
	out := Lock{APIVersion: lockAPIVersion, Kind: lockKind, Charts: slices.Clone(l.Charts)}
	if out.Charts == nil {
		out.Charts = []LockedChart{}
	}
	slices.SortFunc(out.Charts, func(a, b LockedChart) int {
		return cmp.Or(cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.Chart, b.Chart), cmp.Compare(a.Version, b.Version))
	})
	b, err := yaml.Marshal(out)
	if err != nil {
		return nil, err
	}
	return append([]byte(lockHeader), b...), nil
}

// WriteLock writes the lock file if its content changed, through a
// temporary file renamed into place. It reports whether it wrote.
func WriteLock(path string, l *Lock) (bool, error) {
	b, err := l.Marshal()
	if err != nil {
		return false, err
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return false, nil
	}
	return true, writeAtomic(path, b)
}

func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// decodeReason is what a sigs.k8s.io/yaml error says without the layers it
// went through ("error converting YAML to JSON: yaml: line 1: ..." says
// "line 1: ..."), so that the file and the reason read as one message.
func decodeReason(err error) string {
	msg := err.Error()
	for _, layer := range []string{"error converting YAML to JSON: ", "error unmarshaling JSON: ", "while decoding JSON: ", "yaml: ", "json: "} {
		msg = strings.TrimPrefix(msg, layer)
	}
	return strings.NewReplacer("Go value of type charts.Lock", "a lock file", "Go struct field Lock.", "field ").Replace(msg)
}
