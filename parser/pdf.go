package parser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/enums"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// PDFs are read with PDFium compiled to WebAssembly and run by wazero: pure
// Go, no cgo, no external program. Compiling the module takes about 4 s, so
// the engine starts on the first PDF a Parser sees and is reused by later
// ones; with Options.PDFCacheDir the compiled code is cached on disk and a
// later process starts in about 0.1 s.

// Limits on what one PDF may cost, besides Options.Timeout and
// Options.PDFMemoryLimit. Annual reports have 3–40 pages, a few thousand
// characters and a few hundred ruling lines per page. The caps marked
// "too complex" make Parse give up on the file (see NoTablesTooComplex);
// the others read that much and ignore the rest.
const (
	pdfMaxPages        = 300     // pages read
	pdfMaxCharsPerPage = 50000   // characters on one page: too complex
	pdfMaxChars        = 600000  // characters in all pages read: too complex
	pdfMaxObjsPerPage  = 20000   // page objects looked at on one page
	pdfMaxRules        = 200_000 // ruling lines in all pages read: too complex
	// pdfKeepMemory is the engine memory above which the engine is
	// replaced after a document (a report needs about 18 MiB).
	pdfKeepMemory = 32 << 20
)

// pdfEngine is one PDFium WebAssembly instance. PDFium is not re-entrant,
// so documents are read one at a time.
type pdfEngine struct {
	mu    sync.Mutex // serialises use of inst: one document at a time
	pool  pdfium.Pool
	inst  pdfium.Pdfium
	cache wazero.CompilationCache // nil without Options.PDFCacheDir
	mem   *pdfMemory
}

// startPDFEngine compiles and instantiates PDFium with a memory ceiling of
// memLimit bytes. cacheDir, when not empty, holds wazero's compilation
// cache; when it cannot be created the engine starts without one.
func startPDFEngine(cacheDir string, memLimit uint64) (*pdfEngine, error) {
	rc := wazero.NewRuntimeConfig()
	var cache wazero.CompilationCache
	if cacheDir != "" {
		// A cache that cannot be used only costs time: start without it.
		if c, err := wazero.NewCompilationCacheWithDir(cacheDir); err == nil {
			cache = c
			rc = rc.WithCompilationCache(c)
		}
	}
	// The bundled PDFium lowers setjmp/longjmp to WebAssembly exception
	// handling; any custom RuntimeConfig must enable it (dependencies.md §3.5).
	//
	// The memory ceiling and the deadline are the allocator's (pdfmem.go).
	// wazero's WithCloseOnContextDone would let a context interrupt PDFium
	// anywhere, but it makes wazero start a goroutine for every call into
	// the module and exit to Go at every loop iteration: PDFs read 4–5
	// times slower (measured with BenchmarkParse_PDF). The deadline is checked between calls instead, and
	// at every growth of the memory, which a long call does as it builds
	// its objects; what a call can do without growing is bounded by the
	// ceiling.
	rc = rc.WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling)
	mem := &pdfMemory{limit: memLimit}
	pool, err := webassembly.Init(webassembly.Config{
		Context:       experimental.WithMemoryAllocator(context.Background(), mem),
		MinIdle:       1,
		MaxIdle:       1,
		MaxTotal:      1,
		RuntimeConfig: rc,
		// Documents are handed over as bytes: mount no host directory.
		FSConfig: wazero.NewFSConfig(),
		Stdout:   io.Discard,
		Stderr:   io.Discard,
	})
	if err != nil {
		mem.release()
		if cache != nil {
			cache.Close(context.Background())
		}
		return nil, fmt.Errorf("start pdf engine: %w", err)
	}
	inst, err := pool.GetInstance(30 * time.Second)
	if err != nil {
		pool.Close()
		mem.release()
		if cache != nil {
			cache.Close(context.Background())
		}
		return nil, fmt.Errorf("start pdf engine instance: %w", err)
	}
	return &pdfEngine{pool: pool, inst: inst, cache: cache, mem: mem}, nil
}

func (e *pdfEngine) close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	if e.inst != nil {
		errs = append(errs, e.inst.Close())
	}
	if e.pool != nil {
		errs = append(errs, e.pool.Close())
	}
	if e.cache != nil {
		errs = append(errs, e.cache.Close(context.Background()))
	}
	if e.mem != nil {
		// The runtime is closed: nothing runs on the memory any more.
		e.mem.release()
	}
	e.inst, e.pool, e.cache, e.mem = nil, nil, nil, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close pdf engine: %w", err)
	}
	return nil
}

// engine returns the Parser's PDF engine, starting it on first use.
func (p *Parser) engine() (*pdfEngine, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pdf != nil {
		return p.pdf, nil
	}
	e, err := startPDFEngine(p.opts.PDFCacheDir, p.pdfMemoryLimit())
	if err != nil {
		return nil, err
	}
	p.pdf = e
	return e, nil
}

// dropEngine closes e if it is still the Parser's engine.
func (p *Parser) dropEngine(e *pdfEngine) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pdf == e {
		p.pdf = nil
		e.close()
	}
}

// errPDFOpen marks a PDF that PDFium refused to open (corrupt, encrypted):
// the engine itself is fine.
var errPDFOpen = errors.New("open")

// errEngineClosed is returned by read when the engine was closed while the
// document waited for it (another document failed or went past a limit).
var errEngineClosed = errors.New("pdf engine closed")

// extractPDF reads the text of a PDF with its coordinates and rebuilds its
// tables from the ruling lines and glyph positions (see pdflayout.go). A
// PDF over a limit returns a *tooComplexError; the engine is then replaced,
// so that the memory it grew to goes back to the OS.
func (p *Parser) extractPDF(body []byte, src Source, dl *deadline) (*document, error) {
	var (
		e     *pdfEngine
		pages []pdfPage
		info  pdfInfo
		err   error
	)
	// An engine closed while this document waited for it was replaced by
	// another document that finished with it: take the new one. Each turn
	// of the loop is another document done, so it ends; the bound is only
	// a guard.
	for range 1000 {
		e, err = p.engine()
		if err != nil {
			return nil, &ParseError{Source: src.URL, Where: "pdf engine", Err: err}
		}
		pages, info, err = e.read(body, dl)
		if !errors.Is(err, errEngineClosed) {
			break
		}
		p.dropEngine(e) // it could not renew its instance: start another
	}
	var tc *tooComplexError
	if errors.As(err, &tc) {
		return nil, tc
	}
	if err != nil {
		return nil, &ParseError{Source: src.URL, Where: "pdf", Err: err}
	}
	doc := &document{input: "pdf"}
	nchars, nimages := 0, 0
	for _, pg := range pages {
		nchars += len(pg.chars)
		nimages += pg.images
	}
	// A page of text has hundreds of glyphs; a scan has none, or a few
	// from an OCR-less stamp or page number.
	if nchars < 20*len(pages) && nchars < 100 {
		what := "scanned pdf"
		if nimages == 0 {
			what = "pdf without text"
		}
		doc.noTables = "tables not extractable: " + what
		doc.meta = attachmentMeta(info, nil, src)
		return doc, nil
	}
	var b lineBuilder
	layoutPDF(pages, &b)
	doc.lines = b.lines
	doc.meta = attachmentMeta(info, doc.lines, src)
	return doc, nil
}

// pdfInfo is the part of a PDF's info dictionary (or a DOCX's
// docProps/core.xml) the parser uses.
type pdfInfo struct {
	title, created string
}

// read opens body and returns its pages' glyphs and ruling lines. When the
// document passes the deadline or the memory ceiling, or has more
// characters or ruling lines than the caps, it returns a *tooComplexError.
// After such a document, after a failure of PDFium past opening the file (a
// trap may leave the instance unusable) and after a document that grew the
// memory past pdfKeepMemory (WebAssembly memory never shrinks), the
// instance is renewed before the next document. errEngineClosed means the
// engine could not be renewed, or was closed.
func (e *pdfEngine) read(body []byte, dl *deadline) (pages []pdfPage, info pdfInfo, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.inst == nil {
		return nil, info, errEngineClosed
	}
	// The time spent waiting for the engine (documents are read one at a
	// time) or starting it is not the document's.
	dl.restart()
	e.mem.setDeadline(dl)
	defer e.mem.setDeadline(nil)
	pages, info, err = e.readDoc(body, dl)
	switch {
	case e.mem.late.Load() || dl.passed():
		pages, err = nil, dl.err()
	case e.mem.exceeded.Load():
		pages, err = nil, &tooComplexError{limit: memoryLimitText(e.mem.limit)}
	}
	if (err != nil && !errors.Is(err, errPDFOpen)) || e.mem.size() > pdfKeepMemory {
		// On failure the instance is gone and the next read reports
		// errEngineClosed.
		e.mem.setDeadline(nil)
		_ = e.renew()
	}
	return pages, info, err
}

// renew replaces the PDFium instance by a fresh one from the same compiled
// module (no recompilation) and unmaps the memory the old one had grown;
// e.mu must be held. On failure the engine has no instance.
func (e *pdfEngine) renew() error {
	n := e.mem.count()
	_ = e.inst.Close() // closes the module: nothing runs on its memory after this
	e.inst = nil
	e.mem.releaseFirst(n)
	e.mem.exceeded.Store(false)
	inst, err := e.pool.GetInstance(30 * time.Second)
	if err != nil {
		return fmt.Errorf("renew pdf engine instance: %w", err)
	}
	e.inst = inst
	return nil
}

func (e *pdfEngine) readDoc(body []byte, dl *deadline) (pages []pdfPage, info pdfInfo, err error) {
	in := e.inst
	opened, err := in.OpenDocument(&requests.OpenDocument{File: &body})
	if err != nil {
		return nil, info, fmt.Errorf("%w: %w: %w", errPDFOpen, ErrCorrupt, err)
	}
	defer in.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: opened.Document})
	doc := opened.Document
	if m, err := in.FPDF_GetMetaText(&requests.FPDF_GetMetaText{Document: doc, Tag: "Title"}); err == nil {
		info.title = strings.TrimSpace(m.Value)
	}
	if m, err := in.FPDF_GetMetaText(&requests.FPDF_GetMetaText{Document: doc, Tag: "CreationDate"}); err == nil {
		info.created = m.Value
	}
	pc, err := in.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc})
	if err != nil {
		return nil, info, fmt.Errorf("count pages: %w: %w", ErrCorrupt, err)
	}
	n := min(pc.PageCount, pdfMaxPages)
	chars, rules := 0, 0
	for i := range n {
		if dl.passed() {
			return nil, info, dl.err()
		}
		pg, err := readPDFPage(in, doc, i, dl)
		if err != nil {
			var tc *tooComplexError
			if errors.As(err, &tc) {
				return nil, info, err
			}
			return nil, info, fmt.Errorf("page %d: %w: %w", i+1, ErrCorrupt, err)
		}
		chars += len(pg.chars)
		rules += len(pg.rects)
		switch {
		case chars > pdfMaxChars:
			return nil, info, &tooComplexError{limit: fmt.Sprintf("%d characters", pdfMaxChars)}
		case rules > pdfMaxRules:
			return nil, info, &tooComplexError{limit: fmt.Sprintf("%d ruling lines", pdfMaxRules)}
		}
		pages = append(pages, pg)
	}
	return pages, info, nil
}

func readPDFPage(in pdfium.Pdfium, doc references.FPDF_DOCUMENT, index int, dl *deadline) (pdfPage, error) {
	var pg pdfPage
	loaded, err := in.FPDF_LoadPage(&requests.FPDF_LoadPage{Document: doc, Index: index})
	if err != nil {
		return pg, err
	}
	defer in.FPDF_ClosePage(&requests.FPDF_ClosePage{Page: loaded.Page})
	ref := requests.Page{ByReference: &loaded.Page}
	if w, err := in.FPDF_GetPageWidthF(&requests.FPDF_GetPageWidthF{Page: ref}); err == nil {
		pg.w = float64(w.PageWidth)
	}
	if h, err := in.FPDF_GetPageHeightF(&requests.FPDF_GetPageHeightF{Page: ref}); err == nil {
		pg.h = float64(h.PageHeight)
	}
	// Count the characters first: the structured text costs about 150
	// bytes of Go memory per character.
	tp, err := in.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: ref})
	if err != nil {
		return pg, fmt.Errorf("read text: %w", err)
	}
	cc, err := in.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
	in.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage})
	if err != nil {
		return pg, fmt.Errorf("count characters: %w", err)
	}
	if cc.Count > pdfMaxCharsPerPage {
		return pg, &tooComplexError{limit: fmt.Sprintf("%d characters on a page", pdfMaxCharsPerPage)}
	}
	st, err := in.GetPageTextStructured(&requests.GetPageTextStructured{Page: ref, Mode: requests.GetPageTextStructuredModeChars})
	if err != nil {
		return pg, fmt.Errorf("read text: %w", err)
	}
	for _, c := range st.Chars {
		r := []rune(c.Text)
		if len(r) != 1 || !keepPDFRune(r[0]) {
			continue
		}
		pos := c.PointPosition
		if pos.Right <= pos.Left && pos.Top <= pos.Bottom {
			continue // a generated space or line break has no box
		}
		pg.chars = append(pg.chars, pdfChar{r: r[0], l: pos.Left, b: pos.Bottom, rt: pos.Right, t: pos.Top, angle: c.Angle})
	}
	cnt, err := in.FPDFPage_CountObjects(&requests.FPDFPage_CountObjects{Page: ref})
	if err != nil {
		return pg, fmt.Errorf("count objects: %w", err)
	}
	for j := range min(cnt.Count, pdfMaxObjsPerPage) {
		if dl.passed() {
			return pg, dl.err()
		}
		o, err := in.FPDFPage_GetObject(&requests.FPDFPage_GetObject{Page: ref, Index: j})
		if err != nil {
			continue
		}
		t, err := in.FPDFPageObj_GetType(&requests.FPDFPageObj_GetType{PageObject: o.PageObject})
		if err != nil {
			continue
		}
		switch t.Type {
		case enums.FPDF_PAGEOBJ_IMAGE:
			pg.images++
		case enums.FPDF_PAGEOBJ_PATH:
			bd, err := in.FPDFPageObj_GetBounds(&requests.FPDFPageObj_GetBounds{PageObject: o.PageObject})
			if err != nil {
				continue
			}
			rect := pdfRect{l: float64(bd.Left), b: float64(bd.Bottom), r: float64(bd.Right), t: float64(bd.Top)}
			if rect.r-rect.l <= ruleMaxWidth || rect.t-rect.b <= ruleMaxWidth {
				pg.rects = append(pg.rects, rect) // a rule (or a dot)
				continue
			}
			// A larger path: a background, a cell outline, or every rule
			// of a table in one object. Look at its segments.
			pts, stroked := readPathPoints(in, o.PageObject, dl)
			pg.rects = append(pg.rects, pathRules(pts, stroked)...)
		}
		if len(pg.rects) > pdfMaxRules {
			return pg, &tooComplexError{limit: fmt.Sprintf("%d ruling lines", pdfMaxRules)}
		}
	}
	return pg, nil
}

const pdfMaxSegments = 5000

// readPathPoints returns a path's points in page coordinates and whether
// it is stroked.
func readPathPoints(in pdfium.Pdfium, obj references.FPDF_PAGEOBJECT, dl *deadline) ([]pathPoint, bool) {
	dm, err := in.FPDFPath_GetDrawMode(&requests.FPDFPath_GetDrawMode{PageObject: obj})
	if err != nil {
		return nil, false
	}
	n, err := in.FPDFPath_CountSegments(&requests.FPDFPath_CountSegments{PageObject: obj})
	if err != nil || n.Count <= 0 || n.Count > pdfMaxSegments {
		return nil, false
	}
	if !dm.Stroke && n.Count <= 5 {
		// One filled shape larger than a rule: a background.
		return nil, false
	}
	a, b, c, d, e, f := 1.0, 0.0, 0.0, 1.0, 0.0, 0.0
	if m, err := in.FPDFPageObj_GetMatrix(&requests.FPDFPageObj_GetMatrix{PageObject: obj}); err == nil {
		a, b, c, d, e, f = float64(m.Matrix.A), float64(m.Matrix.B), float64(m.Matrix.C), float64(m.Matrix.D), float64(m.Matrix.E), float64(m.Matrix.F)
	}
	pts := make([]pathPoint, 0, n.Count)
	for i := range n.Count {
		if dl.expired() {
			return nil, false // the caller sees the deadline
		}
		seg, err := in.FPDFPath_GetPathSegment(&requests.FPDFPath_GetPathSegment{PageObject: obj, Index: i})
		if err != nil {
			return nil, false
		}
		pt, err := in.FPDFPathSegment_GetPoint(&requests.FPDFPathSegment_GetPoint{PathSegment: seg.PathSegment})
		if err != nil {
			return nil, false
		}
		typ, err := in.FPDFPathSegment_GetType(&requests.FPDFPathSegment_GetType{PathSegment: seg.PathSegment})
		if err != nil {
			return nil, false
		}
		cl, err := in.FPDFPathSegment_GetClose(&requests.FPDFPathSegment_GetClose{PathSegment: seg.PathSegment})
		if err != nil {
			return nil, false
		}
		x, y := float64(pt.X), float64(pt.Y)
		pts = append(pts, pathPoint{
			x: a*x + c*y + e, y: b*x + d*y + f,
			move:  typ.Type == enums.FPDF_SEGMENT_MOVETO,
			curve: typ.Type == enums.FPDF_SEGMENT_BEZIERTO,
			close: cl.IsClose,
		})
	}
	return pts, dm.Stroke
}

// keepPDFRune drops what PDFium reports for layout rather than ink: spaces,
// line breaks, soft hyphens and other controls. Cells are rebuilt from
// glyph positions, so spaces are not needed.
func keepPDFRune(r rune) bool {
	switch {
	case r == 0, r == 0xFFFE, r == 0xFFFF, r == '\u00ad':
		return false
	case unicode.IsSpace(r), unicode.IsControl(r):
		return false
	}
	return true
}

var (
	pdfDateRe   = regexp.MustCompile(`^(?:D:)?(\d{4})-?(\d{2})-?(\d{2})`)
	cnDateRe    = regexp.MustCompile(`^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$`)
	titleYearRe = regexp.MustCompile(`^(.*?)(\d{4})\s*年?度?.*报告$`)
)

// pdfMeta picks the title, agency and publication date: the linking page's
// hints first, then what the PDF prints, then its info dictionary.
func attachmentMeta(info pdfInfo, lines []line, src Source) pageMeta {
	var m pageMeta
	m.title = headTitle(lines)
	if m.title == "" && titleYearRe.MatchString(pdfSqueeze(info.title)) {
		m.title = pdfSqueeze(info.title)
	}
	if m.title == "" {
		m.title = src.Title
	}
	if g := titleYearRe.FindStringSubmatch(m.title); g != nil && g[1] != "" {
		m.agency = g[1]
	}
	// Published: the linking page's date (its 发布日期 is the publication),
	// else the date printed on a line of its own at the end (the signature
	// block: the day the report was signed), else the file's creation
	// date, which for WPS/Word exports is that same day or close to it.
	m.published = src.Published
	for i := len(lines) - 1; m.published == "" && i >= 0 && i >= len(lines)-6; i-- {
		if g := cnDateRe.FindStringSubmatch(pdfLineText(lines[i])); g != nil {
			m.published = fmt.Sprintf("%s-%02s-%02s", g[1], pdfPad2(g[2]), pdfPad2(g[3]))
		}
	}
	if g := pdfDateRe.FindStringSubmatch(info.created); m.published == "" && g != nil {
		m.published = g[1] + "-" + g[2] + "-" + g[3]
	}
	return m
}

// headTitle finds the title among the first lines: the first line ending
// in 报告, with as many lines above it (at most two) as it takes to have a
// year with an organ name before it. "洪泽区人民政府" / "2023 年政府信息公开工作
// 年度报告" is one title; a letterhead line above a complete title is not
// part of it.
func headTitle(lines []line) string {
	var texts []string
	for i, ln := range lines {
		if i >= 6 || ln.table {
			break
		}
		texts = append(texts, pdfSqueeze(pdfLineText(ln)))
		if !strings.HasSuffix(texts[len(texts)-1], "报告") {
			continue
		}
		e := len(texts) - 1
		best := ""
		for s := e; s >= max(0, e-2); s-- {
			t := strings.Join(texts[s:e+1], "")
			if len([]rune(t)) > 60 {
				break
			}
			g := titleYearRe.FindStringSubmatch(t)
			if g != nil && g[1] != "" {
				return t
			}
			if best == "" || (g != nil && !titleYearRe.MatchString(best)) {
				best = t
			}
		}
		return best
	}
	return ""
}

func pdfPad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

func pdfLineText(ln line) string {
	var sb strings.Builder
	for _, c := range ln.cells {
		sb.WriteString(c.text)
	}
	return sb.String()
}

// pdfSqueeze removes the spaces a PDF puts between CJK characters and
// digits ("2023 年") while keeping those between Latin words.
func pdfSqueeze(s string) string {
	rs := []rune(strings.TrimSpace(s))
	var out []rune
	for i, r := range rs {
		if unicode.IsSpace(r) {
			if len(out) == 0 || i+1 >= len(rs) || unicode.IsSpace(rs[i+1]) {
				continue
			}
			if pdfIsLatin(out[len(out)-1]) && pdfIsLatin(rs[i+1]) {
				out = append(out, ' ')
			}
			continue
		}
		out = append(out, r)
	}
	return string(out)
}

func pdfIsLatin(r rune) bool { return r < 0x2E80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }
