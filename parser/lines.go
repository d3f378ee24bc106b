package parser

// Every input kind (HTML tables, flattened HTML or text, PDF, DOCX) is first
// turned into a sequence of lines: a table row, or one line of text, each a
// list of cells in reading order. The template matcher (match.go) reads
// only lines, so a new input kind plugs in by producing them.

// line is one table row or one line of text.
type line struct {
	// text is the whole line as printed (cells joined by a space), used for
	// metadata and section headings.
	text  string
	cells []cell
	// table is true when the line is a real table row (HTML <tr>, DOCX
	// w:tr, a PDF row rebuilt from ruled cells): the values of a row label
	// are then read from the same line, or from the label-free lines that
	// follow it, but never across another labelled row.
	table bool
}

// cell is one printed cell or one whitespace-separated piece of a text line.
type cell struct {
	text string // as printed, whitespace folded, trimmed
	// id identifies the cell within the document; continuation cells of a
	// rowspan point at their origin with mergedFrom.
	id         int
	mergedFrom int // id of the rowspan origin cell, or -1
	// empty is true for a table cell that printed nothing (HTML <td></td>,
	// <o:p>&nbsp;</o:p>); text cells are never empty.
	empty bool
}

// document is what an extractor hands to the matcher: the lines of the
// report, and metadata that the input format itself carries.
type document struct {
	input string // html, text, pdf, docx
	lines []line
	meta  pageMeta
	// noTables, when set, says why the input has no extractable tables
	// ("tables are images", "tables not extractable: doc").
	noTables string
	// images counts images inside the report body and attachments lists
	// the attachment links (PDF, DOC…) of an HTML page: together they say
	// why a page without table text has no tables.
	images int
	// scripts holds the text of <script> elements that mention a table:
	// some platforms ship the report as HTML inside a JS or JSON string
	// (gkmlpt's window._CONFIG.DETAIL, Shanghai's 2019 data file).
	scripts     []string
	attachments []string
}

// pageMeta is metadata found outside the text lines: HTML <title> and
// <meta> tags, a PDF's info dictionary.
type pageMeta struct {
	title     string
	agency    string // ContentSource / 发布机构-style fields
	published string // YYYY-MM-DD
}

// lineBuilder hands out cell ids.
type lineBuilder struct {
	next  int
	lines []line
}

func (b *lineBuilder) newCell(text string) cell {
	b.next++
	return cell{text: text, id: b.next, mergedFrom: -1}
}
