package charts_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"

	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/charts"
	"github.com/mtlsgen/mtlsgen/internal/helmengine"
)

const fixtureDir = "../helmengine/testdata/charts/mtlsgen-fixture"

// helmRepo is a Helm repository served by the test: index.yaml and one
// packaged chart, built from the fixture chart with Helm's own packager.
type helmRepo struct {
	srv      *httptest.Server
	dir      string
	requests atomic.Int32
	archive  []byte // what is served as the .tgz
	digest   string // sha256:HEX of the packaged archive
}

func newHelmRepo(t *testing.T) *helmRepo {
	t.Helper()
	r := &helmRepo{dir: t.TempDir()}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		if strings.HasSuffix(req.URL.Path, ".tgz") {
			w.Write(r.archive)
			return
		}
		http.FileServer(http.Dir(r.dir)).ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	ch, err := loader.LoadDir(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	tgz, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if r.archive, err = os.ReadFile(tgz); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(r.archive)
	r.digest = "sha256:" + hex.EncodeToString(sum[:])
	r.writeIndex(t, hex.EncodeToString(sum[:]))
	return r
}

func (r *helmRepo) writeIndex(t *testing.T, hexDigest string) {
	t.Helper()
	ch, err := loader.LoadDir(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	idx := repo.NewIndexFile()
	if err := idx.MustAdd(ch.Metadata, "mtlsgen-fixture-0.3.0.tgz", r.srv.URL+"/charts", hexDigest); err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(r.dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (r *helmRepo) ref() charts.Ref {
	return charts.Ref{Repo: r.srv.URL, Chart: "mtlsgen-fixture", Version: "0.3.0"}
}

// noEngine fails the test if anything asks it to download.
type noEngine struct{ t *testing.T }

func (e noEngine) Do(context.Context, charts.Request, io.Writer) (*charts.Response, error) {
	e.t.Error("the engine was asked to download although everything is cached")
	return nil, errors.New("offline")
}

func pull(t *testing.T, refs []charts.Ref, lock *charts.Lock, cache charts.Cache, engine charts.Engine) (*charts.Lock, string, error) {
	t.Helper()
	var log bytes.Buffer
	next, err := charts.Pull(context.Background(), refs, lock, charts.PullOptions{Cache: cache, Engine: engine, Log: &log, EngineLog: io.Discard})
	return next, log.String(), err
}

// The first pull downloads the chart with Helm's downloader, checks it
// against the index's digest, caches it under its digest and locks it; the
// next pull, from the lock, needs neither the repository nor the engine.
func TestPull_cachesAndLocksThenWorksOffline(t *testing.T) {
	r := newHelmRepo(t)
	t.Setenv("HELM_CACHE_HOME", t.TempDir()) // Helm's own cache is not used; prove it below
	cache := charts.Cache{Dir: t.TempDir()}
	empty, _ := charts.ReadLock(filepath.Join(t.TempDir(), "none"))
	lock, log, err := pull(t, []charts.Ref{r.ref()}, empty, cache, helmengine.Engine{})
	if err != nil {
		t.Fatal(err)
	}
	if got := lock.Digest(r.ref()); got != r.digest {
		t.Fatalf("locked %q, served %s", got, r.digest)
	}
	if !strings.Contains(log, "chart mtlsgen-fixture 0.3.0 from "+r.srv.URL+": downloaded ("+r.digest+")") {
		t.Errorf("log %q", log)
	}
	if p, err := cache.Get(r.digest); p == "" || err != nil {
		t.Errorf("not cached: %v", err)
	}
	if entries, _ := os.ReadDir(os.Getenv("HELM_CACHE_HOME")); len(entries) != 0 {
		t.Errorf("Helm's cache was written: %v", entries)
	}
	if entries, _ := os.ReadDir(cache.Dir); len(entries) != 1 {
		t.Errorf("the cache holds more than sha256/ (a download directory left behind?): %v", entries)
	}

	r.srv.Close()
	before := r.requests.Load()
	again, log, err := pull(t, []charts.Ref{r.ref()}, lock, cache, noEngine{t})
	if err != nil {
		t.Fatal(err)
	}
	if r.requests.Load() != before || again.Digest(r.ref()) != r.digest {
		t.Errorf("offline pull: %d requests, lock %v", r.requests.Load()-before, again)
	}
	if !strings.Contains(log, ": cached ("+r.digest+")") {
		t.Errorf("log %q", log)
	}
}

// A repository that now serves other bytes for the locked version is
// refused, and nothing is cached or locked.
func TestPull_refusesAnArchiveThatChangedSinceLocked(t *testing.T) {
	r := newHelmRepo(t)
	cache := charts.Cache{Dir: t.TempDir()}
	lock, _, err := pull(t, []charts.Ref{r.ref()}, &charts.Lock{}, cache, helmengine.Engine{})
	if err != nil {
		t.Fatal(err)
	}
	// The same version republished: other bytes, and an index that
	// agrees with them. (The archive is refused before it is read, so
	// any other bytes will do.)
	r.archive = append(r.archive[:len(r.archive):len(r.archive)], 0)
	sum := sha256.Sum256(r.archive)
	r.writeIndex(t, hex.EncodeToString(sum[:]))
	fresh := charts.Cache{Dir: t.TempDir()} // another machine
	_, _, err = pull(t, []charts.Ref{r.ref()}, lock, fresh, helmengine.Engine{})
	want := "the repository serves an archive with digest sha256:" + hex.EncodeToString(sum[:]) + ", but the lock file records " + r.digest
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v\nwant it to contain %s", err, want)
	}
	if p, _ := fresh.Get("sha256:" + hex.EncodeToString(sum[:])); p != "" {
		t.Error("the refused archive was cached")
	}
}

// The first pull checks the archive against the digest the index lists.
func TestPull_refusesAnArchiveTheIndexDisowns(t *testing.T) {
	r := newHelmRepo(t)
	r.writeIndex(t, strings.Repeat("0", 64))
	_, _, err := pull(t, []charts.Ref{r.ref()}, &charts.Lock{}, charts.Cache{Dir: t.TempDir()}, helmengine.Engine{})
	if err == nil || !strings.Contains(err.Error(), "but the repository's index lists sha256:"+strings.Repeat("0", 64)) {
		t.Errorf("error %v", err)
	}
}

// A damaged archive in the cache is downloaded again and must still match
// the lock.
func TestPull_replacesADamagedArchive(t *testing.T) {
	r := newHelmRepo(t)
	cache := charts.Cache{Dir: t.TempDir()}
	lock, _, err := pull(t, []charts.Ref{r.ref()}, &charts.Lock{}, cache, helmengine.Engine{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := cache.Get(r.digest)
	os.WriteFile(p, []byte("damaged"), 0o644)
	_, log, err := pull(t, []charts.Ref{r.ref()}, lock, cache, helmengine.Engine{})
	if err != nil || !strings.Contains(log, "the cache is damaged") || !strings.Contains(log, "downloaded ("+r.digest+")") {
		t.Fatalf("%v\n%s", err, log)
	}
	if p, err := cache.Get(r.digest); p == "" || err != nil {
		t.Errorf("not repaired: %v", err)
	}
}

// A version the repository does not list is an error naming it: a pin is
// not a range.
func TestPull_unknownVersion(t *testing.T) {
	r := newHelmRepo(t)
	ref := r.ref()
	ref.Version = "0.3"
	_, _, err := pull(t, []charts.Ref{ref}, &charts.Lock{}, charts.Cache{Dir: t.TempDir()}, helmengine.Engine{})
	if err == nil || !strings.Contains(err.Error(), "chart mtlsgen-fixture 0.3 from "+r.srv.URL+": "+r.srv.URL+" has no version 0.3 of chart mtlsgen-fixture") {
		t.Errorf("error %v", err)
	}
}

// Hydrate renders from the cache at the locked digest, and says what to run
// when the lock or the cache lacks a chart.
func TestHydrate_fromTheCache(t *testing.T) {
	r := newHelmRepo(t)
	cache := charts.Cache{Dir: t.TempDir()}
	lock, _, err := pull(t, []charts.Ref{r.ref()}, &charts.Lock{}, cache, helmengine.Engine{})
	if err != nil {
		t.Fatal(err)
	}
	c := generator.HelmChart{Component: "widgets", Chart: "mtlsgen-fixture", Repo: r.srv.URL, Version: "0.3.0",
		ReleaseName: "mtlsgen-fixture", Namespace: "widgets", Values: map[string]any{"replicas": 2, "widget": map[string]any{"color": "green"}}}
	opts := charts.HydrateOptions{Cache: cache, Lock: lock, Engine: helmengine.Engine{}, KubeVersion: "1.33.0", PullCommand: "mtlsgen charts pull spec.yaml", Log: io.Discard}
	hs, err := charts.Hydrate(context.Background(), []generator.HelmChart{c}, opts)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile("../helmengine/testdata/helm-template/mtlsgen-fixture.yaml")
	if string(hs[0].Manifest) != string(want) {
		t.Error("rendered from the cache, the fixture differs from helm template's output")
	}

	opts.Lock = &charts.Lock{}
	_, err = charts.Hydrate(context.Background(), []generator.HelmChart{c}, opts)
	if err == nil || err.Error() != "chart mtlsgen-fixture 0.3.0 from "+r.srv.URL+": the lock file has no digest for it: run `mtlsgen charts pull spec.yaml` first" {
		t.Errorf("without a lock entry: %v", err)
	}
	opts.Lock, opts.Cache = lock, charts.Cache{Dir: t.TempDir()}
	_, err = charts.Hydrate(context.Background(), []generator.HelmChart{c}, opts)
	if err == nil || !strings.Contains(err.Error(), r.digest+" is not in the chart cache "+opts.Cache.Dir+": run `mtlsgen charts pull spec.yaml` first") {
		t.Errorf("without the archive: %v", err)
	}
}

// ociRegistry is a read-only OCI registry serving one chart the way Helm
// pushes it (a manifest, the chart's metadata as config, the archive as the
// one layer): just enough of the distribution API for Helm's client.
func ociRegistry(t *testing.T, archive []byte) *httptest.Server {
	t.Helper()
	blob := func(b []byte) (string, []byte) {
		sum := sha256.Sum256(b)
		return "sha256:" + hex.EncodeToString(sum[:]), b
	}
	cfgDigest, cfg := blob([]byte(`{"apiVersion":"v2","name":"mtlsgen-fixture","version":"0.3.0"}`))
	layerDigest, layer := blob(archive)
	manifestDigest, manifest := blob([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
		`"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"` + cfgDigest + `","size":` + strconv.Itoa(len(cfg)) + `},` +
		`"layers":[{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"` + layerDigest + `","size":` + strconv.Itoa(len(layer)) + `}]}`))
	blobs := map[string][]byte{cfgDigest: cfg, layerDigest: layer, manifestDigest: manifest}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const repoPath = "/v2/charts/mtlsgen-fixture/"
		var body []byte
		switch p := r.URL.Path; {
		case p == "/v2/":
			body = []byte("{}")
		case p == repoPath+"manifests/0.3.0" || p == repoPath+"manifests/"+manifestDigest:
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Docker-Content-Digest", manifestDigest)
			body = manifest
		case strings.HasPrefix(p, repoPath+"blobs/") && blobs[strings.TrimPrefix(p, repoPath+"blobs/")] != nil:
			body = blobs[strings.TrimPrefix(p, repoPath+"blobs/")]
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// An OCI repository: the chart is pulled with Helm's registry client and
// locked by the sha256 of its archive, the chart layer.
func TestPull_oci(t *testing.T) {
	r := newHelmRepo(t)
	srv := ociRegistry(t, r.archive)
	ref := charts.Ref{Repo: "oci://" + strings.TrimPrefix(srv.URL, "http://") + "/charts", Chart: "mtlsgen-fixture", Version: "0.3.0"}
	cache := charts.Cache{Dir: t.TempDir()}
	var log bytes.Buffer
	lock, err := charts.Pull(context.Background(), []charts.Ref{ref}, &charts.Lock{}, charts.PullOptions{
		Cache: cache, Engine: helmengine.Engine{}, Log: &log, EngineLog: io.Discard, PlainHTTP: true,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if got := lock.Digest(ref); got != r.digest {
		t.Errorf("locked %s, the layer is %s", got, r.digest)
	}
	if p, _ := cache.Get(r.digest); p == "" {
		t.Error("not cached")
	}
}
