package charts_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mtlsgen/mtlsgen/internal/charts"
	_ "github.com/mtlsgen/mtlsgen/internal/testutil"
)

const digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
const digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

func TestLock_roundTripIsSortedAndStable(t *testing.T) {
	l := &charts.Lock{Charts: []charts.LockedChart{
		{Repo: "https://helm.linkerd.io/edge", Chart: "linkerd-crds", Version: "2026.6.3", Digest: digestB},
		{Repo: "https://charts.jetstack.io", Chart: "trust-manager", Version: "v0.25.0", Digest: digestA},
		{Repo: "https://charts.jetstack.io", Chart: "cert-manager", Version: "v1.21.2", Digest: digestA},
	}}
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `# mtlsgen.lock: the digest of every Helm chart the spec installs, written by
# "mtlsgen charts pull". Commit it. Later pulls and "mtlsgen render --hydrate"
# refuse a chart archive whose sha256 differs from the one recorded here.
apiVersion: mtlsgen.dev/v1alpha1
charts:
- chart: cert-manager
  digest: ` + digestA + `
  repo: https://charts.jetstack.io
  version: v1.21.2
- chart: trust-manager
  digest: ` + digestA + `
  repo: https://charts.jetstack.io
  version: v0.25.0
- chart: linkerd-crds
  digest: ` + digestB + `
  repo: https://helm.linkerd.io/edge
  version: 2026.6.3
kind: ChartLock
`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("lock file (-want +got):\n%s", diff)
	}
	back, err := charts.ParseLock("mtlsgen.lock", b)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Digest(charts.Ref{Repo: "https://charts.jetstack.io/", Chart: "cert-manager", Version: "v1.21.2"}); got != digestA {
		t.Errorf("digest by a repository URL with a trailing slash: %q", got)
	}
	if got := back.Digest(charts.Ref{Repo: "https://charts.jetstack.io", Chart: "cert-manager", Version: "v1.21.3"}); got != "" {
		t.Errorf("digest of an unlocked version: %q", got)
	}
	path := filepath.Join(t.TempDir(), "mtlsgen.lock")
	for i, wantWrote := range []bool{true, false} {
		wrote, err := charts.WriteLock(path, back)
		if err != nil || wrote != wantWrote {
			t.Errorf("write %d: wrote %v, %v", i, wrote, err)
		}
	}
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Errorf("written lock differs")
	}
}

func TestLock_problems(t *testing.T) {
	head := "apiVersion: mtlsgen.dev/v1alpha1\nkind: ChartLock\n"
	for name, tc := range map[string]struct{ in, want string }{
		"unknown field": {head + "charts: []\nextra: 1\n", "mtlsgen.lock: not a lock file as `mtlsgen charts pull` writes it: unknown field \"extra\""},
		"not YAML":      {"x: [\n", "mtlsgen.lock: not a lock file as `mtlsgen charts pull` writes it: line 1: did not find expected node content"},
		"a list":        {"- a\n", "mtlsgen.lock: not a lock file as `mtlsgen charts pull` writes it: cannot unmarshal array into a lock file"},
		"wrong kind":    {"apiVersion: v1\nkind: ConfigMap\ncharts: []\n", `mtlsgen.lock: apiVersion "v1", kind "ConfigMap": want mtlsgen.dev/v1alpha1, ChartLock (a lock file mtlsgen charts pull wrote)`},
		"bad digest": {head + "charts:\n- {repo: r, chart: c, version: '1', digest: md5:00}\n",
			`mtlsgen.lock: charts[0].digest: "md5:00" must be sha256: followed by 64 lowercase hex digits`},
		"missing version": {head + "charts:\n- {repo: r, chart: c, digest: " + digestA + "}\n", "mtlsgen.lock: charts[0]: repo, chart and version are required"},
		"twice": {head + "charts:\n- {repo: r, chart: c, version: '1', digest: " + digestA + "}\n- {repo: r/, chart: c, version: '1', digest: " + digestB + "}\n",
			"mtlsgen.lock: charts[1]: chart c 1 from r/ is locked twice"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := charts.ParseLock("mtlsgen.lock", []byte(tc.in))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v\nwant       %s", err, tc.want)
			}
		})
	}
	l, err := charts.ReadLock(filepath.Join(t.TempDir(), "absent.lock"))
	if err != nil || len(l.Charts) != 0 {
		t.Errorf("a missing lock file is an empty lock: %v %v", l, err)
	}
	dir := t.TempDir()
	if _, err := charts.ReadLock(dir); err == nil || err.Error() != dir+": is a directory" {
		t.Errorf("a directory as the lock file: %v", err)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/var/cache/me")
	if d, _ := charts.DefaultCacheDir(); d != "/var/cache/me/mtlsgen/charts" {
		t.Errorf("with XDG_CACHE_HOME: %s", d)
	}
	t.Setenv("HOME", "/home/me")
	for _, xdg := range []string{"", "relative/path"} {
		t.Setenv("XDG_CACHE_HOME", xdg)
		if d, _ := charts.DefaultCacheDir(); d != "/home/me/.cache/mtlsgen/charts" {
			t.Errorf("with XDG_CACHE_HOME=%q: %s", xdg, d)
		}
	}
}

func TestCache_contentAddressed(t *testing.T) {
	c := charts.Cache{Dir: t.TempDir()}
	tmp, err := c.TempDir()
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(tmp, "x.tgz")
	os.WriteFile(f, []byte("archive"), 0o644)
	digest, err := c.Put(f)
	if err != nil {
		t.Fatal(err)
	}
	// sha256("archive")
	if digest != "sha256:0eb3e36bfb24dcd9bb1d1bece1531216b59539a8fde17ee80224af0653c92aa3" {
		t.Errorf("digest %s", digest)
	}
	p, err := c.Get(digest)
	if err != nil || p != filepath.Join(c.Dir, "sha256", strings.TrimPrefix(digest, "sha256:")+".tgz") {
		t.Fatalf("get: %s %v", p, err)
	}
	if p, err := c.Get(digestA); p != "" || err != nil {
		t.Errorf("an absent archive: %q %v", p, err)
	}
	os.WriteFile(p, []byte("tampered"), 0o644)
	if _, err := c.Get(digest); err == nil || !strings.Contains(err.Error(), "the cache is damaged") {
		t.Errorf("a damaged archive: %v", err)
	}
}

func TestSplitDocuments(t *testing.T) {
	in := "---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/empty.yaml\n# only a comment\n---\n# Source: c/templates/b.yaml\nkind: B\n\n"
	got := charts.SplitDocuments([]byte(in))
	want := []charts.Document{
		{Source: "c/templates/a.yaml", Text: "# Source: c/templates/a.yaml\nkind: A\n"},
		{Source: "c/templates/b.yaml", Text: "# Source: c/templates/b.yaml\nkind: B\n"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFindPrivateKeys(t *testing.T) {
	pem := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n"
	b64 := base64.StdEncoding.EncodeToString([]byte(pem))
	manifest := strings.Join([]string{
		"# Source: c/templates/tls.yaml\napiVersion: v1\nkind: Secret\nmetadata: {name: web-tls}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: Y2VydA==\n  tls.key: " + base64.StdEncoding.EncodeToString([]byte("der bytes")) + "\n",
		"# Source: c/templates/pem.yaml\napiVersion: v1\nkind: Secret\nmetadata: {name: pem, namespace: other}\ndata:\n  anything: " + b64 + "\n",
		"# Source: c/templates/string.yaml\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  signing.key: secret\n",
		"# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n  key.pem: |\n    " + strings.ReplaceAll(strings.TrimSpace(pem), "\n", "\n    ") + "\n",
		"# Source: c/templates/fine.yaml\napiVersion: v1\nkind: Secret\nmetadata: {name: fine}\ndata:\n  password: cGFzcw==\n  tls.key: \"\"\n",
		"# Source: c/templates/ca.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ca}\ndata:\n  ca.crt: |\n    -----BEGIN CERTIFICATE-----\n",
	}, "\n---\n")
	got := charts.FindPrivateKeys([]byte("---\n"+manifest), "release-ns")
	want := []string{
		"Secret release-ns/web-tls (c/templates/tls.yaml) holds private key material in data.tls.key",
		"Secret other/pem (c/templates/pem.yaml) holds private key material in data.anything",
		"Secret release-ns/s (c/templates/string.yaml) holds private key material in stringData.signing.key",
		"ConfigMap release-ns/cm (c/templates/cm.yaml) holds private key material in a PEM private key",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A cache that cannot be made is named with the way to choose another, not
// with the mkdir that failed.
func TestCache_unusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(file, "charts")
	_, err := charts.Cache{Dir: dir}.TempDir()
	if want := "chart cache " + dir + ": not a directory (set --cache DIR or XDG_CACHE_HOME)"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
