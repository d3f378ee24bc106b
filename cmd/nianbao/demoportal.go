package main

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// demodata holds copies of real reports from the shared fixtures: the
// 湛江市司法局 2025 seed text, five 平潭综合实验区 report pages and two
// 淮安市洪泽区 report PDFs.
//
//go:embed demodata
var demodata embed.FS

// demoPortal is the bundled sample portal that 'nianbao demo' crawls, and
// the test and benchmark portal of the crawl command. It serves several
// sites on one host, each in the layout of a CMS family found on real
// government sites (spec/sites.md §B2–§B4), built from real reports:
//
//   - 湛江市司法局: a Guangdong NFCMS department channel, static
//     index.html → index_2.html pages linked by 下一页; the report is the
//     real seed text rendered one table cell per paragraph.
//   - 平潭综合实验区市场监督管理局: a Guangdong gkmlpt index (window._CONFIG
//     with SID and TREE) and its JSON list API.
//   - 平潭综合实验区: a Hanweb JCMS col page with an inline <datastore>
//     holding the first record and /module/web/jpage/dataproxy.jsp (POST)
//     returning the rest as XML.
//   - 淮安市洪泽区人民政府: a TRS list using createPageHTML(2, 0, "index",
//     "htm") (page 2 = index_1.htm); the 2024 report page only links its
//     PDF, the 2023 report is linked from the list as a PDF.
//   - 平潭综合实验区公安局: a GBK site that sends no charset, neither in
//     the header nor in a <meta>.
//
// Every page carries an ETag and Last-Modified and answers conditional
// requests with 304, like the real sites' web servers.
type demoPortal struct {
	pages map[string]demoPage // by path; written only while building, or under mu
	// hanweb lists the records of the Hanweb column, served by
	// dataproxy.jsp.
	hanweb []demoLink
	// gkmlpt maps a gkmlpt list API path to its articles (page 1; later
	// pages are empty, as on real sites with fewer than 100 posts).
	gkmlpt map[string][]byte

	mu   sync.Mutex     // protects hits, and pages after newDemoPortal returned
	hits map[string]int // full-body (200) responses by path
}

// demoPage is one served resource.
type demoPage struct {
	body  []byte
	ctype string
	mod   time.Time
	etag  string
}

// demoSite describes one site of the portal for the config.
type demoSite struct {
	name  string
	start string // path of the start page
	// reports is the number of distinct (agency, year) reports the site
	// publishes.
	reports int
}

// demoPortalSites are the portal's sites in display order.
var demoPortalSites = []demoSite{
	{"湛江市司法局", "/zjsfw/bmdh/sfj/zwgk/xxgknb/", 1},
	{"平潭综合实验区市场监督管理局", "/scjgj/gkmlpt/index", 2},
	{"平潭综合实验区", "/col/col1229214366/index.html", 2},
	{"淮安市洪泽区人民政府", "/hzq/xxgk/xxgknb/index.htm", 2},
	{"平潭综合实验区公安局", "/ptgaj/zwgk/xxgknb/", 1},
}

// demoModTime is the Last-Modified of every page: a fixed date, so that
// conditional requests of a second crawl match.
var demoModTime = time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)

// newDemoPortal builds the portal from the embedded reports.
func newDemoPortal() (*demoPortal, error) {
	p := &demoPortal{pages: map[string]demoPage{}, hits: map[string]int{}, gkmlpt: map[string][]byte{}}
	read := func(name string) ([]byte, error) {
		b, err := demodata.ReadFile("demodata/" + name)
		if err != nil {
			return nil, fmt.Errorf("demo portal: %w", err)
		}
		return b, nil
	}
	const htmlType = "text/html; charset=utf-8"

	p.add("/robots.txt", "text/plain; charset=utf-8", []byte("User-agent: *\nDisallow: /admin/\n"))

	// 湛江市司法局: NFCMS channel, two list pages, the report on page 2.
	seed, err := read("zhanjiang-sifaju-2025.txt")
	if err != nil {
		return nil, err
	}
	sfj := "/zjsfw/bmdh/sfj/zwgk/xxgknb/"
	list1 := nfcmsList("湛江市司法局", "信息公开年报", []demoLink{
		{"content/post_2143102.html", "湛江市司法局关于做好2025年度政府信息公开工作年度报告编制工作的通知", "2026-01-05"},
		{"content/post_2143090.html", "湛江市司法局2025年政府信息公开工作年度报告图解", "2026-01-28"},
	}, "index_2.html")
	p.add(sfj, htmlType, list1)
	p.add(sfj+"index.html", htmlType, list1)
	p.add(sfj+"index_2.html", htmlType, nfcmsList("湛江市司法局", "信息公开年报", []demoLink{
		{"content/post_2143084.html", "湛江市司法局2025年政府信息公开工作年度报告", "2026-01-27"},
	}, ""))
	p.add(sfj+"content/post_2143084.html", htmlType, seedPage("湛江市司法局2025年政府信息公开工作年度报告", "湛江市司法局", seed))
	p.add(sfj+"content/post_2143090.html", htmlType, simplePage("湛江市司法局2025年政府信息公开工作年度报告图解", "<p>（图解，略）</p>"))
	p.add(sfj+"content/post_2143102.html", htmlType, simplePage("湛江市司法局关于做好2025年度政府信息公开工作年度报告编制工作的通知", "<p>各科室：……</p>"))

	// 平潭综合实验区市场监督管理局: gkmlpt index + JSON API.
	gk := "/scjgj/gkmlpt/"
	p.add(gk+"index", htmlType, []byte(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开目录</title>
<script>window._CONFIG = {SID: '591201', TREE: [{id: 2601, name: '机构职能', children: []}, {id: 2650, name: '政府信息公开年报', children: []}, {id: 2652, name: '政策解读', children: []}]};</script>
</head><body><div id="app"></div><script src="/scjgj/gkmlpt/static/js/app.js"></script></body></html>`))
	gkArticles := []gkArticle{
		{2024501, "平潭综合实验区市场监督管理局2024年度政府信息公开工作年度报告", "2025-01-27", "pingtan-shichangjianguanju-2024.html"},
		{2024502, "平潭综合实验区市场监督管理局2024年度政府信息公开工作年度报告解读", "2025-01-27", ""},
		{2021101, "平潭综合实验区市场监督管理局2020年度政府信息公开工作年度报告", "2021-01-27", "pingtan-shichangjianguanju-2020.html"},
	}
	var arts []map[string]any
	for _, a := range gkArticles {
		u := fmt.Sprintf("%scontent/%d/%d/post_%d.html", gk, a.id/1000000, a.id/1000, a.id)
		pub, _ := time.ParseInLocation("2006-01-02", a.date, time.FixedZone("CST", 8*3600))
		arts = append(arts, map[string]any{"id": a.id, "title": a.title, "url": u, "post_url": u,
			"identifier": fmt.Sprintf("11350128MB1234567X/%s-%05d", a.date[:4], a.id%100000), "publisher": "平潭综合实验区市场监督管理局",
			"created_at": pub.Unix(), "display_publish_time": pub.Unix(), "attachment": []any{}, "is_abolished": false})
		body := []byte(fmt.Sprintf(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title></head><body><h1>%s</h1><p>（图解，略）</p></body></html>`, html.EscapeString(a.title), html.EscapeString(a.title)))
		if a.file != "" {
			if body, err = read(a.file); err != nil {
				return nil, err
			}
		}
		p.add(u, htmlType, body)
	}
	api, err := json.Marshal(map[string]any{"classify": map[string]any{"id": 2650, "name": "政府信息公开年报", "post_count": len(arts)}, "articles": arts})
	if err != nil {
		return nil, err
	}
	p.gkmlpt[gk+"api/all/2650"] = api

	// 平潭综合实验区: Hanweb col page + dataproxy.jsp.
	hanweb := []demoLink{
		{"/art/2024/1/30/art_1229214366_4405801.html", "平潭综合实验区行政审批局2023年政府信息公开工作年度报告", "2024-01-30"},
		{"/art/2024/1/12/art_1229214366_4405802.html", "平潭综合实验区君山片区管理局2023年政府信息公开工作年度报告", "2024-01-12"},
		{"/art/2024/1/31/art_1229214366_4405809.html", "平潭综合实验区2023年政府信息公开工作年度报告图解", "2024-01-31"},
	}
	p.add("/col/col1229214366/index.html", htmlType, hanwebCol(hanweb))
	for i, l := range hanweb {
		var body []byte
		switch i {
		case 0:
			body, err = read("pingtan-xingzhengshenpiju-2023.html")
		case 1:
			body, err = read("pingtan-junshanpianqu-2023.html")
			// The original PDF (原件) this page links is not among the
			// fixtures; unlink it rather than serve a 404.
			body = bytes.ReplaceAll(body, []byte(`href="./P020240119326467336614.pdf"`), []byte(`href="#"`))
		default:
			body = simplePage(l.title, "<p>（图解，略）</p>")
		}
		if err != nil {
			return nil, err
		}
		p.add(l.href, htmlType, body)
	}
	p.hanweb = hanweb

	// 淮安市洪泽区人民政府: TRS createPageHTML list, reports as PDFs.
	hz := "/hzq/xxgk/xxgknb/"
	p.add(hz+"index.htm", htmlType, trsList("淮安市洪泽区人民政府", []demoLink{
		{"./202502/t20250210_4405901.html", "洪泽区人民政府2024年政府信息公开工作年度报告", "2025-02-10"},
	}, 2, 0))
	p.add(hz+"index_1.htm", htmlType, trsList("淮安市洪泽区人民政府", []demoLink{
		{"./202402/P020240205558833114470.pdf", "洪泽区人民政府2023年政府信息公开工作年度报告", "2024-02-05"},
	}, 2, 1))
	p.add(hz+"202502/t20250210_4405901.html", htmlType, simplePage("洪泽区人民政府2024年政府信息公开工作年度报告",
		`<p>洪泽区人民政府2024年政府信息公开工作年度报告</p><p>附件：<a href="./P020250210602214983371.pdf">洪泽区人民政府2024年政府信息公开工作年度报告.pdf</a></p>`))
	for pth, name := range map[string]string{
		hz + "202502/P020250210602214983371.pdf": "huaian-hongze-2024.pdf",
		hz + "202402/P020240205558833114470.pdf": "huaian-hongze-2023.pdf",
	} {
		b, err := read(name)
		if err != nil {
			return nil, err
		}
		p.add(pth, "application/pdf", b)
	}

	// 平潭综合实验区公安局: GBK pages, no charset anywhere.
	ga := "/ptgaj/zwgk/xxgknb/"
	gaList := nfcmsList("平潭综合实验区公安局", "政府信息公开年报", []demoLink{
		{"./201901/t20190116_4405951.html", "平潭综合实验区公安局2018年政府信息公开工作报告", "2019-01-16"},
	}, "")
	gaPage, err := read("pingtan-gonganju-2018.html")
	if err != nil {
		return nil, err
	}
	for pth, b := range map[string][]byte{ga: gaList, ga + "201901/t20190116_4405951.html": gaPage} {
		b = bytes.Replace(b, []byte(`<meta charset="UTF-8" />`), nil, 1)
		b = bytes.Replace(b, []byte(`<meta charset="utf-8">`), nil, 1)
		gbk, err := simplifiedchinese.GB18030.NewEncoder().Bytes(b)
		if err != nil {
			return nil, fmt.Errorf("demo portal: encode %s as GB18030: %w", pth, err)
		}
		p.add(pth, "text/html", gbk)
	}
	return p, nil
}

type gkArticle struct {
	id    int
	title string
	date  string
	file  string // demodata file, "" for a companion page
}

// demoLink is one entry of a list page.
type demoLink struct{ href, title, date string }

func (p *demoPortal) add(pth, ctype string, body []byte) {
	sum := sha256.Sum256(body)
	p.pages[pth] = demoPage{body: body, ctype: ctype, mod: demoModTime, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// ServeHTTP serves the portal's pages with validators, the Hanweb proxy
// and 404 for everything else.
func (p *demoPortal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Path
	if strings.HasSuffix(key, "dataproxy.jsp") {
		p.serveHanweb(w, r)
		return
	}
	if api, ok := p.gkmlpt[key]; ok {
		p.serveGkmlpt(w, r, key, api)
		return
	}
	p.mu.Lock()
	pg, ok := p.pages[key]
	p.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", pg.ctype)
	h.Set("ETag", pg.etag)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	http.ServeContent(rec, r, "", pg.mod, bytes.NewReader(pg.body))
	if rec.status == http.StatusOK && r.Method != http.MethodHead {
		p.mu.Lock()
		p.hits[key]++
		p.mu.Unlock()
	}
}

// serveGkmlpt answers a gkmlpt list API request: the articles on page 1
// (pages 0 and 1 are the same, as on real sites), none on later pages.
func (p *demoPortal) serveGkmlpt(w http.ResponseWriter, r *http.Request, key string, api []byte) {
	if r.URL.Query().Get("sid") != "591201" {
		http.Error(w, `{"error":"sid"}`, http.StatusBadRequest)
		return
	}
	if n, _ := strconv.Atoi(r.URL.Query().Get("page")); n > 1 {
		api = []byte(`{"classify":{"id":2650,"name":"政府信息公开年报","post_count":3},"articles":[]}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(api)
	p.mu.Lock()
	p.hits[key]++
	p.mu.Unlock()
}

// serveHanweb answers /module/web/jpage/dataproxy.jsp like a Hanweb JCMS:
// records startrecord..endrecord (1-based) of the column as XML.
func (p *demoPortal) serveHanweb(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Form.Get("columnid") != "1229214366" {
		http.Error(w, "bad column", http.StatusBadRequest)
		return
	}
	start, _ := strconv.Atoi(r.Form.Get("startrecord"))
	end, _ := strconv.Atoi(r.Form.Get("endrecord"))
	start = max(start, 1)
	end = min(end, len(p.hanweb))
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<datastore>\n<totalrecord>%d</totalrecord>\n<totalpage>%d</totalpage>\n<recordset>\n", len(p.hanweb), len(p.hanweb))
	for i := start; i <= end; i++ {
		b.WriteString(hanwebRecord(p.hanweb[i-1]))
	}
	b.WriteString("</recordset>\n</datastore>\n")
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
	p.mu.Lock()
	p.hits[r.URL.Path]++
	p.mu.Unlock()
}

// Hits returns how often the resource at path was served in full (200).
func (p *demoPortal) Hits(pth string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[pth]
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// demoConfig returns a crawl config for the portal served at base
// ("http://127.0.0.1:PORT"): all sites, no delay, db at dbPath.
func demoConfig(base, dbPath string) *Config {
	cfg := DefaultConfig()
	cfg.DB = dbPath
	cfg.UserAgent = "nianbao-demo/1.0 (+https://example.org/contact)"
	cfg.Delay = 0
	cfg.Parallelism = 4
	cfg.ConcurrentSites = len(demoPortalSites)
	cfg.Retries = 1
	cfg.Timeout = Duration(30 * time.Second)
	for _, s := range demoPortalSites {
		cfg.Sites = append(cfg.Sites, SiteConfig{Name: s.name, Start: []string{base + s.start}})
	}
	return cfg
}

// Page templates, shaped like the real CMS pages.

func pageHead(title string) string {
	return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>` + html.EscapeString(title) + `</title></head><body>`
}

// nfcmsList renders a Guangdong NFCMS channel list page; next is the next
// page's file name ("" on the last page).
func nfcmsList(agency, column string, links []demoLink, next string) []byte {
	var b strings.Builder
	b.WriteString(pageHead(column + "_" + agency))
	fmt.Fprintf(&b, `<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="#">%s</a> &gt; 政务公开 &gt; %s</div>`+"\n<ul class=\"list\">\n", html.EscapeString(agency), html.EscapeString(column))
	for _, l := range links {
		fmt.Fprintf(&b, `<li><a href="%s" title="%s" target="_blank">%s</a><span class="time">%s</span></li>`+"\n", l.href, html.EscapeString(l.title), html.EscapeString(l.title), l.date)
	}
	b.WriteString("</ul>\n<div class=\"page\">")
	if next != "" {
		fmt.Fprintf(&b, `<a class="next" href="%s">下一页</a>`, next)
	}
	b.WriteString("</div></body></html>\n")
	return []byte(b.String())
}

// trsList renders a TRS WCM list page with the old createPageHTML call
// (count, current 0-based, prefix, suffix).
func trsList(agency string, links []demoLink, count, cur int) []byte {
	var b strings.Builder
	b.WriteString(pageHead("政府信息公开年报-" + agency))
	b.WriteString("<table class=\"list\">\n")
	for _, l := range links {
		fmt.Fprintf(&b, `<tr><td><a href="%s" target="_blank" title="%s">%s</a></td><td>%s</td></tr>`+"\n", l.href, html.EscapeString(l.title), html.EscapeString(l.title), l.date)
	}
	fmt.Fprintf(&b, "</table>\n<div id=\"page\"><script type=\"text/javascript\">\nvar currentPage = %d;\nvar countPage = %d;\ncreatePageHTML(countPage, currentPage, \"index\", \"htm\");\n</script></div></body></html>\n", cur, count)
	return []byte(b.String())
}

// hanwebRecord renders one Hanweb <record>.
func hanwebRecord(l demoLink) string {
	return fmt.Sprintf("<record><![CDATA[<li><a href=\"%s\" title=\"%s\" target=\"_blank\">%s</a><span>%s</span></li>]]></record>\n",
		l.href, html.EscapeString(l.title), html.EscapeString(l.title), l.date)
}

// hanwebCol renders a Hanweb JCMS column page: the first record inline in
// a <datastore>, the rest through dataproxy.jsp (perPage 1).
func hanwebCol(links []demoLink) []byte {
	var b strings.Builder
	b.WriteString(pageHead("政府信息公开年报 平潭综合实验区"))
	b.WriteString(`<div id="4405800"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=3&path=/&columnid=1229214366&unitid=4405800&webname=平潭综合实验区&permissiontype=0"></a>]]></nextgroup><recordset>` + "\n")
	b.WriteString(hanwebRecord(links[0]))
	fmt.Fprintf(&b, "</recordset></datastore></script></div>\n<script type=\"text/javascript\">$('#4405800').jpage({dataStore: dataStore, perPage: 1, totalRecord: %d, proxyUrl: '/module/web/jpage/dataproxy.jsp', webid: '3', columnid: '1229214366', unitid: '4405800'});</script></body></html>\n", len(links))
	return []byte(b.String())
}

// simplePage renders a page with a title and a body fragment.
func simplePage(title, body string) []byte {
	return []byte(pageHead(title) + "<h1>" + html.EscapeString(title) + "</h1>" + body + "</body></html>\n")
}

// seedPage renders the flattened seed text as an NFCMS article page: one
// <p> per line (the tables' cells one per paragraph, as the seed keeps
// them).
func seedPage(title, agency string, seed []byte) []byte {
	var b strings.Builder
	b.WriteString(pageHead(title + "_" + agency))
	b.WriteString(`<div class="article"><div class="content">` + "\n")
	for _, line := range strings.Split(string(seed), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		b.WriteString("<p>" + html.EscapeString(line) + "</p>\n")
	}
	b.WriteString("</div></div></body></html>\n")
	return []byte(b.String())
}
