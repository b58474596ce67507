// Package version is the version of this mtlsgen build.
package version

import "runtime/debug"

// stamped is set at link time: -ldflags "-X github.com/mtlsgen/mtlsgen/internal/version.stamped=v0.1.0".
var stamped string

// Get returns the version: the stamped one, else the module version `go
// install ...@vX` recorded, else "dev".
func Get() string {
	if stamped != "" {
		return stamped
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
