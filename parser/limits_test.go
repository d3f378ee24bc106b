package parser

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// densePDF builds a one-page PDF whose page is a dense vector drawing: n
// stroked lines in one Flate-compressed content stream. The coordinates
// repeat with a period of 997 lines, which deflate's 32 KiB window
// compresses about a hundredfold: 2 million lines (36 MB of drawing
// operators) make a file of a few hundred KB, like the 388 KB file of
// issue 10 that took PDFium 12–20 s and 1.8 GB.
func densePDF(n int) []byte {
	var content bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&content, zlib.BestCompression)
	var period bytes.Buffer
	for i := range 997 {
		a, b := (i*7)%595, (i*13)%842
		fmt.Fprintf(&period, "%d %d m %d %d l S\n", a, b, (a+7)%595, (b+3)%842)
	}
	for i := 0; i < n; i += 997 {
		lines := period.Bytes()
		if rest := n - i; rest < 997 {
			lines = lines[:nthLine(lines, rest)]
		}
		zw.Write(lines)
	}
	zw.Close()
	var buf bytes.Buffer
	var offs []int
	obj := func(s string) {
		offs = append(offs, buf.Len())
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>")
	obj(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", content.Len(), content.Bytes()))
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return buf.Bytes()
}

// nthLine returns the offset after the n-th newline of b.
func nthLine(b []byte, n int) int {
	off := 0
	for range n {
		off += bytes.IndexByte(b[off:], '\n') + 1
	}
	return off
}

var (
	densePDFOnce sync.Once
	densePDFBody []byte
)

// denseTestPDF is densePDF(2_000_000), built once per test binary.
func denseTestPDF() []byte {
	densePDFOnce.Do(func() { densePDFBody = densePDF(2_000_000) })
	return densePDFBody
}

// peakRSS returns the process's peak resident set (VmHWM) in bytes, after
// resetPeakRSS; ok is false where /proc does not offer it.
func peakRSS() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, ln := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(ln, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// resetPeakRSS restarts VmHWM at the current RSS (Linux: clear_refs 5).
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// TestParse_PDF_TooComplex: a dense vector drawing (issue 10) is refused
// within the Parser's limits, each limit on its own, and the Parser goes on
// reading real reports afterwards.
func TestParse_PDF_TooComplex(t *testing.T) {
	body := denseTestPDF()
	if len(body) > 1<<20 {
		t.Fatalf("dense PDF is %d bytes; the generator should compress it well", len(body))
	}
	src := Source{URL: "dense.pdf", Title: "某某县2023年政府信息公开工作年度报告", Published: "2024-01-20"}
	for _, tc := range []struct {
		name string
		opts Options
		want string
		max  time.Duration // generous: the machine is shared
		rss  bool          // check the peak RSS (not with a 2 GiB ceiling)
	}{
		{"Defaults", Options{}, "", DefaultTimeout + 10*time.Second, true},
		// Unbounded, the file takes 7–9 s here; a real report about 0.05 s.
		{"Deadline", Options{Timeout: 2 * time.Second, PDFMemoryLimit: 2 << 30}, NoTablesTooComplex + " (limit 2s)", 15 * time.Second, false},
		{"MemoryCeiling", Options{Timeout: -1, PDFMemoryLimit: 64 << 20}, NoTablesTooComplex + " (limit 64 MiB of memory)", DefaultTimeout, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.PDFCacheDir = testPDFCacheDir()
			p := New(tc.opts)
			defer p.Close()
			if _, err := p.Parse(imagePDF(), Source{}); err != nil { // start the engine
				t.Fatal(err)
			}
			runtime.GC()
			measured := resetPeakRSS()
			before, _ := peakRSS()
			began := time.Now()
			r, err := p.Parse(body, src)
			took := time.Since(began)
			peak, _ := peakRSS()
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !strings.HasPrefix(r.NoTables, NoTablesTooComplex) || (tc.want != "" && r.NoTables != tc.want) {
				t.Errorf("no_tables = %q, want %q", r.NoTables, tc.want)
			}
			if r.Format != FormatNone || len(r.Cells) != 0 || r.Input != "pdf" || r.Year != 2023 || r.SHA256 == "" {
				t.Errorf("report: format %q cells %d input %q year %d", r.Format, len(r.Cells), r.Input, r.Year)
			}
			if took > tc.max {
				t.Errorf("refused after %v, want under %v", took, tc.max)
			}
			if tc.rss && measured && peak > before+300<<20 {
				t.Errorf("peak RSS grew by %d MiB while refusing the file, want under 300 MiB", (peak-before)>>20)
			}
			t.Logf("%s: %q after %v, peak RSS %d MiB (+%d MiB)", tc.name, r.NoTables, took.Round(time.Millisecond), peak>>20, (peak-before)>>20)
			// The instance that grew for the file is gone, its memory
			// unmapped; the next PDF gets a fresh one and is read in full.
			p.mu.Lock()
			e := p.pdf
			p.mu.Unlock()
			if e == nil || e.mem.size() > pdfKeepMemory || e.mem.count() != 1 {
				t.Errorf("engine after a document over the limits: %+v", e)
			}
			good, err := os.ReadFile("testdata/huaian-hongze-2023.pdf")
			if err != nil {
				t.Fatal(err)
			}
			r2, err := p.Parse(good, Source{URL: "huaian-hongze-2023.pdf"})
			if err != nil || len(r2.Cells) < 100 {
				t.Fatalf("next PDF: err %v, %d cells", err, len(r2.Cells))
			}
		})
	}
}

// TestParser_PDF_TooComplexConcurrent: PDFs waiting for the engine while
// another one goes past a limit (and the engine is replaced) are read by
// the new engine, each within its own time.
func TestParser_PDF_TooComplexConcurrent(t *testing.T) {
	good, err := os.ReadFile("testdata/huaian-hongze-2024.pdf")
	if err != nil {
		t.Fatal(err)
	}
	p := New(Options{PDFCacheDir: testPDFCacheDir()})
	defer p.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	wg.Add(1)
	go func() {
		defer wg.Done()
		r, err := p.Parse(denseTestPDF(), Source{URL: "dense.pdf"})
		if err != nil || !strings.HasPrefix(r.NoTables, NoTablesTooComplex) {
			errs <- fmt.Errorf("dense: err %v, no_tables %q", err, r.NoTables)
		}
	}()
	// Wait until the dense PDF holds the engine, then queue real reports
	// behind it.
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		p.mu.Lock()
		e := p.pdf
		p.mu.Unlock()
		if e != nil {
			if !e.mu.TryLock() {
				break
			}
			e.mu.Unlock()
		}
		if time.Since(start) > time.Minute {
			t.Fatal("the dense PDF never took the engine")
		}
	}
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 1 {
				// More documents that replace the engine: a waiting one
				// may see it replaced several times.
				r, err := p.Parse(textPDF(60_000), Source{URL: "text.pdf"})
				if err != nil || !strings.HasPrefix(r.NoTables, NoTablesTooComplex) {
					errs <- fmt.Errorf("text: err %v", err)
				}
				return
			}
			r, err := p.Parse(good, Source{URL: "good.pdf"})
			if err != nil || len(r.Cells) < 100 {
				errs <- fmt.Errorf("good PDF queued behind a dense one: err %v", err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// textPDF builds a one-page PDF with n characters of text in lines of 200
// (drawn over each other when they do not fit the page).
func textPDF(n int) []byte {
	var cb strings.Builder
	cb.WriteString("BT /F1 1 Tf 1 TL 10 800 Td ")
	line := "(" + strings.Repeat("A1", 100) + ") '\n"
	for i := 0; i < n/200; i++ {
		if i%700 == 0 {
			cb.WriteString("0 700 Td ")
		}
		cb.WriteString(line)
	}
	cb.WriteString("ET")
	var buf bytes.Buffer
	var offs []int
	obj := func(s string) {
		offs = append(offs, buf.Len())
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>")
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", cb.Len(), cb.String()))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return buf.Bytes()
}

// TestParse_PDF_DenseText: a page of half a million characters is refused
// before its text is read: PDFium keeps it well under the memory ceiling,
// but go-pdfium's structured text costs about 150 bytes of Go memory per
// character (215 MiB of heap for this page without the check).
func TestParse_PDF_DenseText(t *testing.T) {
	body := textPDF(500_000)
	p := New(Options{PDFCacheDir: testPDFCacheDir()})
	defer p.Close()
	r, err := p.Parse(body, Source{URL: "text.pdf"})
	if err != nil {
		t.Fatal(err)
	}
	if want := NoTablesTooComplex + " (limit 50000 characters on a page)"; r.NoTables != want {
		t.Errorf("no_tables = %q, want %q", r.NoTables, want)
	}
	// A page under the cap is read.
	r, err = p.Parse(textPDF(20_000), Source{URL: "text.pdf"})
	if err != nil || strings.HasPrefix(r.NoTables, NoTablesTooComplex) {
		t.Errorf("20,000 characters: err %v, no_tables %q", err, r.NoTables)
	}
}

// TestParse_Timeout_HTMLAndDOCX: HTML and DOCX reading stop at the
// deadline too.
func TestParse_Timeout_HTMLAndDOCX(t *testing.T) {
	var page strings.Builder
	page.WriteString("<html><head><title>2023年政府信息公开工作年度报告</title></head><body><table>")
	for page.Len() < 4<<20 {
		page.WriteString("<tr><td><span>一</span></td><td><b>2</b></td><td><i>3</i></td></tr>")
	}
	page.WriteString("</table></body></html>")
	p := New(Options{Timeout: time.Nanosecond})
	defer p.Close()
	for _, in := range []struct {
		name, kind string
		body       []byte
	}{{"HTML", "html", []byte(page.String())}, {"DOCX", "docx", docx2021(t)}} {
		t.Run(in.name, func(t *testing.T) {
			r, err := p.Parse(in.body, Source{URL: "x", Title: "某局2023年政府信息公开工作年度报告"})
			if err != nil {
				t.Fatal(err)
			}
			if r.NoTables != NoTablesTooComplex+" (limit 1ns)" || r.Input != in.kind || len(r.Cells) != 0 {
				t.Errorf("no_tables %q input %q cells %d", r.NoTables, r.Input, len(r.Cells))
			}
		})
	}
	// Without the time limit the DOCX is read; the page, 4 MB of table
	// rows, has more cells than any report and is refused at the cell cap,
	// which bounds the memory of reading a page whatever its size.
	r, err := New(Options{Timeout: -1}).Parse(docx2021(t), Source{URL: "x"})
	if err != nil || len(r.Cells) == 0 {
		t.Errorf("no limit: err %v, %d cells", err, len(r.Cells))
	}
	for _, kind := range []string{"html", "text"} {
		body := []byte(page.String())
		if kind == "text" {
			body = bytes.Repeat([]byte("一 2 3 4\n"), 40_000)
		}
		r, err = New(Options{Timeout: -1}).Parse(body, Source{URL: "x"})
		if err != nil || r.NoTables != NoTablesTooComplex+" (limit 100000 cells)" || r.Input != kind {
			t.Errorf("%s: err %v, no_tables %q, input %q", kind, err, r.NoTables, r.Input)
		}
	}
}
