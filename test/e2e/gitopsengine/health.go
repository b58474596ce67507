package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/health"
	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	luajson "layeh.com/gopher-json"
)

// luaHealth is the part of Argo CD's health assessment that gitops-engine
// leaves to Argo CD: the Lua health checks Argo CD ships for other kinds
// than Kubernetes' own (cert-manager's Certificate, Issuer and
// ClusterIssuer among them), read from its resource_customizations
// directory (GROUP/KIND/health.lua). A kind without a script has no health
// override, and gitops-engine's own assessment applies. It makes luaHealth
// a health.HealthOverride.
type luaHealth struct{ dir string }

func (h luaHealth) GetResourceHealth(obj *unstructured.Unstructured) (*health.HealthStatus, error) {
	gvk := obj.GroupVersionKind()
	if gvk.Group == "" {
		return nil, nil // Kubernetes' core kinds: gitops-engine's own checks
	}
	script, err := os.ReadFile(filepath.Join(h.dir, gvk.Group, gvk.Kind, "health.lua"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	status, err := runHealthScript(obj, string(script))
	if err != nil {
		return nil, fmt.Errorf("%s/%s health.lua on %s: %w", gvk.Group, gvk.Kind, ref(obj), err)
	}
	return status, nil
}

// runHealthScript runs a health script as Argo CD does: the object is the
// global obj, and the script returns a table {status = ..., message = ...}.
func runHealthScript(obj *unstructured.Unstructured, script string) (*health.HealthStatus, error) {
	L := lua.NewState()
	defer L.Close()
	b, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, err
	}
	v, err := luajson.Decode(L, b)
	if err != nil {
		return nil, err
	}
	L.SetGlobal("obj", v)
	if err := L.DoString(script); err != nil {
		return nil, err
	}
	ret := L.Get(-1)
	if ret.Type() != lua.LTTable {
		return nil, fmt.Errorf("returned a %s, not a table", ret.Type())
	}
	out, err := luajson.Encode(ret)
	if err != nil {
		return nil, err
	}
	var status health.HealthStatus
	if err := json.Unmarshal(out, &status); err != nil {
		return nil, fmt.Errorf("returned %s: %w", out, err)
	}
	switch status.Status {
	case health.HealthStatusHealthy, health.HealthStatusProgressing, health.HealthStatusDegraded,
		health.HealthStatusSuspended, health.HealthStatusMissing, health.HealthStatusUnknown:
		return &status, nil
	}
	return nil, fmt.Errorf("returned the status %q, which Argo CD does not know", status.Status)
}
