//go:build !unix

package store

import (
	"os"
	"testing"
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
