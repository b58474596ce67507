package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

// validate --previous passes the documented rotation steps, one at a time,
// and refuses each change a sync cannot carry out safely, at its field.
func TestValidate_previous(t *testing.T) {
	examples := filepath.Join(testutil.RepoRoot(t), "examples")
	read := func(name string) string {
		raw, err := os.ReadFile(filepath.Join(examples, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	prod, step1, step2, step3 := read("prod.yaml"), read("rotation-1-add.yaml"), read("rotation-2-activate.yaml"), read("rotation-3-remove.yaml")
	external := read("external-issuer.yaml")
	edit := func(spec string, pairs ...string) string {
		t.Helper()
		for i := 0; i < len(pairs); i += 2 {
			if !strings.Contains(spec, pairs[i]) {
				t.Fatalf("no %q to replace", pairs[i])
			}
			spec = strings.Replace(spec, pairs[i], pairs[i+1], 1)
		}
		return spec
	}
	for _, tc := range []struct {
		name, prev, next string
		want             string // "" for valid; else the path and a phrase of each problem, a line each
	}{
		{"unchanged", prod, prod, ""},
		{"rotation step 1", prod, step1, ""},
		{"rotation step 2", step1, step2, ""},
		{"rotation step 3", step2, step3, ""},
		{"steps 1 to 3 at once", step1, step3, `spec.trust.anchors: anchor "root-2026", active in the previous spec, is removed`},
		{"an anchor renamed", prod, edit(prod, "name: root-2026", "name: mesh-root"), `spec.trust.anchors: anchor "root-2026", active in the previous spec, is removed` + "\n" +
			`spec.trust.anchors[0].active: anchor "mesh-root" is new and already active`},
		{"a key source changed", prod, edit(prod, "selfSigned: {}", "secret: {name: corp-root}"),
			"spec.trust.anchors[0]: its key source changed from selfSigned to secret corp-root under the same name"},
		{"an external anchor's published CA changed", external, edit(external, "configMap: {name: vault-linkerd-root", "configMap: {name: other-root"),
			"its key source changed from external ClusterIssuer cert-manager.io/vault-linkerd (ca configMap vault-linkerd-root/ca.crt) to external ClusterIssuer cert-manager.io/vault-linkerd (ca configMap other-root/ca.crt)"},
		{"an inactive anchor's key source changed", step1, edit(step1, "      - name: root-2027\n        selfSigned: {}", "      - name: root-2027\n        secret: {name: corp-root-2027}"), ""},
		{"the trust namespace moved", prod, edit(prod, "  trust:\n", "  trust:\n    namespace: pki\n"), `spec.trust.namespace: moved from "cert-manager"`},
		{"the Linkerd namespace moved", prod, edit(prod, "  linkerd:\n", "  linkerd:\n    namespace: linkerd-system\n"), `spec.linkerd.namespace: moved from "linkerd"`},
		{"a new trust domain", prod, edit(prod, "  linkerd:\n", "  linkerd:\n    trustDomain: mesh.example\n"), `spec.linkerd.trustDomain: changed from "cluster.local"`},
		{"the spec renamed", prod, edit(prod, "name: payments", "name: checkout"), `metadata.name: renamed from "payments"`},
		{"without Argo CD, a rename is harmless", edit(prod, "  argocd:\n", "  argocd:\n    enabled: false\n"),
			edit(prod, "  argocd:\n", "  argocd:\n    enabled: false\n", "name: payments", "name: checkout"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev, next := write("prev.yaml", tc.prev), write("next.yaml", tc.next)
			out, errOut, code := run(t, "", "validate", "--previous", prev, next)
			switch {
			case tc.want == "" && (code != 0 || out != next+": valid\n"):
				t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
			case tc.want != "":
				wants := strings.Split(tc.want, "\n")
				lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
				ok := code == ExitInvalid && out == "" && len(lines) == len(wants)
				for i := 0; ok && i < len(wants); i++ {
					ok = strings.Contains(lines[i], ": "+wants[i])
				}
				if !ok {
					t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant these problems, a line each:\n%s", code, out, errOut, tc.want)
				}
			}
		})
	}
}

// Crossing from Linkerd 2.18 to 2.19 needs the live Gateway API CRDs kept
// from a prune first, which no spec shows: a warning, and exit 0.
func TestValidate_previousGatewayAPI(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "prod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	version := func(v string) string {
		p := filepath.Join(dir, v+".yaml")
		body := strings.Replace(string(raw), "  linkerd:\n", "  linkerd:\n    version: \""+v+"\"\n", 1)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v218, v219, v220 := version("2.18"), version("2.19"), version("2.20")
	// install: false, which turns linkerd-crds' CRDs off on every version.
	own := func(v string) string {
		p := filepath.Join(dir, v+"-own.yaml")
		body := strings.Replace(string(raw), "  linkerd:\n", "  linkerd:\n    version: \""+v+"\"\n", 1)
		body = strings.Replace(body, "  argocd:\n", "  argocd:\n    gatewayAPI: {install: false}\n", 1)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	own218, own219 := own("2.18"), own("2.19")
	out, errOut, code := run(t, "", "validate", "--previous", v218, own218)
	if want := "mtlsgen: warning: " + own218 + ": spec.argocd.gatewayAPI.install: linkerd-crds installed the Gateway API CRDs, and now does not"; code != 0 || !strings.HasPrefix(errOut, want) {
		t.Errorf("2.18, install turned off: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
	}
	out, errOut, code = run(t, "", "validate", "--previous", v218, v219)
	if want := "mtlsgen: warning: " + v219 + ": spec.linkerd.version: from 2.18, whose linkerd-crds installs the Gateway API CRDs, to 2.19"; code != 0 || out != v219+": valid\n" || !strings.HasPrefix(errOut, want) {
		t.Errorf("2.18 to 2.19: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
	}
	if _, errOut, code := run(t, "", "validate", "--previous", version("9.99"), v219); code != 0 || !strings.Contains(errOut, `the deployed spec's Linkerd version "9.99" is not one this mtlsgen knows`) {
		t.Errorf("an unknown deployed version: exit %d: %s", code, errOut)
	}
	for _, pair := range [][2]string{{v219, v220}, {v218, v218}, {own218, own219}} {
		if out, errOut, code := run(t, "", "validate", "--previous", pair[0], pair[1]); code != 0 || errOut != "" || out != pair[1]+": valid\n" {
			t.Errorf("%s to %s: exit %d, stdout %q, stderr %q", pair[0], pair[1], code, out, errOut)
		}
	}
}

// The deployed spec must itself be valid, and standard input is read once.
func TestValidate_previousProblems(t *testing.T) {
	file := filepath.Join(testutil.RepoRoot(t), "examples", "prod.yaml")
	bad := filepath.Join(t.TempDir(), "old.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: mtlsgen.dev/v1alpha1\nkind: MeshTLS\nmetadata: {name: x}\nspec: {profle: prod}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "", "validate", "--previous", bad, file)
	if code != ExitInvalid || !strings.Contains(errOut, "--previous "+bad+" cannot be read as a spec") || !strings.Contains(errOut, "spec.profle") {
		t.Errorf("a previous spec that does not decode: exit %d: %s", code, errOut)
	}
	// A deployed spec that only newer rules refuse (two clusters on one API
	// server) is read, so the change that fixes it can be checked.
	multicluster, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "multicluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dup := filepath.Join(t.TempDir(), "dup.yaml")
	if err := os.WriteFile(dup, []byte(strings.Replace(string(multicluster), "https://west.k8s.example.com:6443", "https://east.k8s.example.com:6443", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	fixed := filepath.Join(testutil.RepoRoot(t), "examples", "multicluster.yaml")
	if out, errOut, code := run(t, "", "validate", "--previous", dup, fixed); code != 0 || out != fixed+": valid\n" {
		t.Errorf("fixing a spec newer rules refuse: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	_, errOut, code = run(t, "", "validate", "--previous", "-", "-")
	if code != ExitUsage || !strings.Contains(errOut, "standard input is read once") {
		t.Errorf("stdin twice: exit %d: %s", code, errOut)
	}
	// Anchors of one name in the deployed spec: which is which cannot be
	// told, so no change from it can be judged.
	twice := filepath.Join(t.TempDir(), "twice.yaml")
	if err := os.WriteFile(twice, []byte(strings.Replace(string(multicluster), "        secret: {name: linkerd-fleet-root-2026}\n",
		"        secret: {name: linkerd-fleet-root-2026}\n      - name: fleet-root-2026\n        secret: {name: other}\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "", "validate", "--previous", twice, fixed); code != ExitInvalid || !strings.Contains(errOut, "cannot be read as a spec") || !strings.Contains(errOut, "spec.trust.anchors[1].name") {
		t.Errorf("anchors of one name deployed: exit %d: %s", code, errOut)
	}
	// An empty variable in CI must not skip the check and pass.
	for _, args := range [][]string{{"validate", "--previous", "", file}, {"validate", "--previous=", file}} {
		if out, errOut, code := run(t, "", args...); code != ExitUsage || out != "" || !strings.Contains(errOut, "--previous names no file") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if _, errOut, code = run(t, "", "validate", "-", "-"); code != ExitUsage || !strings.Contains(errOut, "- is named twice") {
		t.Errorf("validate - -: exit %d: %s", code, errOut)
	}
}

// The enrollment phases go off, audit, enforce: skipping audit warns, on a
// namespace's policy or on the default, once (exit 0).
func TestValidate_previousEnforceWithoutAudit(t *testing.T) {
	examples := filepath.Join(testutil.RepoRoot(t), "examples")
	m1, m2, m3 := filepath.Join(examples, "mesh-1-workloads.yaml"), filepath.Join(examples, "mesh-2-audit.yaml"), filepath.Join(examples, "mesh-3-enforce.yaml")
	for _, tc := range []struct {
		prev, next, want string
	}{
		{m1, m2, ""},
		{m2, m3, ""},
		{m1, m3, "spec.mesh.namespaces[0].policy: namespace shop from off to enforce: clients without the proxy are refused"},
	} {
		out, errOut, code := run(t, "", "validate", "--previous", tc.prev, tc.next)
		switch {
		case code != 0 || out != tc.next+": valid\n":
			t.Errorf("%s to %s: exit %d, stdout %q, stderr %q", tc.prev, tc.next, code, out, errOut)
		case tc.want == "" && errOut != "":
			t.Errorf("%s to %s: %s", tc.prev, tc.next, errOut)
		case tc.want != "" && (strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "mtlsgen: warning: "+tc.next+": "+tc.want)):
			t.Errorf("%s to %s: %q, want one warning %q", tc.prev, tc.next, errOut, tc.want)
		}
	}
	// A namespace enrolled at enforce at once warns, unless the default
	// was enforce already (an unlisted namespace then was enforced); on
	// Linkerd 2.14, which has no audit, nothing warns.
	m1raw, err := os.ReadFile(m1)
	if err != nil {
		t.Fatal(err)
	}
	newNS := "      - name: ledger\n        inject: enabled\n        policy: enforce\n"
	d := t.TempDir()
	for name, tc := range map[string]struct {
		prevEdit, nextEdit [2]string
		warn               bool
	}{
		"new namespace at enforce":                  {[2]string{"", ""}, [2]string{"    namespaces:\n", "    namespaces:\n" + newNS}, true},
		"new namespace at enforce, default enforce": {[2]string{"  mesh:\n", "  mesh:\n    defaultPolicy: enforce\n"}, [2]string{"  mesh:\n    namespaces:\n", "  mesh:\n    defaultPolicy: enforce\n    namespaces:\n" + newNS}, false},
		"on Linkerd 2.14":                           {[2]string{"  profile: prod\n", "  profile: prod\n  linkerd: {version: \"2.14\"}\n"}, [2]string{"", ""}, false},
	} {
		prevBody := strings.Replace(string(m1raw), tc.prevEdit[0], tc.prevEdit[1], 1)
		nextBody := strings.Replace(prevBody, tc.nextEdit[0], tc.nextEdit[1], 1)
		if name == "on Linkerd 2.14" {
			nextBody = strings.Replace(nextBody, "    namespaces:\n", "    namespaces:\n"+newNS, 1)
		}
		p, n := filepath.Join(d, "p.yaml"), filepath.Join(d, "n.yaml")
		if err := os.WriteFile(p, []byte(prevBody), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(n, []byte(nextBody), 0o644); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := run(t, "", "validate", "--previous", p, n)
		if code != 0 || strings.Contains(errOut, "namespace ledger from off to enforce") != tc.warn {
			t.Errorf("%s: exit %d, stderr %q, want a warning: %v", name, code, errOut, tc.warn)
		}
	}

	// The default, for every namespace that inherits it: one warning.
	raw, err := os.ReadFile(m1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prev, next := filepath.Join(dir, "prev.yaml"), filepath.Join(dir, "next.yaml")
	if err := os.WriteFile(prev, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(string(raw), "  mesh:\n", "  mesh:\n    defaultPolicy: enforce\n", 1)
	body = strings.Replace(body, "        policy: \"off\"\n", "", 1)
	if err := os.WriteFile(next, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "", "validate", "--previous", prev, next)
	if code != 0 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "spec.mesh.defaultPolicy: from off to enforce") {
		t.Errorf("defaultPolicy off to enforce: exit %d, %q", code, errOut)
	}
}
