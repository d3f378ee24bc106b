//go:build linux || darwin || freebsd || netbsd || openbsd

package store

import (
	"syscall"
	"unsafe"

	bolt "go.etcd.io/bbolt"
)

// releaseMapped tells the kernel that this process no longer needs the
// pages of the database file it has read through bbolt's memory map
// (madvise MADV_DONTNEED), so that a read of the whole archive does not
// leave the whole file resident in the process: without it, an export's
// resident set grows with the file (a 250 MB archive gave a 260 MB peak
// RSS, 15 MB of it anonymous memory). The mapping is read-only and
// MAP_SHARED and bbolt writes through the file, never the map, so this
// loses nothing: the pages stay in the page cache and a later access
// faults them back in. Errors are ignored: the advice is an optimisation.
func (db *DB) releaseMapped(tx *bolt.Tx) {
	info := db.bolt.Info()
	size := tx.Size()
	if info == nil || info.Data == 0 || size <= 0 {
		return
	}
	// Info.Data is the address of the live mapping, which stays mapped for
	// as long as tx is open.
	base := *(*unsafe.Pointer)(unsafe.Pointer(&info.Data))
	_ = syscall.Madvise(unsafe.Slice((*byte)(base), size), syscall.MADV_DONTNEED)
}
