package main

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"nianbao/cmd/nianbao/web"
)

// hostilePortal serves, next to a good NFCMS column (benchPortal), the sites
// a nightly crawl must survive (issue 10): columns that never end (index_N
// for every N, ?page=N answering every page with the same reports under new
// URLs, a calendar), a report column whose attachments are a dense vector
// drawing (two million stroked lines) and a page of half a million
// characters next to a real report PDF, a malformed chunked body, a
// redirect loop and a slow drip. A second server, another host, answers
// robots.txt with 503. With big set, the attachments also include a 45 MB
// scanned PDF, a 40 MB HTML page and a gzip bomb (100 MB of zeros, 100 KB on
// the wire), served from files so that the portal itself holds little
// memory.
type hostilePortal struct {
	main, down *httptest.Server
	good       *benchPortal
	dense      []byte // the dense vector PDF
	denseText  []byte // a page of 500,000 characters
	realPDF    []byte // a real report
	bigScan    string // file of the 45 MB scanned PDF ("" without big)
	bigHTML    string // file of the 40 MB HTML page
	gzipBomb   []byte
}

// Sites of the hostile portal.
const (
	hostileGood     = "湛江市司法所"
	hostileEndless  = "无尽栏目"
	hostilePages    = "检索翻页"
	hostileCalendar = "日历"
	hostileDocs     = "附件站"
	hostileRobots   = "机器人站"
	hostileGoodN    = 20 // reports of the good site in the test
)

var (
	densePDFOnce  sync.Once
	densePDFBytes []byte
)

// hostileDensePDF is a one-page PDF whose page strokes two million lines in
// one Flate-compressed content stream (about 300 KB; PDFium needs 1.8 GB and
// 7–9 s for it without limits). Built once per test binary.
func hostileDensePDF() []byte {
	densePDFOnce.Do(func() {
		var content bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&content, zlib.BestCompression)
		var period bytes.Buffer
		for i := range 1000 {
			a, b := (i*7)%595, (i*13)%842
			fmt.Fprintf(&period, "%d %d m %d %d l S\n", a, b, (a+7)%595, (b+3)%842)
		}
		for range 2000 {
			zw.Write(period.Bytes())
		}
		zw.Close()
		densePDFBytes = onePagePDF(content.Bytes(), "/Filter /FlateDecode", "")
	})
	return densePDFBytes
}

// hostileTextPDF is a one-page PDF with n characters of text.
func hostileTextPDF(n int) []byte {
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
	return onePagePDF([]byte(cb.String()), "", "/Resources << /Font << /F1 5 0 R >> >>")
}

// onePagePDF wraps a content stream into a one-page PDF (with a Helvetica
// font as object 5).
func onePagePDF(content []byte, filter, resources string) []byte {
	var buf bytes.Buffer
	var offs []int
	obj := func(s string) {
		offs = append(offs, buf.Len())
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + resources + " /Contents 4 0 R >>")
	obj(fmt.Sprintf("<< /Length %d %s >>\nstream\n%s\nendstream", len(content), filter, content))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return buf.Bytes()
}

// writeScanPDF writes a PDF of pages image-only pages of imgBytes each (a
// scan, as far as the parser can tell) to path.
func writeScanPDF(path string, pages, imgBytes int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	off := 0
	var offs []int
	write := func(s string) { n, _ := w.WriteString(s); off += n }
	obj := func(s string) { offs = append(offs, off); write(fmt.Sprintf("%d 0 obj\n%s\nendobj\n", len(offs), s)) }
	write("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	var kids strings.Builder
	for i := range pages {
		fmt.Fprintf(&kids, "%d 0 R ", 3+i*3)
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids.String(), pages))
	row := bytes.Repeat([]byte{0x11, 0x80, 0xee, 0x42}, 250) // 1000 pixels
	for i := range pages {
		n := 3 + i*3
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 %d 0 R >> >> /Contents %d 0 R >>", n+1, n+2))
		offs = append(offs, off)
		write(fmt.Sprintf("%d 0 obj\n<< /Type /XObject /Subtype /Image /Width 1000 /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n", len(offs), imgBytes/1000, imgBytes/1000*1000))
		for range imgBytes / 1000 {
			n, _ := w.Write(row)
			off += n
		}
		write("\nendstream\nendobj\n")
		content := "q 500 0 0 700 50 70 cm /Im1 Do Q"
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	xref := off
	write(fmt.Sprintf("xref\n0 %d\n0000000000 65535 f \n", len(offs)+1))
	for _, o := range offs {
		write(fmt.Sprintf("%010d 00000 n \n", o))
	}
	write(fmt.Sprintf("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref))
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeBigHTML writes an HTML page of about size bytes: a report title and
// one long table.
func writeBigHTML(path string, size int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	w.WriteString(pageHead("某某局2023年政府信息公开工作年度报告") + "<table>\n")
	for n, i := 0, 0; n < size; i++ {
		k, _ := fmt.Fprintf(w, "<tr><td><span>第%d行</span></td><td>%d</td><td><p>%d</p></td><td>说明文字说明文字</td></tr>\n", i, i%97, i%13)
		n += k
	}
	w.WriteString("</table></body></html>\n")
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// newHostilePortal starts the portal with goodN reports on the good site.
func newHostilePortal(tb testing.TB, goodN int, big bool) *hostilePortal {
	tb.Helper()
	real, err := demodata.ReadFile("demodata/huaian-hongze-2023.pdf")
	if err != nil {
		tb.Fatal(err)
	}
	p := &hostilePortal{good: newBenchPortal(tb, goodN, 20), dense: hostileDensePDF(), denseText: hostileTextPDF(500_000), realPDF: real}
	if big {
		dir := tb.TempDir()
		p.bigScan, p.bigHTML = filepath.Join(dir, "scan.pdf"), filepath.Join(dir, "big.html")
		if err := writeScanPDF(p.bigScan, 45, 1_000_000); err != nil {
			tb.Fatal(err)
		}
		if err := writeBigHTML(p.bigHTML, 40<<20); err != nil {
			tb.Fatal(err)
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zeros := make([]byte, 1<<20)
		for range 100 {
			zw.Write(zeros)
		}
		zw.Close()
		p.gzipBomb = gz.Bytes()
	}
	p.main = httptest.NewUnstartedServer(p)
	p.down = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(nfcmsList(hostileRobots, "信息公开年报", []demoLink{{"/r/2024.html", "2024年政府信息公开工作年度报告", "2025-01-20"}}, ""))
	}))
	return p
}

// start starts the portal's servers, the main one on ln when not nil.
func (p *hostilePortal) start(tb testing.TB, ln net.Listener) {
	if ln != nil {
		p.main.Listener.Close()
		p.main.Listener = ln
	}
	p.main.Start()
	p.down.Start()
	tb.Cleanup(p.main.Close)
	tb.Cleanup(p.down.Close)
}

// config returns the crawl config of the portal's sites.
func (p *hostilePortal) config(dbPath, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "db: %s\nuser_agent: \"nianbao-test/1.0 (+https://example.org/contact)\"\ndelay: 0s\nparallelism: 4\nretries: 0\n%s", dbPath, extra)
	b.WriteString("sites:\n")
	for _, s := range []struct{ name, start string }{
		{hostileGood, p.main.URL + benchColumn},
		{hostileEndless, p.main.URL + "/endless/index.html"},
		{hostilePages, p.main.URL + "/search.jsp?page=1"},
		{hostileCalendar, p.main.URL + "/cal/day.jsp?date=2024-05-01"},
		{hostileDocs, p.main.URL + "/docs/"},
		{hostileRobots, p.down.URL + "/nb/"},
	} {
		fmt.Fprintf(&b, "  - name: %s\n    start: [%q]\n", s.name, s.start)
	}
	return b.String()
}

func (p *hostilePortal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pth := r.URL.Path
	page := func(body []byte) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	}
	switch {
	case pth == "/robots.txt":
		io.WriteString(w, "User-agent: *\nDisallow: /admin/\n")
	case strings.HasPrefix(pth, benchColumn):
		p.good.ServeHTTP(w, r)
	case strings.HasPrefix(pth, "/r/"):
		// The report-looking pages of the endless columns: titled, no
		// tables.
		page(simplePage("通知 "+strings.TrimSuffix(pth[3:], ".html"), "<p>本页无表格。</p>"))
	case strings.HasPrefix(pth, "/endless/"):
		// index_N.html for every N, each with one new report-looking link.
		n := 0
		if s, ok := strings.CutPrefix(pth, "/endless/index_"); ok {
			n, _ = strconv.Atoi(strings.TrimSuffix(s, ".html"))
		}
		page(nfcmsList(hostileEndless, "信息公开年报", []demoLink{{fmt.Sprintf("/r/e%d.html", n), fmt.Sprintf("第%d期 2023年政府信息公开工作年度报告", n), "2024-01-20"}},
			fmt.Sprintf("index_%d.html", n+1)))
	case pth == "/search.jsp":
		// Every page number answers, with the same reports under new URLs.
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var links []demoLink
		for _, y := range []int{2024, 2023, 2022} {
			links = append(links, demoLink{fmt.Sprintf("/r/s%d.html?from=%d", y, n), fmt.Sprintf("%d年政府信息公开工作年度报告", y), "2025-01-20"})
		}
		page(nfcmsList(hostilePages, "搜索结果", links, fmt.Sprintf("search.jsp?page=%d", n+1)))
	case pth == "/cal/day.jsp":
		d, err := time.Parse("2006-01-02", r.URL.Query().Get("date"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		var b strings.Builder
		b.WriteString(pageHead("日历"))
		fmt.Fprintf(&b, `<ul><li><a href="/r/c%s.html">%s 发布：2023年政府信息公开工作年度报告</a></li></ul>`, d.Format("20060102"), d.Format("2006-01-02"))
		for _, j := range []struct {
			text string
			days int
		}{{"下一页", 1}, {"›", 7}, {"»", 30}, {"&gt;&gt;", 365}} {
			fmt.Fprintf(&b, `<a href="day.jsp?date=%s">%s</a> `, d.AddDate(0, 0, j.days).Format("2006-01-02"), j.text)
		}
		b.WriteString("</body></html>")
		page([]byte(b.String()))
	case pth == "/docs/":
		links := []demoLink{
			{"/docs/dense.pdf", "某某县2023年政府信息公开工作年度报告（图）", "2024-01-20"},
			{"/docs/text.pdf", "某某县2022年政府信息公开工作年度报告（文）", "2023-01-20"},
			{"/docs/hongze-2023.pdf", "洪泽区人民政府2023年政府信息公开工作年度报告", "2024-02-05"},
			{"/docs/chunked.html", "某某县2021年政府信息公开工作年度报告", "2022-01-20"},
			{"/docs/loop.html", "某某县2020年政府信息公开工作年度报告", "2021-01-20"},
			{"/docs/drip.html", "某某县2019年政府信息公开工作年度报告", "2020-01-20"},
		}
		if p.bigScan != "" {
			links = append(links,
				demoLink{"/docs/scan.pdf", "某某县2018年政府信息公开工作年度报告", "2019-01-20"},
				demoLink{"/docs/big.html", "某某县2017年政府信息公开工作年度报告", "2018-01-20"},
				demoLink{"/docs/bomb.html", "某某县2016年政府信息公开工作年度报告", "2017-01-20"})
		}
		if only := os.Getenv("ZZ_ONLY"); only != "" {
			var keep []demoLink
			for _, l := range links {
				if strings.Contains(l.href, only) {
					keep = append(keep, l)
				}
			}
			links = keep
		}
		page(nfcmsList(hostileDocs, "信息公开年报", links, ""))
	case pth == "/docs/dense.pdf":
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(p.dense)
	case pth == "/docs/text.pdf":
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(p.denseText)
	case pth == "/docs/hongze-2023.pdf":
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(p.realPDF)
	case pth == "/docs/scan.pdf" && p.bigScan != "":
		w.Header().Set("Content-Type", "application/pdf")
		http.ServeFile(w, r, p.bigScan)
	case pth == "/docs/big.html" && p.bigHTML != "":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeFile(w, r, p.bigHTML)
	case pth == "/docs/bomb.html" && p.gzipBomb != nil:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(p.gzipBomb)
	case pth == "/docs/chunked.html":
		c, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<html\r\nnot-hex\r\n")
		buf.Flush()
	case pth == "/docs/loop.html":
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		http.Redirect(w, r, fmt.Sprintf("/docs/loop.html?n=%d", n+1), http.StatusFound)
	case pth == "/docs/drip.html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		for range 200 {
			if _, err := io.WriteString(w, "<p>"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	default:
		http.NotFound(w, r)
	}
}

// TestCrawl_HostilePortal: a crawl over the hostile portal ends by itself,
// records every budget and limit it hit with its reason (summary, run
// record, /metrics), refuses the dense PDF within the parse limits while the
// other sites proceed, and stores the good site's reports (issue 10).
func TestCrawl_HostilePortal(t *testing.T) {
	p := newHostilePortal(t, hostileGoodN, false)
	p.start(t, nil)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "hostile.db")
	cfgPath := filepath.Join(dir, "hostile.yaml")
	if err := os.WriteFile(cfgPath, []byte(p.config(dbPath, "timeout: 3s\nmax_pages: 150\nmax_depth: 30\nstale_pages: 5\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	began := time.Now()
	err := run(context.Background(), []string{"crawl", "--config", cfgPath}, &out, &errOut)
	took := time.Since(began)
	var pe partialError
	if !errors.As(err, &pe) {
		t.Fatalf("crawl: %v, want a partial failure\n%s\n%s", err, out.String(), errOut.String())
	}
	if took > 2*time.Minute {
		t.Errorf("crawl took %v", took)
	}
	summary := out.String()

	db := openRO(t, dbPath)
	// The good site: every report, whatever its neighbours did.
	for i := 1; i <= hostileGoodN; i++ {
		if r, _ := latest(t, db, benchAgency(i), 2025); len(r.Cells) < 100 {
			t.Errorf("%s 2025: %d cells", benchAgency(i), len(r.Cells))
		}
	}
	// The real PDF next to the pathological ones.
	if hz, _ := latest(t, db, "洪泽区人民政府", 2023); hz.Input != "pdf" || cellValue(t, hz, "t3", "new_received", "total") != "21" {
		t.Errorf("洪泽区 2023: input %s, t3 new %s", hz.Input, cellValue(t, hz, "t3", "new_received", "total"))
	}
	// The dense PDF: archived, refused within the limits, recorded.
	dense, _ := latest(t, db, "某某县", 2023)
	if dense.NoTables != "tables not extractable: too complex (limit 96 MiB of memory)" {
		t.Errorf("dense PDF: no_tables %q", dense.NoTables)
	}
	if ok, err := db.HasCapture(dense.SHA256); !ok || err != nil {
		t.Errorf("dense PDF capture archived: %v %v", ok, err)
	}

	rs := runs(t, db)
	if len(rs) != 1 {
		t.Fatalf("%d runs", len(rs))
	}
	failures := map[string]string{} // reason → a URL
	for _, f := range rs[0].Failures {
		failures[f.Reason] = strings.TrimPrefix(strings.TrimPrefix(f.URL, p.main.URL), p.down.URL)
	}
	for reason, url := range map[string]string{
		"budget: max_depth 30 reached":  "/endless/index_30.html",
		"budget: stale_pages 5 reached": "/search.jsp?page=6",
		"budget: max_pages 150 reached": "/cal/day.jsp?date=2024-05-01",
		"parse: too complex":            "/docs/text.pdf",
		"robots: unreachable":           "/nb/",
		"truncated":                     "/docs/chunked.html",
		"redirects":                     "/docs/loop.html",
		"timeout":                       "/docs/drip.html",
	} {
		got, ok := failures[reason]
		if !ok {
			t.Errorf("no failure %q in the run (failures: %v)", reason, failures)
			continue
		}
		if reason != "parse: too complex" && got != url {
			t.Errorf("failure %q at %s, want %s", reason, got, url)
		}
		if !strings.Contains(summary, reason) {
			t.Errorf("summary lacks %q", reason)
		}
	}
	if n := rs[0].Counts.Failures["parse: too complex"]; n != 2 {
		t.Errorf("%d documents too complex, want 2 (dense.pdf, text.pdf)", n)
	}
	// Endless sites do not resume past their budget.
	for _, site := range []string{hostileEndless, hostilePages, hostileCalendar} {
		if q, err := db.Pending(site); err != nil || len(q) != 0 {
			t.Errorf("%s: %d queue entries left (%v), want none", site, len(q), err)
		}
	}
	// /metrics counts the reasons.
	w, err := web.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	w.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`nianbao_failures_total{reason="budget: max_pages 150 reached"} 1`, `nianbao_failures_total{reason="robots: unreachable"} 1`, `nianbao_failures_total{reason="parse: too complex"} 2`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// So does the runs page.
	rec = httptest.NewRecorder()
	w.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/runs", nil))
	for _, want := range []string{"budget: max_depth 30 reached", "budget: stale_pages 5 reached", "budget: max_pages 150 reached"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/runs lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("summary:\n%s", summary)
	}
}

// BenchmarkCrawl_Hostile crawls the hostile portal with its big documents
// (a 45 MB scanned PDF, a 40 MB HTML page, a gzip bomb), the default crawl
// budget and parse limits, 1,000 good reports, delay 0 and 4 requests in
// flight per host, and reports the peak memory of the process: the Go heap
// in use and the memory the Go runtime obtained from the OS (runtime
// metrics), and the peak resident set (VmHWM, reset before each crawl),
// which also counts the PDF engine's WebAssembly memory and compiled code
// that the Go runtime does not see. The portal runs in the same process
// (its big documents are served from files).
//
//	go test ./cmd/nianbao -run '^$' -bench Crawl_Hostile -benchtime 1x
func BenchmarkCrawl_Hostile(b *testing.B) {
	p := newHostilePortal(b, 1000, true)
	p.start(b, nil)
	var peakHeap, peakSys, peakRSS uint64
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		cfgPath := filepath.Join(dir, "hostile.yaml")
		if err := os.WriteFile(cfgPath, []byte(p.config(filepath.Join(dir, "hostile.db"), "timeout: 10s\n")), 0o644); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		rssMeasured := resetPeakRSS()
		b.StartTimer()
		mp := startMemPeak()
		start := time.Now()
		var out bytes.Buffer
		err := run(context.Background(), []string{"crawl", "--config", cfgPath}, &out, io.Discard)
		elapsed += time.Since(start)
		h, s := mp.end()
		b.StopTimer()
		var pe partialError
		if !errors.As(err, &pe) {
			b.Fatalf("crawl: %v\n%s", err, out.String())
		}
		for _, want := range []string{"budget: max_pages 3000 reached", "budget: max_depth 200 reached", "budget: stale_pages 10 reached",
			"parse: too complex ×3", "robots: unreachable", "truncated ×2"} {
			if !strings.Contains(out.String(), want) {
				b.Fatalf("summary lacks %q:\n%s", want, out.String())
			}
		}
		peakHeap, peakSys = max(peakHeap, h), max(peakSys, s)
		if rss, ok := peakRSSBytes(); ok && rssMeasured {
			peakRSS = max(peakRSS, rss)
		}
	}
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/crawl")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peakSys)/(1<<20), "peak-sys-MB")
	if peakRSS > 0 {
		b.ReportMetric(float64(peakRSS)/(1<<20), "peak-rss-MB")
	}
}

// peakRSSBytes returns the process's peak resident set (VmHWM).
func peakRSSBytes() (uint64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, ln := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(ln, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// resetPeakRSS restarts VmHWM at the current resident set (Linux).
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// TestServeHostilePortal serves the hostile portal (with its big documents
// and 1,000 good reports) for measuring the nianbao binary itself when
// NIANBAO_HOSTILE_PORTAL=ADDR is set; it writes the matching config to
// NIANBAO_HOSTILE_CONFIG (default /tmp/nianbao-hostile.yaml) and serves for
// NIANBAO_BENCH_SERVE (default 5m):
//
//	NIANBAO_HOSTILE_PORTAL=127.0.0.1:38300 go test ./cmd/nianbao -run TestServeHostilePortal -timeout 10m &
//	/usr/bin/time -v nianbao crawl --config /tmp/nianbao-hostile.yaml
func TestServeHostilePortal(t *testing.T) {
	addr := os.Getenv("NIANBAO_HOSTILE_PORTAL")
	if addr == "" {
		t.Skip("set NIANBAO_HOSTILE_PORTAL=127.0.0.1:PORT to serve the hostile portal")
	}
	cfgPath := cmp.Or(os.Getenv("NIANBAO_HOSTILE_CONFIG"), filepath.Join(os.TempDir(), "nianbao-hostile.yaml"))
	serve, err := time.ParseDuration(cmp.Or(os.Getenv("NIANBAO_BENCH_SERVE"), "5m"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := newHostilePortal(t, 1000, true)
	p.start(t, ln)
	if err := os.WriteFile(cfgPath, []byte(p.config(filepath.Join(os.TempDir(), "nianbao-hostile.db"), "timeout: 10s\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("serving the hostile portal at %s (robots.txt 503 at %s); config %s", p.main.URL, p.down.URL, cfgPath)
	time.Sleep(serve)
}
