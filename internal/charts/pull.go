package charts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/mtlsgen/mtlsgen/generator"
)

// RefsOf lists the charts a set of Helm charts comes from, without
// duplicates, in order.
func RefsOf(cs []generator.HelmChart) []Ref {
	var out []Ref
	for _, c := range cs {
		r := Ref{Repo: c.Repo, Chart: c.Chart, Version: c.Version}
		if !slices.ContainsFunc(out, func(o Ref) bool { return o.key() == r.key() }) {
			out = append(out, r)
		}
	}
	return out
}

// PullOptions configure Pull.
type PullOptions struct {
	Cache  Cache
	Engine Engine
	// Log receives one line per chart.
	Log io.Writer
	// EngineLog receives the engine's progress; Log if nil.
	EngineLog io.Writer
	// PlainHTTP talks to OCI registries over http.
	PlainHTTP bool
}

// Pull makes sure the cache holds every chart at the digest the lock
// records, downloading what it lacks with the engine, and returns the lock
// for exactly these charts. A chart the lock records and the cache holds is
// not downloaded: with everything cached, Pull needs no network and no
// engine. A download whose digest differs from the lock's, or from the one
// the repository's index lists, is an error, and nothing is recorded.
func Pull(ctx context.Context, refs []Ref, lock *Lock, o PullOptions) (*Lock, error) {
	next := &Lock{APIVersion: lockAPIVersion, Kind: lockKind}
	var missing []Ref
	var errs []error
	for _, r := range refs {
		want := lock.Digest(r)
		if want == "" {
			missing = append(missing, r)
			continue
		}
		p, err := o.Cache.Get(want)
		switch {
		case err != nil:
			// A damaged archive is replaced by a fresh download,
			// which must still match the lock.
			fmt.Fprintf(o.Log, "%s: %v; downloading again\n", r, err)
			if rmErr := os.Remove(o.Cache.path(want)); rmErr != nil {
				errs = append(errs, rmErr)
			}
			missing = append(missing, r)
		case p == "":
			missing = append(missing, r)
		default:
			fmt.Fprintf(o.Log, "%s: cached (%s)\n", r, want)
			next.Charts = append(next.Charts, LockedChart{Repo: r.Repo, Chart: r.Chart, Version: r.Version, Digest: want})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(missing) == 0 {
		return next, nil
	}
	if o.Engine == nil {
		return nil, fmt.Errorf("%s is not cached and there is no engine to download it", missing[0])
	}
	tmp, err := o.Cache.TempDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	req := Request{}
	for i, r := range missing {
		dest := filepath.Join(tmp, strconv.Itoa(i))
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return nil, err
		}
		req.Pull = append(req.Pull, PullRequest{Repo: r.Repo, Chart: r.Chart, Version: r.Version, Dest: dest, PlainHTTP: o.PlainHTTP})
	}
	elog := o.EngineLog
	if elog == nil {
		elog = o.Log
	}
	resp, err := o.Engine.Do(ctx, req, elog)
	if err != nil {
		return nil, err
	}
	if len(resp.Pull) != len(missing) {
		return nil, fmt.Errorf("the engine answered %d downloads for %d requests", len(resp.Pull), len(missing))
	}
	for i, r := range missing {
		res := resp.Pull[i]
		if res.Error != "" {
			errs = append(errs, fmt.Errorf("%s: %s", r, res.Error))
			continue
		}
		got, err := Digest(res.File)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r, err))
			continue
		}
		if res.IndexDigest != "" && res.IndexDigest != got {
			errs = append(errs, fmt.Errorf("%s: the archive's digest is %s, but the repository's index lists %s: the download is damaged or the index is stale", r, got, res.IndexDigest))
			continue
		}
		if want := lock.Digest(r); want != "" && want != got {
			errs = append(errs, fmt.Errorf("%s: the repository serves an archive with digest %s, but the lock file records %s: "+
				"the chart changed after it was locked; if you trust the new archive, delete its entry from the lock file and pull again", r, got, want))
			continue
		}
		if _, err := o.Cache.Put(res.File); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r, err))
			continue
		}
		fmt.Fprintf(o.Log, "%s: downloaded (%s)\n", r, got)
		next.Charts = append(next.Charts, LockedChart{Repo: r.Repo, Chart: r.Chart, Version: r.Version, Digest: got})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return next, nil
}
