package cli

import (
	"runtime/debug"
	"testing"
)

func TestSetRenderGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))

	t.Setenv("GOGC", "50") // the runtime read it at start; only SetRenderGC looks now
	debug.SetGCPercent(50)
	SetRenderGC()
	if got := debug.SetGCPercent(100); got != 50 {
		t.Errorf("with GOGC=50, SetRenderGC changed the GC percent to %d", got)
	}

	t.Setenv("GOGC", "")
	SetRenderGC()
	if got := debug.SetGCPercent(100); got != RenderGCPercent {
		t.Errorf("with GOGC empty, the GC percent is %d, want %d", got, RenderGCPercent)
	}
}
