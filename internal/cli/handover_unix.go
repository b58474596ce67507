//go:build unix

package cli

import (
	"fmt"
	"os"
	"syscall"
)

// replaceProcess executes path in place of this process (execve): same
// process ID, standard streams, environment and working directory, so
// signals (a CronJob's SIGTERM), exit code and output are mtlsgen-kube's
// own, with nothing in between. It returns only if the exec fails.
func replaceProcess(path string, args []string, _ IOStreams) error {
	argv := append([]string{path}, args...)
	if err := syscall.Exec(path, argv, append(os.Environ(), handedOverEnv+"="+path)); err != nil {
		return fmt.Errorf("running %s: %w", path, err)
	}
	return nil
}
