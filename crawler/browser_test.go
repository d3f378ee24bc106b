package crawler

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// chromiumPath returns the Chromium to render with. The browser tests run
// in CI (.ci/run installs chromium): there a missing browser fails the
// test; on a developer machine without one they are skipped, saying so.
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI is set: .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium): skipping the browser tests")
	return ""
}

// browserOptions are testOptions with a browser.
func browserOptions(t testing.TB, st State) Options {
	o := testOptions(st)
	o.Browser = chromiumPath(t)
	o.RenderTimeout = 20 * time.Second
	return o
}

// newBrowserCrawler returns a Crawler with a browser, closed at the end of
// the test.
func newBrowserCrawler(t testing.TB, o Options) *Crawler {
	c := New(o)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// guard checks what a portal is asked: every request must carry the
// crawler's User-Agent and stay out of robots.txt's Disallow.
type guard struct {
	ua, disallow string
	mu           sync.Mutex // protects bad
	bad          []string
}

func (g *guard) wrap(p *portal) {
	inner := p.mux
	p.mux = http.NewServeMux()
	p.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/robots.txt" && (r.UserAgent() != g.ua || (g.disallow != "" && strings.HasPrefix(r.URL.Path, g.disallow))) {
			g.mu.Lock()
			g.bad = append(g.bad, fmt.Sprintf("%s (User-Agent %q)", r.URL.RequestURI(), r.UserAgent()))
			g.mu.Unlock()
		}
		inner.ServeHTTP(w, r)
	})
	inner.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "User-agent: *\nDisallow: %s\n", g.disallow)
	})
}

func (g *guard) check(t *testing.T) {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, b := range g.bad {
		t.Errorf("request breaks the rules: %s", b)
	}
}

// rsAnswer is the cookie the challenge script computes from the server's
// seed cookie: the same hash in Go and in JavaScript.
func rsAnswer(seed string) string {
	h := 0
	for _, c := range []byte(seed) {
		h = (h*131 + int(c)) % 1000000007
	}
	return fmt.Sprint(h)
}

func TestCrawler_Fetch_ChallengePassedInBrowser(t *testing.T) {
	opts := browserOptions(t, nil)
	p := newPortal(t)
	off := newPortal(t) // another host (localhost): nothing may be fetched from it
	off.html("/cdn/jquery.min.js", `window.jQuery = 1;`)
	g := &guard{ua: opts.UserAgent, disallow: "/private/"}

	const seed = "c2VlZC1mb3ItdGhpcy10ZXN0"
	var challenges, withCookie atomic.Int32
	// 瑞数-style: without the answer cookie every page is a 412 with a
	// seed cookie and a script that computes the answer and reloads.
	gate := func(next func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if c, err := r.Cookie("FSSBBIl1UgzbN7N80T"); err == nil && c.Value == rsAnswer(seed) {
				withCookie.Add(1)
				next(w, r)
				return
			}
			challenges.Add(1)
			w.Header().Set("Set-Cookie", "FSSBBIl1UgzbN7N80S="+seed+"; Path=/")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusPreconditionFailed)
			fmt.Fprint(w, `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><script type="text/javascript">$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=84031;$_ts.cd="qEcqrAAlrWqxWqWqW";</script><script type="text/javascript" r='m' charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js"></script></head><body></body></html>`)
		}
	}
	p.mux.HandleFunc("/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		fmt.Fprint(w, `(function(){
  var m = document.cookie.match(/FSSBBIl1UgzbN7N80S=([^;]+)/);
  if (!m) { return; }
  var s = m[1], h = 0;
  for (var i = 0; i < s.length; i++) { h = (h * 131 + s.charCodeAt(i)) % 1000000007; }
  document.cookie = 'FSSBBIl1UgzbN7N80T=' + h + '; path=/';
  location.reload();
})();`)
	})
	var list strings.Builder
	list.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报</title>
<script src="/private/track.js"></script><script src="` + strings.Replace(off.url("/cdn/jquery.min.js"), "127.0.0.1", "localhost", 1) + `"></script>
<link rel="stylesheet" href="/css/main.css"></head><body><img src="/img/banner.png"><ul class="list">`)
	var reports []string
	for y := 2019; y <= 2023; y++ {
		path := fmt.Sprintf("/nb/%d.html", y)
		reports = append(reports, path)
		fmt.Fprintf(&list, `<li><a href="%s">平潭县%d年政府信息公开工作年度报告</a><span>%d-01-20</span></li>`, path, y, y+1)
		page := []byte(reportPage(fmt.Sprintf("平潭县%d年政府信息公开工作年度报告", y), ""))
		p.mux.HandleFunc(path, gate(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(page)
		}))
	}
	list.WriteString(`</ul></body></html>`)
	p.mux.HandleFunc("/nb/", gate(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, list.String())
	}))
	for _, path := range []string{"/private/track.js", "/css/main.css", "/img/banner.png"} {
		p.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "/* */") })
	}
	g.wrap(p)

	var sink collect
	c := newBrowserCrawler(t, opts)
	st := mustFetch(t, c, Site{Name: "平潭县", Start: []string{p.url("/nb/")}}, &sink)
	if st.Reports != len(reports) || st.Failed != 0 {
		t.Errorf("reports %d, failed %d (%v), want %d, 0", st.Reports, st.Failed, st.Failures, len(reports))
	}
	if st.Rendered != 1 || st.Challenges != 1 {
		t.Errorf("rendered %d, challenges passed %d, want 1, 1", st.Rendered, st.Challenges)
	}
	// One challenge: the browser passed it, and the plain client fetched
	// every report with the cookie it earned.
	if n := challenges.Load(); n != 1 {
		t.Errorf("challenges served = %d, want 1", n)
	}
	if n := withCookie.Load(); n != int32(1+len(reports)) {
		t.Errorf("pages served with the cookie = %d, want %d", n, 1+len(reports))
	}
	for _, r := range reports {
		if n := p.hit(r); n != 1 {
			t.Errorf("%s requested %d times, want 1", r, n)
		}
	}
	for _, u := range []string{"/private/track.js", "/css/main.css", "/img/banner.png"} {
		if n := p.hit(u); n != 0 {
			t.Errorf("%s requested %d times, want 0", u, n)
		}
	}
	if n := off.hit("/cdn/jquery.min.js"); n != 0 {
		t.Errorf("another host was asked %d times", n)
	}
	g.check(t)
	d := sink.byURL()[p.url("/nb/")]
	if !d.Rendered || d.Status != 200 || !strings.Contains(string(d.Raw), "<ul class=\"list\">") || d.Charset != "utf-8" ||
		!strings.Contains(string(d.Body), "平潭县2023年政府信息公开工作年度报告") {
		t.Errorf("list document: rendered %v status %d charset %q raw %d bytes", d.Rendered, d.Status, d.Charset, len(d.Raw))
	}
	if r := sink.byURL()[p.url("/nb/2023.html")]; r.Rendered || r.Raw != nil {
		t.Errorf("a report fetched plainly is marked rendered")
	}
}

func TestCrawler_Fetch_ChallengeWithoutBrowser(t *testing.T) {
	// Without a browser the same challenge stays a failure, as before.
	p := newPortal(t)
	p.mux.HandleFunc("/nb/", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusPreconditionFailed)
		fmt.Fprint(w, `<html><script>$_ts=window['$_ts'];$_ts.nsd=1;</script></html>`)
	})
	st, err := New(testOptions(nil)).Fetch(context.Background(), Site{Name: "x", Start: []string{p.url("/nb/")}}, &collect{})
	if err == nil || st.Failures["blocked: ruishu"] != 1 || st.Rendered != 0 {
		t.Errorf("err %v, failures %v, rendered %d", err, st.Failures, st.Rendered)
	}
}
