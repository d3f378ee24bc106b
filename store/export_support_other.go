//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package store

import bolt "go.etcd.io/bbolt"

// releaseMapped does nothing where madvise is not available; see the
// Unix version.
func (db *DB) releaseMapped(*bolt.Tx) {}
