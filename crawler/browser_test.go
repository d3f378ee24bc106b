package crawler

import (
	"context"
	"fmt"
	"log/slog"
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
	if os.Getenv("NIANBAO_DEBUG") != "" {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
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
// crawler's User-Agent, stay out of robots.txt's Disallow, and come from
// the crawler's client, never from Chromium's own network stack (which
// sends Sec-Fetch-* headers the crawler does not forward).
type guard struct {
	ua, disallow string
	mu           sync.Mutex // protects bad
	bad          []string
}

func (g *guard) wrap(p *portal) {
	inner := p.mux
	p.mux = http.NewServeMux()
	p.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-Fetch-Mode") != "" || r.Header.Get("Sec-Fetch-Dest") != "" ||
			(r.URL.Path != "/robots.txt" && (r.UserAgent() != g.ua || (g.disallow != "" && strings.HasPrefix(r.URL.Path, g.disallow)))) {
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

// apiRecord is one record of a list API.
type apiRecord struct{ title, url, date string }

// records makes n report records under dir, every fifth a 解读 (which must
// not be fetched); it also serves the report pages on p.
func records(p *portal, dir, organ string, n int) (recs []apiRecord, reports, excluded []string) {
	for i := 0; i < n; i++ {
		y := 2023 - i
		r := apiRecord{title: fmt.Sprintf("%s%d年政府信息公开工作年度报告", organ, y), url: fmt.Sprintf("%s%d/t%d0120_%d.html", dir, y+1, y+1, i),
			date: fmt.Sprintf("%d-01-20", y+1)}
		if i%5 == 4 {
			r.title = "《" + r.title + "》解读"
			excluded = append(excluded, r.url)
		} else {
			reports = append(reports, r.url)
		}
		p.report(r.url, r.title)
		recs = append(recs, r)
	}
	return recs, reports, excluded
}

// checkOnce checks that each report was requested once and nothing
// excluded was requested.
func checkOnce(t *testing.T, p *portal, reports, excluded []string) {
	t.Helper()
	for _, r := range reports {
		if n := p.hit(r); n != 1 {
			t.Errorf("report %s requested %d times, want 1", r, n)
		}
	}
	for _, r := range excluded {
		if n := p.hit(r); n != 0 {
			t.Errorf("excluded %s requested %d times", r, n)
		}
	}
}

// pageHits counts the requests of an API path by the value of its page
// parameter (query or form).
type pageHits struct {
	mu sync.Mutex // protects n
	n  map[string]int
}

func (h *pageHits) add(v string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == nil {
		h.n = map[string]int{}
	}
	h.n[v]++
}

func (h *pageHits) get() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for k, v := range h.n {
		out[k] = v
	}
	return out
}

func TestCrawler_Fetch_ScriptLists(t *testing.T) {
	opts := browserOptions(t, nil)
	c := newBrowserCrawler(t, opts)

	t.Run("TRSDynamicJSON", func(t *testing.T) {
		// TRS 动静结合: page 1 is static; the list script asks the search
		// API for the record count, and pages 2..N exist only in the API.
		p := newPortal(t)
		g := &guard{ua: opts.UserAgent, disallow: "/stat/"}
		const dir = "/xxgk/ndbg/"
		recs, reports, excluded := records(p, dir, "平潭综合实验区交通局", 10)
		const per = 3
		var static strings.Builder
		for _, r := range recs[:per] {
			fmt.Fprintf(&static, `<li><a href="%s" title="%s" target="_blank">%s</a><span>%s</span></li>`, r.url, r.title, r.title, r.date)
		}
		p.html(dir, `<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body>
<div class="list" id="list"><ul>`+static.String()+`</ul></div><div id="pagebar"></div>
<script src="/stat/visit.js"></script>
<script src="/js/list2.trsapi.js"></script>
<script>listModel({channelid:'56432', classsql:"chnlid=56432*docstatus=10", maxStaticIndex:1, pagebar:{prepage:3, recordCount:'10'}});</script>
</body></html>`)
		p.mux.HandleFunc("/js/list2.trsapi.js", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/javascript")
			fmt.Fprint(w, `function listModel(cfg) {
  function load(n, draw) {
    var xhr = new XMLHttpRequest();
    xhr.open('GET', '/trs/search?channelid=' + cfg.channelid + '&classsql=' + encodeURIComponent(cfg.classsql) +
      '&page=' + n + '&prepage=' + cfg.pagebar.prepage);
    xhr.onload = function () {
      var d = JSON.parse(xhr.responseText), bar = document.getElementById('pagebar'), html = '';
      for (var i = 1; i <= d.pageCount; i++) { html += '<a href="javascript:void(0)" data-page="' + i + '">' + i + '</a> '; }
      bar.innerHTML = html;
      if (draw) {
        var ul = document.querySelector('#list ul'); ul.innerHTML = '';
        d.datas.forEach(function (r) { var li = document.createElement('li'); li.innerHTML = '<a href="' + r.docpuburl + '">' + r.doctitle + '</a>'; ul.appendChild(li); });
      }
    };
    xhr.send();
  }
  load(1, false); // pages > maxStaticIndex are loaded on a click
  document.getElementById('pagebar').onclick = function (e) { var n = e.target.getAttribute('data-page'); if (n > cfg.maxStaticIndex) load(n, true); };
}`)
		})
		var hits pageHits
		p.mux.HandleFunc("/trs/search", func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("channelid") != "56432" || q.Get("classsql") != "chnlid=56432*docstatus=10" {
				http.Error(w, "bad query", http.StatusBadRequest)
				return
			}
			n := 0
			fmt.Sscan(q.Get("page"), &n)
			hits.add(q.Get("page"))
			var out []string
			for i := (n - 1) * per; i >= 0 && i < n*per && i < len(recs); i++ {
				out = append(out, fmt.Sprintf(`{"doctitle":%q,"docpuburl":%q,"docreltime":"%s 09:00:00"}`, recs[i].title, recs[i].url, recs[i].date))
			}
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			fmt.Fprintf(w, `{"recordCount":%d,"pageCount":%d,"page":%d,"datas":[%s]}`, len(recs), (len(recs)+per-1)/per, n, strings.Join(out, ","))
		})
		p.mux.HandleFunc("/stat/visit.js", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "var v = 1;") })
		g.wrap(p)
		var sink collect
		st := mustFetch(t, c, Site{Name: "平潭综合实验区交通局", Start: []string{p.url(dir)}}, &sink)
		if st.Reports != len(reports) || st.Rendered != 1 || st.Failed != 0 {
			t.Errorf("reports %d rendered %d failed %d %v, want %d, 1, 0", st.Reports, st.Rendered, st.Failed, st.Failures, len(reports))
		}
		checkOnce(t, p, reports, excluded)
		if got, want := hits.get(), map[string]int{"1": 1, "2": 1, "3": 1, "4": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("API pages requested %v, want %v", got, want)
		}
		if n := p.hit("/stat/visit.js"); n != 0 {
			t.Errorf("robots.txt-disallowed script requested %d times", n)
		}
		g.check(t)
		d := sink.byURL()[p.url(recs[7].url)]
		if d.LinkText != recs[7].title || d.Published != recs[7].date {
			t.Errorf("record 7: text %q published %q", d.LinkText, d.Published)
		}
	})

	t.Run("AvalonXMLPost", func(t *testing.T) {
		// An avalon template (ms-repeat) filled from an XML list service by
		// a POST with pageIndex in the form.
		p := newPortal(t)
		g := &guard{ua: opts.UserAgent}
		off := newPortal(t)
		recs, reports, excluded := records(p, "/bmnb/content/", "平潭综合实验区人社局", 10)
		beacon := strings.Replace(off.url("/collect"), "127.0.0.1", "localhost", 1)
		p.html("/bmnb/", `<!DOCTYPE html><html><head><meta charset="utf-8"><title>部门年报</title></head><body>
<div ms-controller="nblist"><ul><li ms-repeat="list"><a ms-attr-href="el.url" ms-attr-title="el.title">{{el.title}}</a><span>{{el.date}}</span></li></ul>
<div class="pager">{{page}}/{{pages}}</div></div>
<script src="/js/avalon.nb.js"></script></body></html>`)
		p.mux.HandleFunc("/js/avalon.nb.js", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/javascript")
			fmt.Fprint(w, `(function () {
  fetch('`+beacon+`', {method: 'POST', body: 'ping'}).catch(function () {});
  fetch('/gk/list.do', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'lmid=88&pageIndex=1&pageSize=4'})
    .then(function (r) { return r.text(); })
    .then(function (t) {
      var x = new DOMParser().parseFromString(t, 'application/xml'), ul = document.querySelector('[ms-controller] ul');
      ul.innerHTML = '';
      Array.prototype.forEach.call(x.getElementsByTagName('item'), function (it) {
        var a = document.createElement('a'), li = document.createElement('li');
        a.href = it.getElementsByTagName('url')[0].textContent; a.textContent = it.getElementsByTagName('title')[0].textContent;
        li.appendChild(a); ul.appendChild(li);
      });
    });
})();`)
		})
		var hits pageHits
		p.mux.HandleFunc("/gk/list.do", func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.FormValue("lmid") != "88" {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			n, per := 0, 0
			fmt.Sscan(r.FormValue("pageIndex"), &n)
			fmt.Sscan(r.FormValue("pageSize"), &per)
			hits.add(r.FormValue("pageIndex"))
			w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><result><total>%d</total><list>`, len(recs))
			for i := (n - 1) * per; i >= 0 && i < n*per && i < len(recs); i++ {
				fmt.Fprintf(w, `<item><title><![CDATA[%s]]></title><url>%s</url><date>%s</date></item>`, recs[i].title, recs[i].url, recs[i].date)
			}
			fmt.Fprint(w, `</list></result>`)
		})
		g.wrap(p)
		st := mustFetch(t, c, Site{Name: "平潭综合实验区人社局", Start: []string{p.url("/bmnb/")}}, &collect{})
		if st.Reports != len(reports) || st.Rendered != 1 || st.Failed != 0 {
			t.Errorf("reports %d rendered %d failed %d %v, want %d, 1, 0", st.Reports, st.Rendered, st.Failed, st.Failures, len(reports))
		}
		checkOnce(t, p, reports, excluded)
		if got, want := hits.get(), map[string]int{"1": 1, "2": 1, "3": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("API pages requested %v, want %v", got, want)
		}
		if n := off.hit("/collect"); n != 0 {
			t.Errorf("another host was asked %d times", n)
		}
		g.check(t)
	})

	t.Run("VueJSONGet", func(t *testing.T) {
		// A Vue list (v-for) filled from a JSON API with pageNo in the query;
		// dates are milliseconds.
		p := newPortal(t)
		g := &guard{ua: opts.UserAgent}
		recs, reports, excluded := records(p, "/zfnb/", "平潭综合实验区管委会", 12)
		p.html("/zfnb/", `<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府年报</title></head><body>
<div id="app"><ul><li v-for="item in list" :key="item.id"><a :href="item.url" target="_blank">{{ item.title }}</a><span>{{ item.publishTime | date }}</span></li></ul>
<el-pagination :total="total" :page-size="5"></el-pagination></div>
<script src="/js/vue-list.js"></script></body></html>`)
		p.mux.HandleFunc("/js/vue-list.js", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/javascript")
			fmt.Fprint(w, `fetch('/api/zfnb/list?pageNo=1&pageSize=5&_t=' + 1700000000000).then(function (r) { return r.json(); }).then(function (d) {
  var app = document.getElementById('app');
  app.innerHTML = '<ul>' + d.data.list.map(function (it) { return '<li><a href="' + it.url + '">' + it.title + '</a></li>'; }).join('') + '</ul>';
});`)
		})
		var hits pageHits
		p.mux.HandleFunc("/api/zfnb/list", func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			n, per := 0, 0
			fmt.Sscan(q.Get("pageNo"), &n)
			fmt.Sscan(q.Get("pageSize"), &per)
			hits.add(q.Get("pageNo"))
			var out []string
			for i := (n - 1) * per; i >= 0 && i < n*per && i < len(recs); i++ {
				out = append(out, fmt.Sprintf(`{"id":%d,"title":%q,"url":%q,"publishTime":%d,"coverImgUrl":"/img/%d.png"}`,
					i, recs[i].title, recs[i].url, time.Date(2024-i, 1, 20, 8, 0, 0, 0, time.UTC).UnixMilli(), i))
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"code":0,"msg":"ok","data":{"total":%d,"list":[%s]}}`, len(recs), strings.Join(out, ","))
		})
		g.wrap(p)
		var sink collect
		st := mustFetch(t, c, Site{Name: "平潭综合实验区管委会", Start: []string{p.url("/zfnb/")}}, &sink)
		if st.Reports != len(reports) || st.Rendered != 1 || st.Failed != 0 {
			t.Errorf("reports %d rendered %d failed %d %v, want %d, 1, 0", st.Reports, st.Rendered, st.Failed, st.Failures, len(reports))
		}
		checkOnce(t, p, reports, excluded)
		if got, want := hits.get(), map[string]int{"1": 1, "2": 1, "3": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("API pages requested %v, want %v", got, want)
		}
		if n := p.hit("/img/0.png"); n != 0 {
			t.Errorf("a cover image was fetched")
		}
		g.check(t)
		if d := sink.byURL()[p.url(recs[11].url)]; d.Published != "2013-01-20" {
			t.Errorf("published from milliseconds = %q", d.Published)
		}
	})

	t.Run("Politeness", func(t *testing.T) {
		// The requests of a page in the browser keep the site's parallelism
		// (1) and delay (150ms + jitter) like plain ones: its four scripts
		// and its XHR are fetched one at a time, spaced.
		p := newPortal(t)
		p.delay = 20 * time.Millisecond
		g := &guard{ua: opts.UserAgent}
		var mu sync.Mutex
		var starts []time.Time
		var scripts strings.Builder
		for i := 1; i <= 4; i++ {
			fmt.Fprintf(&scripts, `<script src="/pol/s%d.js" async></script>`, i)
			p.mux.HandleFunc(fmt.Sprintf("/pol/s%d.js", i), func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "window.s%d = 1;", i)
			})
		}
		p.html("/pol/", `<!DOCTYPE html><html><head><meta charset="utf-8"><title>年报</title>`+scripts.String()+`</head><body>
<ul id="l"></ul><script>fetch('/pol/list.json').then(function (r) { return r.json(); }).then(function (d) {
  document.getElementById('l').innerHTML = d.map(function (x) { return '<li><a href="' + x.url + '">' + x.title + '</a></li>'; }).join('');
});</script></body></html>`)
		p.mux.HandleFunc("/pol/list.json", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `[{"title":"平潭县2023年政府信息公开工作年度报告","url":"/pol/2023.html"}]`)
		})
		p.report("/pol/2023.html", "平潭县2023年政府信息公开工作年度报告")
		g.wrap(p)
		inner := p.mux
		p.mux = http.NewServeMux()
		p.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/robots.txt" {
				mu.Lock()
				starts = append(starts, time.Now())
				mu.Unlock()
			}
			inner.ServeHTTP(w, r)
		})
		delay := 150 * time.Millisecond
		st := mustFetch(t, c, Site{Name: "平潭县", Start: []string{p.url("/pol/")}, Parallelism: 1, Delay: &delay, Render: true}, &collect{})
		if st.Reports != 1 || st.Rendered != 2 {
			t.Errorf("reports %d rendered %d, want 1, 2", st.Reports, st.Rendered)
		}
		if n := p.peak.Load(); n != 1 {
			t.Errorf("peak concurrent requests = %d, want 1", n)
		}
		mu.Lock()
		defer mu.Unlock()
		// The page, its 4 scripts and its JSON (read from the browser's
		// call, not fetched again), then the report.
		if len(starts) != 7 {
			t.Errorf("%d requests, want 7 (page, 4 scripts, JSON, report)", len(starts))
		}
		for i := 1; i < len(starts); i++ {
			if gap := starts[i].Sub(starts[i-1]); gap < delay {
				t.Errorf("request %d started %s after the previous one, want at least %s", i, gap, delay)
			}
		}
		g.check(t)
	})

	t.Run("RenderedSiteFramesAndWrites", func(t *testing.T) {
		// render: true. The list is in an iframe that a script creates, and
		// links are written by document.write with variables: both are
		// found in the rendered page only.
		p := newPortal(t)
		g := &guard{ua: opts.UserAgent}
		p.html("/xxgk/", `<!DOCTYPE html><html><head><meta charset="gbk"><title>信息公开年报</title></head><body><div id="frame"></div>
<script>var f = document.createElement('iframe'); f.src = '/xxgk/frame/list.html'; document.getElementById('frame').appendChild(f);
var base = '/xxgk/dw/';
document.write('<ul><li><a href="' + base + '2020.html">平潭县2020年政府信息公开工作年度报告</a></li></ul>');</script></body></html>`)
		p.html("/xxgk/frame/list.html", listPage("年报", [][2]string{{"/xxgk/fr/2019.html", "平潭县2019年政府信息公开工作年度报告"}}, ""))
		reports := []string{"/xxgk/dw/2020.html", "/xxgk/fr/2019.html"}
		for _, r := range reports {
			p.report(r, "平潭县年报")
		}
		g.wrap(p)
		var sink collect
		st := mustFetch(t, c, Site{Name: "平潭县", Start: []string{p.url("/xxgk/")}, Render: true}, &sink)
		if st.Reports != 2 || st.Failed != 0 {
			t.Errorf("reports %d failed %d %v, want 2, 0", st.Reports, st.Failed, st.Failures)
		}
		// Every HTML page of the site is rendered: the column, the frame's
		// document (a list of its own, not loaded inside the column) and
		// the reports.
		if st.Rendered != 4 {
			t.Errorf("rendered %d pages, want 4", st.Rendered)
		}
		checkOnce(t, p, reports, nil)
		if n := p.hit("/xxgk/frame/list.html"); n != 1 {
			t.Errorf("frame list requested %d times, want 1", n)
		}
		g.check(t)
		d := sink.byURL()[p.url("/xxgk/")]
		if !d.Rendered || !strings.Contains(string(d.Body), `<meta charset="utf-8">`) || strings.Contains(string(d.Body), "gbk") {
			t.Errorf("rendered column: rendered %v, charset declaration not rewritten", d.Rendered)
		}
	})
}

func TestCrawler_Fetch_BrowserThatDoesNotStart(t *testing.T) {
	// A browser path that is no browser: the crawl goes on as without one.
	p := newPortal(t)
	p.mux.HandleFunc("/nb/", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusPreconditionFailed)
		fmt.Fprint(w, `<html><script>$_ts=window['$_ts'];$_ts.nsd=1;</script></html>`)
	})
	p.html("/ok/", listPage("年报", [][2]string{{"/ok/2023.html", "平潭县2023年政府信息公开工作年度报告"}}, ""))
	p.report("/ok/2023.html", "平潭县2023年政府信息公开工作年度报告")
	o := testOptions(nil)
	o.Browser = "/bin/false"
	c := New(o)
	defer c.Close()
	st, err := c.Fetch(context.Background(), Site{Name: "x", Start: []string{p.url("/nb/"), p.url("/ok/")}, Render: true}, &collect{})
	if err == nil || st.Failures["blocked: ruishu"] != 1 || st.Reports != 1 || st.Rendered != 0 {
		t.Errorf("err %v, failures %v, reports %d, rendered %d", err, st.Failures, st.Reports, st.Rendered)
	}
}
