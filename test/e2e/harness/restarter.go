package harness

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Invocation is how a rendered CronJob runs mtlsgen: the arguments from the
// subcommand on, and the environment, so a test can run the binary under
// test exactly as the CronJob's pod would (plus --kubeconfig).
type Invocation struct {
	Namespace, CronJob, ServiceAccount string
	// Args start with the subcommand ("restarter").
	Args []string
	// Env holds KEY=VALUE pairs, downward-API fields resolved.
	Env []string
}

// InvocationFromCronJob reads the container of cj whose command and
// arguments name subcommand.
func InvocationFromCronJob(cj *unstructured.Unstructured, subcommand string) (*Invocation, error) {
	pod, _, _ := unstructured.NestedMap(cj.Object, "spec", "jobTemplate", "spec", "template", "spec")
	if pod == nil {
		return nil, fmt.Errorf("%s has no pod template", Ref(cj))
	}
	inv := &Invocation{Namespace: cj.GetNamespace(), CronJob: cj.GetName(), ServiceAccount: "default"}
	if sa, _ := pod["serviceAccountName"].(string); sa != "" {
		inv.ServiceAccount = sa
	}
	containers, _ := pod["containers"].([]any)
	var found []map[string]any
	var argv [][]string
	for _, c := range containers {
		m, _ := c.(map[string]any)
		line := append(strings_(m["command"]), strings_(m["args"])...)
		if slices.Contains(line, subcommand) {
			found = append(found, m)
			argv = append(argv, line)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%s: %d containers run %q, want exactly one", Ref(cj), len(found), subcommand)
	}
	line := argv[0]
	inv.Args = line[slices.Index(line, subcommand):]
	for _, a := range inv.Args {
		if a == "--kubeconfig" || strings.HasPrefix(a, "--kubeconfig=") {
			return nil, fmt.Errorf("%s: the container already passes --kubeconfig", Ref(cj))
		}
	}
	env, _ := found[0]["env"].([]any)
	for _, e := range env {
		m, _ := e.(map[string]any)
		name, _ := m["name"].(string)
		if v, ok := m["value"].(string); ok {
			inv.Env = append(inv.Env, name+"="+v)
			continue
		}
		path, _, _ := unstructured.NestedString(m, "valueFrom", "fieldRef", "fieldPath")
		switch path {
		case "metadata.namespace":
			inv.Env = append(inv.Env, name+"="+inv.Namespace)
		case "metadata.name":
			inv.Env = append(inv.Env, name+"="+inv.CronJob+"-e2e")
		case "spec.serviceAccountName":
			inv.Env = append(inv.Env, name+"="+inv.ServiceAccount)
		default:
			if _, isEmpty := m["valueFrom"]; !isEmpty {
				return nil, fmt.Errorf("%s: env %s: the harness cannot resolve %v", Ref(cj), name, m["valueFrom"])
			}
			inv.Env = append(inv.Env, name+"=")
		}
	}
	return inv, nil
}

func strings_(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// HasCommand reports whether the mtlsgen binary has a subcommand.
func HasCommand(bin, name string) (bool, error) {
	out, err := exec.Command(bin, name, "--help").CombinedOutput()
	if err == nil {
		return true, nil
	}
	if strings.Contains(string(out), "unknown command") {
		return false, nil
	}
	return false, fmt.Errorf("%s %s --help: %v\n%s", bin, name, err, out)
}
