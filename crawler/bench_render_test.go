package crawler

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkCrawler_Render compares a rendered page with a plain one: one
// column of 20 real report pages (../parser/testdata/pingtan-*.html, 136–264
// KB each) crawled plainly, then with Render set (every page, list and
// reports, rendered in the browser after its plain fetch). The browser is
// started before the timer. ns/page is the wall time per page (list and
// reports) at the default 2 tabs and 4 requests per host; browser-peak-MB is
// the peak of the summed RSS of the Chromium processes (the browser and its
// children, read from /proc every 20 ms), which counts the pages they share
// once per process; browser-peak-PSS-MB is the peak of their summed PSS
// (shared pages divided among the processes), the memory they really take.
//
//	go test ./crawler -run XXX -bench Render -benchtime 3x
func BenchmarkCrawler_Render(b *testing.B) {
	_, pages := realPages(b)
	const n = 20
	p := newPortal(b)
	p.mux.HandleFunc("/nb/content/", func(w http.ResponseWriter, r *http.Request) {
		var i int
		fmt.Sscanf(r.URL.Path, "/nb/content/post_%d.html", &i)
		page := pages[i%len(pages)]
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		cut := bytes.LastIndex(page, []byte("</html>"))
		if cut < 0 {
			cut = len(page)
		}
		w.Write(page[:cut])
		fmt.Fprintf(w, "<!-- post %d --></html>", i)
	})
	var links [][2]string
	for i := 0; i < n; i++ {
		links = append(links, [2]string{fmt.Sprintf("content/post_%d.html", i), fmt.Sprintf("第%d局%d年政府信息公开工作年度报告", i, 2019+i%6)})
	}
	p.html("/nb/", listPage("信息公开年报", links, ""))

	for _, mode := range []struct {
		name   string
		render bool
	}{{"Plain", false}, {"Rendered", true}} {
		b.Run(mode.name, func(b *testing.B) {
			o := testOptions(nil)
			if mode.render {
				o.Browser = chromiumPath(b)
			}
			c := New(o)
			defer c.Close()
			site := Site{Name: "bench", Start: []string{p.url("/nb/")}, Render: mode.render}
			fetch := func() Stats {
				st, err := c.Fetch(context.Background(), site, SinkFunc(func(context.Context, Document) error { return nil }))
				if err != nil {
					b.Fatal(err)
				}
				if st.Reports != n {
					b.Fatalf("reports %d, want %d", st.Reports, n)
				}
				return st
			}
			var peak, peakPSS atomic.Int64
			stop, done := make(chan struct{}), make(chan struct{})
			if mode.render {
				fetch() // starts the browser
				go func() {
					defer close(done)
					t := time.NewTicker(20 * time.Millisecond)
					defer t.Stop()
					for {
						select {
						case <-stop:
							return
						case <-t.C:
							rss, pss := processTreeMemory(c.browser.processID())
							if rss > peak.Load() {
								peak.Store(rss)
							}
							if pss > peakPSS.Load() {
								peakPSS.Store(pss)
							}
						}
					}
				}()
			} else {
				close(done)
			}
			pagesTotal, rendered := 0, 0
			b.ResetTimer()
			for b.Loop() {
				st := fetch()
				pagesTotal += st.Lists + st.Reports
				rendered += st.Rendered
			}
			elapsed := b.Elapsed()
			close(stop)
			<-done
			if mode.render && rendered != pagesTotal {
				b.Fatalf("rendered %d of %d pages", rendered, pagesTotal)
			}
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(pagesTotal), "ns/page")
			if mode.render {
				b.ReportMetric(float64(peak.Load())/(1<<20), "browser-peak-MB")
				b.ReportMetric(float64(peakPSS.Load())/(1<<20), "browser-peak-PSS-MB")
			}
		})
	}
}

// processTreeMemory returns the summed resident set size (VmRSS of
// /proc/PID/status) and proportional set size (Pss of
// /proc/PID/smaps_rollup) in bytes of pid and all its descendants; zeros
// where there is no /proc.
func processTreeMemory(pid int) (rss, pss int64) {
	if pid <= 0 {
		return 0, 0
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, 0
	}
	parent := map[int]int{}
	for _, e := range entries {
		id, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 {
			parent[id], _ = strconv.Atoi(f[1])
		}
	}
	in := func(id int) bool {
		for n := 0; id > 1 && n < 64; n++ {
			if id == pid {
				return true
			}
			id = parent[id]
		}
		return false
	}
	for id := range parent {
		if !in(id) {
			continue
		}
		rss += procField(filepath.Join("/proc", strconv.Itoa(id), "status"), "VmRSS:")
		pss += procField(filepath.Join("/proc", strconv.Itoa(id), "smaps_rollup"), "Pss:")
	}
	return rss, pss
}

// procField reads a "Name:  123 kB" line of a /proc file, in bytes.
func procField(file, name string) int64 {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
