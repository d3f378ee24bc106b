package parser

import (
	"regexp"
	"strings"
)

// rePageNumber matches a line that is only a page number: "-3-", "- 3 -",
// "第 3 页", "3 / 5", "— 12 —".
var rePageNumber = regexp.MustCompile(`^[\s]*(?:[-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,3}\s*页(?:\s*共\s*\d{1,3}\s*页)?|\d{1,3}\s*/\s*\d{1,3})\s*$`)

// extractText reads a plain-text report: the flattened form with one cell
// per line (the seed), or one table row per line with cells separated by
// spaces, tabs or "|" (what pdftotext -layout and catdoc produce).
// A text past maxDocCells returns a *tooComplexError.
func extractText(text string) (*document, error) {
	b := &lineBuilder{}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	for raw := range strings.SplitSeq(text, "\n") {
		b.addTextLine(raw)
		if b.full() {
			return nil, errTooManyCells()
		}
	}
	return &document{input: "text", lines: b.lines}, nil
}

// addTextLine splits one line of text into cells and appends it, skipping
// blank lines and page numbers.
func (b *lineBuilder) addTextLine(raw string) {
	if strings.TrimSpace(raw) == "" || len(raw) < 40 && maybePageNumber(raw) && rePageNumber.MatchString(foldWidth(raw)) {
		return
	}
	var cells []cell
	for _, part := range splitCells(raw) {
		cells = append(cells, b.newCell(part))
	}
	if len(cells) > 0 {
		b.lines = append(b.lines, line{text: foldSpaces(raw), cells: cells})
	}
}

// splitCells splits a text line at "|", tabs and runs of white space.
func splitCells(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == '|' || r == '｜' || isSpace(r)
	})
}

// maybePageNumber is a cheap test before rePageNumber: a page number line
// has a dash, 页 or a slash.
func maybePageNumber(s string) bool {
	return strings.ContainsAny(s, "-—–－/页")
}
