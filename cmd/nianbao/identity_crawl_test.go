package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// junshanPlaces are the six places where the real 平潭综合实验区君山片区管理局
// 2023 page prints its organ (<meta> ArticleTitle and ContentSource,
// <title>, the heading, 来源, the signature); anonymousPage blanks them all,
// which is what many department pages of a county column look like.
var junshanPlaces = [][2]string{
	{`<meta name="ArticleTitle" content="平潭综合实验区君山片区管理局2023年政府信息公开工作年度报告"/>`, `<meta name="ArticleTitle" content=""/>`},
	{`<meta name="ContentSource" content="平潭综合实验区君山片区管理局"/>`, `<meta name="ContentSource" content=""/>`},
	{`<title>平潭综合实验区君山片区管理局2023年政府信息公开工作年度报告_政府信息公开年报_平潭综合实验区党工委管委会</title>`, `<title>TITLE</title>`},
	{"<div class=\"article_title text_align_center\">\n                          平潭综合实验区君山片区管理局2023年政府信息公开工作年度报告\n", "<div class=\"article_title text_align_center\">\n"},
	{`<span class="article_source">来源：平潭综合实验区君山片区管理局</span>`, `<span class="article_source">来源：</span>`},
	{`<span style="font-family:仿宋_GB2312">平潭综合实验区君山片区管理局</span> &nbsp;`, `&nbsp;`},
}

// anonymousPage returns the real 君山片区 2023 page with every place of its
// organ blanked, the <title> set to title, and its count of 行政规范性文件 in
// force (table 二, printed 11) set to inForce, so that each department's
// report has numbers of its own.
func anonymousPage(t *testing.T, title string, inForce int) []byte {
	t.Helper()
	page := string(archivePage(t, "pingtan-junshanpianqu-2023"))
	for _, ed := range junshanPlaces {
		if !strings.Contains(page, ed[0]) {
			t.Fatalf("fixture has no %q", ed[0])
		}
		page = strings.Replace(page, ed[0], ed[1], 1)
	}
	page = strings.Replace(page, "<title>TITLE</title>", "<title>"+title+"</title>", 1)
	const cell = `font-size:14px">11</span>`
	if strings.Count(page, cell) != 1 {
		t.Fatal("fixture: the in-force cell is not unique")
	}
	return []byte(strings.Replace(page, cell, fmt.Sprintf(`font-size:14px">%d</span>`, inForce), 1))
}

// countyPortal serves a county's 部门年报 column (spec sites.md: a county
// lists its departments' reports in one column): each department's page is
// a real report page that names no organ. Two are linked by the
// department's name, three by the same generic title, one page has its own
// title (a variant the parser must read: 政府信息与政务公开工作总结).
func countyPortal(t *testing.T) *httptest.Server {
	t.Helper()
	pages := map[string][]byte{
		"/nb/bm/2024/czj.html": anonymousPage(t, "部门年报_沭阳县人民政府", 31),
		"/nb/bm/2024/jyj.html": anonymousPage(t, "部门年报_沭阳县人民政府", 32),
		"/nb/bm/2024/a.html":   anonymousPage(t, "部门年报_沭阳县人民政府", 33),
		"/nb/bm/2024/b.html":   anonymousPage(t, "部门年报_沭阳县人民政府", 34),
		"/nb/bm/2024/c.html":   anonymousPage(t, "部门年报_沭阳县人民政府", 35),
		"/nb/bm/2024/fgj.html": anonymousPage(t, "沭阳县发展和改革局2023年度政府信息与政务公开工作总结_部门年报", 36),
		"/nb/bm/index.html": []byte(`<html><head><meta charset="utf-8"><title>部门年报_沭阳县人民政府</title></head><body>
<div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 信息公开年报 &gt; 部门年报</div>
<ul class="list">
<li><a href="/nb/bm/2024/czj.html">沭阳县财政局</a><span>2024-01-20</span></li>
<li><a href="/nb/bm/2024/jyj.html">沭阳县教育局</a><span>2024-01-21</span></li>
<li><a href="/nb/bm/2024/a.html">2023年政府信息公开工作年度报告</a><span>2024-01-22</span></li>
<li><a href="/nb/bm/2024/b.html">2023年政府信息公开工作年度报告</a><span>2024-01-23</span></li>
<li><a href="/nb/bm/2024/c.html">2023年政府信息公开工作年度报告</a><span>2024-01-24</span></li>
<li><a href="/nb/bm/2024/fgj.html">发改局</a><span>2024-01-25</span></li>
</ul></body></html>`),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".pdf") { // the page's attachment: archived beside it
			w.Header().Set("Content-Type", "application/pdf")
			_, _ = w.Write([]byte("%PDF-1.4\n%%EOF\n"))
			return
		}
		b, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Issue 12: a crawl of a county column whose department pages lack
// agencies keeps every department's report apart: the pages that the list
// names are their departments' (link_text), the one with its own title is
// read from it, and the three that nothing names are three unidentified
// reports with their URLs, never one "沭阳县 2023" with two "unchanged".
func TestCrawl_CountyColumnKeepsDepartmentsApart(t *testing.T) {
	srv := countyPortal(t)
	cfg := filepath.Join(t.TempDir(), "county.yaml")
	conf := fmt.Sprintf("user_agent: \"nianbao-test/1.0 (+https://example.org/contact)\"\ndelay: 0s\nretries: 0\nbrowser: \"off\"\nsites:\n"+
		"  - name: 沭阳县\n    start: [%q]\n    report_pattern: '/nb/bm/\\d{4}/'\n", srv.URL+"/nb/bm/index.html")
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "nianbao.db")
	for i := range 2 { // the second crawl of the unchanged column changes nothing
		if code, out, errOut := runNianbao(t, "crawl", "--config", cfg, "--db", db); code != 0 {
			t.Fatalf("crawl %d: exit %d\n%s%s", i+1, code, out, errOut)
		}
	}
	code, out, errOut := runNianbao(t, "ls", "--db", db)
	if code != 0 {
		t.Fatalf("ls: exit %d: %s", code, errOut)
	}
	want := `AGENCY              AGENCY_ID       YEAR  VERSIONS  FORMAT  CHECKS
沭阳县发展和改革局  a:############  2023  1         2021    ok
沭阳县教育局        a:############  2023  1         2021    ok
沭阳县财政局        a:############  2023  1         2021    ok

Unidentified: 3 reports whose page names no organ (only the site's name was known); each page is its own report:
`
	if got := maskIDs(out); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "6 reports (3 unidentified), 6 versions\n") {
		t.Errorf("ls:\n%s\nwant it to begin with:\n%s", got, want)
	}
	for _, p := range []string{"/nb/bm/2024/a.html", "/nb/bm/2024/b.html", "/nb/bm/2024/c.html"} {
		if !strings.Contains(out, "沭阳县  u:") || !strings.Contains(out, srv.URL+p+"  2023年政府信息公开工作年度报告") {
			t.Errorf("ls lacks the unidentified page %s with its site and title:\n%s", p, out)
		}
	}

	// The export carries each report's agency_id (six distinct), and the
	// reports table says how each organ was read.
	_, out, _ = runNianbao(t, "export", "--db", db)
	recs := readCSV(t, out)
	ids, rows := map[string]int{}, 0
	for _, r := range recs[1:] {
		ids[r[len(r)-1]]++
		rows++
	}
	if len(ids) != 6 || rows != 6*200 {
		t.Errorf("export: %d rows, agency_ids %v; want 6 reports of 200 cells, each its own agency_id", rows, ids)
	}
	_, out, _ = runNianbao(t, "export", "--db", db, "--format", "reports")
	recs = readCSV(t, out)
	col := func(name string) int { return slices.Index(recs[0], name) }
	var got []string
	for _, r := range recs[1:] {
		got = append(got, r[col("agency")]+" "+r[col("identified")]+" "+r[col("agency_source")]+" "+r[col("year_source")])
	}
	slices.Sort(got)
	if w := []string{"沭阳县 false config period", "沭阳县 false config period", "沭阳县 false config period",
		"沭阳县发展和改革局 true title title", "沭阳县教育局 true link_text period", "沭阳县财政局 true link_text period"}; !slices.Equal(got, w) {
		t.Errorf("reports export identity:\n got %q\nwant %q", got, w)
	}
	if code, out, _ := runNianbao(t, "check", "--db", db); code != 0 {
		t.Errorf("check: exit %d\n%s", code, out)
	}
	// Selecting by the site's name finds the unidentified pages; by a
	// department's, the department.
	if _, out, _ := runNianbao(t, "ls", "--db", db, "--agency", "教育"); !strings.HasSuffix(out, "1 reports, 1 versions\n") {
		t.Errorf("ls --agency 教育:\n%s", out)
	}
}
