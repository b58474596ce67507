//go:build !unix

package cli

import (
	"errors"
	"os"
	"os/exec"
)

// replaceProcess runs path as a child with this process's streams and
// exits with its code: without execve, the closest to running it in place.
func replaceProcess(path string, args []string, streams IOStreams) error {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), handedOverEnv+"="+path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = streams.In, streams.Out, streams.ErrOut
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ExitCode(ee.ExitCode())
	}
	return err
}
