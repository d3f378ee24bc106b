package store

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchBatch is how many captures the benchmark writes per transaction,
// as a crawler flushing a page batch would.
const benchBatch = 100

// BenchmarkDB_PutCapture writes distinct 50–100 KB report pages (cut from
// the real pages in testdata, digits randomised) in batches of benchBatch,
// with fsync on every commit, and reports captures/s.
//
//	go test ./store -run '^$' -bench BenchmarkDB_PutCapture -benchtime 4000x
func BenchmarkDB_PutCapture(b *testing.B) {
	db, _ := mustOpen(b, nil)
	pages := fixturePages(b)
	rng := rand.New(rand.NewPCG(11, 12))
	// 256 distinct pages, each with a trailing 8-byte slot overwritten with
	// a counter so every write is a new body and nothing is deduplicated.
	pool := make([][]byte, 256)
	var total int64
	for i := range pool {
		pool[i] = append(variedPage(pages, rng), "<!--        -->"...)
		total += int64(len(pool[i]))
	}
	b.SetBytes(total / int64(len(pool)))
	items := make([]CaptureItem, 0, benchBatch)
	now := time.Now()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i += benchBatch {
		items = items[:0]
		for j := i; j < min(b.N, i+benchBatch); j++ {
			p := pool[j%len(pool)]
			binary.BigEndian.PutUint64(p[len(p)-11:], uint64(j))
			items = append(items, CaptureItem{Capture: Capture{URL: fmt.Sprintf("https://www.pingtan.gov.cn/zwgk/%d.html", j),
				Status: 200, ContentType: "text/html; charset=utf-8", FetchedAt: now}, Body: p})
		}
		res, err := db.PutCaptures(items)
		if err != nil {
			b.Fatal(err)
		}
		for _, ok := range res {
			if !ok {
				b.Fatal("a distinct body was not stored as new")
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "captures/s")
	// CPU per capture does not depend on what else the machine runs;
	// GOMAXPROCS / it is the rate an idle machine can reach.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/capture")
	}
}

// BenchmarkDB_StoredBytesPerReport stores b.N reports as a crawl does (the
// page as a capture, then its parsed report with 200 cells as version 1)
// and reports the bytes the database file occupies on disk per report,
// against the target of 1.2 × the page's gzip size plus its cells (as
// JSON); "of-budget" is their ratio and must stay ≤ 1. Use a large
// -benchtime so that the file's fixed overhead does not dominate:
//
//	go test ./store -run '^$' -bench BenchmarkDB_StoredBytesPerReport -benchtime 2000x
func BenchmarkDB_StoredBytesPerReport(b *testing.B) {
	s := storeReports(b, b.N)
	n := float64(b.N)
	b.ReportMetric(float64(s.disk)/n, "disk-B/report")
	b.ReportMetric(float64(s.gzip)/n, "gzip-B/page")
	b.ReportMetric(float64(s.cells)/n, "cells-B/report")
	b.ReportMetric(s.ofBudget(), "of-budget")
}

// TestDB_StoredBytesPerReport asserts the size target on 300 reports.
func TestDB_StoredBytesPerReport(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 300 pages")
	}
	s := storeReports(t, 300)
	t.Logf("per report: disk %d B, page gzip %d B, cells %d B: %.2f of budget", s.disk/300, s.gzip/300, s.cells/300, s.ofBudget())
	if s.ofBudget() > 1 {
		t.Errorf("%d bytes on disk for 300 reports; budget 1.2 × %d gzip + %d cells", s.disk, s.gzip, s.cells)
	}
}

type sizes struct{ disk, gzip, cells int64 }

func (s sizes) ofBudget() float64 { return float64(s.disk) / (1.2*float64(s.gzip) + float64(s.cells)) }

// storeReports stores n distinct pages and their reports in a new
// database, closes it, and returns its size on disk with the budget's
// terms.
func storeReports(tb testing.TB, n int) sizes {
	db, path := mustOpen(tb, nil)
	pages := fixturePages(tb)
	rng := rand.New(rand.NewPCG(21, 22))
	var s sizes
	if b, ok := tb.(*testing.B); ok {
		b.ResetTimer()
	}
	for i := range n {
		page := variedPage(pages, rng)
		s.gzip += gzipSize(page)
		r := syntheticReport(fmt.Sprintf("平潭综合实验区测试局%04d", i), 2023, rng)
		cj, _ := json.Marshal(r.Cells)
		s.cells += int64(len(cj))
		c := Capture{URL: fmt.Sprintf("https://www.pingtan.gov.cn/zwgk/%d.html", i), Status: 200,
			ContentType: "text/html", FetchedAt: time.Now(), RunID: "20261128T180000Z-1"}
		if _, err := db.PutCapture(c, page); err != nil {
			tb.Fatal(err)
		}
		r.SHA256, r.SourceURL = sha(string(page)), c.URL
		if _, err := db.PutReport(r, []string{r.SHA256}, c.RunID); err != nil {
			tb.Fatal(err)
		}
	}
	if b, ok := tb.(*testing.B); ok {
		b.StopTimer()
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	s.disk = diskBytes(tb, path)
	return s
}

func gzipSize(p []byte) int64 {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(p)
	w.Close()
	return int64(buf.Len())
}
