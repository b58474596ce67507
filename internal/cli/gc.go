package cli

import (
	"os"
	"runtime/debug"
)

// RenderGCPercent is the collector's GOGC for the commands that render
// (render, cmp generate, krm). Such a process lives for one render and its
// live heap stays small (a fleet streams one cluster's objects at a time),
// yet it allocates a few megabytes, which under Go's default (collect at 4
// MB, then at twice the live heap) buys a full collection cycle in the
// middle of a one-cluster render: about 3 ms of its ~18. At 400 the first
// collection comes at 16 MB, so a cluster renders without one and a
// 1000-cluster fleet still peaks near 32 MB of memory, not more with more
// clusters (bench/RESULTS.md).
const RenderGCPercent = 400

// SetRenderGC applies RenderGCPercent unless the user set GOGC, which
// always wins (empty is unset, as for Go's runtime).
func SetRenderGC() {
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(RenderGCPercent)
}
