package parser

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// A DOCX is a zip of XML parts. The report is word/document.xml (or
// whatever _rels/.rels names as the office document): its w:p paragraphs
// become text lines and its w:tbl rows table lines. Merged cells keep the
// shape values are read by: a gridSpan cell is one cell (the columns it
// covers are skipped), a vMerge continuation is an empty cell whose
// mergedFrom names the cell that started the merge.

// Limits against zip bombs and hostile archives. A real report's
// document.xml is well under 5 MiB.
const (
	docxMaxEntries  = 2000
	docxMaxPartSize = 32 << 20
)

const wordNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

// extractDOCX reads the paragraphs and tables of a DOCX.
func extractDOCX(body []byte, src Source, dl *deadline) (*document, error) {
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, &ParseError{Source: src.URL, Where: "zip", Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
	}
	if len(zr.File) > docxMaxEntries {
		return nil, &ParseError{Source: src.URL, Where: "zip", Err: fmt.Errorf("%w: %d entries (limit %d)", ErrCorrupt, len(zr.File), docxMaxEntries)}
	}
	main := "word/document.xml"
	if rels, err := readZipPart(zr, "_rels/.rels"); err == nil {
		if t := officeDocumentTarget(rels); t != "" {
			main = t
		}
	} else if !errors.Is(err, errNoPart) {
		return nil, &ParseError{Source: src.URL, Where: "_rels/.rels", Err: err}
	}
	xmlBody, err := readZipPart(zr, main)
	if err != nil {
		return nil, &ParseError{Source: src.URL, Where: main, Err: err}
	}
	doc := &document{input: "docx"}
	b := &lineBuilder{}
	if err := readWordXML(xmlBody, b, dl); err != nil {
		var tc *tooComplexError
		if errors.As(err, &tc) {
			return nil, err
		}
		return nil, &ParseError{Source: src.URL, Where: main, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
	}
	doc.lines = b.lines
	var info pdfInfo
	if core, err := readZipPart(zr, "docProps/core.xml"); err == nil {
		info = docxInfo(core)
	}
	doc.meta = attachmentMeta(info, doc.lines, src)
	return doc, nil
}

var errNoPart = errors.New("part not found")

// readZipPart returns the uncompressed bytes of one part, refusing parts
// larger than docxMaxPartSize whatever their header claims.
func readZipPart(zr *zip.Reader, name string) ([]byte, error) {
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		if f.UncompressedSize64 > docxMaxPartSize {
			return nil, fmt.Errorf("%w: %d bytes uncompressed (limit %d)", ErrCorrupt, f.UncompressedSize64, docxMaxPartSize)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, docxMaxPartSize+1))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if len(data) > docxMaxPartSize {
			return nil, fmt.Errorf("%w: more than %d bytes uncompressed", ErrCorrupt, docxMaxPartSize)
		}
		return data, nil
	}
	return nil, fmt.Errorf("%w: %w", ErrCorrupt, errNoPart)
}

// officeDocumentTarget finds the main part in _rels/.rels.
func officeDocumentTarget(rels []byte) string {
	var r struct {
		Rels []struct {
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if xml.Unmarshal(rels, &r) != nil {
		return ""
	}
	for _, rel := range r.Rels {
		if strings.HasSuffix(rel.Type, "/officeDocument") {
			return strings.TrimPrefix(path.Clean("/"+rel.Target), "/")
		}
	}
	return ""
}

// docxInfo reads the title and creation date from docProps/core.xml.
func docxInfo(core []byte) pdfInfo {
	var c struct {
		Title   string `xml:"title"`
		Created string `xml:"created"`
	}
	if xml.Unmarshal(core, &c) != nil {
		return pdfInfo{}
	}
	return pdfInfo{title: strings.TrimSpace(c.Title), created: c.Created}
}

// docxCell is a table cell being read.
type docxCell struct {
	text     strings.Builder
	span     int
	vMerge   string // "", "restart" or "continue"
	hasMerge bool
}

// readWordXML streams document.xml into lines.
func readWordXML(data []byte, b *lineBuilder, dl *deadline) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	var (
		para      strings.Builder // current paragraph text
		tblDepth  int             // nesting of w:tbl
		cellDepth int             // tblDepth when the current top-level cell opened
		cur       *docxCell       // current top-level cell
		row       []*docxCell
		gridStart int // columns skipped before the row (w:gridBefore)
		// origins[col] is the id of the cell that started a vertical
		// merge in grid column col, for the current top-level table.
		origins  = map[int]int{}
		skip     int // depth inside a subtree being ignored
		inText   bool
		paraOpen bool
	)
	flushPara := func() {
		t := para.String()
		para.Reset()
		paraOpen = false
		if cur != nil {
			// A paragraph inside a cell: cell paragraphs are joined like
			// wrapped lines.
			appendWrapped(&cur.text, t)
			return
		}
		for _, ln := range strings.Split(t, "\n") {
			b.addTextLine(ln)
		}
	}
	for {
		if dl.expired() {
			return dl.err()
		}
		if b.full() {
			return errTooManyCells()
		}
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 {
				skip++
				continue
			}
			// Drawings' fallback content repeats the text of the choice.
			if t.Name.Local == "Fallback" || (t.Name.Space == wordNS && (t.Name.Local == "delText" || t.Name.Local == "instrText")) {
				skip = 1
				continue
			}
			if t.Name.Space != wordNS {
				continue
			}
			switch t.Name.Local {
			case "p":
				paraOpen = true
			case "t":
				inText = true
			case "tab":
				if paraOpen {
					para.WriteByte('\t')
				}
			case "br", "cr":
				if paraOpen {
					para.WriteByte('\n')
				}
			case "tbl":
				if paraOpen && tblDepth == 0 {
					flushPara()
				}
				tblDepth++
				if tblDepth == 1 {
					origins = map[int]int{}
				}
			case "tr":
				if tblDepth == 1 {
					row = nil
					gridStart = 0
				}
			case "gridBefore":
				if tblDepth == 1 && cur == nil {
					gridStart = attrInt(t, "val", 0)
				}
			case "tc":
				if tblDepth == 1 {
					cur = &docxCell{span: 1}
					cellDepth = tblDepth
				}
			case "gridSpan":
				if cur != nil && tblDepth == cellDepth {
					cur.span = max(1, min(attrInt(t, "val", 1), 64))
				}
			case "vMerge":
				if cur != nil && tblDepth == cellDepth {
					cur.hasMerge = true
					cur.vMerge = "continue"
					if v := attr(t, "val"); v != "" {
						cur.vMerge = v
					}
				}
			}
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			if t.Name.Space != wordNS {
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				if paraOpen {
					flushPara()
				}
			case "tc":
				if tblDepth == 1 && cur != nil {
					row = append(row, cur)
					cur = nil
				}
			case "tr":
				if tblDepth == 1 {
					emitDOCXRow(b, row, gridStart, origins)
					row = nil
				}
			case "tbl":
				tblDepth--
			}
		case xml.CharData:
			if skip == 0 && inText {
				para.Write(t)
			}
		}
	}
	return nil
}

// emitDOCXRow appends one w:tr as a table line.
func emitDOCXRow(b *lineBuilder, row []*docxCell, gridStart int, origins map[int]int) {
	var cells []cell
	var texts []string
	col := gridStart
	for _, dc := range row {
		text := foldCellText(dc.text.String())
		var c cell
		switch {
		case dc.vMerge == "continue":
			c = b.newCell("")
			if id, ok := origins[col]; ok {
				c.mergedFrom = id
			} else {
				c.empty = true // a continuation with nothing above it
			}
		default:
			c = b.newCell(text)
			c.empty = text == ""
			if dc.vMerge == "restart" {
				origins[col] = c.id
			} else {
				delete(origins, col)
			}
			if text != "" {
				texts = append(texts, text)
			}
		}
		cells = append(cells, c)
		col += dc.span
	}
	if len(cells) > 0 {
		b.lines = append(b.lines, line{text: strings.Join(texts, " "), cells: cells, table: true})
	}
}

// foldCellText folds the white space of a cell (line breaks, tabs, runs of
// spaces): none is kept between CJK characters ("结果\n维持" is 结果维持),
// one space between Latin words and numbers.
func foldCellText(s string) string {
	var sb strings.Builder
	for _, f := range strings.Fields(s) {
		if sb.Len() > 0 {
			prev, _ := pdfLastRune(sb.String())
			if pdfIsLatin(prev) && pdfIsLatin([]rune(f)[0]) {
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(f)
	}
	return sb.String()
}

// appendWrapped appends a cell's next paragraph: without a separator
// between CJK text (a wrapped label), with a space between Latin words.
func appendWrapped(sb *strings.Builder, t string) {
	t = strings.TrimSpace(t)
	if t == "" {
		return
	}
	if sb.Len() > 0 {
		prev, _ := pdfLastRune(sb.String())
		if pdfIsLatin(prev) && pdfIsLatin([]rune(t)[0]) {
			sb.WriteByte(' ')
		}
	}
	sb.WriteString(t)
}

func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func attrInt(se xml.StartElement, local string, def int) int {
	n, err := strconv.Atoi(attr(se, local))
	if err != nil {
		return def
	}
	return n
}
