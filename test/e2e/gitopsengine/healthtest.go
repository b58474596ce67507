package main

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// HealthCheck is one case of Argo CD's own tests of a Lua health check
// (GROUP/KIND/health_test.yaml), run with luaHealth.
type HealthCheck struct {
	Kind    string `json:"kind"`
	Input   string `json:"input"`
	Want    string `json:"want"`
	Got     string `json:"got"`
	Message string `json:"message,omitempty"`
}

// checkHealthScripts runs Argo CD's test cases of the health checks of the
// given kinds (GROUP/KIND) with luaHealth, so that the suite's Lua runner is
// shown to reach Argo CD's verdicts on Argo CD's own inputs.
func checkHealthScripts(dir string, kinds []string) ([]HealthCheck, error) {
	h := luaHealth{dir: dir}
	var out []HealthCheck
	for _, kind := range kinds {
		b, err := os.ReadFile(filepath.Join(dir, kind, "health_test.yaml"))
		if err != nil {
			return nil, err
		}
		var tests struct {
			Tests []struct {
				HealthStatus struct{ Status, Message string } `json:"healthStatus"`
				InputPath    string                           `json:"inputPath"`
			} `json:"tests"`
		}
		if err := yaml.Unmarshal(b, &tests); err != nil {
			return nil, fmt.Errorf("%s/health_test.yaml: %w", kind, err)
		}
		if len(tests.Tests) == 0 {
			return nil, fmt.Errorf("%s/health_test.yaml has no tests", kind)
		}
		for _, tc := range tests.Tests {
			in, err := os.ReadFile(filepath.Join(dir, kind, tc.InputPath))
			if err != nil {
				return nil, err
			}
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(in, &obj.Object); err != nil {
				return nil, fmt.Errorf("%s/%s: %w", kind, tc.InputPath, err)
			}
			c := HealthCheck{Kind: kind, Input: tc.InputPath, Want: tc.HealthStatus.Status + ": " + tc.HealthStatus.Message}
			st, err := h.GetResourceHealth(obj)
			switch {
			case err != nil:
				c.Got = "error: " + err.Error()
			case st == nil:
				c.Got = "no health check"
			default:
				c.Got = string(st.Status) + ": " + st.Message
			}
			out = append(out, c)
		}
	}
	return out, nil
}
