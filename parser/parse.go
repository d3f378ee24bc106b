package parser

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// Version identifies the parsing rules. Bump it whenever a change can alter
// the cells or the identity of an already archived report, so that reparse
// records which rules produced each version.
//
// 2: identity read everywhere it is printed, with its source (issue 12);
// title variants (政府信息年度报告, 信息与政务公开, 总结); units on table 二's
// counts (issue 17).
const Version = "2"

// Source is the provenance of the bytes handed to Parse, and hints from the
// page that linked them. Every field is optional.
type Source struct {
	// URL is where the bytes came from: a URL or a local path.
	URL string
	// FetchedAt is when they were fetched; zero for local files.
	FetchedAt time.Time
	// ContentType is the HTTP Content-Type; its charset, when present, is
	// trusted over the bytes' own declarations.
	ContentType string
	// Agency is the site's configured organ name, used when neither the
	// report nor LinkText names one (Report.AgencySource is then
	// IdentityConfig: a fallback, not an identification).
	Agency string
	// Title is a title the caller knows for the document: for an
	// attachment, the title of the report page that linked it; for a page,
	// its title as a list API gives it. It is trusted like a title, after
	// the document's own title and heading.
	Title string
	// LinkText is the text of the list link that led to the document
	// ("2023年政府信息公开工作年度报告", "县发改局"), distinct from Title: it
	// is consulted after everything the document prints, and before
	// Agency.
	LinkText string
	// Published is the publication date (YYYY-MM-DD) known from the
	// linking page or a list API, used when the document prints none.
	Published string
}

// Options configures a Parser. The zero value is valid.
type Options struct {
	// PDFCacheDir, when set, is a directory where the PDF engine keeps its
	// compiled WebAssembly so that later processes start in about 0.1 s
	// instead of about 4 s. Empty means no cache (default).
	PDFCacheDir string
	// Timeout bounds the reading of one document of any kind (the PDF
	// engine's start-up excepted). A document still being read when it
	// runs out is abandoned: Parse returns a report with Format none and
	// NoTables "tables not extractable: too complex (limit 20s)". PDFium is
	// interrupted in the middle of its work; HTML and DOCX reading check
	// the time as they go. Zero means DefaultTimeout (20 s); negative
	// means no limit.
	Timeout time.Duration
	// PDFMemoryLimit caps the PDF engine's memory in bytes (its
	// WebAssembly memory, where PDFium keeps the open document). A PDF
	// that needs more is abandoned like one past Timeout ("too complex
	// (limit 96 MiB of memory)"), and the engine is restarted so that
	// the memory goes back to the OS. Zero means DefaultPDFMemoryLimit
	// (96 MiB); values above 4 GiB, what WebAssembly can address, mean
	// 4 GiB.
	PDFMemoryLimit int64
}

// DefaultOptions are the options used by the package-level Parse.
var DefaultOptions = Options{}

// Parser parses reports. It holds the PDF engine, which starts on the first
// PDF and is shared by later ones; HTML, text and DOCX never start it. A
// Parser is safe for concurrent use. Close releases the engine.
type Parser struct {
	opts Options

	mu  sync.Mutex // protects pdf
	pdf *pdfEngine // nil until the first PDF
}

// New returns a Parser with the given options.
func New(opts Options) *Parser {
	return &Parser{opts: opts}
}

// Close releases the PDF engine, if one was started. The Parser must not be
// used afterwards.
func (p *Parser) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pdf == nil {
		return nil
	}
	err := p.pdf.close()
	p.pdf = nil
	return err
}

// Parse parses body with a Parser that lives for this call only. Use a
// Parser to parse many PDFs.
func Parse(body []byte, src Source) (*Report, error) {
	p := New(DefaultOptions)
	defer p.Close()
	return p.Parse(body, src)
}

// Parse detects the kind of input from its content (not its name), reads
// its tables and metadata, and returns the normalised report with its checks
// run.
//
// A readable input without extractable tables (tables as images, a page
// that only links an attachment, a legacy .doc) is not an error: the report
// has Format none and NoTables says why. Parse returns ErrEmpty for an empty
// input, ErrUnknownFormat for bytes that are no report at all, and a
// *ParseError wrapping ErrCorrupt for a PDF or DOCX that cannot be read.
func (p *Parser) Parse(body []byte, src Source) (*Report, error) {
	if len(body) == 0 {
		return nil, &ParseError{Source: src.URL, Err: ErrEmpty}
	}
	dl := newDeadline(p.timeout())
	doc, err := p.extract(body, src, dl)
	var tc *tooComplexError
	if errors.As(err, &tc) {
		// Abandoned at a limit: the report says so, with what the linking
		// page told about it (title, date), and the caller goes on.
		doc, err = &document{input: Kind(body), noTables: tc.noTables(), meta: attachmentMeta(pdfInfo{}, nil, src)}, nil
	}
	if err != nil {
		return nil, err
	}
	r := interpret(doc, src)
	r.Outline = readOutline(doc)
	if len(r.Cells) == 0 && doc.input == "html" && len(doc.scripts) > 0 {
		// The page may be a shell with its content in a script.
		if inner := embeddedHTML(doc.scripts); inner != "" {
			emb := streamHTML(inner)
			emb.meta = mergeMeta(doc.meta, emb.meta)
			// The shell's own lines (title, 发布日期, 索引号) come first.
			emb.lines = append(append([]line{}, doc.lines...), emb.lines...)
			if er := interpret(emb, src); len(er.Cells) > 0 {
				er.Warnings = append(er.Warnings, "tables read from HTML embedded in a script of the page")
				er.Outline = readOutline(emb)
				r = er
			}
		}
	}
	sum := sha256.Sum256(body)
	r.SHA256 = hex.EncodeToString(sum[:])
	r.SourceURL = src.URL
	if !src.FetchedAt.IsZero() {
		r.FetchedAt = src.FetchedAt.UTC().Format(time.RFC3339)
	}
	r.ParserVersion = Version
	return r, nil
}

// Kind names the input kind Parse would detect for body: "pdf", "docx",
// "doc", "xlsx", "image", "html", "text" or "" for unknown bytes.
func Kind(body []byte) string {
	head := body
	if len(head) > 1024 {
		head = head[:1024]
	}
	switch {
	case bytes.Contains(head, []byte("%PDF-")):
		return "pdf"
	case bytes.HasPrefix(body, []byte("PK\x03\x04")):
		return zipKind(body)
	case bytes.HasPrefix(body, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		return "doc"
	case bytes.HasPrefix(body, []byte("\x89PNG")), bytes.HasPrefix(body, []byte("\xFF\xD8\xFF")),
		bytes.HasPrefix(body, []byte("GIF8")), bytes.HasPrefix(body, []byte("BM")) && len(body) > 14 && !looksText(head):
		return "image"
	case bytes.HasPrefix(body, []byte("{\\rtf")):
		return "rtf"
	}
	if !looksText(head) {
		return ""
	}
	if looksHTML(body[:min(len(body), 4<<10)]) || looksHTML(body[:min(len(body), 64<<10)]) {
		return "html"
	}
	return "text"
}

// timeout returns the time one document may take; 0 means no limit.
func (p *Parser) timeout() time.Duration {
	switch {
	case p.opts.Timeout == 0:
		return DefaultTimeout
	case p.opts.Timeout < 0:
		return 0
	}
	return p.opts.Timeout
}

// pdfMemoryLimit returns the PDF engine's memory ceiling in bytes.
func (p *Parser) pdfMemoryLimit() uint64 {
	switch {
	case p.opts.PDFMemoryLimit <= 0:
		return DefaultPDFMemoryLimit
	case p.opts.PDFMemoryLimit > maxPDFMemoryLimit:
		return maxPDFMemoryLimit
	}
	return uint64(p.opts.PDFMemoryLimit)
}

// extract reads body into lines. A document abandoned at a limit returns
// a *tooComplexError.
func (p *Parser) extract(body []byte, src Source, dl *deadline) (*document, error) {
	switch kind := Kind(body); kind {
	case "pdf":
		return p.extractPDF(body, src, dl)
	case "docx":
		return extractDOCX(body, src, dl)
	case "doc", "xlsx", "image", "rtf", "zip":
		return &document{input: kind, noTables: "tables not extractable: " + kind}, nil
	case "html":
		text := decode(body, src.ContentType)
		return extractHTML(text, dl)
	case "text":
		return extractText(decode(body, src.ContentType))
	default:
		return nil, &ParseError{Source: src.URL, Err: ErrUnknownFormat}
	}
}

// looksText reports whether b holds no NUL and few control bytes, as text in
// any of the encodings reports use does.
func looksText(b []byte) bool {
	ctl := 0
	for _, c := range b {
		if c == 0 {
			return false
		}
		if c < 0x09 || (c > 0x0d && c < 0x20) {
			ctl++
		}
	}
	return ctl*20 < len(b)+1
}

func looksHTML(b []byte) bool {
	for _, tag := range []string{"<html", "<!doctype html", "<body", "<table", "<p>", "<p ", "<div", "<meta", "<br"} {
		if bytes.Contains(b, []byte(tag)) || bytes.Contains(b, bytes.ToUpper([]byte(tag))) {
			return true
		}
	}
	return false
}

// mergeMeta keeps the page's metadata, filling what it lacks from the
// embedded content's.
func mergeMeta(page, inner pageMeta) pageMeta {
	if page.title == "" {
		page.title = inner.title
	}
	if page.agency == "" {
		page.agency = inner.agency
	}
	if page.published == "" {
		page.published = inner.published
	}
	return page
}
