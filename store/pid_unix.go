//go:build unix

package store

import (
	"errors"
	"syscall"
)

// processExists reports whether a process with the given pid exists.
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
