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
	// Options.PDFMemoryLimit is zero.
	DefaultPDFMemoryLimit = 128 << 20
	// maxPDFMemoryLimit is what a 32-bit WebAssembly memory can address.
	maxPDFMemoryLimit = 4 << 30
)

// tooComplexError marks a document abandoned at a limit.
type tooComplexError struct {
	limit string // "20s", "128 MiB of memory", "50000 characters on a page"
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
