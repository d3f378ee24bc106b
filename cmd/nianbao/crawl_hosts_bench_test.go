package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// manyHosts is a portal of n hosts, each its own httptest server on its
// own loopback address (127.0.0.2, 127.0.0.3, …: Linux routes all of
// 127.0.0.0/8 to the loopback interface), each serving a robots.txt, one
// list page and perHost report pages. A report is the real 湛江市司法局
// 2025 report renamed to an organ of its own, so every page is a distinct
// (agency, year) with all its cells. The servers count, over all hosts,
// the requests being handled and the connections open, and record every
// request's arrival time per host.
type manyHosts struct {
	perHost int
	seed    string
	servers []*httptest.Server

	mu       sync.Mutex // protects the fields below
	inflight int
	conns    int
	peakReq  int
	peakConn int
	arrivals map[string][]time.Time // host → arrival times
}

const manyHostsColumn = "/zwgk/xxgknb/"

// newManyHosts starts n hosts; it skips the benchmark when the loopback
// addresses beyond 127.0.0.1 cannot be bound (not Linux).
func newManyHosts(tb testing.TB, n, perHost int) *manyHosts {
	tb.Helper()
	seed, err := demodata.ReadFile("demodata/zhanjiang-sifaju-2025.txt")
	if err != nil {
		tb.Fatal(err)
	}
	m := &manyHosts{perHost: perHost, seed: string(seed), arrivals: map[string][]time.Time{}}
	for i := range n {
		ip := net.IPv4(127, 0, byte((i+2)>>8), byte((i+2)&0xff))
		ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
		if err != nil {
			tb.Skipf("cannot listen on %s (this benchmark needs the whole of 127.0.0.0/8 on loopback, as on Linux): %v", ip, err)
		}
		host := i
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { m.serve(host, w, r) }))
		srv.Listener.Close()
		srv.Listener = ln
		srv.Config.ConnState = m.connState
		srv.Start()
		tb.Cleanup(srv.Close)
		m.servers = append(m.servers, srv)
	}
	return m
}

func manyHostsAgency(host, j int) string {
	return fmt.Sprintf("湛江市第%d区第%d司法所", host+1, j+1)
}

func (m *manyHosts) connState(_ net.Conn, s http.ConnState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch s {
	case http.StateNew:
		m.conns++
		m.peakConn = max(m.peakConn, m.conns)
	case http.StateClosed, http.StateHijacked:
		m.conns--
	}
}

func (m *manyHosts) serve(host int, w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.inflight++
	m.peakReq = max(m.peakReq, m.inflight)
	h, _, _ := net.SplitHostPort(r.Host)
	m.arrivals[h] = append(m.arrivals[h], time.Now())
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.inflight--
		m.mu.Unlock()
	}()
	switch p := r.URL.Path; {
	case p == "/robots.txt":
		_, _ = io.WriteString(w, "User-agent: *\nDisallow: /admin/\n")
	case p == manyHostsColumn:
		var links []demoLink
		for j := range m.perHost {
			links = append(links, demoLink{fmt.Sprintf("content/post_%d.html", j+1), manyHostsAgency(host, j) + "2025年政府信息公开工作年度报告", "2026-01-27"})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(nfcmsList(manyHostsAgency(host, 0), "信息公开年报", links, ""))
	case strings.HasPrefix(p, manyHostsColumn+"content/post_"):
		j, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(p, manyHostsColumn+"content/post_"), ".html"))
		if err != nil || j < 1 || j > m.perHost {
			http.NotFound(w, r)
			return
		}
		agency := manyHostsAgency(host, j-1)
		body := seedPage(agency+"2025年政府信息公开工作年度报告", agency, []byte(strings.ReplaceAll(m.seed, "湛江市司法局", agency)))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, "", demoModTime, bytes.NewReader(body))
	default:
		http.NotFound(w, r)
	}
}

// reset forgets the counts and times of an earlier crawl.
func (m *manyHosts) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.peakReq, m.peakConn = 0, m.conns
	m.arrivals = map[string][]time.Time{}
}

// politeness returns the politeness bound of the requests recorded: the
// largest (requests − 1) × delay over the hosts, the least time a crawl
// that never sends two requests to one host closer than delay can take;
// the smallest gap seen between two requests to one host, and how many
// gaps were under delay; and the longest span from a host's first request
// to its last.
func (m *manyHosts) politeness(delay time.Duration) (bound, minGap, maxSpan time.Duration, requests, under int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	minGap = time.Hour
	for _, ts := range m.arrivals {
		requests += len(ts)
		bound = max(bound, time.Duration(len(ts)-1)*delay)
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
		for i := 1; i < len(ts); i++ {
			minGap = min(minGap, ts[i].Sub(ts[i-1]))
			if ts[i].Sub(ts[i-1]) < delay {
				under++
			}
		}
		maxSpan = max(maxSpan, ts[len(ts)-1].Sub(ts[0]))
	}
	return bound, minGap, maxSpan, requests, under
}

// BenchmarkCrawl_Hosts crawls 300 hosts × 4 reports (each host its own
// loopback address, a robots.txt, a list page and 4 report pages) with
// the default config (delay 1s, jittered by up to half of it), parsing and
// storing every report in a fresh bbolt file. It reports the crawl's time
// over the politeness bound (the largest (requests − 1) × delay of a
// host: 5 s here, robots.txt included), the smallest gap between two
// requests to one host seen by the servers, the longest time from a
// host's first request to its last (with the default jitter each gap is
// 1–1.5 s, so the slowest of 300 hosts needs about 7 s), the peaks of
// requests being
// handled and of connections open over all servers, the crawler's own
// peaks of requests in flight, documents in hand and connections open
// (the servers see a connection closed a moment after the crawler dialled
// the next one, so they may count a few more), and the peak heap, Sys and
// resident set of the process (the 300 servers included).
//
//	go test -run '^$' -bench 'Crawl_Hosts' -benchtime 1x ./cmd/nianbao
func BenchmarkCrawl_Hosts(b *testing.B) {
	const hosts, perHost = 300, 4
	m := newManyHosts(b, hosts, perHost)
	var ratio, elapsedSum float64
	var minGap, maxSpan time.Duration = time.Hour, 0
	gapsUnder := 0
	var peakReq, peakConn, crawlerInFlight, crawlerDocs, crawlerConns int
	var peakHeap, peakSys, peakRSS uint64
	for range b.N {
		b.StopTimer()
		cfg := DefaultConfig()
		cfg.DB = filepath.Join(b.TempDir(), "hosts.db")
		for i, srv := range m.servers {
			cfg.Sites = append(cfg.Sites, SiteConfig{Name: fmt.Sprintf("湛江市第%d区司法局", i+1), Start: []string{srv.URL + manyHostsColumn}})
		}
		m.reset()
		runtime.GC()
		rssMeasured := resetPeakRSS()
		var out bytes.Buffer
		b.StartTimer()
		mp := startMemPeak()
		start := time.Now()
		res, err := crawlSites(context.Background(), cfg, cfg.Sites, crawlOutput{stdout: &out, stderr: io.Discard})
		elapsed := time.Since(start)
		h, s := mp.end()
		b.StopTimer()
		if err != nil {
			b.Fatalf("crawl: %v\n%s", err, out.String())
		}
		stored := 0
		for _, s := range res.Sites {
			stored += s.Reports.New
		}
		if stored != hosts*perHost {
			b.Fatalf("stored %d new reports, want %d\n%s", stored, hosts*perHost, out.String())
		}
		bound, gap, span, requests, under := m.politeness(cfg.Delay.D())
		if want := hosts * (perHost + 2); requests != want {
			b.Fatalf("%d requests, want %d (robots.txt, list and reports of every host)", requests, want)
		}
		ratio += elapsed.Seconds() / bound.Seconds()
		elapsedSum += elapsed.Seconds()
		minGap = min(minGap, gap)
		maxSpan = max(maxSpan, span)
		gapsUnder += under
		m.mu.Lock()
		peakReq, peakConn = max(peakReq, m.peakReq), max(peakConn, m.peakConn)
		m.mu.Unlock()
		crawlerInFlight = max(crawlerInFlight, res.Hosts.PeakInFlight)
		crawlerDocs = max(crawlerDocs, res.Hosts.PeakDocuments)
		crawlerConns = max(crawlerConns, res.Hosts.PeakConnections)
		peakHeap, peakSys = max(peakHeap, h), max(peakSys, s)
		if rss, ok := peakRSSBytes(); ok && rssMeasured {
			peakRSS = max(peakRSS, rss)
		}
	}
	b.ReportMetric(elapsedSum/float64(b.N), "s/crawl")
	b.ReportMetric(ratio/float64(b.N), "x-bound")
	b.ReportMetric(float64(minGap.Microseconds())/1000, "min-gap-ms")
	b.ReportMetric(maxSpan.Seconds(), "max-host-span-s")
	b.ReportMetric(float64(gapsUnder)/float64(b.N), "gaps-under-delay")
	b.ReportMetric(float64(peakReq), "peak-requests")
	b.ReportMetric(float64(peakConn), "peak-conns")
	b.ReportMetric(float64(crawlerInFlight), "crawler-peak-in-flight")
	b.ReportMetric(float64(crawlerDocs), "crawler-peak-docs")
	b.ReportMetric(float64(crawlerConns), "crawler-peak-conns")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peakSys)/(1<<20), "peak-sys-MB")
	if peakRSS > 0 {
		b.ReportMetric(float64(peakRSS)/(1<<20), "peak-rss-MB")
	}
}
