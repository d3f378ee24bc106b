package crawler

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// portal is an httptest government portal. It counts requests per path (with
// query) and full body downloads, and the peak number of requests in flight.
type portal struct {
	t   testing.TB
	srv *httptest.Server
	mux *http.ServeMux

	mu     sync.Mutex     // protects hits and bodies
	hits   map[string]int // RequestURI → requests
	bodies map[string]int // RequestURI → 200 responses served by serveDoc

	inflight atomic.Int32
	peak     atomic.Int32
	delay    time.Duration // added to every response, to expose concurrency
}

func newPortal(t testing.TB) *portal {
	t.Helper()
	p := &portal{t: t, mux: http.NewServeMux(), hits: map[string]int{}, bodies: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := p.inflight.Add(1)
		defer p.inflight.Add(-1)
		for {
			old := p.peak.Load()
			if n <= old || p.peak.CompareAndSwap(old, n) {
				break
			}
		}
		p.mu.Lock()
		p.hits[r.URL.RequestURI()]++
		p.mu.Unlock()
		if p.delay > 0 {
			time.Sleep(p.delay)
		}
		p.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// url returns the absolute URL of a path on the portal.
func (p *portal) url(path string) string { return p.srv.URL + path }

// hit returns how often a RequestURI was requested.
func (p *portal) hit(uri string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[uri]
}

// totalBodies returns the number of full bodies served under a path prefix.
func (p *portal) totalBodies(prefix string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k, v := range p.bodies {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

// html serves a fixed UTF-8 HTML page at path.
func (p *portal) html(path, body string) {
	p.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	})
}

// doc serves a document with an ETag and Last-Modified, honouring
// conditional requests; body() is read on each request so tests can change
// it.
func (p *portal) doc(path, ctype string, body func() []byte) {
	p.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		b := body()
		etag := fmt.Sprintf(`"%x"`, sha256.Sum256(b))[:18] + `"`
		lm := time.Date(2025, 1, 20, 8, 0, 0, 0, time.UTC).Format(http.TimeFormat)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lm)
		p.mu.Lock()
		p.bodies[r.URL.RequestURI()]++
		p.mu.Unlock()
		w.Write(b)
	})
}

// report serves a report page at path, titled title.
func (p *portal) report(path, title string) {
	body := []byte(reportPage(title, ""))
	p.doc(path, "text/html; charset=utf-8", func() []byte { return body })
}

// reportPage renders a report page shaped like a NFCMS channel article.
func reportPage(title, extra string) string {
	return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>` + title + `</title>
<meta name="ArticleTitle" content="` + title + `"><meta name="PubDate" content="2025-01-20 08:58">
</head><body><div class="breadcrumb">首页 &gt; 政务公开 &gt; 信息公开年报</div>
<h1>` + title + `</h1><div class="info">时间: 2025-01-20 来源: 本机关</div>
<div class="content"><p>一、总体情况</p><p>本年度，本机关认真贯彻落实《中华人民共和国政府信息公开条例》。</p>
<table border="1"><tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
<tr><td>规章</td><td>3</td><td>1</td><td>27</td></tr><tr><td>行政规范性文件</td><td>12</td><td>4</td><td>156</td></tr></table>
` + extra + `</div></body></html>`
}

// listPage renders a column page: report links in <li> with dates, and
// trailing HTML (pagination).
func listPage(title string, links [][2]string, tail string) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>` + title + `</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/zwgk/">政务公开</a> <a href="https://www.gov.cn/">中国政府网</a></div><ul class="list">`)
	for i, l := range links {
		fmt.Fprintf(&b, `<li><a href="%s" title="%s" target="_blank">%s</a><span>2025-01-%02d</span></li>`+"\n", l[0], l[1], l[1], 10+i%15)
	}
	b.WriteString(`</ul>` + tail + `</body></html>`)
	return b.String()
}

// collect is a Sink that keeps the documents (bodies included).
type collect struct {
	mu   sync.Mutex // protects docs
	docs []Document
	// after, when set, is called after each document with the count so far.
	after func(n int)
}

func (c *collect) Handle(_ context.Context, d Document) error {
	c.mu.Lock()
	c.docs = append(c.docs, d)
	n := len(c.docs)
	c.mu.Unlock()
	if c.after != nil {
		c.after(n)
	}
	return nil
}

// byURL returns the documents by URL.
func (c *collect) byURL() map[string]Document {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]Document{}
	for _, d := range c.docs {
		m[d.URL] = d
	}
	return m
}

// kinds counts the documents per kind.
func (c *collect) kinds() map[Kind]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[Kind]int{}
	for _, d := range c.docs {
		m[d.Kind]++
	}
	return m
}

// testOptions are fast options for httptest portals.
func testOptions(st State) Options {
	return Options{
		UserAgent:    "nianbao-test/1.0 (+mailto:test@example.org)",
		Parallelism:  4,
		Timeout:      5 * time.Second,
		Retries:      2,
		RetryBackoff: time.Millisecond,
		MaxRetryWait: 20 * time.Millisecond,
		State:        st,
	}
}

// mustFetch runs one Fetch and fails the test on an error.
func mustFetch(t *testing.T, c *Crawler, site Site, sink Sink) Stats {
	t.Helper()
	st, err := c.Fetch(context.Background(), site, sink)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return st
}
