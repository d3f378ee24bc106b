package main

import (
	"bytes"
	"cmp"
	"context"
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
	"syscall"
	"testing"
	"time"

	"nianbao/store"
)

// benchPortal is an NFCMS-style column of n report pages, perList to a
// list page (index.html, index_2.html … linked by 下一页). Every report is
// the real 湛江市司法局 2025 report with the organ renamed, so each page is
// a distinct (agency, year) with all 200 cells. Pages are rendered per
// request, so the portal itself holds almost no memory.
type benchPortal struct {
	n, perList int
	seed       string
}

const benchColumn = "/zjsfw/bmdh/bench/zwgk/xxgknb/"

func newBenchPortal(tb testing.TB, n, perList int) *benchPortal {
	seed, err := demodata.ReadFile("demodata/zhanjiang-sifaju-2025.txt")
	if err != nil {
		tb.Fatal(err)
	}
	return &benchPortal{n: n, perList: perList, seed: string(seed)}
}

func benchAgency(i int) string { return fmt.Sprintf("湛江市第%d司法所", i) }

func (p *benchPortal) lists() int { return (p.n + p.perList - 1) / p.perList }

func (p *benchPortal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pth := r.URL.Path
	switch {
	case pth == "/robots.txt":
		_, _ = io.WriteString(w, "User-agent: *\nDisallow: /admin/\n")
		return
	case pth == benchColumn || strings.HasPrefix(pth, benchColumn+"index"):
		page := 1
		if s, ok := strings.CutPrefix(pth, benchColumn+"index_"); ok {
			page, _ = strconv.Atoi(strings.TrimSuffix(s, ".html"))
		}
		if page < 1 || page > p.lists() {
			http.NotFound(w, r)
			return
		}
		var links []demoLink
		for i := (page-1)*p.perList + 1; i <= min(page*p.perList, p.n); i++ {
			links = append(links, demoLink{fmt.Sprintf("content/post_%d.html", 3000000+i), benchAgency(i) + "2025年政府信息公开工作年度报告", "2026-01-27"})
		}
		next := ""
		if page < p.lists() {
			next = fmt.Sprintf("index_%d.html", page+1)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(nfcmsList("湛江市司法所", "信息公开年报", links, next))
		return
	case strings.HasPrefix(pth, benchColumn+"content/post_"):
		id, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(pth, benchColumn+"content/post_"), ".html"))
		i := id - 3000000
		if err != nil || i < 1 || i > p.n {
			http.NotFound(w, r)
			return
		}
		agency := benchAgency(i)
		body := seedPage(agency+"2025年政府信息公开工作年度报告", agency, []byte(strings.ReplaceAll(p.seed, "湛江市司法局", agency)))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// Last-Modified, and 304 to If-Modified-Since, like a real server.
		http.ServeContent(w, r, "", demoModTime, bytes.NewReader(body))
		return
	}
	http.NotFound(w, r)
}

// memPeak samples the Go runtime's memory every 10 ms until stopped and
// keeps the peaks of HeapInuse and Sys (all memory obtained from the OS).
type memPeak struct {
	stop           chan struct{}
	done           chan struct{}
	mu             sync.Mutex // protects heapInuse and sys
	heapInuse, sys uint64
}

func startMemPeak() *memPeak {
	m := &memPeak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			m.mu.Lock()
			m.heapInuse = max(m.heapInuse, ms.HeapInuse)
			m.sys = max(m.sys, ms.Sys)
			m.mu.Unlock()
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memPeak) end() (heapInuse, sys uint64) {
	close(m.stop)
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.heapInuse, m.sys
}

// BenchmarkCrawl crawls a local portal of 1,000 report pages (plus 50 list
// pages) with delay 0 and 8 requests in flight per host, parsing every
// report and storing captures, reports and crawl state in a fresh bbolt
// file (fsync on, as in production). It reports pages/s and the peak heap
// in use and peak memory obtained from the OS during the crawl (the
// in-process portal included).
//
//	go test -run '^$' -bench Crawl -benchtime 3x ./cmd/nianbao
func BenchmarkCrawl(b *testing.B) {
	b.Run("fsync", func(b *testing.B) { benchCrawl(b, &store.Options{}) })
	b.Run("nosync", func(b *testing.B) { benchCrawl(b, &store.Options{NoSync: true}) })
}

func benchCrawl(b *testing.B, sopts *store.Options) {
	const reports, perList = 1000, 20
	portal := newBenchPortal(b, reports, perList)
	srv := httptest.NewServer(portal)
	defer srv.Close()
	pages := reports + portal.lists()

	var totalPages int
	var elapsed, cpu time.Duration
	var peakHeap, peakSys uint64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := DefaultConfig()
		cfg.DB = filepath.Join(b.TempDir(), "bench.db")
		cfg.Delay = 0
		cfg.Parallelism = 8
		cfg.Sites = []SiteConfig{{Name: "湛江市司法所", Start: []string{srv.URL + benchColumn}}}
		runtime.GC()
		var out bytes.Buffer
		b.StartTimer()
		mp := startMemPeak()
		cpu0 := processCPU()
		start := time.Now()
		res, err := crawlSites(context.Background(), cfg, cfg.Sites, crawlOutput{stdout: &out, stderr: io.Discard, storeOptions: sopts})
		elapsed += time.Since(start)
		cpu += processCPU() - cpu0
		h, s := mp.end()
		b.StopTimer()
		if err != nil {
			b.Fatalf("crawl: %v\n%s", err, out.String())
		}
		st, r := res.Sites[0].Stats, res.Sites[0].Reports
		if got := st.Lists + st.Reports; got != pages || r.New != reports {
			b.Fatalf("crawled %d pages and stored %d new reports, want %d and %d\n%s", got, r.New, pages, reports, out.String())
		}
		totalPages += pages
		peakHeap, peakSys = max(peakHeap, h), max(peakSys, s)
	}
	b.ReportMetric(float64(totalPages)/elapsed.Seconds(), "pages/s")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(totalPages), "cpu-ms/page")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peakSys)/(1<<20), "peak-sys-MB")
}

// processCPU is the user+system CPU time of the process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestServeBenchPortal serves the benchmark portal for measuring the
// nianbao binary itself (pages/s and peak RSS with /usr/bin/time -v) when
// NIANBAO_BENCH_PORTAL=ADDR is set; it writes a matching config to
// NIANBAO_BENCH_CONFIG (default nianbao-bench.yaml in the temporary
// directory) and serves for
// NIANBAO_BENCH_SERVE (default 2m):
//
//	NIANBAO_BENCH_PORTAL=127.0.0.1:38200 go test ./cmd/nianbao -run TestServeBenchPortal &
//	/usr/bin/time -v nianbao crawl --config /tmp/nianbao-bench.yaml --db /tmp/bench.db
func TestServeBenchPortal(t *testing.T) {
	addr := os.Getenv("NIANBAO_BENCH_PORTAL")
	if addr == "" {
		t.Skip("set NIANBAO_BENCH_PORTAL=127.0.0.1:PORT to serve the benchmark portal")
	}
	cfgPath := cmp.Or(os.Getenv("NIANBAO_BENCH_CONFIG"), filepath.Join(os.TempDir(), "nianbao-bench.yaml"))
	serve, err := time.ParseDuration(cmp.Or(os.Getenv("NIANBAO_BENCH_SERVE"), "2m"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("db: %s\ndelay: 0s\nparallelism: 8\nsites:\n  - name: 湛江市司法所\n    start: [\"http://%s%s\"]\n", filepath.Join(os.TempDir(), "nianbao-bench.db"), ln.Addr(), benchColumn)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: newBenchPortal(t, 1000, 20)}
	go func() {
		time.Sleep(serve)
		srv.Close()
	}()
	t.Logf("serving 1000 reports + 50 list pages at http://%s%s; config %s", ln.Addr(), benchColumn, cfgPath)
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		t.Fatal(err)
	}
}
