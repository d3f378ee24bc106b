package crawler

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestMatcher_IsReport(t *testing.T) {
	var m matcher
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"湛江市司法局2025年政府信息公开工作年度报告", true},
		{"2023年度政府信息公开工作年度报告", true},
		{"湛江市人民政府2023年报", true},
		{"2019年信息公开年报", true},
		{"政府信息公开工作2022年度报告", true},
		{"北京市密云区2017年政务公开工作年度报告", true},
		{"某镇2023年政府信息…", false}, // truncated; see the title attribute
		{"某镇2023年度政府信息公开工作…", true},
		{"《2023年政府信息公开工作年度报告》解读", false},
		{"图解：2023年政府信息公开工作年度报告", false},
		{"2023年政府信息公开工作年度报告要点", false},
		{"关于做好2023年政府信息公开工作年度报告编制工作的通知", false},
		{"政府信息公开工作年度报告制度", false},
		{"政府信息公开工作年度报告格式", false},
		{"信息公开年报", false}, // a column, not a report
		{"2023年部门预算", false},
		// Real variants (issue 14).
		{"平潭综合实验区扶贫办2017年政府信息年度报告", true},
		{"平潭综合实验区医院2017年政务信息公开报告", true},
		{"平潭综合实验区交通局2017年政府信息公开工作报告", true},
		{"平潭综合实验区人社局2017年度政府信息与政务公开工作总结", true},
		{"平潭综合实验区国税局2017年度信息与政务公开工作报告", true},
		{"平潭县2017年政府信息 公开年度报告", true},
		{"平潭县2017年 政府 信息公开 年度 报告", true},
		{"平潭县“2017年政府信息公开工作年度报告”", true},
		{"平潭县2017年度‘政府信息公开’工作年度报告", true},
		{"《平潭县2017年政府信息公开工作年度报告》解读", false},
		{"一图读懂平潭县2017年政府信息公开工作年度报告", false},
		{"平潭县2017年政务公开工作要点", false},
		{"平潭县政府网站工作年度报表（2017年度）", false},
		{"2017年度政府网站工作年度报表", false},
		{"平潭县2017年上半年政务公开工作总结", false},
		{"平潭县2017年第三季度政府信息公开工作报告", false},
		{"关于印发平潭县2017年政府信息公开工作年度报告格式的通知", false},
		{"2017年政府信息化建设情况", false},
		{"2017年政府信息公开目录", false},
	} {
		if got := m.isReport(link{text: tc.text}, "http://x/"); got != tc.want {
			t.Errorf("isReport(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
	if !m.isReport(link{text: "某镇2023年政府信息…", title: "某镇2023年政府信息公开工作年度报告"}, "") {
		t.Errorf("the title attribute is not used")
	}
	for _, col := range []string{"信息公开年报", "政府信息公开年报", "政府信息公开工作年度报告", "政务公开年报", "年度报告", "部门信息公开年报", "政府信息公开年度报告", "2023年"} {
		if !m.isColumn(link{text: col}, "") {
			t.Errorf("isColumn(%q) = false", col)
		}
	}
	for _, col := range []string{"通知公告", "政策解读", "首页", "年报解读"} {
		if m.isColumn(link{text: col}, "") {
			t.Errorf("isColumn(%q) = true", col)
		}
	}
}

func TestNextStaticPage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string
		want   string
	}{
		{"OldLiteral", `createPageHTML(4, 0, "index", "htm");`, "index_1.htm index_2.htm index_3.htm"},
		{"OldMiddle", `createPageHTML(5, 3, "index", "htm");`, "index_4.htm"},
		{"OldLast", `createPageHTML(5, 4, "index", "htm");`, ""},
		{"OldVariables", "var currentPage = 1;//所在页从0开始\nvar nextPage = currentPage+1\nvar countPage = 3\ncreatePageHTML(countPage, currentPage, \"index\", \"shtml\");", "index_2.shtml"},
		{"NewFirst", `createPageHTML('page_div',3,1,'dezlist','shtml',149);`, "dezlist_2.shtml dezlist_3.shtml"},
		{"NewMiddle", `createPageHTML('paging',9,7,'index','html',500);`, "index_8.html index_9.html"},
		{"NewLast", `createPageHTML('paging',25,25,'index','html',500);`, ""},
		{"DefinitionOnly", `function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(nextStaticPages([]string{tc.script}), " "); got != tc.want {
				t.Errorf("nextStaticPages = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIsPagination(t *testing.T) {
	page, _ := url.Parse("http://x.gov.cn/gk/nb/index.html")
	for _, tc := range []struct {
		href, text string
		want       bool
	}{
		{"index_2.html", "2", true},
		{"index_3.html", "尾页", true},
		{"t20240117_4405804.shtml", "某文章", false},
		{"jdindex_1.html", "《2023年年报》解读", false},
		{"list.jsp?page=2", "2", false}, // other path
		{"index.html?page=3", "3", true},
		{"/other/index_2.html", "2", false},
		{"more.html", "下一页", true},
		{"/gk/list.jsp?p=2", "下一页", true},
		{"/zwgk/other/index.html", "下一页", false},
		{"/", ">", false},
	} {
		u, _ := resolve(page, tc.href)
		if got := isPagination(link{href: tc.href, text: tc.text}, u, page); got != tc.want {
			t.Errorf("isPagination(%q, %q) = %v, want %v", tc.href, tc.text, got, tc.want)
		}
	}
}

func TestGkmlpt(t *testing.T) {
	page, _ := url.Parse("https://www.yangjiang.gov.cn/yjzjj/gkmlpt/index")
	cfg := []byte(`<script>window._CONFIG = {SID: "662021", TREE: [{"id":5,"name":"机构职能"},{"id":123,"name":"政府信息公开年度报告"}]}</script>`)
	if got, _ := gkmlptAPI(page, "", cfg); got != "https://www.yangjiang.gov.cn/yjzjj/gkmlpt/api/all/123?page=1&sid=662021" {
		t.Errorf("from TREE: %q", got)
	}
	if got, _ := gkmlptAPI(page, "2791", cfg); got != "https://www.yangjiang.gov.cn/yjzjj/gkmlpt/api/all/2791?page=1&sid=662021" {
		t.Errorf("from fragment: %q", got)
	}
	if got := jsUnescape("%u5E7F%u4E1C%u77012024%u5E74%u653F%u5E9C%u4FE1%u606F%u516C%u5F00%u5E74%u62A5%20"); got != "广东省2024年政府信息公开年报 " {
		t.Errorf("jsUnescape = %q", got)
	}
	if got := rawDate([]byte("1743379200")); got != "2025-03-31" {
		t.Errorf("rawDate = %q", got)
	}
	if got := rawDate([]byte(`"2025-03-31 10:00:00"`)); got != "2025-03-31" {
		t.Errorf("rawDate(string) = %q", got)
	}
}

func TestDetectCharset(t *testing.T) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("<html><body>2023年政府信息公开工作年度报告</body></html>"))
	// A GB18030-only character (four bytes) must survive: the GBK decoder
	// garbles it.
	gb4, _ := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("<p>𠂇€ 年报</p>"))
	for _, tc := range []struct {
		name, ctype string
		body        []byte
		want        string
	}{
		{"Header", "text/html; charset=GBK", gbk, "gb18030"},
		{"HeaderUTF8", "text/html; charset=utf-8", []byte("<p>年报</p>"), "utf-8"},
		{"Meta", "text/html", append([]byte(`<meta http-equiv="Content-Type" content="text/html; charset=gb2312">`), gbk...), "gb18030"},
		{"NothingGBK", "text/html", gbk, "gb18030"},
		{"NothingUTF8", "text/html", []byte("<p>政府信息公开</p>"), "utf-8"},
		{"MetaLiesUTF8", "text/html", append([]byte(`<meta charset="utf-8">`), gbk...), "gb18030"},
		{"FourByte", "", gb4, "gb18030"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := detectCharset(tc.body, tc.ctype); got != tc.want {
				t.Errorf("detectCharset = %q, want %q", got, tc.want)
			}
		})
	}
	if got := string(decodeWith(gb4, "gb18030")); got != "<p>𠂇€ 年报</p>" {
		t.Errorf("decode 4-byte GB18030 = %q", got)
	}
}

func TestBlockKind(t *testing.T) {
	h := func(kv ...string) http.Header {
		m := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			m.Add(kv[i], kv[i+1])
		}
		return m
	}
	report := []byte(reportPage("2023年政府信息公开工作年度报告", strings.Repeat("<p>本机关依申请公开，安全验证码除外。</p>", 600)))
	for _, tc := range []struct {
		name   string
		status int
		hdr    http.Header
		body   []byte
		want   string
	}{
		{"Ruishu412", 412, h(), []byte(`<script>$_ts=window['$_ts'];</script>`), "ruishu"},
		{"Ruishu202", 202, h(), []byte(`<html><script>$_ts.nsd=1;</script></html>`), "ruishu"},
		{"Jiasule", 521, h("Set-Cookie", "__jsluid_s=abc"), []byte(`<script>document.cookie=1</script>`), "jiasule"},
		{"Wzws", 200, h(), []byte(`<a href="/WZWSREL2dvdi5jbg==?wzwschallenge=V1pXU19DT05GSVJN">`), "wzws"},
		{"JustAMoment", 503, h(), []byte(`<title>Just a moment...</title>`), "just-a-moment"},
		{"Captcha", 200, h(), []byte(`<title>访问异常</title><p>请完成安全验证</p>`), "captcha"},
		{"Forbidden", 403, h(), []byte(`Forbidden`), "http 403"},
		{"JSOnly", 200, h(), []byte(`<html><script>location.href="/a?x="+1</script></html>`), "js-only"},
		{"GkmlptShell", 200, h(), []byte(`<script>window._CONFIG={SID:'1'}</script><div id=app>数据加载中，请稍候…</div>`), ""},
		{"LoadingList", 200, h(), []byte(`<html><body><ul id="list">正在加载，请稍候…</ul>` + strings.Repeat("<p>政务公开</p>", 50) + `</body></html>`), ""},
		{"LargeReportMentioningWords", 200, h(), report, ""},
		{"NotFound", 404, h(), []byte("not found"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := blockKind(tc.status, tc.hdr, tc.body); got != tc.want {
				t.Errorf("blockKind = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0}, {"7", 7 * time.Second}, {"-1", 0}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	} {
		if got := retryAfter(tc.v, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestHanwebProxy(t *testing.T) {
	page, _ := url.Parse("https://www.linping.gov.cn/col/col1229849923/index.html")
	text := `<datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&amp;appid=1&amp;webid=3128&amp;path=/&amp;columnid=1229849923&amp;unitid=7417489&amp;webname=%E4%B8%B4%E5%B9%B3%E5%8C%BA&amp;permissiontype=0"></a>]]></nextgroup>
<recordset><record><![CDATA[<li><a href="/art/2025/1/20/art_1229849923_98361.html">临平区2024年政府信息公开工作年度报告</a></li>]]></record></recordset></datastore>
<script>$('#7417489').jpage({perPage: 20, totalRecord: 41});</script>`
	proxy, form, per, ok := hanwebProxy(page, text)
	if !ok || proxy != "https://www.linping.gov.cn/module/web/jpage/dataproxy.jsp" || per != 20 {
		t.Fatalf("hanwebProxy = %q, %d, %v", proxy, per, ok)
	}
	if form.Get("columnid") != "1229849923" || form.Get("unitid") != "7417489" || form.Get("webname") != "临平区" || form.Get("webid") != "3128" {
		t.Errorf("form = %v", form)
	}
	recs, total := hanwebRecords(text)
	if len(recs) != 1 || total != 41 || !strings.Contains(recs[0], "art_1229849923_98361") {
		t.Errorf("records %q total %d", recs, total)
	}
	if got := hanwebPage(proxy, 61, 20); got != proxy+"?startrecord=61&endrecord=120&perpage=20" {
		t.Errorf("hanwebPage = %q", got)
	}
}

func TestScanHTML(t *testing.T) {
	p := scanHTML([]byte(`<html><head><title> 年报 </title><base href="/base/"><meta name="PubDate" content="2024/1/7 9:00"></head>
<body><ul><li><a href="a.html" title="全称">短 <b>名</b></a> <span>[2024-01-17]</span></li>
<li><a href="b.html">无日期</a></li></ul><script>createPageHTML(2,0,"index","htm")</script><script>var unrelated=1</script></body></html>`))
	if p.title != "年报" || p.base != "/base/" || p.metaPub != "2024-01-07" {
		t.Errorf("title %q base %q pub %q", p.title, p.base, p.metaPub)
	}
	if len(p.links) != 2 || p.links[0].text != "短 名" || p.links[0].title != "全称" || p.links[0].date != "2024-01-17" || p.links[1].date != "" {
		t.Errorf("links = %+v", p.links)
	}
	if len(p.scripts) != 1 {
		t.Errorf("scripts = %q", p.scripts)
	}
}

func TestScanReport_MatchesScanHTML(t *testing.T) {
	doc := []byte(`<!DOCTYPE html><HTML><head><title>2023年 &amp; 年报</title><BASE HREF='/b/'>
<meta name="ArticleTitle" content="某局2023年政府信息公开工作年度报告"><meta content="2024-01-17 10:00" name=PubDate>
<script>var s = "<a href='/fake.pdf'>x</a>";</script><style>a>b{}</style><!-- <a href="/comment.pdf">c</a> -->
</head><body><p><A class=x HREF="/att/a.pdf" title='附件 1'>附件<span>一</span>&nbsp;.pdf</A></p>
<a href=/att/b.docx>b</a><a name="anchor">no href</a><a href="c.html" title="a > b">t</a></body></HTML>`)
	want := scanHTML(doc)
	got := scanReport(doc)
	if got.title != want.title || got.base != want.base || got.metaTitle != want.metaTitle || got.metaPub != want.metaPub {
		t.Errorf("hints: got %q %q %q %q, want %q %q %q %q", got.title, got.base, got.metaTitle, got.metaPub, want.title, want.base, want.metaTitle, want.metaPub)
	}
	if len(got.links) != len(want.links) {
		t.Fatalf("links: got %+v, want %+v", got.links, want.links)
	}
	for i := range got.links {
		g, w := got.links[i], want.links[i]
		if g.href != w.href || g.title != w.title || g.text != w.text {
			t.Errorf("link %d: got %+v, want %+v", i, g, w)
		}
	}
}

func TestScanReport_RealPages(t *testing.T) {
	names, pages := realPages(t)
	for i, doc := range pages {
		f := names[i]
		doc = decodeWith(doc, detectCharset(doc, "text/html"))
		want, got := scanHTML(doc), scanReport(doc)
		if got.title != want.title || len(got.links) != len(want.links) {
			t.Errorf("%s: title %q / %q, %d / %d links", f, got.title, want.title, len(got.links), len(want.links))
			continue
		}
		for i := range got.links {
			if got.links[i].href != want.links[i].href || got.links[i].text != want.links[i].text {
				t.Errorf("%s: link %d: %+v, want %+v", f, i, got.links[i], want.links[i])
				break
			}
		}
	}
}

func BenchmarkScan(b *testing.B) {
	_, pages := realPages(b)
	doc := pages[0]
	b.Run("Tokenizer", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			scanHTML(doc)
		}
	})
	b.Run("Report", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			scanReport(doc)
		}
	})
}

func TestIsAttachmentLink(t *testing.T) {
	for _, tc := range []struct {
		href, text string
		want       bool
	}{
		{"http://x/attachment/0/521/521834/1881579.pdf", "", true},
		{"http://x/P020250210602214983371.DOCX", "", true},
		{"http://x/module/download/downfile.jsp?classid=0&filename=2401171234.pdf", "下载", true},
		{"http://x/download.do?id=77", "附件：2023年政府信息公开工作年度报告.wps", true},
		{"http://x/art/2024/1/16/art_1_2.html", "2023年年报.pdf", false},
		{"http://x/logo.png", "logo", false},
		{"http://x/list.jsp?page=2", "2", false},
	} {
		u, _ := url.Parse(tc.href)
		if got := isAttachmentLink(link{href: tc.href, text: tc.text}, u); got != tc.want {
			t.Errorf("isAttachmentLink(%q, %q) = %v, want %v", tc.href, tc.text, got, tc.want)
		}
	}
}

func TestResolveIn_GBKQuery(t *testing.T) {
	base, _ := url.Parse("http://www.bjchy.gov.cn/affair/gk/index.jsp")
	u, _ := resolveIn(base, "list.jsp?lm=年报&p=2#top", "gb18030")
	if got, want := u.String(), "http://www.bjchy.gov.cn/affair/gk/list.jsp?lm=%C4%EA%B1%A8&p=2"; got != want {
		t.Errorf("GBK page: %s, want %s", got, want)
	}
	u, _ = resolveIn(base, "list.jsp?lm=年报", "utf-8")
	if got := u.String(); got != "http://www.bjchy.gov.cn/affair/gk/list.jsp?lm=年报" {
		t.Errorf("UTF-8 page: %s", got)
	}
}

func TestDiscover_ExcludesCompanionPages(t *testing.T) {
	for _, title := range []string{"一图读懂2023年政府信息公开工作年度报告", "图说：2023年政府信息公开工作年度报告", "《2023年政府信息公开工作年度报告》解读", "关于报送2023年政府信息公开工作年度报告的通知"} {
		if !excludeRe.MatchString(title) {
			t.Errorf("%q is not excluded", title)
		}
	}
	if excludeRe.MatchString("湛江市司法局2025年政府信息公开工作年度报告") {
		t.Error("a report title is excluded")
	}
}

func TestResolve_CurlyQuotes(t *testing.T) {
	// Hand-edited pages write href=“…” (curly quotes as delimiters): the
	// tokenizer keeps them in the value.
	base, _ := url.Parse("http://www.pingtan.gov.cn/zwgk/xxgknb/")
	p := scanHTML([]byte(`<ul><li><a href=“2018/t20180130_1.html”>平潭县2017年政府信息公开工作年度报告</a></li></ul>`))
	if len(p.links) != 1 {
		t.Fatalf("links = %+v", p.links)
	}
	u, ok := resolve(base, p.links[0].href)
	if !ok || u.String() != "http://www.pingtan.gov.cn/zwgk/xxgknb/2018/t20180130_1.html" {
		t.Errorf("resolve(%q) = %v, %v", p.links[0].href, u, ok)
	}
}
