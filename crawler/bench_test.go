package crawler

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"
)

// benchPortal serves a column of n report pages (real fixture pages, each
// made unique) on list pages of 20 links with TRS createPageHTML pagination.
func benchPortal(b *testing.B, n int, nextLinks bool) *portal {
	_, pages := realPages(b)
	p := newPortal(b)
	p.mux.HandleFunc("/nb/content/", func(w http.ResponseWriter, r *http.Request) {
		var i int
		fmt.Sscanf(r.URL.Path, "/nb/content/post_%d.html", &i)
		page := pages[i%len(pages)]
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, i))
		// Unique bodies: the page with a per-report comment.
		cut := bytes.LastIndex(page, []byte("</html>"))
		if cut < 0 {
			cut = len(page)
		}
		w.Write(page[:cut])
		fmt.Fprintf(w, "<!-- post %d --></html>", i)
	})
	const per = 20
	lists := (n + per - 1) / per
	p.mux.HandleFunc("/nb/", func(w http.ResponseWriter, r *http.Request) {
		page := 1
		fmt.Sscanf(r.URL.Path, "/nb/index_%d.html", &page)
		var links [][2]string
		for i := (page - 1) * per; i < page*per && i < n; i++ {
			links = append(links, [2]string{fmt.Sprintf("content/post_%d.html", i), fmt.Sprintf("第%d局%d年政府信息公开工作年度报告", i, 2019+i%6)})
		}
		tail := fmt.Sprintf(`<div id="page_div"></div><script>createPageHTML('page_div',%d,%d,'index','html',%d);</script>`, lists, page, n)
		if nextLinks {
			tail = ""
			if page < lists {
				tail = fmt.Sprintf(`<div class="page"><a href="index_%d.html">下一页</a></div>`, page+1)
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, listPage("政府信息公开年报", links, tail))
	})
	return p
}

// BenchmarkCrawler_Fetch crawls a local portal of 1,000 report pages (real
// fixture HTML, 136–264 KB each) plus 50 list pages, with delay 0 and 8
// requests in flight per host, delivering every page to a sink that only
// counts. It reports pages/s and the peak live heap. The list pages are
// chained either by createPageHTML (all pages known from the first) or by
// plain 下一页 links (one after the other).
func BenchmarkCrawler_Fetch(b *testing.B) {
	b.Run("CreatePageHTML", func(b *testing.B) { benchFetch(b, false) })
	b.Run("NextLinks", func(b *testing.B) { benchFetch(b, true) })
}

func benchFetch(b *testing.B, nextLinks bool) {
	const n = 1000
	p := benchPortal(b, n, nextLinks)
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				metrics.Read(s)
				if v := s[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	b.ResetTimer()
	cpu0 := processCPU()
	var pagesTotal int
	var bytesTotal int64
	for b.Loop() {
		opts := Options{UserAgent: "nianbao-bench/1.0", Parallelism: 8, Delay: 0, Retries: 1, State: NewMemState()}
		var docs atomic.Int64
		sink := SinkFunc(func(ctx context.Context, d Document) error { docs.Add(1); return nil })
		st, err := New(opts).Fetch(context.Background(), Site{Name: "bench", Start: []string{p.url("/nb/")}}, sink)
		if err != nil {
			b.Fatal(err)
		}
		if st.Reports != n || st.Lists != n/20 {
			b.Fatalf("reports %d lists %d", st.Reports, st.Lists)
		}
		pagesTotal += st.Reports + st.Lists
		bytesTotal += st.Bytes
	}
	elapsed := b.Elapsed()
	cpu := processCPU() - cpu0
	close(stop)
	<-done
	b.ReportMetric(float64(pagesTotal)/elapsed.Seconds(), "pages/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(bytesTotal)/elapsed.Seconds()/(1<<20), "MB/s")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(pagesTotal), "cpu-ms/page")
}

// BenchmarkCrawler_Fetch_SlowSink crawls 300 report pages (plus 15 list
// pages) with delay 0 and parallelism 2 into a sink that takes 10 ms per
// document without using a core (a group commit's fsync, a parse waiting
// for a core). Before issue 11 a document held its place among the site's
// requests (parallelism × 2) while the sink worked, so the sink set the
// pace: at most 4 documents per 10 ms. The fetching now goes on while up to
// MaxDocuments documents are in the sink.
//
//	go test ./crawler -run '^$' -bench Fetch_SlowSink -benchtime 3x
func BenchmarkCrawler_Fetch_SlowSink(b *testing.B) {
	const n = 300
	p := benchPortal(b, n, false)
	var pagesTotal int
	for b.Loop() {
		opts := Options{UserAgent: "nianbao-bench/1.0", Parallelism: 2, Delay: 0, Retries: 1, State: NewMemState()}
		sink := SinkFunc(func(ctx context.Context, d Document) error { time.Sleep(10 * time.Millisecond); return nil })
		st, err := New(opts).Fetch(context.Background(), Site{Name: "bench", Start: []string{p.url("/nb/")}}, sink)
		if err != nil {
			b.Fatal(err)
		}
		if st.Reports != n || st.Lists != n/20 {
			b.Fatalf("reports %d lists %d", st.Reports, st.Lists)
		}
		pagesTotal += st.Reports + st.Lists
	}
	b.ReportMetric(float64(pagesTotal)/b.Elapsed().Seconds(), "pages/s")
}
