//go:build !linux

package parser

import "sync/atomic"

// linearMemory is a WebAssembly linear memory in a Go slice grown within
// its maximum (see pdfMemory).
type linearMemory struct {
	slice []byte
	max   uint64
	len   atomic.Uint64
	owner *pdfMemory
}

func newLinearMemory(max uint64, owner *pdfMemory) *linearMemory {
	return &linearMemory{max: max, owner: owner}
}

// Reallocate implements experimental.LinearMemory.
func (lm *linearMemory) Reallocate(size uint64) []byte {
	if lm.len.Load() > 0 && lm.owner.refuse(size, lm.max) {
		return nil // a growth past the ceiling or the deadline
	}
	lm.len.Store(size)
	lm.slice = growSlice(lm.slice, size, lm.max)
	return lm.slice
}

// Free implements experimental.LinearMemory; see release.
func (lm *linearMemory) Free() {}

func (lm *linearMemory) release() {
	lm.slice = nil
	lm.len.Store(0)
}
