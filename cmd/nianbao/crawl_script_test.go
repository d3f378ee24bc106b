package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"nianbao/store"
)

// The portals of issue 14: real column structures and pages that need
// JavaScript, crawled end to end into an archive.

// jsReport renders a report page the way real ones read: the title (in any
// of its variants), the publisher (来源) and the statistics period, which is
// where the parser finds the organ and the year when the title is an
// unusual one.
func jsReport(title, organ string, year int) string {
	return fmt.Sprintf(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title></head><body>
<div class="crumb">首页 &gt; 政务公开 &gt; 信息公开年报</div><h1>%s</h1><div class="info">发布时间：%d-01-20 来源：%s</div>
<div class="content"><p>本年度报告根据《中华人民共和国政府信息公开条例》要求编制。本报告中所列数据的统计期限自%d年1月1日起至%d年12月31日止。</p>
<p>一、总体情况</p><p>本年度，本机关认真贯彻落实《中华人民共和国政府信息公开条例》，主动公开政府信息。</p></div></body></html>`,
		title, title, year+1, organ, year, year)
}

// jsPortal is one site's server. It serves fixed pages, checks that every
// request keeps the rules (the crawler's User-Agent, robots.txt's
// Disallow: /private/, no request from Chromium's own network stack) and
// counts requests per path.
type jsPortal struct {
	t   *testing.T
	srv *httptest.Server
	mux *http.ServeMux
	ua  string

	mu   sync.Mutex     // protects hits and bad
	hits map[string]int // path → requests
	bad  []string
}

func newJSPortal(t *testing.T, ua string) *jsPortal {
	p := &jsPortal{t: t, mux: http.NewServeMux(), ua: ua, hits: map[string]int{}}
	p.mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
	})
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.hits[r.URL.Path]++
		if r.Header.Get("Sec-Fetch-Mode") != "" || (r.URL.Path != "/robots.txt" && (r.UserAgent() != p.ua || strings.HasPrefix(r.URL.Path, "/private/"))) {
			p.bad = append(p.bad, r.URL.RequestURI())
		}
		p.mu.Unlock()
		p.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *jsPortal) page(path, body string) {
	p.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, body)
	})
}

func (p *jsPortal) hit(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[path]
}

// offsite is the URL of path on the portal's host named differently
// (localhost): another host for the crawler, which must not ask it.
func (p *jsPortal) offsite(path string) string {
	return strings.Replace(p.srv.URL, "127.0.0.1", "localhost", 1) + path
}

func (p *jsPortal) check(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.bad {
		t.Errorf("%s: request breaks the rules: %s", p.srv.URL, b)
	}
}

// want is one report expected in the archive.
type want struct {
	agency string
	year   int
	path   string
}

func TestCrawl_ColumnsAndScriptPortals(t *testing.T) {
	chromium := ""
	for _, name := range browserNames {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		skipOrFailInCI(t, "chromium is not installed (apt-get install chromium): skipping the end-to-end test of rendered portals")
	}
	const ua = "nianbao-test/1.0 (+https://example.org/contact)"
	var wants []want
	var excluded []string // paths that must be neither fetched nor archived
	beacons := newJSPortal(t, ua)
	beacons.page("/collect", "ok")

	// 1. A county's 年报 column with three sub-columns (政府年报, 区直部门,
	// 镇街), each with its own pagination, varied titles and exclusions;
	// the site's own 机构概况 › 区直部门 must be left alone.
	county := newJSPortal(t, ua)
	menu := `<div class="header"><ul><li><a href="/">首页</a></li><li><a href="/jggk/">机构概况</a></li><li><a href="/jggk/qzbm/">区直部门</a></li>
<li><a href="/jggk/zj/">镇街</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwgk/xxgknb/">信息公开年报</a></li></ul></div>`
	tabs := `<div class="left"><ul><li><a href="/zwgk/xxgknb/zfnb/">政府年报</a></li><li><a href="/zwgk/xxgknb/qzbm/">区直部门</a></li><li><a href="/zwgk/xxgknb/zj/">镇街</a></li></ul></div>`
	countyPage := func(title, crumb, list, tail string) string {
		return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>` + title + `_平潭县人民政府</title></head><body>` + menu +
			`<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/xxgknb/">信息公开年报</a>` + crumb + `</div>` +
			tabs + `<div class="list"><ul>` + list + `</ul></div>` + tail + `</body></html>`
	}
	county.page("/zwgk/", `<!DOCTYPE html><html><head><meta charset="utf-8"><title>政务公开</title></head><body>`+menu+`</body></html>`)
	county.page("/zwgk/xxgknb/", countyPage("信息公开年报", "", "", ""))
	for _, decoy := range []string{"/jggk/qzbm/", "/jggk/zj/", "/jggk/"} {
		county.page(decoy, countyPage("机构概况", "", `<li><a href="/jggk/x.html">平潭县教育局2016年政府信息公开工作年度报告</a></li>`, ""))
		excluded = append(excluded, decoy)
	}
	type entry struct {
		path, title, organ string
		year               int
		report             bool
	}
	sub := []struct {
		dir, name string
		pages     [][]entry
		next      []string // file names of the pages
		tail      func(i int) string
	}{
		{"/zwgk/xxgknb/zfnb/", "政府年报", [][]entry{{
			{"2020/t1.html", "平潭县人民政府2019年政府信息公开工作年度报告", "平潭县人民政府", 2019, true},
			{"2019/t1.html", "平潭县人民政府2018年政府信息公开工作年度报告", "平潭县人民政府", 2018, true},
			{"2019/t2.html", "《平潭县2018年政府信息公开工作年度报告》解读", "", 0, false},
		}, {
			{"2018/t1.html", "平潭县人民政府2017年政府信息 公开年度报告", "平潭县人民政府", 2017, true},
			{"2018/t2.html", "平潭县政府网站工作年度报表（2017年度）", "", 0, false},
		}}, []string{"", "index_2.html"}, func(i int) string {
			return fmt.Sprintf(`<script>createPageHTML('page_div',2,%d,'index','html',5);</script>`, i+1)
		}},
		{"/zwgk/xxgknb/qzbm/", "区直部门", [][]entry{{
			{"fpb.html", "平潭县扶贫办2017年政府信息年度报告", "平潭县扶贫办", 2017, true},
			{"yy.html", "平潭县人民医院2017年政务信息公开报告", "平潭县人民医院", 2017, true},
			{"jttu.html", "一图读懂平潭县交通局2017年政府信息公开工作报告", "", 0, false},
		}, {
			{"jtj.html", "平潭县交通局2017年政府信息公开工作报告", "平潭县交通局", 2017, true},
			{"rsj.html", "平潭县人社局2017年度政府信息与政务公开工作总结", "平潭县人社局", 2017, true},
			{"gsj.html", "平潭县国税局2017年度信息与政务公开工作报告", "平潭县国税局", 2017, true},
			{"tz.html", "关于做好2017年政府信息公开工作年度报告的通知", "", 0, false},
		}}, []string{"", "index_1.html"}, func(i int) string {
			return fmt.Sprintf(`<script>createPageHTML(2, %d, "index", "html");</script>`, i)
		}},
		{"/zwgk/xxgknb/zj/", "镇街", [][]entry{{
			{"tcz.html", "潭城镇“2017年政府信息公开工作年度报告”", "潭城镇", 2017, true},
			{"sazyd.html", "苏澳镇2017年政务公开工作要点", "", 0, false},
		}, {
			{"lsz.html", "流水镇2017年度政府信息公开工作年度报告", "流水镇", 2017, true},
			{"gs.html", "2017年政府信息公开工作年度报告格式", "", 0, false},
		}}, []string{"", "list_2.html"}, func(i int) string {
			if i == 0 {
				return `<div class="page"><a href="list_2.html">下一页</a></div>`
			}
			return ""
		}},
	}
	for _, c := range sub {
		for i, entries := range c.pages {
			var list strings.Builder
			for _, e := range entries {
				fmt.Fprintf(&list, `<li><a href="%s" target="_blank">%s</a><span>2018-01-20</span></li>`, e.path, e.title)
				county.page(c.dir+e.path, jsReport(e.title, e.organ, e.year))
				if e.report {
					wants = append(wants, want{e.organ, e.year, county.srv.URL + c.dir + e.path})
				} else {
					excluded = append(excluded, c.dir+e.path)
				}
			}
			county.page(c.dir+c.next[i], countyPage(c.name, ` &gt; <a href="`+c.dir+`">`+c.name+`</a>`, list.String(), c.tail(i)))
		}
	}

	// 2. A TRS 动静结合 column: page 1 static, pages 2..3 only from the
	// JSON search API that its list script calls.
	trs := newJSPortal(t, ua)
	type rec struct {
		title, url string
		year       int
	}
	var recs []rec
	for i, y := range []int{2024, 2023, 2022, 2021, 2020, 2019, 2018} {
		r := rec{fmt.Sprintf("平潭县交通运输局%d年政府信息公开工作年度报告", y), fmt.Sprintf("/xxgk/ndbg/%d/t%d_%d.html", y+1, y+1, i), y}
		if i == 4 {
			r.title = "《" + r.title + "》解读"
			excluded = append(excluded, r.url)
		} else {
			wants = append(wants, want{"平潭县交通运输局", y, trs.srv.URL + r.url})
		}
		trs.page(r.url, jsReport(r.title, "平潭县交通运输局", y))
		recs = append(recs, r)
	}
	var static strings.Builder
	for _, r := range recs[:3] {
		fmt.Fprintf(&static, `<li><a href="%s">%s</a></li>`, r.url, r.title)
	}
	trs.page("/xxgk/ndbg/", `<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body>
<div id="list"><ul>`+static.String()+`</ul></div><div id="pagebar"></div><script src="/private/stat.js"></script>
<script>
function listModel(cfg) {
  fetch('`+beacons.offsite("/collect")+`').catch(function () {});
  var x = new XMLHttpRequest();
  x.open('GET', '/trs/search?channelid=' + cfg.channelid + '&page=1&prepage=' + cfg.pagebar.prepage);
  x.onload = function () { document.getElementById('pagebar').textContent = JSON.parse(x.responseText).pageCount + ' pages'; };
  x.send();
}
listModel({channelid:'56432', classsql:"chnlid=56432", maxStaticIndex:1, pagebar:{prepage:3, recordCount:'7'}});
</script></body></html>`)
	trs.mux.HandleFunc("/trs/search", func(w http.ResponseWriter, r *http.Request) {
		n := 0
		fmt.Sscan(r.URL.Query().Get("page"), &n)
		var out []string
		for i := (n - 1) * 3; i >= 0 && i < n*3 && i < len(recs); i++ {
			out = append(out, fmt.Sprintf(`{"doctitle":%q,"docpuburl":%q,"docreltime":"%d-01-20"}`, recs[i].title, recs[i].url, recs[i].year+1))
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		fmt.Fprintf(w, `{"recordCount":%d,"pageCount":3,"datas":[%s]}`, len(recs), strings.Join(out, ","))
	})

	// 3. A Vue template list (v-for) filled from a JSON API.
	vue := newJSPortal(t, ua)
	for i, y := range []int{2023, 2022, 2021, 2020} {
		path := fmt.Sprintf("/zfnb/c/%d.html", y)
		vue.page(path, jsReport(fmt.Sprintf("平潭县教育局%d年政府信息公开工作年度报告", y), "平潭县教育局", y))
		wants = append(wants, want{"平潭县教育局", y, vue.srv.URL + path})
		_ = i
	}
	vue.page("/zfnb/", `<!DOCTYPE html><html><head><meta charset="utf-8"><title>部门年报</title></head><body>
<div id="app"><ul><li v-for="item in list"><a :href="item.url">{{ item.title }}</a></li></ul></div>
<script>fetch('/api/list?pageNo=1&pageSize=2').then(function (r) { return r.json(); }).then(function (d) {
  document.getElementById('app').innerHTML = '<ul>' + d.data.list.map(function (x) { return '<li><a href="' + x.url + '">' + x.title + '</a></li>'; }).join('') + '</ul>';
});</script></body></html>`)
	vue.mux.HandleFunc("/api/list", func(w http.ResponseWriter, r *http.Request) {
		n := 0
		fmt.Sscan(r.URL.Query().Get("pageNo"), &n)
		years := []int{2023, 2022, 2021, 2020}
		var out []string
		for i := (n - 1) * 2; i >= 0 && i < n*2 && i < len(years); i++ {
			out = append(out, fmt.Sprintf(`{"title":"平潭县教育局%d年政府信息公开工作年度报告","url":"/zfnb/c/%d.html"}`, years[i], years[i]))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":{"total":4,"list":[%s]}}`, strings.Join(out, ","))
	})

	// 4. A 412 challenge (瑞数-style): a script computes a cookie from a
	// seed and reloads; pages are only served with the cookie.
	rs := newJSPortal(t, ua)
	var rsMu sync.Mutex
	challenges := 0
	gate := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if c, err := r.Cookie("FSSBBIl1UgzbN7N80T"); err == nil && c.Value == "ok-"+"seed42" {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				io.WriteString(w, body)
				return
			}
			rsMu.Lock()
			challenges++
			rsMu.Unlock()
			w.Header().Set("Set-Cookie", "FSSBBIl1UgzbN7N80S=seed42; Path=/")
			w.WriteHeader(http.StatusPreconditionFailed)
			io.WriteString(w, `<html><head><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=1;</script>
<script>var m = document.cookie.match(/FSSBBIl1UgzbN7N80S=([^;]+)/); document.cookie = 'FSSBBIl1UgzbN7N80T=ok-' + m[1] + '; path=/'; location.reload();</script></head><body></body></html>`)
		}
	}
	var rsList strings.Builder
	for _, y := range []int{2022, 2021} {
		path := fmt.Sprintf("/xxgk/nb/%d.html", y)
		title := fmt.Sprintf("平潭县公安局%d年政府信息公开工作年度报告", y)
		rs.mux.HandleFunc(path, gate(jsReport(title, "平潭县公安局", y)))
		fmt.Fprintf(&rsList, `<li><a href="%s">%s</a></li>`, path, title)
		wants = append(wants, want{"平潭县公安局", y, rs.srv.URL + path})
	}
	rs.mux.HandleFunc("/xxgk/nb/", gate(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>年报</title></head><body><ul>`+rsList.String()+`</ul></body></html>`))

	// 5. A list in an iframe.
	fr := newJSPortal(t, ua)
	fr.page("/nb/", `<!DOCTYPE html><html><head><meta charset="utf-8"><title>信息公开年报</title></head><body><iframe src="/nb/list.html"></iframe></body></html>`)
	fr.page("/nb/list.html", `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><ul>
<li><a href="/nb/2019.html">平潭县财政局2019年政府信息公开工作年度报告</a></li><li><a href="/nb/jd2019.html">平潭县财政局2019年政府信息公开工作年度报告解读</a></li></ul></body></html>`)
	fr.page("/nb/2019.html", jsReport("平潭县财政局2019年政府信息公开工作年度报告", "平潭县财政局", 2019))
	fr.page("/nb/jd2019.html", jsReport("平潭县财政局2019年政府信息公开工作年度报告解读", "平潭县财政局", 2019))
	wants = append(wants, want{"平潭县财政局", 2019, fr.srv.URL + "/nb/2019.html"})
	excluded = append(excluded, "/nb/jd2019.html")

	// 6. A site rendered page by page (render: true): its report is
	// archived as rendered, next to the bytes the server sent.
	sj := newJSPortal(t, ua)
	sj.page("/nb/", `<!DOCTYPE html><html><head><meta charset="utf-8"><title>年报</title></head><body><ul id="l"></ul>
<script>document.getElementById('l').innerHTML = '<li><a href="/nb/2020.html">平潭县审计局2020年政府信息公开工作年度报告</a></li>';</script></body></html>`)
	sjReport := jsReport("平潭县审计局2020年政府信息公开工作年度报告", "平潭县审计局", 2020)
	sj.page("/nb/2020.html", sjReport)
	wants = append(wants, want{"平潭县审计局", 2020, sj.srv.URL + "/nb/2020.html"})

	cfgText := fmt.Sprintf(`user_agent: %q
delay: 0s
parallelism: 4
retries: 0
browser: %q
sites:
  - name: 平潭县
    start: [%q]
  - name: 平潭县交通运输局
    start: [%q]
  - name: 平潭县教育局
    start: [%q]
  - name: 平潭县公安局
    start: [%q]
  - name: 平潭县财政局
    start: [%q]
  - name: 平潭县审计局
    start: [%q]
    render: true
`, ua, chromium, county.srv.URL+"/zwgk/", trs.srv.URL+"/xxgk/ndbg/", vue.srv.URL+"/zfnb/", rs.srv.URL+"/xxgk/nb/", fr.srv.URL+"/nb/", sj.srv.URL+"/nb/")
	cfg := filepath.Join(t.TempDir(), "sites.yaml")
	if err := os.WriteFile(cfg, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "nianbao.db")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"crawl", "--config", cfg, "--db", dbPath}, &out, &errOut); err != nil {
		t.Fatalf("crawl: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	summary := out.String()
	for _, line := range []string{"rendered  challenges", "平潭县公安局", "平潭县交通运输局"} {
		if !strings.Contains(summary, line) {
			t.Errorf("summary lacks %q:\n%s", line, summary)
		}
	}

	db := openRO(t, dbPath)
	// Every report is archived once, with its organ and year.
	got := map[string]int{}
	if err := db.ForEachReport(context.Background(), store.Filter{}, func(r *store.ReportRecord) error {
		got[fmt.Sprintf("%s %d", r.Agency, r.Year)] = r.Count
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var gotKeys, wantKeys []string
	for k := range got {
		gotKeys = append(gotKeys, k)
	}
	for _, w := range wants {
		wantKeys = append(wantKeys, fmt.Sprintf("%s %d", w.agency, w.year))
	}
	sort.Strings(gotKeys)
	sort.Strings(wantKeys)
	if strings.Join(gotKeys, "\n") != strings.Join(wantKeys, "\n") {
		t.Errorf("reports archived:\n%s\nwant:\n%s", strings.Join(gotKeys, "\n"), strings.Join(wantKeys, "\n"))
	}
	for k, n := range got {
		if n != 1 {
			t.Errorf("%s has %d versions, want 1", k, n)
		}
	}
	// Each report page is one capture (the rendered one two: as
	// rendered and as served); nothing excluded is archived.
	captured := map[string]int{}
	var rendered []store.Capture
	if err := db.Captures(context.Background(), func(c store.Capture) error {
		captured[c.URL]++
		if c.Rendered {
			rendered = append(rendered, c)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, w := range wants {
		n := 1
		if strings.HasPrefix(w.path, sj.srv.URL) {
			n = 2
		}
		if captured[w.path] != n {
			t.Errorf("%s archived %d times, want %d", w.path, captured[w.path], n)
		}
	}
	if len(rendered) != 1 || rendered[0].URL != sj.srv.URL+"/nb/2020.html" || rendered[0].RawSHA256 == "" {
		t.Errorf("rendered captures = %+v, want the rendered report with its raw capture", rendered)
	} else {
		raw, err := db.CaptureBody(rendered[0].RawSHA256)
		if err != nil || string(raw) != sjReport {
			t.Errorf("raw capture of the rendered report: %v, %d bytes, want the %d bytes served", err, len(raw), len(sjReport))
		}
		dom, err := db.CaptureBody(rendered[0].SHA256)
		if err != nil || !strings.Contains(string(dom), "统计期限自2020年1月1日") || rendered[0].ContentType != "text/html; charset=utf-8" {
			t.Errorf("rendered capture: %v, content type %q", err, rendered[0].ContentType)
		}
	}
	// Every body, the rendered page's raw bytes included, has its outcome
	// (issue 16): the archive checks clean.
	if probs, err := db.Check(context.Background()); err != nil || len(probs) != 0 {
		t.Errorf("check after the crawl: %v, problems %+v", err, probs)
	}
	for u := range captured {
		for _, x := range excluded {
			if strings.HasSuffix(u, x) {
				t.Errorf("excluded page archived: %s", u)
			}
		}
	}
	for _, p := range []*jsPortal{county, trs, vue, rs, fr, sj} {
		for _, x := range excluded {
			if n := p.hit(x); n != 0 {
				t.Errorf("%s%s requested %d times", p.srv.URL, x, n)
			}
		}
		p.check(t)
	}
	if n := beacons.hit("/collect"); n != 0 {
		t.Errorf("another host was asked %d times", n)
	}
	rsMu.Lock()
	if challenges != 1 {
		t.Errorf("challenges served = %d, want 1 (passed once, then the cookie serves the plain client)", challenges)
	}
	rsMu.Unlock()
	rs0 := runs(t, db)
	if len(rs0) != 1 || rs0[0].Counts.Rendered != 5 || rs0[0].Counts.ChallengesPassed != 1 {
		t.Errorf("run counts = %+v, want 5 rendered (TRS list, Vue list, challenge, the render site's list and report) and 1 challenge passed", rs0[0].Counts)
	}
}
