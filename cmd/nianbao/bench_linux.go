package main

import (
	"os"
	"syscall"
)

// maxRSS is the peak resident set size of a finished process in bytes
// (getrusage's ru_maxrss, in KiB on Linux), as /usr/bin/time -v reports it.
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return -1
}
