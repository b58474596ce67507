package helmengine

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/downloader"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"

	"github.com/mtlsgen/mtlsgen/internal/charts"
)

// pull downloads one chart archive with Helm's downloader: from a Helm
// repository, found in its index.yaml as `helm pull --repo` finds it, or
// from an OCI repository (oci://HOST/PATH, the chart at oci://HOST/PATH/CHART).
// Credentials are Helm's own: `helm registry login` for OCI registries.
func pull(_ context.Context, p charts.PullRequest, log io.Writer) charts.PullResult {
	fail := func(err error) charts.PullResult { return charts.PullResult{Error: err.Error()} }
	settings := cli.New()
	// Fetch repository indexes into the download directory, not into
	// the user's Helm cache.
	settings.RepositoryCache = filepath.Join(p.Dest, ".helm-repository")
	opts := []registry.ClientOption{registry.ClientOptWriter(log), registry.ClientOptCredentialsFile(settings.RegistryConfig)}
	if p.PlainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	rc, err := registry.NewClient(opts...)
	if err != nil {
		return fail(fmt.Errorf("registry client: %w", err))
	}
	dl := downloader.ChartDownloader{
		Out:              log,
		Verify:           downloader.VerifyNever,
		Getters:          getter.All(settings),
		RegistryClient:   rc,
		RepositoryConfig: settings.RepositoryConfig,
		RepositoryCache:  settings.RepositoryCache,
		Options:          []getter.Option{getter.WithPlainHTTP(p.PlainHTTP), getter.WithRegistryClient(rc)},
	}
	var ref, indexDigest string
	if registry.IsOCI(p.Repo) {
		ref = strings.TrimSuffix(p.Repo, "/") + "/" + p.Chart
	} else {
		ref, indexDigest, err = findInIndex(p, settings)
		if err != nil {
			return fail(err)
		}
	}
	saved, _, err := dl.DownloadTo(ref, p.Version, p.Dest)
	if err != nil {
		return fail(err)
	}
	return charts.PullResult{File: saved, IndexDigest: indexDigest}
}

// findInIndex reads the repository's index.yaml and returns the archive's
// URL and the digest the index lists for it. The version must be listed
// exactly: a pin is not a range.
func findInIndex(p charts.PullRequest, settings *cli.EnvSettings) (string, string, error) {
	r, err := repo.NewChartRepository(&repo.Entry{Name: "mtlsgen-pull", URL: p.Repo}, getter.All(settings))
	if err != nil {
		return "", "", err
	}
	r.CachePath = settings.RepositoryCache
	if err := os.MkdirAll(r.CachePath, 0o755); err != nil {
		return "", "", err
	}
	file, err := r.DownloadIndexFile()
	if err != nil {
		return "", "", fmt.Errorf("reading the index of %s: %w", p.Repo, err)
	}
	idx, err := repo.LoadIndexFile(file)
	if err != nil {
		return "", "", fmt.Errorf("reading the index of %s: %w", p.Repo, err)
	}
	var cv *repo.ChartVersion
	for _, v := range idx.Entries[p.Chart] {
		if v.Version == p.Version {
			cv = v
			break
		}
	}
	if cv == nil {
		if _, ok := idx.Entries[p.Chart]; !ok {
			return "", "", fmt.Errorf("%s has no chart %s", p.Repo, p.Chart)
		}
		return "", "", fmt.Errorf("%s has no version %s of chart %s", p.Repo, p.Version, p.Chart)
	}
	if len(cv.URLs) == 0 {
		return "", "", fmt.Errorf("%s lists %s %s without a download URL", p.Repo, p.Chart, p.Version)
	}
	u, err := repo.ResolveReferenceURL(p.Repo, cv.URLs[0])
	if err != nil {
		return "", "", err
	}
	digest := ""
	if cv.Digest != "" {
		digest = "sha256:" + strings.TrimPrefix(cv.Digest, "sha256:")
	}
	return u, digest, nil
}
