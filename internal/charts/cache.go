package charts

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Cache is a content-addressed store of chart archives:
// DIR/sha256/HEX.tgz, where HEX is the archive's sha256. An archive is
// written once, under a temporary name renamed into place, and checked
// against its name every time it is read.
type Cache struct {
	Dir string
}

// DefaultCacheDir is $XDG_CACHE_HOME/mtlsgen/charts, or
// ~/.cache/mtlsgen/charts when XDG_CACHE_HOME is unset (on Windows, the
// user's cache directory).
func DefaultCacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" || !filepath.IsAbs(base) { // the XDG spec ignores a relative path
		var err error
		if runtime.GOOS == "windows" {
			base, err = os.UserCacheDir()
		} else {
			var home string
			home, err = os.UserHomeDir()
			base = filepath.Join(home, ".cache")
		}
		if err != nil {
			return "", fmt.Errorf("finding the chart cache: %w (set --cache DIR or XDG_CACHE_HOME)", err)
		}
	}
	return filepath.Join(base, "mtlsgen", "charts"), nil
}

// Digest returns "sha256:HEX" of a file.
func Digest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func (c Cache) path(digest string) string {
	return filepath.Join(c.Dir, "sha256", strings.TrimPrefix(digest, "sha256:")+".tgz")
}

// Get returns the path of the archive with this digest, or "" if the cache
// does not hold it. An archive whose content does not match its name is an
// error: the cache was tampered with or damaged.
func (c Cache) Get(digest string) (string, error) {
	if !digestPattern.MatchString(digest) {
		return "", fmt.Errorf("%q is not a sha256 digest", digest)
	}
	p := c.path(digest)
	got, err := Digest(p)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if got != digest {
		return "", fmt.Errorf("chart cache: %s holds content with digest %s: the cache is damaged; delete the file and pull again", p, got)
	}
	return p, nil
}

// Put moves a downloaded archive into the cache and returns its digest.
func (c Cache) Put(file string) (string, error) {
	digest, err := Digest(file)
	if err != nil {
		return "", err
	}
	dst := c.path(digest)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	if have, err := c.Get(digest); err == nil && have != "" {
		return digest, os.Remove(file)
	}
	// Copy to a temporary name beside the target, then rename: a reader
	// never sees half an archive, and the download may be on another
	// file system.
	src, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	if err := writeAtomic(dst, src); err != nil {
		return "", err
	}
	return digest, os.Remove(file)
}

// TempDir makes a directory for downloads inside the cache, so that moving
// an archive into place is a rename on the same file system.
func (c Cache) TempDir() (string, error) {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return "", fmt.Errorf("chart cache %s: %w (set --cache DIR or XDG_CACHE_HOME)", c.Dir, unwrapPath(err))
	}
	dir, err := os.MkdirTemp(c.Dir, "pull-")
	if err != nil {
		return "", fmt.Errorf("chart cache %s: %w (set --cache DIR or XDG_CACHE_HOME)", c.Dir, unwrapPath(err))
	}
	return dir, nil
}

// unwrapPath is a file system error without the operation and path, for a
// message that names the path in the user's terms: "mkdir /root/.cache:
// permission denied" becomes "permission denied".
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
