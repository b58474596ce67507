package harness

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Timing collects how long each phase took, for the summary printed at the
// end of a run.
type Timing struct {
	mu      sync.Mutex
	entries []timingEntry
}

type timingEntry struct {
	name string
	d    time.Duration
}

// Add records a phase.
func (t *Timing) Add(name string, d time.Duration) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entries = append(t.entries, timingEntry{name, d})
}

// Since records a phase that started at start.
func (t *Timing) Since(name string, start time.Time) { t.Add(name, time.Since(start)) }

// Summary is a table of the phases in the order they were recorded, and a
// total line.
func (t *Timing) Summary(total time.Duration) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	entries := append(t.entries, timingEntry{"total", total})
	width := 0
	for _, e := range entries {
		width = max(width, len(e.name))
	}
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "  %-*s %7.1fs\n", width, e.name, e.d.Seconds())
	}
	return b.String()
}
