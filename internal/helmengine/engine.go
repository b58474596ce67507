package helmengine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/mtlsgen/mtlsgen/internal/charts"
)

// Engine answers requests in this process.
type Engine struct{}

// Do answers a request. The request goes through JSON first, as it does on
// its way to the mtlsgen-helm binary, so that both engines see the same
// values (numbers as float64, as Helm reads a values file).
func (Engine) Do(ctx context.Context, req charts.Request, log io.Writer) (*charts.Response, error) {
	req.Protocol = charts.ProtocolVersion
	raw, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var wire charts.Request
	if err := json.Unmarshal(raw, &wire); err != nil {
		return nil, err
	}
	resp := Handle(ctx, wire, log)
	out, err := json.Marshal(resp)
	if err != nil {
		return nil, err
	}
	return charts.DecodeResponse("helm engine", out)
}

// Handle answers a request: every download, then every render, each with
// its own result.
func Handle(ctx context.Context, req charts.Request, log io.Writer) charts.Response {
	resp := charts.Response{Protocol: charts.ProtocolVersion, HelmVersion: HelmVersion()}
	if req.Protocol != charts.ProtocolVersion {
		resp.Error = fmt.Sprintf("request speaks protocol %d, this engine speaks %d: install mtlsgen and mtlsgen-helm from the same release", req.Protocol, charts.ProtocolVersion)
		return resp
	}
	for _, p := range req.Pull {
		resp.Pull = append(resp.Pull, pull(ctx, p, log))
	}
	// Charts render in parallel: Linkerd's templates generate throwaway
	// RSA certificates even when they are not used, which makes a render
	// CPU-bound. Each render has its own chart, configuration and engine;
	// results keep the request's order.
	resp.Render = make([]charts.RenderResult, len(req.Render))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, r := range req.Render {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			resp.Render[i] = Render(r)
		}()
	}
	wg.Wait()
	return resp
}

// HelmVersion is the version of the Helm module linked in.
func HelmVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "helm.sh/helm/v3" {
				if d.Replace != nil {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "unknown"
}
