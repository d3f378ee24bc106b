package parser

import (
	"strings"

	"golang.org/x/net/html/atom"
)

// Limits that keep hostile HTML from exhausting memory.
const (
	maxSpan      = 200     // largest rowspan or colspan honoured
	maxGridCells = 200_000 // largest expanded table
)

// extractHTML reads a UTF-8 HTML page into lines (see streamHTML).
func extractHTML(text string) (*document, error) {
	return streamHTML(text), nil
}

// gapMark stands for white space that exists only as source formatting (a
// text node of white space and a newline between inline elements): it
// joins digits ("20"+"23" split across <span>s) and is a space otherwise.
const gapMark = '\x00'

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Br, atom.Li, atom.Ul, atom.Ol, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Section, atom.Article, atom.Header, atom.Footer, atom.Tr, atom.Td, atom.Th, atom.Table, atom.Tbody,
		atom.Blockquote, atom.Pre, atom.Dd, atom.Dt, atom.Dl, atom.Center, atom.Form, atom.Hr, atom.Title, atom.Body,
		atom.Nav, atom.Main, atom.Aside, atom.Caption:
		return true
	}
	return false
}

// resolveGaps joins digits across gap marks and turns other gaps into spaces.
func resolveGaps(s string) string {
	if !strings.ContainsRune(s, gapMark) {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if r != gapMark {
			b.WriteRune(r)
			continue
		}
		prev, next := prevRune(rs, i), nextRune(rs, i)
		if isDigit(prev) && isDigit(next) {
			continue
		}
		b.WriteByte(' ')
	}
	return b.String()
}

func prevRune(rs []rune, i int) rune {
	for j := i - 1; j >= 0; j-- {
		if rs[j] != gapMark {
			return rs[j]
		}
	}
	return 0
}

func nextRune(rs []rune, i int) rune {
	for j := i + 1; j < len(rs); j++ {
		if rs[j] != gapMark {
			return rs[j]
		}
	}
	return 0
}

func isDigit(r rune) bool { return (r >= '0' && r <= '9') || (r >= '０' && r <= '９') }

// slot is one position of an expanded table grid.
type slot struct {
	id      int
	set     bool
	rowCont bool // covered by a rowspan from a row above (first column of the span)
	colCont bool // covered by a colspan from the left
}

// isAttachment reports whether href points at an office or PDF file.
func isAttachment(href string) bool {
	h := strings.ToLower(href)
	if i := strings.IndexAny(h, "?#"); i >= 0 {
		h = h[:i]
	}
	for _, ext := range []string{".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".rtf", ".ofd"} {
		if strings.HasSuffix(h, ext) {
			return true
		}
	}
	return false
}
