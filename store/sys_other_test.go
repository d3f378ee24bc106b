//go:build !unix

package store

import (
	"os"
	"testing"
	"time"
)

// diskBytes is the file's apparent size where allocated blocks are not
// available.
func diskBytes(tb testing.TB, path string) int64 {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}

// cpuTime is unknown here; benchmarks then report no CPU figure.
func cpuTime() time.Duration { return 0 }
