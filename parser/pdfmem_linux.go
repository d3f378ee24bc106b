package parser

import (
	"sync/atomic"
	"syscall"
)

// linearMemory is a WebAssembly linear memory in one anonymous mapping of
// its maximum size (see pdfMemory).
type linearMemory struct {
	buf   []byte // the whole mapping; nil for the Go-slice fallback
	slice []byte // fallback when the mapping failed
	max   uint64
	len   atomic.Uint64
	owner *pdfMemory
}

func newLinearMemory(max uint64, owner *pdfMemory) *linearMemory {
	lm := &linearMemory{max: max, owner: owner}
	// MAP_NORESERVE: the reservation costs address space only; pages are
	// backed when PDFium first writes them.
	b, err := syscall.Mmap(-1, 0, int(max), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err == nil {
		lm.buf = b
	}
	return lm
}

// Reallocate implements experimental.LinearMemory: the memory grows in
// place.
func (lm *linearMemory) Reallocate(size uint64) []byte {
	if lm.len.Load() > 0 && lm.owner.refuse(size, lm.max) {
		return nil // a growth past the ceiling or the deadline
	}
	lm.len.Store(size)
	if lm.buf != nil {
		return lm.buf[:size]
	}
	lm.slice = growSlice(lm.slice, size, lm.max)
	return lm.slice
}

// Free implements experimental.LinearMemory. wazero calls it when the
// module closes its resources, which it does not do for every way a module
// can end; the mapping is unmapped by release, once the engine is closed.
func (lm *linearMemory) Free() {}

func (lm *linearMemory) release() {
	if lm.buf != nil {
		_ = syscall.Munmap(lm.buf)
		lm.buf = nil
	}
	lm.slice = nil
	lm.len.Store(0)
}
