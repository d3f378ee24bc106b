//go:build unix

package store

import (
	"os"
	"syscall"
	"testing"
)

// diskBytes is the space the file occupies on disk (allocated blocks), not
// its apparent size: bbolt grows files ahead of use with sparse truncates.
func diskBytes(tb testing.TB, path string) int64 {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return fi.Size()
}
