package parser

// The DOM reading of HTML pages, through goquery: the reference that
// streamHTML (htmlstream.go), which reads tokens without building a tree,
// must agree with line for line. TestStreamHTML_MatchesDOM compares the two
// on every fixture and generated page.

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// extractHTML reads a UTF-8 HTML page: leaf <table>s become table lines with
// rowspan/colspan expanded (a rowspan continuation points at its origin,
// a colspan continuation is dropped so values keep their printed order),
// and every other block of text becomes a text line split like plain text,
// which covers pages whose cells are flattened one per paragraph.
func extractHTMLTree(text string) (*document, error) {
	gq, err := goquery.NewDocumentFromReader(strings.NewReader(text))
	if err != nil {
		return nil, err
	}
	doc := &document{input: "html"}
	w := &htmlWalker{b: &lineBuilder{}, doc: doc}
	w.meta(gq)
	for _, n := range gq.Nodes {
		w.walk(n)
	}
	w.flush()
	doc.lines = w.b.lines
	return doc, nil
}

type htmlWalker struct {
	b   *lineBuilder
	doc *document
	cur strings.Builder // text of the current block
}

func (w *htmlWalker) meta(gq *goquery.Document) {
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Body:
				return // metadata lives in <head>
			case atom.Title:
				if n.FirstChild != nil && w.doc.meta.title == "" {
					w.doc.meta.title = foldSpaces(n.FirstChild.Data)
				}
			case atom.Meta:
				w.metaTag(strings.ToLower(htmlAttr(n, "name")+htmlAttr(n, "property")), foldSpaces(htmlAttr(n, "content")))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	for _, n := range gq.Nodes {
		visit(n)
	}
}

func (w *htmlWalker) metaTag(name, content string) {
	if content == "" {
		return
	}
	switch name {
	case "articletitle", "og:title":
		w.doc.meta.title = content
	case "pubdate", "publishdate", "article:published_time", "firstpublishedtime", "pub_date":
		if d := findDate(content); d != "" {
			w.doc.meta.published = d
		}
	case "contentsource":
		w.doc.meta.agency = content
	}
}

func skipped(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Noscript, atom.Head, atom.Iframe, atom.Template, atom.Select, atom.Svg, atom.Object, atom.Textarea:
		return true
	}
	for _, a := range n.Attr {
		if a.Key == "style" && (strings.Contains(a.Val, "none") || strings.Contains(a.Val, "hidden") || strings.Contains(a.Val, "NONE") || strings.Contains(a.Val, "HIDDEN")) {
			v := strings.ReplaceAll(strings.ToLower(a.Val), " ", "")
			if strings.Contains(v, "display:none") || strings.Contains(v, "visibility:hidden") {
				return true
			}
		}
		if a.Key == "hidden" {
			return true
		}
	}
	return false
}

func (w *htmlWalker) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
		if skipped(n) {
			return
		}
		switch n.DataAtom {
		case atom.Img:
			w.doc.images++
		case atom.A:
			if href := htmlAttr(n, "href"); isAttachment(href) {
				w.doc.attachments = append(w.doc.attachments, href)
			}
		case atom.Table:
			if !hasDescendant(n, atom.Table) {
				w.flush()
				w.table(n)
				return
			}
		}
	case html.DocumentNode:
	default:
		return
	}
	block := n.Type == html.ElementNode && isBlock(n.DataAtom)
	if block {
		w.flush()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
	if block {
		w.flush()
	}
}

func (w *htmlWalker) text(s string) {
	if strings.TrimFunc(s, isSpace) == "" {
		if strings.ContainsAny(s, "\n\r") {
			w.cur.WriteByte(gapMark)
		} else if s != "" {
			w.cur.WriteByte(' ')
		}
		return
	}
	w.cur.WriteString(s)
}

// flush turns the current block's text into a text line.
func (w *htmlWalker) flush() {
	if w.cur.Len() == 0 {
		return
	}
	s := resolveGaps(w.cur.String())
	w.cur.Reset()
	w.b.addTextLine(s)
}

// table expands a leaf table into lines.
func (w *htmlWalker) table(t *html.Node) {
	var trs []*html.Node
	collectRows(t, &trs)
	grid := make([][]slot, len(trs))
	texts := map[int]string{}
	total := 0
	for r, tr := range trs {
		col := 0
		for td := tr.FirstChild; td != nil; td = td.NextSibling {
			if td.Type != html.ElementNode || (td.DataAtom != atom.Td && td.DataAtom != atom.Th) || skipped(td) {
				continue
			}
			for col < len(grid[r]) && grid[r][col].set {
				col++
			}
			rs := min(htmlSpan(td, "rowspan"), len(trs)-r)
			cs := htmlSpan(td, "colspan")
			total += rs * cs
			if total > maxGridCells {
				return
			}
			c := w.b.newCell(cellText(td, w))
			texts[c.id] = c.text
			for dr := 0; dr < rs; dr++ {
				row := grid[r+dr]
				for len(row) < col+cs {
					row = append(row, slot{})
				}
				for dc := 0; dc < cs; dc++ {
					if row[col+dc].set {
						continue // overlapping spans: the earlier cell wins
					}
					row[col+dc] = slot{id: c.id, set: true, rowCont: dr > 0 && dc == 0, colCont: dc > 0}
				}
				grid[r+dr] = row
			}
			col += cs
		}
	}
	for _, row := range grid {
		var cells []cell
		var parts []string
		for _, s := range row {
			switch {
			case !s.set || s.colCont:
				continue
			case s.rowCont:
				cells = append(cells, cell{id: 0, mergedFrom: s.id, empty: true})
			default:
				t := texts[s.id]
				cells = append(cells, cell{text: t, id: s.id, mergedFrom: -1, empty: strings.TrimFunc(t, isSpace) == ""})
				if t != "" {
					parts = append(parts, t)
				}
			}
		}
		if len(cells) > 0 {
			w.b.lines = append(w.b.lines, line{text: strings.Join(parts, " "), cells: cells, table: true})
		}
	}
}

// collectRows gathers the <tr>s of a table, through thead/tbody/tfoot.
func collectRows(n *html.Node, out *[]*html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || skipped(c) {
			continue
		}
		switch c.DataAtom {
		case atom.Tr:
			*out = append(*out, c)
		case atom.Thead, atom.Tbody, atom.Tfoot:
			collectRows(c, out)
		}
	}
}

// cellText returns a cell's text with white space folded; blocks inside the
// cell (<p>, <br>) become spaces, images are counted.
func cellText(td *html.Node, w *htmlWalker) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			if strings.TrimFunc(n.Data, isSpace) == "" {
				if strings.ContainsAny(n.Data, "\n\r") {
					b.WriteByte(gapMark)
				} else {
					b.WriteByte(' ')
				}
				return
			}
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			if skipped(n) {
				return
			}
			if n.DataAtom == atom.Img {
				w.doc.images++
			}
			if n.DataAtom == atom.A {
				if href := htmlAttr(n, "href"); isAttachment(href) {
					w.doc.attachments = append(w.doc.attachments, href)
				}
			}
			if isBlock(n.DataAtom) {
				b.WriteByte(' ')
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(td)
	return foldSpaces(resolveGaps(b.String()))
}

func htmlSpan(n *html.Node, key string) int {
	v, err := strconv.Atoi(strings.TrimSpace(htmlAttr(n, key)))
	if err != nil || v < 1 {
		return 1
	}
	return min(v, maxSpan)
}

func htmlAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

func hasDescendant(n *html.Node, a atom.Atom) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.DataAtom == a || hasDescendant(c, a)) {
			return true
		}
	}
	return false
}

func TestStreamHTML_MatchesDOM(t *testing.T) {
	pages := map[string]string{}
	for _, in := range goldenInputs(t) {
		if strings.HasSuffix(in, ".html") {
			b := readFile(t, in)
			pages[in] = decode(b, "")
		}
	}
	pages["variant-everything"] = tableHTML(variant{subtotal: true, groupRows: true, splitSpans: true, label: func(s string) string { return "<b>" + s + "</b>" }})
	pages["variant-t4rows"] = tableHTML(variant{t4Rows: true})
	body := tableHTML(variant{})
	body = body[strings.Index(body, "<body>")+6 : strings.Index(body, "</body>")]
	pages["layout-table"] = "<html><body><table><tr><td><p>导航</p></td><td>" + body + "</td><td>右栏</td></tr></table></body></html>"
	pages["hidden"] = `<div style="display: none"><p>隐藏 1</p><div>2</div></div><p>可见</p><script>var x="<td>";</script><style>p{}</style>`
	for name, page := range pages {
		tree, err := extractHTMLTree(page)
		if err != nil {
			t.Fatal(err)
		}
		stream := streamHTML(page)
		if got, want := dumpLines(stream), dumpLines(tree); got != want {
			t.Errorf("%s: stream and DOM readings differ\nstream:\n%s\nDOM:\n%s", name, firstDiff(got, want), firstDiff(want, got))
		}
		if stream.meta != tree.meta || stream.images != tree.images || len(stream.attachments) != len(tree.attachments) {
			t.Errorf("%s: meta %+v/%d/%d, DOM %+v/%d/%d", name, stream.meta, stream.images, len(stream.attachments), tree.meta, tree.images, len(tree.attachments))
		}
	}
}

// dumpLines renders lines with merged cells resolved to their origin's
// text, so that the two readers' cell ids need not agree.
func dumpLines(d *document) string {
	texts := map[int]string{}
	for _, l := range d.lines {
		for _, c := range l.cells {
			texts[c.id] = c.text
		}
	}
	var b strings.Builder
	for _, l := range d.lines {
		b.WriteString(strconv.FormatBool(l.table))
		for _, c := range l.cells {
			b.WriteString(" | ")
			if c.mergedFrom > 0 {
				b.WriteString("^" + texts[c.mergedFrom])
			} else if c.empty {
				b.WriteString("_")
			} else {
				b.WriteString(c.text)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range al {
		if i >= len(bl) || al[i] != bl[i] {
			lo := max(0, i-2)
			return strings.Join(al[lo:min(len(al), i+3)], "\n")
		}
	}
	return "(prefix)"
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
