package parser

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// streamHTML reads an HTML page in one pass over its tokens, without
// building a DOM: building the tree costs about as much as everything else
// the parser does, and the report needs only text blocks and tables. It
// produces the same lines as the DOM reading (htmltree_test.go keeps that
// reading as the reference and compares the two on every fixture):
//
//   - a leaf <table> (one holding no other table) becomes table lines with
//     rowspan/colspan expanded: a rowspan continuation points at its origin,
//     a colspan continuation is dropped so values keep their printed order;
//   - a table that holds tables is layout: its cells are read as blocks;
//   - every other block of text becomes a text line, split like plain text.
func streamHTML(text string) *document {
	doc, _ := streamHTMLUntil(text, nil)
	return doc
}

// streamHTMLUntil is streamHTML within the limits: it stops with a
// *tooComplexError when the deadline passes or the page has more than
// maxDocCells cells. With a nil deadline it still stops at maxDocCells,
// and returns the lines read so far with the error.
func streamHTMLUntil(text string, dl *deadline) (*document, error) {
	doc := &document{input: "html"}
	s := &htmlStream{b: &lineBuilder{}, doc: doc}
	z := html.NewTokenizer(strings.NewReader(text))
	for {
		if dl.expired() {
			return nil, dl.err()
		}
		if s.b.full() || s.cells > maxDocCells {
			doc.lines = s.b.lines
			return doc, errTooManyCells()
		}
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		switch tt {
		case html.TextToken:
			s.text(z.Text())
		case html.StartTagToken, html.SelfClosingTagToken:
			raw := z.Raw()
			// Attributes are copied out one by one, which is most of the
			// tokenizer's cost on Word pages with long style attributes:
			// spans are read from the raw tag, and the others only where
			// they can matter.
			// "display:none" and "visibility:hidden" hide; a bare "none"
			// is everywhere in Word styles ("border-left: none").
			maybeHidden := mayHide(raw)
			var nb [16]byte
			name := rawTagName(raw, nb[:0])
			a := atom.Lookup(name)
			hasAttr := true // TagAttr says when there are none
			var attrs tagAttrs
			switch a {
			case atom.Td, atom.Th:
				if bytes.Contains(raw, []byte("span")) || bytes.Contains(raw, []byte("SPAN")) || bytes.Contains(raw, []byte("Span")) {
					attrs.rowspan, attrs.colspan = spanAttr(rawAttr(raw, "rowspan")), spanAttr(rawAttr(raw, "colspan"))
				}
				hasAttr = hasAttr && maybeHidden
			case atom.A:
				hasAttr = hasAttr && (maybeHidden || rawMentionsAttachment(raw))
			case atom.Meta:
			default:
				hasAttr = hasAttr && maybeHidden
			}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if k == nil {
					break
				}
				switch string(k) {
				case "style":
					attrs.style = string(v)
				case "hidden":
					attrs.hidden = true
				case "href":
					attrs.href = string(v)
				case "name", "property":
					attrs.name += string(v)
				case "content":
					attrs.content = string(v)
				}
			}
			s.start(a, tagName(a, name), attrs, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			var nb [16]byte
			name := rawTagName(z.Raw(), nb[:0])
			a := atom.Lookup(name)
			s.end(a, tagName(a, name))
		}
	}
	s.finish()
	doc.lines = s.b.lines
	return doc, nil
}

// blockMark separates the blocks (<p>, <br>, <div>) of a table cell's text.
const blockMark = '\x01'

// Limits on the scripts kept for embedded report HTML.
const (
	maxScripts    = 8
	maxScriptSize = 4 << 20
)

// segment is one piece of a table cell's content: a block of text, or the
// lines of a table nested in the cell.
type segment struct {
	text  string
	lines []line
}

type streamCell struct {
	rowspan, colspan int
	segs             []segment
}

type streamTable struct {
	rows    [][]*streamCell
	layout  bool // holds a nested table
	pre     []segment
	inRow   bool
	cell    *streamCell
	cellRaw strings.Builder // text of the current block inside the cell
}

type htmlStream struct {
	b   *lineBuilder
	doc *document
	cur strings.Builder // text of the current top-level block

	tables []*streamTable // open tables, innermost last
	cells  int            // table cells opened, for maxDocCells

	skipName  string // tag whose subtree is being skipped
	skipDepth int
	inHead    bool
	inTitle   bool
	titleText strings.Builder
}

// buf returns the buffer that text goes to: the current cell's, or the
// page's.
func (s *htmlStream) buf() *strings.Builder {
	if n := len(s.tables); n > 0 {
		return &s.tables[n-1].cellRaw
	}
	return &s.cur
}

func (s *htmlStream) text(raw []byte) {
	if s.skipDepth > 0 {
		if s.skipName == "script" && s.skipDepth == 1 && len(s.doc.scripts) < maxScripts && len(raw) <= maxScriptSize &&
			(bytes.Contains(raw, []byte("table")) || bytes.Contains(raw, []byte("TABLE"))) {
			s.doc.scripts = append(s.doc.scripts, string(raw))
		}
		return
	}
	if s.inTitle {
		s.titleText.Write(raw)
		return
	}
	if s.inHead {
		return
	}
	blank := len(bytes.TrimFunc(raw, isSpace)) == 0
	if n := len(s.tables); n > 0 && s.tables[n-1].cell == nil {
		// Text between cells: the DOM parser moves it before the table.
		if !blank {
			tb := s.tables[n-1]
			tb.pre = append(tb.pre, segment{text: string(raw)})
		}
		return
	}
	b := s.buf()
	if blank {
		if bytes.ContainsAny(raw, "\n\r") {
			b.WriteByte(gapMark)
		} else if len(raw) > 0 {
			b.WriteByte(' ')
		}
		return
	}
	b.Write(raw)
}

// skipTags are elements whose content is never report text.
func skipTag(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Iframe, atom.Template, atom.Select, atom.Svg, atom.Object, atom.Textarea:
		return true
	}
	return false
}

// tagAttrs are the attributes of a start tag that the reader uses.
type tagAttrs struct {
	style, href, name, content string
	hidden                     bool
	rowspan, colspan           int
}

func hiddenAttrs(attrs tagAttrs) bool {
	if attrs.hidden {
		return true
	}
	if st := attrs.style; st != "" && (strings.Contains(st, "none") || strings.Contains(st, "hidden") || strings.Contains(st, "NONE") || strings.Contains(st, "HIDDEN")) {
		v := strings.ReplaceAll(strings.ToLower(st), " ", "")
		return strings.Contains(v, "display:none") || strings.Contains(v, "visibility:hidden")
	}
	return false
}

func isVoid(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input, atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}

func (s *htmlStream) start(a atom.Atom, name string, attrs tagAttrs, selfClosing bool) {
	if s.skipDepth > 0 {
		if name == s.skipName && !selfClosing && !isVoid(a) {
			s.skipDepth++
		}
		return
	}
	switch a {
	case atom.Head:
		s.inHead = true
		return
	case atom.Body:
		s.inHead = false
	case atom.Title:
		if !selfClosing {
			s.inTitle = true
		}
		return
	case atom.Meta:
		s.metaTag(strings.ToLower(attrs.name), foldSpaces(attrs.content))
		return
	}
	if (skipTag(a) || hiddenAttrs(attrs)) && !selfClosing && !isVoid(a) {
		s.skipName, s.skipDepth = name, 1
		return
	}
	if s.inHead {
		if a == atom.Link || a == atom.Base || a == atom.Style || a == atom.Script {
			return
		}
		s.inHead = false // body content without a <body> tag
	}
	switch a {
	case atom.Img:
		s.doc.images++
	case atom.A:
		if href := attrs.href; isAttachment(href) {
			s.doc.attachments = append(s.doc.attachments, href)
		}
	case atom.Table:
		s.block()
		if n := len(s.tables); n > 0 {
			s.tables[n-1].layout = true
		}
		s.tables = append(s.tables, &streamTable{})
		return
	}
	if n := len(s.tables); n > 0 {
		tb := s.tables[n-1]
		switch a {
		case atom.Tr:
			s.closeCell(tb)
			tb.rows = append(tb.rows, nil)
			tb.inRow = true
			return
		case atom.Td, atom.Th:
			s.closeCell(tb)
			if !tb.inRow {
				tb.rows = append(tb.rows, nil)
				tb.inRow = true
			}
			s.cells++
			c := &streamCell{rowspan: max(attrs.rowspan, 1), colspan: max(attrs.colspan, 1)}
			tb.rows[len(tb.rows)-1] = append(tb.rows[len(tb.rows)-1], c)
			tb.cell = c
			return
		case atom.Thead, atom.Tbody, atom.Tfoot:
			s.closeCell(tb)
			tb.inRow = false
			return
		}
	}
	if isBlock(a) {
		s.block()
	}
}

func (s *htmlStream) end(a atom.Atom, name string) {
	if s.skipDepth > 0 {
		if name == s.skipName {
			s.skipDepth--
		}
		return
	}
	switch a {
	case atom.Head:
		s.inHead = false
		return
	case atom.Title:
		if s.inTitle {
			s.inTitle = false
			if t := foldSpaces(s.titleText.String()); t != "" && s.doc.meta.title == "" {
				s.doc.meta.title = t
			}
		}
		return
	case atom.Table:
		if len(s.tables) > 0 {
			s.closeTable()
		}
		return
	}
	if n := len(s.tables); n > 0 {
		tb := s.tables[n-1]
		switch a {
		case atom.Td, atom.Th:
			s.closeCell(tb)
			return
		case atom.Tr:
			s.closeCell(tb)
			tb.inRow = false
			return
		}
	}
	if isBlock(a) {
		s.block()
	}
}

// block ends the current block of text.
func (s *htmlStream) block() {
	if n := len(s.tables); n > 0 {
		tb := s.tables[n-1]
		if tb.cell == nil {
			tb.cellRaw.Reset()
			return
		}
		// Inside a cell a block only marks a boundary: the cell's text is
		// one segment, split at the marks only if the table turns out to
		// be layout.
		if l := tb.cellRaw.Len(); l > 0 && tb.cellRaw.String()[l-1] != blockMark {
			tb.cellRaw.WriteByte(blockMark)
		}
		return
	}
	if s.cur.Len() == 0 {
		return
	}
	t := resolveGaps(s.cur.String())
	s.cur.Reset()
	s.b.addTextLine(t)
}

func (s *htmlStream) closeCell(tb *streamTable) {
	if tb.cell == nil {
		return
	}
	if tb.cellRaw.Len() > 0 {
		tb.cell.segs = append(tb.cell.segs, segment{text: tb.cellRaw.String()})
		tb.cellRaw.Reset()
	}
	tb.cell = nil
}

// closeTable finishes the innermost table and hands its lines to the
// enclosing cell, or to the page.
func (s *htmlStream) closeTable() {
	tb := s.tables[len(s.tables)-1]
	s.closeCell(tb)
	s.tables = s.tables[:len(s.tables)-1]

	// Build the table's lines with a builder of its own, sharing cell ids.
	outer := s.b.lines
	s.b.lines = nil
	for _, seg := range tb.pre {
		s.emitSegment(seg)
	}
	if tb.layout {
		for _, row := range tb.rows {
			for _, c := range row {
				for _, seg := range c.segs {
					s.emitSegment(seg)
				}
			}
		}
	} else {
		s.grid(tb)
	}
	lines := s.b.lines
	s.b.lines = outer

	if n := len(s.tables); n > 0 {
		parent := s.tables[n-1]
		if parent.cell != nil {
			if parent.cellRaw.Len() > 0 {
				parent.cell.segs = append(parent.cell.segs, segment{text: parent.cellRaw.String()})
				parent.cellRaw.Reset()
			}
			parent.cell.segs = append(parent.cell.segs, segment{lines: lines})
		} else {
			parent.pre = append(parent.pre, segment{lines: lines})
		}
		return
	}
	s.b.lines = append(s.b.lines, lines...)
}

func (s *htmlStream) emitSegment(seg segment) {
	if seg.lines != nil {
		s.b.lines = append(s.b.lines, seg.lines...)
		return
	}
	for _, part := range strings.Split(seg.text, string(blockMark)) {
		if part != "" {
			s.b.addTextLine(resolveGaps(part))
		}
	}
}

// grid expands a leaf table's rowspan/colspan into lines.
func (s *htmlStream) grid(tb *streamTable) {
	nrows := len(tb.rows)
	grid := make([][]slot, nrows)
	first := s.b.next + 1 // ids of this table's cells are first, first+1, …
	var texts []string    // by id - first
	total := 0
	for r, row := range tb.rows {
		col := 0
		for _, c := range row {
			for col < len(grid[r]) && grid[r][col].set {
				col++
			}
			rs := min(c.rowspan, nrows-r)
			cs := c.colspan
			total += rs * cs
			if total > maxGridCells {
				return
			}
			var text string
			switch len(c.segs) {
			case 0:
			case 1:
				text = c.segs[0].text
			default:
				parts := make([]string, len(c.segs))
				for i, seg := range c.segs {
					parts[i] = seg.text
				}
				text = strings.Join(parts, " ")
			}
			if strings.IndexByte(text, blockMark) >= 0 {
				text = strings.ReplaceAll(text, string(blockMark), " ")
			}
			nc := s.b.newCell(foldSpaces(resolveGaps(text)))
			texts = append(texts, nc.text)
			for dr := 0; dr < rs; dr++ {
				g := grid[r+dr]
				if need := col + cs; need > len(g) {
					g = append(g, make([]slot, need-len(g))...)
				}
				for dc := 0; dc < cs; dc++ {
					if g[col+dc].set {
						continue // overlapping spans: the earlier cell wins
					}
					g[col+dc] = slot{id: nc.id, set: true, rowCont: dr > 0 && dc == 0, colCont: dc > 0}
				}
				grid[r+dr] = g
			}
			col += cs
		}
	}
	var b strings.Builder
	for _, row := range grid {
		cells := make([]cell, 0, len(row))
		b.Reset()
		for _, sl := range row {
			switch {
			case !sl.set || sl.colCont:
				continue
			case sl.rowCont:
				cells = append(cells, cell{id: 0, mergedFrom: sl.id, empty: true})
			default:
				t := texts[sl.id-first]
				cells = append(cells, cell{text: t, id: sl.id, mergedFrom: -1, empty: t == ""})
				if t != "" {
					if b.Len() > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(t)
				}
			}
		}
		if len(cells) > 0 {
			s.b.lines = append(s.b.lines, line{text: b.String(), cells: cells, table: true})
		}
	}
}

func (s *htmlStream) finish() {
	for len(s.tables) > 0 {
		s.closeTable()
	}
	s.block()
}

func (s *htmlStream) metaTag(name, content string) {
	if content == "" {
		return
	}
	switch name {
	case "articletitle", "og:title":
		s.doc.meta.title = content
	case "pubdate", "publishdate", "article:published_time", "firstpublishedtime", "pub_date":
		if d := findDate(content); d != "" {
			s.doc.meta.published = d
		}
	case "contentsource":
		s.doc.meta.agency = content
	}
}

func spanAttr(v string) int {
	n := 0
	for _, r := range strings.TrimSpace(v) {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
		if n > maxSpan {
			return maxSpan
		}
	}
	if n < 1 {
		return 1
	}
	return n
}

// tagName is the element's name as a string, without allocating for the
// names the atom table knows.
func tagName(a atom.Atom, name []byte) string {
	if a != 0 {
		return a.String()
	}
	return string(name)
}

// rawAttr returns the value of attribute key in a raw start tag, for the
// simple forms span attributes take (key=3, key="3", key='3'); "" when
// absent.
func rawAttr(raw []byte, key string) string {
	lower := raw
	for i := 0; i+len(key) <= len(lower); i++ {
		j := i
		for j < i+len(key) && (lower[j]|0x20) == key[j-i] {
			j++
		}
		if j < i+len(key) {
			continue
		}
		if i > 0 && lower[i-1] != ' ' && lower[i-1] != '\t' && lower[i-1] != '\n' && lower[i-1] != '\r' && lower[i-1] != '"' && lower[i-1] != '\'' {
			continue
		}
		for j < len(lower) && (lower[j] == ' ' || lower[j] == '\t' || lower[j] == '\n' || lower[j] == '\r') {
			j++
		}
		if j >= len(lower) || lower[j] != '=' {
			continue
		}
		j++
		for j < len(lower) && (lower[j] == ' ' || lower[j] == '"' || lower[j] == '\'' || lower[j] == '\t' || lower[j] == '\n' || lower[j] == '\r') {
			j++
		}
		k := j
		for k < len(lower) && lower[k] >= '0' && lower[k] <= '9' {
			k++
		}
		return string(lower[j:k])
	}
	return ""
}

// rawMentionsAttachment reports whether a raw <a> tag may link an office or
// PDF file.
func rawMentionsAttachment(raw []byte) bool {
	for i := bytes.IndexByte(raw, '.'); i >= 0 && i+3 < len(raw); {
		ext := [3]byte{raw[i+1] | 0x20, raw[i+2] | 0x20, raw[i+3] | 0x20}
		switch string(ext[:]) {
		case "pdf", "doc", "wps", "xls", "rtf", "ofd":
			return true
		}
		j := bytes.IndexByte(raw[i+1:], '.')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// rawTagName appends the lower-cased name of a raw tag ("<TD ...>",
// "</p>") to dst: the tokenizer's TagName copies every name it returns.
func rawTagName(raw, dst []byte) []byte {
	i := 1
	if i < len(raw) && raw[i] == '/' {
		i++
	}
	for ; i < len(raw); i++ {
		c := raw[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '/' || c == '>' {
			break
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// mayHide reports whether a raw start tag mentions "display" or "hidden" in
// any case, in one pass over its bytes.
func mayHide(raw []byte) bool {
	for i := 0; i+6 <= len(raw); i++ {
		switch raw[i] | 0x20 {
		case 'd':
			if i+7 <= len(raw) && equalFoldASCII(raw[i:i+7], "display") {
				return true
			}
		case 'h':
			if equalFoldASCII(raw[i:i+6], "hidden") {
				return true
			}
		}
	}
	return false
}

// equalFoldASCII compares b with the lower-case ASCII word w, ignoring case.
func equalFoldASCII(b []byte, w string) bool {
	for i := 0; i < len(w); i++ {
		if b[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}
