// Package output writes generated objects as a YAML stream, a JSON List or a
// directory tree. It is the only place the render path writes files.
package output

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/charts"
)

// Sink receives objects in output order. Close finishes the output; Abort
// discards what was written where that is possible (a directory).
type Sink interface {
	Write(generator.Object) error
	Close() error
	Abort()
}

// ManifestWriter is implemented by the sinks that also take manifests
// rendered elsewhere, as YAML text: a hydrated Helm chart, which is one
// cluster's component.
type ManifestWriter interface {
	WriteManifests(cluster, component string, manifests []byte) error
}

// Format is a parsed -o value.
type Format struct {
	// Kind is "yaml", "json" or "dir".
	Kind string
	// Dir is the target directory of "dir=PATH".
	Dir string
}

// ParseFormat parses yaml, json or dir=PATH.
func ParseFormat(s string) (Format, error) {
	switch {
	case s == "yaml" || s == "json":
		return Format{Kind: s}, nil
	case strings.HasPrefix(s, "dir="):
		dir := strings.TrimPrefix(s, "dir=")
		if dir == "" {
			return Format{}, errors.New(`-o dir= needs a path, e.g. -o dir=rendered`)
		}
		return Format{Kind: "dir", Dir: dir}, nil
	}
	return Format{}, fmt.Errorf("unknown output format %q (allowed: yaml, json, dir=PATH)", s)
}

// Open returns the sink of a format; stream formats write to w.
func (f Format) Open(w io.Writer) (Sink, error) {
	switch f.Kind {
	case "json":
		return &jsonSink{w: bufio.NewWriter(w)}, nil
	case "dir":
		return newDirSink(f.Dir)
	default:
		return &yamlSink{w: bufio.NewWriter(w)}, nil
	}
}

// Header is the comment above each document of a YAML stream, telling a
// reviewer where the object goes. Kubernetes tools ignore it.
func Header(o generator.Object) string {
	where := "fleet"
	if o.Cluster != "" {
		where = "cluster " + o.Cluster
	}
	h := fmt.Sprintf("# mtlsgen: %s, component %s\n", where, o.Component)
	if o.Component == generator.ComponentPatches {
		h += PatchNote
	}
	return h
}

// PatchNote heads every patch: who applies it.
const PatchNote = "# A kustomize patch for an object another Application owns: apply it there (mtlsgen and its Application do not).\n"

type yamlSink struct {
	w   *bufio.Writer
	enc generator.YAMLEncoder
}

func (s *yamlSink) Write(o generator.Object) error {
	b, err := s.enc.Encode(o.Object)
	if err != nil {
		return err
	}
	s.w.WriteString("---\n")
	s.w.WriteString(Header(o))
	_, err = s.w.Write(b)
	return err
}

// WriteManifests writes each document under the header every document of
// the stream has; documents holding only comments are left out.
func (s *yamlSink) WriteManifests(cluster, component string, manifests []byte) error {
	for _, d := range charts.SplitDocuments(manifests) {
		s.w.WriteString("---\n")
		s.w.WriteString(Header(generator.Object{Cluster: cluster, Component: generator.Component(component)}))
		if _, err := s.w.WriteString(d.Text); err != nil {
			return err
		}
	}
	return nil
}

func (s *yamlSink) Close() error { return s.w.Flush() }
func (s *yamlSink) Abort()       {}

// jsonSink writes a v1 List, item by item, so a fleet is never held whole.
type jsonSink struct {
	w     *bufio.Writer
	count int
}

func (s *jsonSink) Write(o generator.Object) error {
	b, err := generator.EncodeJSON(o.Object)
	if err != nil {
		return err
	}
	if s.count == 0 {
		s.w.WriteString("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n    ")
	} else {
		s.w.WriteString(",\n    ")
	}
	s.count++
	_, err = s.w.Write([]byte(strings.ReplaceAll(string(b), "\n", "\n    ")))
	return err
}

func (s *jsonSink) Close() error {
	if s.count == 0 {
		s.w.WriteString("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [")
	}
	s.w.WriteString("\n  ]\n}\n")
	return s.w.Flush()
}

func (s *jsonSink) Abort() {}

// markerFile marks a directory mtlsgen wrote, so that it may replace it and
// nothing else.
const markerFile = ".mtlsgen-output"

// dirSink writes PATH/clusters/CLUSTER/COMPONENT/manifests.yaml and
// PATH/fleet/COMPONENT/manifests.yaml into a temporary directory next to
// PATH, and renames it into place on Close: PATH is either the old output or
// the new one, never half of each.
type dirSink struct {
	target, tmp string
	// written are the files made so far; cur is the one open, at most
	// one, so a fleet of any size stays within the open-file limit.
	written map[string]bool
	cur     *os.File
	curRel  string
	enc     generator.YAMLEncoder
	// interrupted holds the signal that stopped the render, if one did.
	interrupted atomic.Value
}

// AbortOnSignal makes an interrupt or a termination signal stop a
// directory sink at its next write: the render then fails, Abort removes
// the temporary tree, and no half-written directory is left beside the
// output. For other sinks it does nothing. stop ends the watch; call it
// before Close, so that a signal while the new tree is put in place has its
// usual effect rather than a late one.
func AbortOnSignal(s Sink) (stop func()) {
	d, ok := s.(*dirSink)
	if !ok {
		return func() {}
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		var sig os.Signal
		select {
		case sig = <-ch:
			d.interrupted.Store(sig)
		case <-done:
			return
		}
		// A render that writes nothing more (waiting on Helm, say) must
		// still end, as the signal asked: remove the temporary tree and
		// let the signal do what it does by default.
		select {
		case <-time.After(signalGrace):
			os.RemoveAll(d.tmp)
			signal.Stop(ch)
			if p, err := os.FindProcess(os.Getpid()); err == nil {
				p.Signal(sig)
			}
		case <-done:
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
		})
	}
}

// signalGrace is how long after a signal a render may take to stop on its
// own before the process ends anyway.
const signalGrace = 3 * time.Second

// checkInterrupted is the error to stop on once a signal came.
func (s *dirSink) checkInterrupted() error {
	if sig, ok := s.interrupted.Load().(os.Signal); ok {
		return fmt.Errorf("interrupted (%v): %s left as it was", sig, s.target)
	}
	return nil
}

// checkNotWorkingDir refuses a target that is the working directory or
// holds it: the tree is replaced by renaming, and "." cannot be renamed
// (the shell would be left in a deleted directory if it could).
func checkNotWorkingDir(target string) error {
	abs, err := filepath.Abs(target)
	if err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real // physical paths on both sides: the shell may be in a link
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil // nothing to compare with; the rename will tell
	}
	if real, err := filepath.EvalSymlinks(wd); err == nil {
		wd = real
	}
	if wd == abs || strings.HasPrefix(wd, abs+string(filepath.Separator)) || abs == string(filepath.Separator) {
		return fmt.Errorf("output directory %s: is the working directory or holds it, and a render replaces the directory whole: name a directory of its own, such as rendered", target)
	}
	return nil
}

func newDirSink(target string) (*dirSink, error) {
	target = filepath.Clean(target)
	// A symbolic link names the tree to replace, not itself: the rename
	// below would put a directory where the link was and leave its target
	// stale.
	if fi, err := os.Lstat(target); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(target)
		if err != nil {
			return nil, fmt.Errorf("output directory %s: %w", target, err)
		}
		target = real
	}
	if err := checkReplaceable(target); err != nil {
		return nil, err
	}
	if err := checkNotWorkingDir(target); err != nil {
		return nil, err
	}
	parent := filepath.Dir(target)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(target)+".tmp-")
	if err != nil {
		// The temporary name means nothing to the user; the place does.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("output directory %s: cannot write the new tree next to it, in %s: %w", target, parent, err)
	}
	// MkdirTemp makes it private; renamed into place, it is the output
	// directory, as readable as the directories made under it.
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, markerFile), []byte("written by mtlsgen render; replaced whole on every render\n"), 0o644); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return &dirSink{target: target, tmp: tmp, written: map[string]bool{}}, nil
}

// checkReplaceable refuses to replace a directory mtlsgen did not write.
func checkReplaceable(target string) error {
	entries, err := os.ReadDir(target)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output directory %s: %w", target, err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(target, markerFile)); err != nil {
		return fmt.Errorf("output directory %s exists and was not written by mtlsgen (no %s): refusing to replace it", target, markerFile)
	}
	return nil
}

// RelPath is where an object's file is, relative to the output directory:
// one manifests.yaml per cluster and component, and one file per patch
// (patches/KIND_[NAMESPACE_]NAME.yaml), for kustomize's patches list. The
// parts are joined with _, which no Kubernetes name holds, so two patches
// never share a file.
func RelPath(o generator.Object) string {
	if o.Cluster == "" {
		return filepath.Join("fleet", string(o.Component), "manifests.yaml")
	}
	file := "manifests.yaml"
	if o.Component == generator.ComponentPatches {
		parts := []string{strings.ToLower(o.Object.GetObjectKind().GroupVersionKind().Kind)}
		if ns := o.Object.GetNamespace(); ns != "" {
			parts = append(parts, ns)
		}
		file = strings.Join(append(parts, o.Object.GetName()), "_") + ".yaml"
	}
	return filepath.Join("clusters", o.Cluster, string(o.Component), file)
}

// checkPathElement refuses a cluster name that is not one directory name:
// Argo CD's cluster names are free text (an EKS ARN holds a /), and a
// directory tree must not be written outside its root.
func checkPathElement(cluster string) error {
	if cluster == "" || cluster == "." || cluster == ".." || strings.ContainsAny(cluster, `/\`) {
		return fmt.Errorf("cluster %q cannot name a directory of -o dir=: render it to standard output instead", cluster)
	}
	return nil
}

// open makes rel the file being written: a new one, or one written before
// and reopened to append. Objects come grouped by file, so this seldom
// reopens.
func (s *dirSink) open(rel string) error {
	if s.cur != nil && s.curRel == rel {
		return nil
	}
	if err := s.closeCurrent(); err != nil {
		return err
	}
	path := filepath.Join(s.tmp, rel)
	flags := os.O_WRONLY | os.O_APPEND
	if !s.written[rel] {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		flags |= os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return err
	}
	s.cur, s.curRel, s.written[rel] = f, rel, true
	return nil
}

func (s *dirSink) closeCurrent() error {
	if s.cur == nil {
		return nil
	}
	err := s.cur.Close()
	s.cur, s.curRel = nil, ""
	return err
}

func (s *dirSink) Write(o generator.Object) error {
	if err := s.checkInterrupted(); err != nil {
		return err
	}
	if o.Cluster != "" {
		if err := checkPathElement(o.Cluster); err != nil {
			return err
		}
	}
	rel := RelPath(o)
	if o.Component == generator.ComponentPatches && s.written[rel] {
		return fmt.Errorf("%s would hold two patches", rel)
	}
	if err := s.open(rel); err != nil {
		return err
	}
	f := s.cur
	b, err := s.enc.Encode(o.Object)
	if err != nil {
		return err
	}
	sep := "---\n"
	if o.Component == generator.ComponentPatches {
		sep = PatchNote // a file of its own
	}
	if _, err := f.WriteString(sep); err != nil {
		return err
	}
	_, err = f.Write(b)
	return err
}

// WriteManifests writes the manifests, byte for byte, as the component's
// file.
func (s *dirSink) WriteManifests(cluster, component string, manifests []byte) error {
	if err := s.checkInterrupted(); err != nil {
		return err
	}
	if err := checkPathElement(cluster); err != nil {
		return err
	}
	rel := RelPath(generator.Object{Cluster: cluster, Component: generator.Component(component)})
	if s.written[rel] {
		return fmt.Errorf("%s is written twice", rel)
	}
	if err := s.open(rel); err != nil {
		return err
	}
	_, err := s.cur.Write(manifests)
	return err
}

func (s *dirSink) Close() error {
	if err := s.checkInterrupted(); err != nil {
		s.Abort()
		return err
	}
	if err := s.closeCurrent(); err != nil {
		s.Abort()
		return err
	}
	old := ""
	if _, err := os.Stat(s.target); err == nil {
		old = s.tmp + ".old"
		if err := os.Rename(s.target, old); err != nil {
			s.Abort()
			return err
		}
	}
	if err := os.Rename(s.tmp, s.target); err != nil {
		if old != "" {
			os.Rename(old, s.target)
		}
		s.Abort()
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

func (s *dirSink) Abort() {
	s.closeCurrent()
	os.RemoveAll(s.tmp)
}
