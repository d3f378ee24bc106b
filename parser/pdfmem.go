package parser

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/experimental"
)

// pdfMemory allocates the PDF engine's WebAssembly linear memory under the
// Parser's ceiling (Options.PDFMemoryLimit) and the current document's
// deadline. wazero's own limit (WithMemoryLimitPages) would refuse the
// growth just the same, but the allocator knows that it was the ceiling, or
// the deadline, that stopped PDFium: PDFium's malloc then returns NULL and
// PDFium traps, which would otherwise look like a corrupt file.
//
// On Linux the memory is one anonymous mapping of the ceiling's size,
// reserved at once and filled by the kernel only where PDFium writes:
// growing never copies (wazero's default memory is a Go slice that grows
// by append, which holds the old and the new copy at once: a 1 GiB ceiling
// cost 2 GiB of RSS), and the memory goes back to the OS as a whole when
// the engine stops. Elsewhere it is a Go slice grown within the ceiling.
type pdfMemory struct {
	limit uint64
	// exceeded is set when PDFium asked for more than limit.
	exceeded atomic.Bool
	// deadline is the current document's deadline in Unix nanoseconds (0:
	// none); late is set when PDFium asked for memory after it, and was
	// refused.
	deadline atomic.Int64
	late     atomic.Bool

	mu   sync.Mutex // protects mems
	mems []*linearMemory
}

var _ experimental.MemoryAllocator = (*pdfMemory)(nil)

// Allocate implements experimental.MemoryAllocator; wazero calls it when
// it instantiates the module. maxBytes is the module's own maximum.
func (m *pdfMemory) Allocate(capacity, maxBytes uint64) experimental.LinearMemory {
	// The module's initial memory is never refused (wazero cannot fail an
	// instantiation gracefully): the ceiling applies to growth.
	lm := newLinearMemory(max(min(maxBytes, m.limit), capacity), m)
	m.mu.Lock()
	m.mems = append(m.mems, lm)
	m.mu.Unlock()
	return lm
}

// setDeadline sets the deadline of the document being read (nil: none).
func (m *pdfMemory) setDeadline(dl *deadline) {
	m.late.Store(false)
	if dl == nil || dl.at.IsZero() {
		m.deadline.Store(0)
		return
	}
	m.deadline.Store(dl.at.UnixNano())
}

// refuse reports whether a growth to size bytes must fail, and records
// why.
func (m *pdfMemory) refuse(size, max uint64) bool {
	if size > max {
		m.exceeded.Store(true)
		return true
	}
	if d := m.deadline.Load(); d != 0 && time.Now().UnixNano() > d {
		m.late.Store(true)
		return true
	}
	return false
}

// size returns the bytes of linear memory in use.
func (m *pdfMemory) size() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n uint64
	for _, lm := range m.mems {
		n += lm.len.Load()
	}
	return n
}

// count returns the number of linear memories allocated so far.
func (m *pdfMemory) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.mems)
}

// releaseFirst returns the memories of the first n module instances to
// the OS; those instances must be closed. (Closing one can make the pool
// start the next, whose memory comes after them.)
func (m *pdfMemory) releaseFirst(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n = min(n, len(m.mems))
	for _, lm := range m.mems[:n] {
		lm.release()
	}
	m.mems = append([]*linearMemory(nil), m.mems[n:]...)
}

// release returns the memory to the OS. It must be called only once the
// engine is closed: nothing may run on the memory any more.
func (m *pdfMemory) release() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, lm := range m.mems {
		lm.release()
	}
	m.mems = nil
}

// growSlice returns b grown to size bytes, with capacity at most limit.
// WebAssembly memory only grows, and new bytes are zero.
func growSlice(b []byte, size, limit uint64) []byte {
	if size <= uint64(cap(b)) {
		return b[:size]
	}
	nb := make([]byte, size, min(limit, max(size, 2*uint64(cap(b)))))
	copy(nb, b)
	return nb
}
