//go:build unix

package crawler

import (
	"syscall"
	"time"
)

// processCPU returns the user and system CPU time of the process so far (the
// test portal included): a figure that does not depend on the machine's
// load.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
