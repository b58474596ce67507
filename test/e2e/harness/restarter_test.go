package harness

import (
	"slices"
	"testing"

	"github.com/mtlsgen/mtlsgen/internal/testutil"
)

func cronJob(t *testing.T, container string) *Invocation {
	t.Helper()
	objs, err := DecodeObjects([]byte(`apiVersion: batch/v1
kind: CronJob
metadata: {name: mtlsgen-restarter, namespace: linkerd}
spec:
  schedule: "25 */6 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: mtlsgen-restarter
          containers:
` + container))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := InvocationFromCronJob(objs[0], "restarter")
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestInvocationFromCronJob(t *testing.T) {
	cases := map[string]struct {
		container string
		args, env []string
	}{
		"args after the image's entrypoint": {
			container: `          - name: restarter
            image: ghcr.io/mtlsgen/mtlsgen:v1
            args: [restarter, --linkerd-namespace, linkerd, --max-restarts, "10"]
            env:
            - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
            - {name: MODE, value: cron}
`,
			args: []string{"restarter", "--linkerd-namespace", "linkerd", "--max-restarts", "10"},
			env:  []string{"NS=linkerd", "MODE=cron"},
		},
		"command naming the binary": {
			container: `          - name: restarter
            image: ghcr.io/mtlsgen/mtlsgen:v1
            command: [/mtlsgen, restarter]
            args: [--dry-run=false]
`,
			args: []string{"restarter", "--dry-run=false"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			inv := cronJob(t, tc.container)
			if !slices.Equal(inv.Args, tc.args) || !slices.Equal(inv.Env, tc.env) {
				t.Errorf("got args %q env %q, want %q %q", inv.Args, inv.Env, tc.args, tc.env)
			}
			if inv.ServiceAccount != "mtlsgen-restarter" || inv.Namespace != "linkerd" {
				t.Errorf("got %s/%s", inv.Namespace, inv.ServiceAccount)
			}
		})
	}
	_ = testutil.Update
}

func TestInvocationFromCronJob_refuses(t *testing.T) {
	objs, _ := DecodeObjects([]byte(`apiVersion: batch/v1
kind: CronJob
metadata: {name: x, namespace: linkerd}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - {name: a, image: i, args: [restarter, --kubeconfig, /k]}
`))
	if _, err := InvocationFromCronJob(objs[0], "restarter"); err == nil {
		t.Error("a CronJob passing --kubeconfig was accepted")
	}
	objs, _ = DecodeObjects([]byte(`apiVersion: batch/v1
kind: CronJob
metadata: {name: x, namespace: linkerd}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: a, image: i, args: [render]}]}}}}}
`))
	if _, err := InvocationFromCronJob(objs[0], "restarter"); err == nil {
		t.Error("a CronJob not running the restarter was accepted")
	}
}
