package crawler

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestCrawler_Fetch_Pagination(t *testing.T) {
	t.Run("StaticIndexOldConvention", func(t *testing.T) {
		// TRS: createPageHTML(countPage, currentPage, "index", "htm") with
		// variables; page 2 is index_1.htm (zero-based suffix).
		p := newPortal(t)
		const dir = "/xxgk/zfxxgk/xxgkndbg/"
		for page := 0; page < 3; page++ {
			name := "index.htm"
			if page > 0 {
				name = fmt.Sprintf("index_%d.htm", page)
			}
			var links [][2]string
			for i := 0; i < 2; i++ {
				y := 2024 - page*2 - i
				path := fmt.Sprintf("%s2025%02d/t2025%02d10_%d.htm", dir, page+1, page+1, y)
				links = append(links, [2]string{"./" + path[len(dir):], fmt.Sprintf("泉州市司法局%d年政府信息公开工作年度报告", y)})
				p.report(path, fmt.Sprintf("泉州市司法局%d年政府信息公开工作年度报告", y))
			}
			links = append(links, [2]string{"./jd" + name, "《2023年政府信息公开工作年度报告》解读"})
			tail := fmt.Sprintf(`<script>var currentPage = %d;//所在页从0开始
var prevPage = currentPage-1//上一页
var nextPage = currentPage+1//下一页
var countPage = 3//共多少页
createPageHTML(countPage, currentPage, "index", "htm");</script>`, page)
			p.html(dir+name, listPage("信息公开年度报告", links, tail))
		}
		cr := New(testOptions(nil))
		var sink collect
		st := mustFetch(t, cr, Site{Name: "泉州市司法局", Start: []string{p.url(dir + "index.htm")}}, &sink)
		if got, want := st.Reports, 6; got != want {
			t.Errorf("reports = %d, want %d", got, want)
		}
		if got, want := st.Lists, 3; got != want {
			t.Errorf("lists = %d, want %d", got, want)
		}
		for _, u := range []string{dir + "index_1.htm", dir + "index_2.htm"} {
			if p.hit(u) != 1 {
				t.Errorf("%s requested %d times, want 1", u, p.hit(u))
			}
		}
		if n := p.hit(dir + "index_3.htm"); n != 0 {
			t.Errorf("index_3.htm (beyond countPage) requested %d times", n)
		}
		if n := p.hit(dir + "jdindex.htm"); n != 0 {
			t.Errorf("解读 page requested %d times", n)
		}
	})

	t.Run("StaticIndexNewConvention", func(t *testing.T) {
		// createPageHTML('page_div', pages, cur, 'dezlist', 'shtml', records):
		// page 2 is dezlist_2.shtml; prefix and suffix come from the call.
		p := newPortal(t)
		const dir = "/hkszf/xxgk/xxgknb/"
		for page := 1; page <= 3; page++ {
			name := "dezlist.shtml"
			if page > 1 {
				name = fmt.Sprintf("dezlist_%d.shtml", page)
			}
			y := 2025 - page
			path := fmt.Sprintf("%s2025%02d/t%d.shtml", dir, page, y)
			p.report(path, fmt.Sprintf("%d年海口市政府信息公开工作年度报告", y))
			tail := fmt.Sprintf(`<div id="page_div"></div><script>createPageHTML('page_div',3,%d,'dezlist','shtml',3);</script>`, page)
			p.html(dir+name, listPage("年度报告", [][2]string{{path, fmt.Sprintf("%d年海口市政府信息公开工作年度报告", y)}}, tail))
		}
		var sink collect
		st := mustFetch(t, New(testOptions(nil)), Site{Name: "海口", Start: []string{p.url(dir + "dezlist.shtml")}}, &sink)
		if st.Reports != 3 || st.Lists != 3 {
			t.Errorf("reports, lists = %d, %d, want 3, 3", st.Reports, st.Lists)
		}
		if p.hit(dir+"dezlist_2.shtml") != 1 || p.hit(dir+"dezlist_3.shtml") != 1 || p.hit(dir+"dezlist_1.shtml") != 0 || p.hit(dir+"dezlist_4.shtml") != 0 {
			t.Errorf("pagination hits: _1=%d _2=%d _3=%d _4=%d, want 0 1 1 0", p.hit(dir+"dezlist_1.shtml"),
				p.hit(dir+"dezlist_2.shtml"), p.hit(dir+"dezlist_3.shtml"), p.hit(dir+"dezlist_4.shtml"))
		}
	})

	t.Run("PageQueryStopsWhenNothingNew", func(t *testing.T) {
		// ?page=N links; the server answers any page beyond the last with the
		// last page, so a 下一页 link on it must not be followed forever.
		p := newPortal(t)
		p.mux.HandleFunc("/zwgk/nb/list.jsp", func(w http.ResponseWriter, r *http.Request) {
			n := 1
			fmt.Sscan(r.URL.Query().Get("page"), &n)
			if n > 3 {
				n = 3
			}
			var links [][2]string
			for i := 0; i < 2; i++ {
				y := 2010 + n*2 + i
				path := fmt.Sprintf("/zwgk/nb/%d.html", y)
				links = append(links, [2]string{path, fmt.Sprintf("%d年度政府信息公开年报", y)})
			}
			tail := `<div class="page"><a href="list.jsp?page=1">1</a> <a href="list.jsp?page=2">2</a> <a href="list.jsp?page=3">3</a> ` +
				fmt.Sprintf(`<a href="list.jsp?page=%d">下一页</a></div>`, n+1)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, listPage("年报", links, tail))
		})
		for y := 2012; y <= 2017; y++ {
			p.report(fmt.Sprintf("/zwgk/nb/%d.html", y), fmt.Sprintf("%d年度政府信息公开年报", y))
		}
		var sink collect
		st := mustFetch(t, New(testOptions(nil)), Site{Name: "q", Start: []string{p.url("/zwgk/nb/list.jsp")}}, &sink)
		if st.Reports != 6 {
			t.Errorf("reports = %d, want 6", st.Reports)
		}
		if n := p.hit("/zwgk/nb/list.jsp?page=4"); n != 1 {
			t.Errorf("page=4 requested %d times, want 1 (it repeats page 3)", n)
		}
		if n := p.hit("/zwgk/nb/list.jsp?page=5"); n != 0 {
			t.Errorf("page=5 requested %d times, want 0: page 4 yielded nothing new", n)
		}
	})

	t.Run("Gkmlpt", func(t *testing.T) {
		p := newPortal(t)
		p.html("/gkmlpt/index", `<!DOCTYPE html><html><head><meta charset="utf-8"><title>湛江市人民政府门户网站 政府信息公开</title>
<script>window._CONFIG = { SID: '759001', TREE: [{id: 1, name: '概况信息'}, {id: 2791, name: '政府信息公开年报'}], DETAIL: null };</script>
</head><body><div id="app"></div></body></html>`)
		type art struct {
			id     int
			title  string
			attach bool
		}
		arts := []art{
			{1881579, "湛江市人民政府2023年政府信息公开工作年度报告", true},
			{1700001, "%u6E5B%u6C5F%u5E022022%u5E74%u653F%u5E9C%u4FE1%u606F%u516C%u5F00%u5DE5%u4F5C%u5E74%u5EA6%u62A5%u544A", false}, // 湛江市2022年政府信息公开工作年度报告
			{1600002, "关于做好2022年政府信息公开工作年度报告编制工作的通知", false},
			{1500003, "湛江市2021年政府信息公开工作年度报告", false},
			{1400004, "湛江市2020年政府信息公开工作年度报告", false},
		}
		for _, a := range arts {
			p.report(fmt.Sprintf("/gkmlpt/content/%d/%d/post_%d.html", a.id/1000000, a.id/1000, a.id), "湛江市人民政府年报")
		}
		p.doc("/attachment/0/521/521834/1881579.pdf", "application/pdf", func() []byte { return []byte("%PDF-1.7 湛江 2023") })
		p.mux.HandleFunc("/gkmlpt/api/all/2791", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("sid") != "759001" {
				http.Error(w, "bad sid", http.StatusBadRequest)
				return
			}
			page := 0
			fmt.Sscan(r.URL.Query().Get("page"), &page)
			if page == 0 {
				page = 1 // pages 0 and 1 return the same data
			}
			const per = 3
			var out []string
			for i := (page - 1) * per; i < page*per && i < len(arts); i++ {
				a := arts[i]
				att := "[]"
				if a.attach {
					att = `[{"name":"附件：2023年报.pdf","type":"pdf","url":"/attachment/0/521/521834/1881579.pdf"}]`
				}
				out = append(out, fmt.Sprintf(`{"id":%d,"title":"%s","url":"%s/gkmlpt/content/%d/%d/post_%d.html","display_publish_time":%d,"attachment":%s}`,
					a.id, a.title, "http://"+r.Host, a.id/1000000, a.id/1000, a.id, 1706745600+i*86400, att))
			}
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			fmt.Fprintf(w, `{"classify":{"id":2791,"name":"政府信息公开年报","post_count":%d},"articles":[%s]}`, len(arts), strings.Join(out, ","))
		})
		var sink collect
		st := mustFetch(t, New(testOptions(nil)), Site{Name: "湛江市人民政府", Start: []string{p.url("/gkmlpt/index#2791")}}, &sink)
		if st.Reports != 4 || st.Attachments != 1 {
			t.Errorf("reports, attachments = %d, %d, want 4, 1", st.Reports, st.Attachments)
		}
		if p.hit("/gkmlpt/api/all/2791?page=1&sid=759001") != 1 || p.hit("/gkmlpt/api/all/2791?page=2&sid=759001") != 1 || p.hit("/gkmlpt/api/all/2791?page=3&sid=759001") != 0 {
			t.Errorf("API pages requested: %v", p.hits)
		}
		if n := p.hit("/gkmlpt/content/1/1600/post_1600002.html"); n != 0 {
			t.Errorf("通知 requested %d times", n)
		}
		docs := sink.byURL()
		d := docs[p.url("/gkmlpt/content/1/1700/post_1700001.html")]
		if want := "湛江市2022年政府信息公开工作年度报告"; d.LinkText != want {
			t.Errorf("unescaped title = %q, want %q", d.LinkText, want)
		}
		if d.Published != "2024-02-02" {
			t.Errorf("published = %q, want 2024-02-02", d.Published)
		}
		a := docs[p.url("/attachment/0/521/521834/1881579.pdf")]
		if a.Kind != KindAttachment || a.Parent != p.url("/gkmlpt/content/1/1881/post_1881579.html") {
			t.Errorf("attachment kind %q parent %q", a.Kind, a.Parent)
		}
	})

	t.Run("HanwebDataproxy", func(t *testing.T) {
		p := newPortal(t)
		const col = "1229214366"
		rec := func(i int) string {
			return fmt.Sprintf(`<record><![CDATA[<li><a href="/art/2025/1/%d/art_%s_%d.html" title="某镇%d年政府信息公开工作年度报告" target="_blank">某镇%d年政府信息公开工作年度报告</a><span>2025-01-%02d</span></li>]]></record>`,
				i, col, 4000+i, 2024-i, 2024-i, i)
		}
		for i := 1; i <= 7; i++ {
			p.report(fmt.Sprintf("/art/2025/1/%d/art_%s_%d.html", i, col, 4000+i), fmt.Sprintf("某镇%d年政府信息公开工作年度报告", 2024-i))
		}
		var inline strings.Builder
		for i := 1; i <= 3; i++ {
			inline.WriteString(rec(i))
		}
		p.html("/col/col"+col+"/index.html", `<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body>
<div id="5843431"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=3277&path=/&columnid=`+col+`&unitid=5843431&webname=%E6%9F%90%E9%95%87&permissiontype=0"></a>]]></nextgroup><recordset>`+inline.String()+`</recordset></datastore></script></div>
<script language="javascript" src="/module/web/jpage/jpage.js"></script>
<script>$('#5843431').jpage({dataStore: dataStore, perPage: 3, totalRecord: 7, proxyUrl: '/module/web/jpage/dataproxy.jsp', groupSize: 3});</script>
</body></html>`)
		var forms []url.Values
		var fmu sync.Mutex
		p.mux.HandleFunc("/module/web/jpage/dataproxy.jsp", func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost {
				http.Error(w, "POST only", http.StatusMethodNotAllowed)
				return
			}
			r.ParseForm()
			fmu.Lock()
			forms = append(forms, r.PostForm)
			fmu.Unlock()
			var s, e int
			fmt.Sscan(r.URL.Query().Get("startrecord"), &s)
			fmt.Sscan(r.URL.Query().Get("endrecord"), &e)
			var b strings.Builder
			b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>7</totalrecord><totalpage>3</totalpage><recordset>`)
			for i := s; i <= e && i <= 7; i++ {
				b.WriteString(rec(i))
			}
			b.WriteString(`</recordset></datastore>`)
			w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
			fmt.Fprint(w, b.String())
		})
		var sink collect
		st := mustFetch(t, New(testOptions(nil)), Site{Name: "某镇", Start: []string{p.url("/col/col" + col + "/index.html")}}, &sink)
		if st.Reports != 7 {
			t.Errorf("reports = %d, want 7", st.Reports)
		}
		if n := p.hit("/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=9&perpage=3"); n != 1 {
			t.Errorf("dataproxy 1-9 requested %d times, want 1; hits %v", n, p.hits)
		}
		if n := p.hit("/module/web/jpage/dataproxy.jsp?startrecord=10&endrecord=18&perpage=3"); n != 0 {
			t.Errorf("dataproxy beyond totalrecord requested %d times", n)
		}
		fmu.Lock()
		defer fmu.Unlock()
		if len(forms) != 1 {
			t.Fatalf("%d POSTs, want 1", len(forms))
		}
		for k, want := range map[string]string{"columnid": col, "unitid": "5843431", "webid": "3277", "col": "1", "appid": "1", "path": "/", "webname": "某镇", "permissiontype": "0", "sourceContentType": "1"} {
			if got := forms[0].Get(k); got != want {
				t.Errorf("form %s = %q, want %q", k, got, want)
			}
		}
	})

	t.Run("ColumnDiscoveryAndNextLinks", func(t *testing.T) {
		// From a portal page, the column is found by its link text, not its
		// slug; pages are chained by plain 下一页 links; companion pages
		// (解读/图解/要点/通知/制度/格式) and off-site links are skipped.
		p := newPortal(t)
		other := newPortal(t)
		other.report("/nb/2023.html", "2023年政府信息公开工作年度报告")
		p.html("/zwgk/", `<html><head><meta charset="utf-8"><title>政务公开</title></head><body>
<a href="/zwgk/tzgg/">通知公告</a> <a href="/zwgk/zcjd/">政策解读</a> <a href="/zwgk/xxgkml/">信息公开目录</a>
<a href="/zwgk/xxgknb/">信息公开年报</a></body></html>`)
		p.html("/zwgk/tzgg/", listPage("通知公告", nil, ""))
		p.html("/zwgk/xxgknb/", listPage("信息公开年报", [][2]string{
			{"content/post_2143084.html", "湛江市司法局2025年政府信息公开工作年度报告"},
			{"content/post_2143000.html", "图解：湛江市司法局2025年政府信息公开工作年度报告"},
			{"content/post_2142000.html", "关于报送2025年政府信息公开工作年度报告的通知"},
			{"content/post_2141000.html", "政府信息公开工作年度报告格式"},
			{"content/post_2140000.html", "2025年政府信息公开工作年度报告要点"},
			{"content/post_2139000.html", "政府信息公开工作年度报告制度"},
			{strings.Replace(other.url("/nb/2023.html"), "127.0.0.1", "localhost", 1), "2023年政府信息公开工作年度报告"},
		}, `<div class="page"><a href="more_p2.html">下一页</a></div>`))
		p.html("/zwgk/xxgknb/more_p2.html", listPage("信息公开年报", [][2]string{
			{"content/post_1871569.html", "湛江市司法局2024年信息公开年报"},
		}, `<div class="page"><a href="/zwgk/xxgknb/">上一页</a></div>`))
		p.report("/zwgk/xxgknb/content/post_2143084.html", "湛江市司法局2025年政府信息公开工作年度报告")
		p.report("/zwgk/xxgknb/content/post_1871569.html", "湛江市司法局2024年信息公开年报")
		var sink collect
		st := mustFetch(t, New(testOptions(nil)), Site{Name: "湛江市司法局", Start: []string{p.url("/zwgk/")}}, &sink)
		if st.Reports != 2 {
			t.Errorf("reports = %d, want 2", st.Reports)
		}
		for _, u := range []string{"/zwgk/tzgg/", "/zwgk/zcjd/", "/zwgk/xxgknb/content/post_2143000.html", "/zwgk/xxgknb/content/post_2142000.html",
			"/zwgk/xxgknb/content/post_2141000.html", "/zwgk/xxgknb/content/post_2140000.html", "/zwgk/xxgknb/content/post_2139000.html"} {
			if n := p.hit(u); n != 0 {
				t.Errorf("%s requested %d times, want 0", u, n)
			}
		}
		if n := other.hit("/nb/2023.html"); n != 0 {
			t.Errorf("off-site report requested %d times", n)
		}
		d := sink.byURL()[p.url("/zwgk/xxgknb/content/post_2143084.html")]
		if d.Kind != KindReport || d.Parent != p.url("/zwgk/xxgknb/") || d.LinkText != "湛江市司法局2025年政府信息公开工作年度报告" ||
			d.Title != "湛江市司法局2025年政府信息公开工作年度报告" || d.Published != "2025-01-10" {
			t.Errorf("document provenance = %+v", d)
		}
	})
}

func TestCrawler_Fetch_Attachments(t *testing.T) {
	p := newPortal(t)
	files := []string{"/att/a.pdf", "/att/b.docx", "/att/c.doc", "/att/d.wps", "/att/e.xls"}
	var extra strings.Builder
	for _, f := range files {
		p.doc(f, "application/octet-stream", func() []byte { return []byte("\x00\x01binary " + f) })
		fmt.Fprintf(&extra, `<p>附件：<a href="%s">%s</a></p>`, f, f[5:])
	}
	extra.WriteString(`<p><a href="/att/logo.png">logo</a> <a href="/att/jd.pdf">年报解读.pdf</a></p>`)
	body := []byte(reportPage("2024年政府信息公开工作年度报告", extra.String()))
	p.doc("/nb/2024.html", "text/html; charset=utf-8", func() []byte { return body })
	p.doc("/nb/2023.pdf", "application/pdf", func() []byte { return []byte("%PDF-1.4 2023") })
	p.html("/nb/", listPage("年度报告", [][2]string{{"2024.html", "2024年政府信息公开工作年度报告"}, {"2023.pdf", "2023年政府信息公开工作年度报告"}}, ""))

	var sink collect
	cr := New(testOptions(NewMemState()))
	st := mustFetch(t, cr, Site{Name: "a", Start: []string{p.url("/nb/")}}, &sink)
	if st.Reports != 1 || st.Attachments != 6 {
		t.Errorf("reports, attachments = %d, %d, want 1, 6", st.Reports, st.Attachments)
	}
	docs := sink.byURL()
	for _, f := range files {
		d, ok := docs[p.url(f)]
		if !ok {
			t.Errorf("%s not delivered", f)
			continue
		}
		if d.Kind != KindAttachment || d.Parent != p.url("/nb/2024.html") || string(d.Body) != "\x00\x01binary "+f || d.Charset != "" {
			t.Errorf("%s: kind %q parent %q charset %q body %q", f, d.Kind, d.Parent, d.Charset, d.Body)
		}
	}
	if d := docs[p.url("/nb/2023.pdf")]; d.Kind != KindAttachment || d.Parent != p.url("/nb/") || d.LinkText != "2023年政府信息公开工作年度报告" {
		t.Errorf("list-level PDF report: %+v", d)
	}
	if p.hit("/att/logo.png") != 0 || p.hit("/att/jd.pdf") != 0 {
		t.Errorf("image or 解读 attachment requested")
	}

	t.Run("RevalidatedWhenPageNotModified", func(t *testing.T) {
		// The report page answers 304, so its links are not read again; its
		// attachments still get their own conditional request.
		st2 := mustFetch(t, cr, Site{Name: "a", Start: []string{p.url("/nb/")}}, &collect{})
		if st2.NotModified != 7 || st2.Attachments != 0 || st2.Reports != 0 {
			t.Errorf("second run: not modified %d, attachments %d, reports %d; want 7, 0, 0", st2.NotModified, st2.Attachments, st2.Reports)
		}
		for _, f := range files {
			if n := p.hit(f); n != 2 {
				t.Errorf("%s requested %d times in two runs, want 2", f, n)
			}
		}
		if got := p.totalBodies("/att/"); got != len(files) {
			t.Errorf("attachment bodies downloaded = %d, want %d (none in run 2)", got, len(files))
		}
	})
}

func TestCrawler_Fetch_SameReportTwice(t *testing.T) {
	// The same report in a department column and in gkmlpt: both captures
	// are delivered; deduplication by agency and year is downstream.
	p := newPortal(t)
	p.report("/sfj/xxgknb/content/post_2143084.html", "湛江市司法局2025年政府信息公开工作年度报告")
	p.report("/gkmlpt/content/2/2143/post_2143084.html", "湛江市司法局2025年政府信息公开工作年度报告")
	p.html("/sfj/xxgknb/", listPage("信息公开年报", [][2]string{{"content/post_2143084.html", "湛江市司法局2025年政府信息公开工作年度报告"}}, ""))
	p.html("/sfj/gk/", listPage("信息公开年报", [][2]string{{"/gkmlpt/content/2/2143/post_2143084.html", "湛江市司法局2025年政府信息公开工作年度报告"}}, ""))
	var sink collect
	st := mustFetch(t, New(testOptions(nil)), Site{Name: "s", Start: []string{p.url("/sfj/xxgknb/"), p.url("/sfj/gk/")}}, &sink)
	if st.Reports != 2 {
		t.Fatalf("reports = %d, want 2", st.Reports)
	}
	docs := sink.byURL()
	a, b := docs[p.url("/sfj/xxgknb/content/post_2143084.html")], docs[p.url("/gkmlpt/content/2/2143/post_2143084.html")]
	if a.SHA256 == "" || a.SHA256 != b.SHA256 {
		t.Errorf("hashes %q %q, want equal", a.SHA256, b.SHA256)
	}
}

func TestCrawler_Fetch_GBKWithoutCharset(t *testing.T) {
	gbk := func(s string) []byte {
		b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	p := newPortal(t)
	const title = "北京市朝阳区2023年政府信息公开工作年度报告"
	list := gbk(`<html><head><title>政府信息公开年报</title></head><body><ul>
<li><a href="/nb/2023.html">` + title + `</a></li><li><a href="/nb/jd.html">2023年年报解读</a></li></ul>
<a href="/nb/?lm=年报&page=2">下一页</a></body></html>`)
	page := gbk(`<html><head><title>` + title + `</title></head><body><table><tr><td>信息内容</td><td>本年制发件数</td></tr>
<tr><td>规章</td><td>3</td></tr></table><p>` + strings.Repeat("本机关认真贯彻落实条例。", 40) + `</p></body></html>`)
	metaPage := gbk(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>2022年政府信息公开工作年度报告</title></head><body>` +
		strings.Repeat("政府信息公开", 100) + `</body></html>`)
	// No charset in the header, no <meta>: text/html only.
	p.doc("/nb/", "text/html", func() []byte { return list })
	p.doc("/nb/2023.html", "text/html", func() []byte { return page })
	p.html("/nb/jd.html", "解读")
	p.doc("/nb2/", "text/html", func() []byte {
		return gbk(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body><a href="/nb2/2022.html">2022年政府信息公开工作年度报告</a></body></html>`)
	})
	p.doc("/nb2/2022.html", "text/html", func() []byte { return metaPage })

	var sink collect
	st := mustFetch(t, New(testOptions(nil)), Site{Name: "朝阳", Start: []string{p.url("/nb/"), p.url("/nb2/")}}, &sink)
	if st.Reports != 2 {
		t.Fatalf("reports = %d, want 2 (GBK link text not decoded?)", st.Reports)
	}
	// A Chinese query on a GBK page is sent GBK-encoded, as a browser does.
	if n := p.hit("/nb/?lm=%C4%EA%B1%A8&page=2"); n != 1 {
		t.Errorf("GBK-encoded query requested %d times; hits %v", n, p.hits)
	}
	if p.hit("/nb/jd.html") != 0 {
		t.Errorf("解读 requested")
	}
	d := sink.byURL()[p.url("/nb/2023.html")]
	if string(d.Body) != string(page) {
		t.Errorf("body was transcoded; want the raw GBK bytes")
	}
	if d.Charset != "gb18030" || d.ContentType != "text/html" {
		t.Errorf("charset %q content type %q", d.Charset, d.ContentType)
	}
	if d.Title != title || d.LinkText != title {
		t.Errorf("title %q link text %q, want %q", d.Title, d.LinkText, title)
	}
	if u := string(d.UTF8()); !strings.Contains(u, "本年制发件数") || strings.ContainsRune(u, '\uFFFD') {
		t.Errorf("UTF8() = mojibake: %.80q", u)
	}
	if m := sink.byURL()[p.url("/nb2/2022.html")]; m.Charset != "gb18030" || !strings.Contains(string(m.UTF8()), "政府信息公开") {
		t.Errorf("meta gb2312 page: charset %q", m.Charset)
	}
}

func TestCrawler_Fetch_RespectsRobots(t *testing.T) {
	p := newPortal(t)
	p.mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
	})
	p.html("/nb/", listPage("年报", [][2]string{{"/nb/2024.html", "2024年政府信息公开工作年度报告"}, {"/private/2023.html", "2023年政府信息公开工作年度报告"}}, ""))
	p.report("/nb/2024.html", "2024年政府信息公开工作年度报告")
	p.report("/private/2023.html", "2023年政府信息公开工作年度报告")

	t.Run("RobotsDisallowed", func(t *testing.T) {
		var sink collect
		var events []Event
		opts := testOptions(nil)
		opts.OnEvent = func(e Event) { events = append(events, e) }
		st, err := New(opts).Fetch(context.Background(), Site{Name: "r", Start: []string{p.url("/nb/")}}, &sink)
		if !errors.Is(err, ErrRobotsDisallowed) {
			t.Fatalf("err = %v, want ErrRobotsDisallowed", err)
		}
		var fe *FetchError
		if !errors.As(err, &fe) || fe.URL != p.url("/private/2023.html") || fe.Reason != "robots" {
			t.Errorf("FetchError = %+v", fe)
		}
		if n := p.hit("/private/2023.html"); n != 0 {
			t.Errorf("disallowed URL requested %d times", n)
		}
		if st.Reports != 1 || st.Failures["robots"] != 1 || st.Failed != 1 {
			t.Errorf("stats = %+v", st)
		}
		var failures int
		for _, e := range events {
			if e.Type == EventFailure && e.Reason == "robots" {
				failures++
			}
		}
		if failures != 1 {
			t.Errorf("%d robots failure events, want 1", failures)
		}
	})
	t.Run("IgnoreRobots", func(t *testing.T) {
		opts := testOptions(nil)
		opts.IgnoreRobots = true
		var sink collect
		st := mustFetch(t, New(opts), Site{Name: "r", Start: []string{p.url("/nb/")}}, &sink)
		if st.Reports != 2 || p.hit("/private/2023.html") != 1 {
			t.Errorf("reports %d, private hits %d; want 2, 1", st.Reports, p.hit("/private/2023.html"))
		}
	})
}

func TestCrawler_Fetch_Retries(t *testing.T) {
	p := newPortal(t)
	var n500, n429, n429date, n503 atomic.Int32
	page := reportPage("2024年政府信息公开工作年度报告", "")
	p.mux.HandleFunc("/nb/500.html", func(w http.ResponseWriter, r *http.Request) {
		if n500.Add(1) == 1 {
			http.Error(w, "oops", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, page)
	})
	p.mux.HandleFunc("/nb/429.html", func(w http.ResponseWriter, r *http.Request) {
		if n429.Add(1) == 1 {
			w.Header().Set("Retry-After", "3600") // capped by MaxRetryWait
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, page)
	})
	p.mux.HandleFunc("/nb/429date.html", func(w http.ResponseWriter, r *http.Request) {
		if n429date.Add(1) == 1 {
			w.Header().Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, page)
	})
	var healthy atomic.Bool
	p.mux.HandleFunc("/nb/503.html", func(w http.ResponseWriter, r *http.Request) {
		n503.Add(1)
		if !healthy.Load() {
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, page)
	})
	p.html("/nb/", listPage("年报", [][2]string{
		{"500.html", "2024年政府信息公开工作年度报告"}, {"429.html", "2023年政府信息公开工作年度报告"},
		{"429date.html", "2022年政府信息公开工作年度报告"}, {"503.html", "2021年政府信息公开工作年度报告"}}, ""))

	opts := testOptions(NewMemState())
	var retries atomic.Int32
	opts.OnEvent = func(e Event) {
		if e.Type == EventRetry {
			retries.Add(1)
		}
	}
	cr := New(opts)
	site := Site{Name: "r", Start: []string{p.url("/nb/")}}
	var sink collect
	began := time.Now()
	st, err := cr.Fetch(context.Background(), site, &sink)
	if d := time.Since(began); d > 3*time.Second {
		t.Errorf("Fetch took %v: Retry-After not capped", d)
	}
	var fe *FetchError
	if !errors.As(err, &fe) || fe.Status != 503 || fe.Reason != "http 503" || !errors.Is(err, ErrStatus) {
		t.Fatalf("err = %v, want a FetchError for 503", err)
	}
	if st.Reports != 3 || n500.Load() != 2 || n429.Load() != 2 || n429date.Load() != 2 {
		t.Errorf("reports %d; attempts 500:%d 429:%d 429date:%d; want 3, 2, 2, 2", st.Reports, n500.Load(), n429.Load(), n429date.Load())
	}
	if got, want := n503.Load(), int32(opts.Retries+1); got != want {
		t.Errorf("503 attempts = %d, want %d", got, want)
	}
	if st.Retries != 5 || retries.Load() != 5 {
		t.Errorf("retries stats %d events %d, want 5", st.Retries, retries.Load())
	}
	q, _ := opts.State.Queue("r")
	if len(q) != 1 || q[0].URL != p.url("/nb/503.html") || q[0].Failure != "http 503" || q[0].Attempts != 1 {
		t.Fatalf("queue after run 1 = %+v, want the 503 URL to retry", q)
	}

	t.Run("FailedURLRetriedNextRun", func(t *testing.T) {
		healthy.Store(true)
		var sink2 collect
		st2 := mustFetch(t, cr, site, &sink2)
		if _, ok := sink2.byURL()[p.url("/nb/503.html")]; !ok || st2.Resumed {
			t.Errorf("503 URL not fetched in the next run (resumed=%v)", st2.Resumed)
		}
		if q, _ := opts.State.Queue("r"); len(q) != 0 {
			t.Errorf("queue after run 2 = %+v, want empty", q)
		}
	})
}

func TestCrawler_Fetch_Blocked(t *testing.T) {
	p := newPortal(t)
	p.mux.HandleFunc("/nb/rs.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "FSSBBIl1UgzbN7N80S=abc; Path=/")
		w.WriteHeader(http.StatusPreconditionFailed)
		fmt.Fprint(w, `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><script type="text/javascript">$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=12345;$_ts.cd="qEcqrAAl";</script><script type="text/javascript" r='m' charset="utf-8" src="/4QbVtADbnLVIc/d.js"></script></head><body></body></html>`)
	})
	p.mux.HandleFunc("/nb/jsl.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "__jsluid_h=0123456789abcdef; max-age=31536000; path=/")
		w.WriteHeader(521)
		fmt.Fprint(w, `<script>document.cookie=('_')+('_')+('jsl_clearance')+('=')+('1585');location.href=location.pathname+location.search</script>`)
	})
	p.mux.HandleFunc("/nb/js.html", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><script>var x="a";location.replace("/nb/js.html?t="+Date.now());</script></html>`)
	})
	p.mux.HandleFunc("/nb/403.html", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Forbidden", http.StatusForbidden)
	})
	p.mux.HandleFunc("/nb/check.html", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><head><title>安全验证</title></head><body><p>您的访问异常，请完成安全验证后继续访问。</p><div id="captcha"></div></body></html>`)
	})
	p.report("/nb/ok.html", "2019年政府信息公开工作年度报告")
	p.html("/nb/", listPage("年报", [][2]string{
		{"rs.html", "2024年政府信息公开工作年度报告"}, {"jsl.html", "2023年政府信息公开工作年度报告"},
		{"js.html", "2022年政府信息公开工作年度报告"}, {"403.html", "2021年政府信息公开工作年度报告"},
		{"check.html", "2020年政府信息公开工作年度报告"}, {"ok.html", "2019年政府信息公开工作年度报告"}}, ""))
	var sink collect
	st, err := New(testOptions(nil)).Fetch(context.Background(), Site{Name: "b", Start: []string{p.url("/nb/")}}, &sink)
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("err = %v, want ErrBlocked", err)
	}
	want := map[string]int{"blocked: ruishu": 1, "blocked: jiasule": 1, "blocked: js-only": 1, "blocked: http 403": 1, "blocked: captcha": 1}
	for k, v := range want {
		if st.Failures[k] != v {
			t.Errorf("failures[%q] = %d, want %d (all: %v)", k, st.Failures[k], v, st.Failures)
		}
	}
	if st.Reports != 1 || len(sink.docs) != 2 { // the list page and ok.html
		t.Errorf("delivered %d documents (%d reports), want 2 (1)", len(sink.docs), st.Reports)
	}
}

func TestCrawler_Fetch_OffsiteRedirect(t *testing.T) {
	p := newPortal(t)
	other := newPortal(t)
	other.report("/spam/2024.html", "2024年政府信息公开工作年度报告")
	// Same server under another host name: localhost is not an allowed host.
	offsite := strings.Replace(p.url("/moved/2024.html"), "127.0.0.1", "localhost", 1)
	p.report("/moved/2024.html", "2024年政府信息公开工作年度报告")
	p.mux.HandleFunc("/nb/2024.html", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, offsite, http.StatusFound)
	})
	p.mux.HandleFunc("/nb/2023.html", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(other.url("/spam/2024.html"), "127.0.0.1", "localhost", 1), http.StatusMovedPermanently)
	})
	p.mux.HandleFunc("/nb/2022.html", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/nb/2022/index.html", http.StatusMovedPermanently) // on-site: followed
	})
	p.report("/nb/2022/index.html", "2022年政府信息公开工作年度报告")
	p.html("/nb/", listPage("年报", [][2]string{{"2024.html", "2024年政府信息公开工作年度报告"},
		{"2023.html", "2023年政府信息公开工作年度报告"}, {"2022.html", "2022年政府信息公开工作年度报告"}}, ""))
	var sink collect
	st, err := New(testOptions(nil)).Fetch(context.Background(), Site{Name: "o", Start: []string{p.url("/nb/")}}, &sink)
	if !errors.Is(err, ErrOffsiteRedirect) {
		t.Fatalf("err = %v, want ErrOffsiteRedirect", err)
	}
	if st.Failures["offsite redirect"] != 2 {
		t.Errorf("failures = %v, want 2 offsite redirects", st.Failures)
	}
	if p.hit("/moved/2024.html") != 0 || other.hit("/spam/2024.html") != 0 {
		t.Errorf("redirect target requested")
	}
	d, ok := sink.byURL()[p.url("/nb/2022.html")]
	if !ok || d.FinalURL != p.url("/nb/2022/index.html") {
		t.Errorf("on-site redirect: delivered %v, final URL %q", ok, d.FinalURL)
	}
}

func TestCrawler_Fetch_Truncated(t *testing.T) {
	p := newPortal(t)
	big := reportPage("2024年政府信息公开工作年度报告", strings.Repeat("<p>本机关认真贯彻落实条例。</p>", 300))
	p.mux.HandleFunc("/nb/cl.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(big)))
		fmt.Fprint(w, big)
	})
	p.mux.HandleFunc("/nb/chunked.html", func(w http.ResponseWriter, r *http.Request) {
		// No Content-Length: the cap is only visible while reading.
		for i := 0; i < len(big); i += 1000 {
			io.WriteString(w, big[i:min(i+1000, len(big))])
			w.(http.Flusher).Flush()
		}
	})
	p.mux.HandleFunc("/nb/short.html", func(w http.ResponseWriter, r *http.Request) {
		// The server announces more than it sends (a cut connection).
		w.Header().Set("Content-Length", "3000")
		io.WriteString(w, big[:1000])
	})
	p.report("/nb/ok.html", "2021年政府信息公开工作年度报告")
	p.html("/nb/", listPage("年报", [][2]string{{"cl.html", "2024年政府信息公开工作年度报告"},
		{"chunked.html", "2023年政府信息公开工作年度报告"}, {"short.html", "2022年政府信息公开工作年度报告"},
		{"ok.html", "2021年政府信息公开工作年度报告"}}, ""))
	opts := testOptions(nil)
	opts.MaxBodySize = 4000
	opts.Retries = 0
	var sink collect
	st, err := New(opts).Fetch(context.Background(), Site{Name: "t", Start: []string{p.url("/nb/")}}, &sink)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	if st.Failures["truncated"] != 3 || st.Reports != 1 {
		t.Errorf("failures %v, reports %d; want 3 truncated, 1 report", st.Failures, st.Reports)
	}
	for u := range sink.byURL() {
		if !strings.HasSuffix(u, "/nb/") && !strings.HasSuffix(u, "/nb/ok.html") {
			t.Errorf("truncated document delivered: %s", u)
		}
	}
}

// conditionalPortal serves a column of n reports whose bodies can change.
func conditionalPortal(t *testing.T, n int) (*portal, []string, *sync.Map) {
	p := newPortal(t)
	var bodies sync.Map // path → string
	var links [][2]string
	var paths []string
	for i := 0; i < n; i++ {
		path := fmt.Sprintf("/nb/content/post_%d.html", 1000+i)
		title := fmt.Sprintf("第%d局2024年政府信息公开工作年度报告", i)
		bodies.Store(path, reportPage(title, ""))
		p.doc(path, "text/html; charset=utf-8", func() []byte { v, _ := bodies.Load(path); return []byte(v.(string)) })
		links = append(links, [2]string{path, title})
		paths = append(paths, path)
	}
	var pages []string
	for i := 0; i < len(links); i += 4 {
		pages = append(pages, listPage("年报", links[i:min(i+4, len(links))], ""))
	}
	for i := range pages {
		name := "/nb/index.html"
		if i > 0 {
			name = fmt.Sprintf("/nb/index_%d.html", i+1)
		}
		tail := fmt.Sprintf(`<script>createPageHTML('page_div',%d,%d,'index','html',%d);</script>`, len(pages), i+1, n)
		p.html(name, pages[i][:len(pages[i])-len("</body></html>")]+tail+"</body></html>")
	}
	return p, paths, &bodies
}

func TestCrawler_Fetch_Conditional(t *testing.T) {
	p, paths, bodies := conditionalPortal(t, 10)
	st := NewMemState()
	cr := New(testOptions(st))
	site := Site{Name: "c", Start: []string{p.url("/nb/index.html")}}
	var sink1 collect
	s1 := mustFetch(t, cr, site, &sink1)
	if s1.Reports != 10 || s1.New != 10 || s1.Lists != 3 {
		t.Fatalf("run 1: %+v", s1)
	}
	if got := p.totalBodies("/nb/content/"); got != 10 {
		t.Fatalf("run 1 downloaded %d report bodies, want 10", got)
	}

	t.Run("SecondRunDownloadsNoReportBody", func(t *testing.T) {
		var sink collect
		s2 := mustFetch(t, cr, site, &sink)
		if got := p.totalBodies("/nb/content/"); got != 10 {
			t.Errorf("report bodies downloaded in total = %d, want 10 (none in run 2)", got)
		}
		if s2.NotModified != 10 || s2.Reports != 0 || s2.Lists != 3 {
			t.Errorf("run 2: not modified %d, reports %d, lists %d; want 10, 0, 3", s2.NotModified, s2.Reports, s2.Lists)
		}
		if p.hit("/nb/index_2.html") != 2 {
			t.Errorf("list page fetched %d times in 2 runs, want 2 (always fresh)", p.hit("/nb/index_2.html"))
		}
	})

	t.Run("ChangedReportDeliveredAgain", func(t *testing.T) {
		old := sink1.byURL()[p.url(paths[3])].SHA256
		bodies.Store(paths[3], reportPage("第3局2024年政府信息公开工作年度报告", "<p>更正：规章数为4。</p>"))
		var sink collect
		s3 := mustFetch(t, cr, site, &sink)
		if s3.Reports != 1 || s3.Changed != 1 || s3.NotModified != 9 {
			t.Fatalf("run 3: reports %d changed %d not modified %d; want 1 1 9", s3.Reports, s3.Changed, s3.NotModified)
		}
		d := sink.byURL()[p.url(paths[3])]
		if d.Previous != old || d.SHA256 == old || d.Unchanged || !strings.Contains(string(d.Body), "更正") {
			t.Errorf("changed document: previous %q (want %q) sha %q unchanged %v", d.Previous, old, d.SHA256, d.Unchanged)
		}
	})

	t.Run("ServerWithoutValidators", func(t *testing.T) {
		// A server that ignores validators: the body comes again and is
		// delivered flagged Unchanged.
		q := newPortal(t)
		q.html("/nb/", listPage("年报", [][2]string{{"/nb/1.html", "2024年政府信息公开工作年度报告"}}, ""))
		q.html("/nb/1.html", reportPage("2024年政府信息公开工作年度报告", ""))
		c2 := New(testOptions(NewMemState()))
		s := Site{Name: "v", Start: []string{q.url("/nb/")}}
		mustFetch(t, c2, s, &collect{})
		var sink collect
		st := mustFetch(t, c2, s, &sink)
		d := sink.byURL()[q.url("/nb/1.html")]
		if !d.Unchanged || d.Previous != d.SHA256 || st.Unchanged != 1 {
			t.Errorf("unchanged = %v, stats %d", d.Unchanged, st.Unchanged)
		}
	})
}

func TestCrawler_Fetch_Resume(t *testing.T) {
	p, paths, _ := conditionalPortal(t, 24)
	st := NewMemState()
	opts := testOptions(st)
	opts.Parallelism = 1
	cr := New(opts)
	site := Site{Name: "resume", Start: []string{p.url("/nb/index.html")}}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink1 := collect{after: func(n int) {
		if n == 8 {
			cancel()
		}
	}}
	s1, err := cr.Fetch(ctx, site, &sink1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if s1.Pending == 0 {
		t.Fatalf("nothing pending after the interruption: %+v", s1)
	}
	q, _ := st.Queue("resume")
	if len(q) != s1.Pending {
		t.Errorf("State queue has %d items, stats say %d pending", len(q), s1.Pending)
	}

	var sink2 collect
	s2 := mustFetch(t, cr, site, &sink2)
	if !s2.Resumed {
		t.Errorf("second run not resumed")
	}
	if p.hit("/nb/index.html") != 1 {
		t.Errorf("start page fetched %d times, want 1", p.hit("/nb/index.html"))
	}
	// A page delivered before the interruption is never fetched again. A
	// request in flight when the context was cancelled may have reached
	// the server without its response being kept: that page is fetched
	// once more by the resumed run, and at most once more.
	done1 := sink1.byURL()
	again := 0
	for _, path := range paths {
		n := p.hit(path)
		_, delivered := done1[p.url(path)]
		switch {
		case delivered && n != 1:
			t.Errorf("%s was delivered in run 1 but fetched %d times, want 1", path, n)
		case n < 1 || n > 2:
			t.Errorf("%s fetched %d times over both runs, want 1 (or 2 if cut off in flight)", path, n)
		case n == 2:
			again++
		}
	}
	if again > opts.Parallelism {
		t.Errorf("%d pages fetched twice; at most %d can have been in flight at the cancel", again, opts.Parallelism)
	}
	if got := s1.Reports + s2.Reports; got != 24 {
		t.Errorf("reports over both runs = %d, want 24", got)
	}
	if q, _ := st.Queue("resume"); len(q) != 0 || s2.Pending != 0 {
		t.Errorf("queue left after resume: %d", len(q))
	}

	t.Run("NextRunStartsOver", func(t *testing.T) {
		s3 := mustFetch(t, cr, site, &collect{})
		if s3.Resumed || s3.NotModified != 24 || p.hit("/nb/index.html") != 2 {
			t.Errorf("run 3: resumed %v, not modified %d, start page hits %d", s3.Resumed, s3.NotModified, p.hit("/nb/index.html"))
		}
	})
}

func TestCrawler_Fetch_RespectsParallelism(t *testing.T) {
	for _, par := range []int{1, 3} {
		t.Run(fmt.Sprintf("Parallelism%d", par), func(t *testing.T) {
			p, _, _ := conditionalPortal(t, 16)
			p.delay = 15 * time.Millisecond
			opts := testOptions(nil)
			opts.Parallelism = par
			st := mustFetch(t, New(opts), Site{Name: "p", Start: []string{p.url("/nb/index.html")}}, &collect{})
			if st.Reports != 16 {
				t.Fatalf("reports = %d", st.Reports)
			}
			if got := int(p.peak.Load()); got != par {
				t.Errorf("peak concurrent requests = %d, want %d", got, par)
			}
		})
	}
}

func TestCrawler_Fetch_Stops(t *testing.T) {
	t.Run("MaxPages", func(t *testing.T) {
		p, _, _ := conditionalPortal(t, 12)
		st := NewMemState()
		cr := New(testOptions(st))
		site := Site{Name: "m", Start: []string{p.url("/nb/index.html")}, MaxPages: 5}
		s, err := cr.Fetch(context.Background(), site, &collect{})
		var fe *FetchError
		if !errors.Is(err, ErrBudget) || !errors.As(err, &fe) || fe.Reason != "budget: max_pages 5 reached" {
			t.Fatalf("err = %v, want the max_pages budget", err)
		}
		// The queue is dropped: the next run starts again from the start
		// page instead of resuming past the limit (issue 10).
		if s.Requests != 5 || s.Pending != 0 || s.Failures["budget: max_pages 5 reached"] != 1 {
			t.Errorf("requests %d pending %d failures %v, want 5, 0 and the budget", s.Requests, s.Pending, s.Failures)
		}
		if q, _ := st.Queue("m"); len(q) != 0 {
			t.Errorf("queue after the budget = %d items, want none", len(q))
		}
		s2, _ := cr.Fetch(context.Background(), site, &collect{})
		if s2.Resumed || p.hit("/nb/index.html") != 2 {
			t.Errorf("second run resumed=%v, start page hits %d; want a fresh start", s2.Resumed, p.hit("/nb/index.html"))
		}
	})
	t.Run("SinkError", func(t *testing.T) {
		p, _, _ := conditionalPortal(t, 12)
		boom := errors.New("disk full")
		var calls atomic.Int32
		sink := SinkFunc(func(ctx context.Context, d Document) error {
			if calls.Add(1) == 3 {
				return boom
			}
			return nil
		})
		opts := testOptions(nil)
		opts.Parallelism = 1
		s, err := New(opts).Fetch(context.Background(), Site{Name: "e", Start: []string{p.url("/nb/index.html")}}, sink)
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the sink's error", err)
		}
		if s.Pending == 0 || calls.Load() > 4 {
			t.Errorf("pending %d, sink calls %d", s.Pending, calls.Load())
		}
	})
	t.Run("InvalidSite", func(t *testing.T) {
		for _, s := range []Site{{}, {Name: "x"}, {Name: "x", Start: []string{"/relative"}}, {Name: "x", Start: []string{"http://a/"}, ReportPattern: "("}} {
			if _, err := New(Options{}).Fetch(context.Background(), s, &collect{}); !errors.Is(err, ErrInvalidSite) {
				t.Errorf("Fetch(%+v) = %v, want ErrInvalidSite", s, err)
			}
		}
	})
}

func TestCrawler_Fetch_Events(t *testing.T) {
	p, _, _ := conditionalPortal(t, 5)
	var types []EventType
	var last Event
	opts := testOptions(nil)
	opts.OnEvent = func(e Event) {
		types = append(types, e.Type)
		last = e
		if e.Document != nil && e.Document.Body != nil {
			t.Errorf("event carries a body")
		}
	}
	mustFetch(t, New(opts), Site{Name: "ev", Start: []string{p.url("/nb/index.html")}}, &collect{})
	// Events carry the Crawler's host state: at the end, nothing in
	// flight, and at least one request was.
	if h := last.Hosts; h.InFlight != 0 || h.Active != 0 || h.PeakInFlight < 1 {
		t.Errorf("hosts at the last event = %+v", h)
	}
	counts := map[EventType]int{}
	for _, ty := range types {
		counts[ty]++
	}
	if types[0] != EventStart || types[len(types)-1] != EventDone || counts[EventDocument] != 7 {
		keys := make([]string, 0)
		for k, v := range counts {
			keys = append(keys, fmt.Sprintf("%s=%d", k, v))
		}
		sort.Strings(keys)
		t.Errorf("events: first %s last %s counts %v", types[0], types[len(types)-1], keys)
	}
}

func TestCrawler_Fetch_RespectsDelay(t *testing.T) {
	// With a site's own delay, consecutive requests to the host start at
	// least Delay apart (see TestCrawler_Fetch_DelayPerHost).
	p, _, _ := conditionalPortal(t, 5)
	var mu sync.Mutex
	var starts []time.Time
	inner := p.srv.Config.Handler
	p.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/robots.txt" {
			mu.Lock()
			starts = append(starts, time.Now())
			mu.Unlock()
		}
		inner.ServeHTTP(w, r)
	})
	opts := testOptions(nil)
	opts.Parallelism = 1
	const delay = 30 * time.Millisecond
	site := Site{Name: "d", Start: []string{p.url("/nb/index.html")}}
	d := delay
	site.Delay = &d
	st := mustFetch(t, New(opts), site, &collect{})
	if st.Reports != 5 || len(starts) != 7 {
		t.Fatalf("reports %d requests %d, want 5, 7", st.Reports, len(starts))
	}
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < delay-wireSlack/5 {
			t.Errorf("request %d started %v after the previous one, want >= %v", i, gap, delay)
		}
	}
}

func TestAllowedHosts(t *testing.T) {
	r := &run{allowed: allowedHosts(Site{AllowedDomains: []string{"www.zhanjiang.gov.cn", "*.gd.gov.cn", "Example.org:8080"}})}
	for host, want := range map[string]bool{
		"www.zhanjiang.gov.cn": true, "zhanjiang.gov.cn": false, "cghzf.zhanjiang.gov.cn": false,
		"gd.gov.cn": true, "www.gd.gov.cn": true, "zfcxjst.gd.gov.cn": true, "evilgd.gov.cn": false,
		"example.org": true, "EXAMPLE.ORG": true, "zwinkt.com": false,
	} {
		if got := r.allowedHost(host); got != want {
			t.Errorf("allowedHost(%q) = %v, want %v", host, got, want)
		}
	}
	r = &run{allowed: allowedHosts(Site{Start: []string{"https://www.zhanjiang.gov.cn/zjsfw/", "http://cghzf.zhanjiang.gov.cn:8080/x"}})}
	if !r.allowedHost("cghzf.zhanjiang.gov.cn") || !r.allowedHost("www.zhanjiang.gov.cn") || r.allowedHost("www.gd.gov.cn") {
		t.Errorf("default allowed hosts = %q", r.allowed)
	}
}

func TestCrawler_Fetch_Timeouts(t *testing.T) {
	p := newPortal(t)
	var first atomic.Bool
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	page := reportPage("2024年政府信息公开工作年度报告", "")
	p.mux.HandleFunc("/nb/slow-once.html", func(w http.ResponseWriter, r *http.Request) {
		if !first.Swap(true) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		fmt.Fprint(w, page)
	})
	p.mux.HandleFunc("/nb/hang.html", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	p.html("/nb/", listPage("年报", [][2]string{{"slow-once.html", "2024年政府信息公开工作年度报告"}, {"hang.html", "2023年政府信息公开工作年度报告"}}, ""))
	opts := testOptions(nil)
	opts.Timeout = 100 * time.Millisecond
	opts.Retries = 1

	t.Run("RetriedThenFailed", func(t *testing.T) {
		st, err := New(opts).Fetch(context.Background(), Site{Name: "t", Start: []string{p.url("/nb/")}}, &collect{})
		var fe *FetchError
		if !errors.As(err, &fe) || fe.Reason != "timeout" || fe.URL != p.url("/nb/hang.html") {
			t.Fatalf("err = %v, want a timeout of hang.html", err)
		}
		if st.Reports != 1 || p.hit("/nb/slow-once.html") != 2 || p.hit("/nb/hang.html") != 2 {
			t.Errorf("reports %d, attempts slow-once %d hang %d; want 1, 2, 2", st.Reports, p.hit("/nb/slow-once.html"), p.hit("/nb/hang.html"))
		}
	})

	t.Run("ContextCanceled", func(t *testing.T) {
		o := opts
		o.Timeout = time.Minute
		ctx, cancel := context.WithCancel(context.Background())
		o.OnEvent = func(e Event) {
			if e.Type == EventDocument && e.Kind == KindList {
				go func() { time.Sleep(50 * time.Millisecond); cancel() }()
			}
		}
		st := NewMemState()
		o.State = st
		began := time.Now()
		_, err := New(o).Fetch(ctx, Site{Name: "c", Start: []string{p.url("/nb/")}}, &collect{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(began); d > 5*time.Second {
			t.Errorf("Fetch returned %v after the cancel", d)
		}
		q, _ := st.Queue("c")
		var urls []string
		for _, it := range q {
			urls = append(urls, it.URL)
		}
		if len(q) != 1 || q[0].URL != p.url("/nb/hang.html") || q[0].Failure != "" {
			t.Errorf("queue after cancel = %v, want the hanging URL, not failed", urls)
		}
	})
}

func TestCrawler_Fetch_RawBody(t *testing.T) {
	// colly transcodes a body whose Content-Type names a charset; the
	// crawler must still deliver the bytes as served.
	gbkPage, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(reportPage("2023年政府信息公开工作年度报告", "")))
	p := newPortal(t)
	p.html("/nb/", listPage("年报", [][2]string{{"gbk.html", "2023年政府信息公开工作年度报告"}, {"gz.html", "2022年政府信息公开工作年度报告"}}, ""))
	p.mux.HandleFunc("/nb/gbk.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=GBK")
		w.Write(gbkPage)
	})
	gzPage := reportPage("2022年政府信息公开工作年度报告", "")
	p.mux.HandleFunc("/nb/gz.html", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Errorf("no Accept-Encoding: gzip")
		}
		var buf strings.Builder
		zw := gzip.NewWriter(&buf)
		io.WriteString(zw, gzPage)
		zw.Close()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", fmt.Sprint(buf.Len()))
		io.WriteString(w, buf.String())
	})
	var sink collect
	st := mustFetch(t, New(testOptions(nil)), Site{Name: "raw", Start: []string{p.url("/nb/")}}, &sink)
	if st.Reports != 2 {
		t.Fatalf("reports = %d, want 2", st.Reports)
	}
	d := sink.byURL()[p.url("/nb/gbk.html")]
	if string(d.Body) != string(gbkPage) || d.ContentType != "text/html; charset=GBK" || d.Charset != "gb18030" {
		t.Errorf("GBK page: raw %v, content type %q, charset %q", string(d.Body) == string(gbkPage), d.ContentType, d.Charset)
	}
	if d.Title != "2023年政府信息公开工作年度报告" {
		t.Errorf("title %q", d.Title)
	}
	if g := sink.byURL()[p.url("/nb/gz.html")]; string(g.Body) != gzPage {
		t.Errorf("gzip page not decoded: %d bytes", len(g.Body))
	}
}

func TestCrawler_Fetch_CustomPatterns(t *testing.T) {
	// A site whose titles the heuristics miss: the report column is named
	// 其他 and the reports "工作报告（2024）". Patterns from the config fix it.
	p := newPortal(t)
	p.html("/gk/", listPage("公开", [][2]string{{"/gk/qt/", "其他"}, {"/gk/tz/", "通知"}}, ""))
	p.html("/gk/qt/", listPage("其他", [][2]string{{"/gk/qt/nb_2024.html", "工作报告（2024）"}, {"/gk/qt/jd_2024.html", "工作报告（2024）解读"}, {"/gk/qt/other.html", "工作动态"}}, ""))
	p.html("/gk/tz/", listPage("通知", nil, ""))
	p.report("/gk/qt/nb_2024.html", "工作报告（2024）")
	p.report("/gk/qt/jd_2024.html", "工作报告（2024）解读")
	var sink collect
	st := mustFetch(t, New(testOptions(nil)), Site{Name: "x", Start: []string{p.url("/gk/")},
		ReportPattern: `/nb_\d{4}\.html$`, ListPattern: `/gk/qt/$`}, &sink)
	if st.Reports != 1 || st.Lists != 2 {
		t.Errorf("reports %d lists %d, want 1, 2", st.Reports, st.Lists)
	}
	if p.hit("/gk/tz/") != 0 || p.hit("/gk/qt/jd_2024.html") != 0 || p.hit("/gk/qt/other.html") != 0 {
		t.Errorf("unwanted pages requested: %v", p.hits)
	}
}

func TestCrawler_Fetch_Headers(t *testing.T) {
	// A descriptive User-Agent on every request (robots.txt included), the
	// linking page as Referer, and no conditional headers on list pages.
	p := newPortal(t)
	type seen struct{ ua, referer, inm string }
	var mu sync.Mutex
	got := map[string]seen{}
	record := func(r *http.Request) {
		mu.Lock()
		got[r.URL.Path] = seen{r.Header.Get("User-Agent"), r.Header.Get("Referer"), r.Header.Get("If-None-Match")}
		mu.Unlock()
	}
	p.mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) { record(r); http.NotFound(w, r) })
	p.mux.HandleFunc("/nb/", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		w.Header().Set("ETag", `"list"`)
		fmt.Fprint(w, listPage("年报", [][2]string{{"2024.html", "2024年政府信息公开工作年度报告"}}, ""))
	})
	body := reportPage("2024年政府信息公开工作年度报告", "")
	p.mux.HandleFunc("/nb/2024.html", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		w.Header().Set("ETag", `"r1"`)
		fmt.Fprint(w, body)
	})
	opts := testOptions(NewMemState())
	cr := New(opts)
	site := Site{Name: "h", Start: []string{p.url("/nb/")}}
	mustFetch(t, cr, site, &collect{})
	mustFetch(t, cr, site, &collect{})
	mu.Lock()
	defer mu.Unlock()
	for path, s := range got {
		if s.ua != opts.UserAgent {
			t.Errorf("%s: User-Agent %q", path, s.ua)
		}
	}
	if got["/nb/2024.html"].referer != p.url("/nb/") || got["/nb/2024.html"].inm != `"r1"` {
		t.Errorf("report request: %+v", got["/nb/2024.html"])
	}
	if got["/nb/"].inm != "" {
		t.Errorf("list page fetched conditionally: %+v", got["/nb/"])
	}
}
