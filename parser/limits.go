package parser

import (
	"fmt"
	"time"
)

// Limits on what one document may cost. A document that needs more is not
// read further: Parse returns a report with Format none and NoTables
// "tables not extractable: too complex (limit …)", so that its capture is
// kept and the caller goes on with the next one.

// NoTablesTooComplex begins Report.NoTables for a document abandoned at a
// limit of the Parser (Options.Timeout, Options.PDFMemoryLimit, or the
// fixed caps on characters and ruling lines of a PDF); the limit follows in
// parentheses: "tables not extractable: too complex (limit 20s)".
const NoTablesTooComplex = "tables not extractable: too complex"

const (
	// DefaultTimeout is the time one document may take when
	// Options.Timeout is zero.
	DefaultTimeout = 20 * time.Second
	// DefaultPDFMemoryLimit is the PDF engine's memory ceiling when
	// Options.PDFMemoryLimit is zero. A text report needs about 18 MiB;
	// PDFium holds a copy of the file, so a scan of 42 MB needs 88 MiB and
	// the largest ones are refused (they have no tables to read anyway,
	// and their capture is kept). It is sized so that a crawl stays under
	// 300 MB.
	DefaultPDFMemoryLimit = 96 << 20
	// maxPDFMemoryLimit is what a 32-bit WebAssembly memory can address.
	maxPDFMemoryLimit = 4 << 30
)

// maxDocCells caps the cells an HTML, DOCX or text document may produce
// (a report has a few hundred to a few thousand): past it the document is
// too complex. It bounds the memory of reading a page, whatever its size;
// a PDF is bounded by its characters instead.
const maxDocCells = 100_000

// full reports whether the builder went past maxDocCells.
func (b *lineBuilder) full() bool { return b.next > maxDocCells }

// errTooManyCells is the error of a document past maxDocCells.
func errTooManyCells() error { return &tooComplexError{limit: fmt.Sprintf("%d cells", maxDocCells)} }

// tooComplexError marks a document abandoned at a limit.
type tooComplexError struct {
	limit string // "20s", "96 MiB of memory", "50000 characters on a page"
}

func (e *tooComplexError) Error() string { return "too complex (limit " + e.limit + ")" }

// noTables is the Report.NoTables text for the error.
func (e *tooComplexError) noTables() string { return NoTablesTooComplex + " (limit " + e.limit + ")" }

// deadline is the time limit of one Parse call; the zero value never
// expires. It is checked by the extractors' loops, every so many steps, and
// by a timer that stops the PDF engine.
type deadline struct {
	at    time.Time
	limit time.Duration
	steps int
}

func newDeadline(limit time.Duration) *deadline {
	if limit <= 0 {
		return &deadline{}
	}
	return &deadline{at: time.Now().Add(limit), limit: limit}
}

// restart starts the time limit again from now.
func (d *deadline) restart() {
	if d != nil && !d.at.IsZero() {
		d.at = time.Now().Add(d.limit)
	}
}

// expired reports whether the time is up; it reads the clock only every
// 256th call, so that loops over tokens can call it at every step.
func (d *deadline) expired() bool {
	if d == nil || d.at.IsZero() {
		return false
	}
	d.steps++
	if d.steps&255 != 0 {
		return false
	}
	return time.Now().After(d.at)
}

// passed reports whether the time is up, reading the clock now.
func (d *deadline) passed() bool {
	return d != nil && !d.at.IsZero() && time.Now().After(d.at)
}

// err is the error of a document abandoned at the deadline.
func (d *deadline) err() error { return &tooComplexError{limit: d.limit.String()} }

// memoryLimitText renders a byte count for a NoTables text.
func memoryLimitText(n uint64) string {
	return fmt.Sprintf("%d MiB of memory", n>>20)
}
