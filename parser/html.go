package parser

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/atom"
)

// Limits that keep hostile HTML from exhausting memory.
const (
	maxSpan      = 200     // largest rowspan or colspan honoured
	maxGridCells = 200_000 // largest expanded table
)

// extractHTML reads a UTF-8 HTML page into lines (see streamHTML); a page
// past the limits returns a *tooComplexError.
func extractHTML(text string, dl *deadline) (*document, error) {
	doc, err := streamHTMLUntil(text, dl)
	if err != nil {
		return nil, err
	}
	return doc, nil
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
	i := strings.IndexByte(s, gapMark)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		j := i
		for j < len(s) && s[j] == gapMark {
			j++
		}
		prev, _ := utf8.DecodeLastRuneInString(strings.TrimRight(b.String(), "\x00"))
		next, _ := utf8.DecodeRuneInString(s[j:])
		if !(isDigit(prev) && isDigit(next)) {
			b.WriteByte(' ')
		}
		s = s[j:]
		i = strings.IndexByte(s, gapMark)
	}
	b.WriteString(s)
	return b.String()
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
