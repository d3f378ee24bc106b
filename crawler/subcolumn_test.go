package crawler

import (
	"fmt"
	"strings"
	"testing"
)

// countyPage renders a page of a county portal: the site-wide menu (with
// 机构概况 › 区直部门 and 镇街, which are no 年报 columns), a breadcrumb,
// the 年报 column's tab bar when tabs is set, a list and a tail.
func countyPage(title, crumb string, tabs bool, links [][2]string, tail string) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>` + title + `_平潭县人民政府</title></head><body>
<div class="header"><ul class="menu"><li><a href="/">首页</a></li><li><a href="/jggk/">机构概况</a></li>
<li><a href="/jggk/qzbm/">区直部门</a></li><li><a href="/jggk/zj/">镇街</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/zwgk/xxgknb/">信息公开年报</a></li></ul></div>
<div class="position"><span>当前位置：</span><a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a>` + crumb + `</div>`)
	if tabs {
		b.WriteString(`<div class="left"><ul class="tabs"><li><a href="/zwgk/xxgknb/zfnb/">政府年报</a></li>
<li><a href="/zwgk/xxgknb/qzbm/">区直部门</a></li><li><a href="/zwgk/xxgknb/zj/">镇街</a></li></ul></div>`)
	}
	b.WriteString(`<div class="list"><ul>`)
	for i, l := range links {
		fmt.Fprintf(&b, `<li><a href="%s" target="_blank">%s</a><span>2018-01-%02d</span></li>`+"\n", l[0], l[1], 10+i)
	}
	b.WriteString(`</ul></div>` + tail + `<div class="footer"><a href="/zwgk/tzgg/">通知公告</a> <a href="/qynb/">企业年报</a></div></body></html>`)
	return b.String()
}

func TestCrawler_Fetch_SubColumns(t *testing.T) {
	p := newPortal(t)
	const nb = "/zwgk/xxgknb/"
	crumb := ` &gt; <a href="/zwgk/xxgknb/">信息公开年报</a>`
	p.html("/zwgk/", countyPage("政务公开", "", false, nil, ""))
	p.html(nb, countyPage("信息公开年报", crumb, true, nil, `<p>请选择栏目</p>`))
	// Unrelated columns named like sub-columns, each listing something a
	// wandering crawl would take for a report.
	p.html("/jggk/qzbm/", countyPage("区直部门", ` &gt; <a href="/jggk/">机构概况</a>`, false,
		[][2]string{{"/jggk/qzbm/jyj.html", "平潭县教育局2016年政府信息公开工作年度报告"}}, ""))
	p.html("/jggk/zj/", countyPage("镇街", "", false, [][2]string{{"/jggk/zj/tc.html", "潭城镇2016年政府信息公开工作年度报告"}}, ""))
	p.html("/qynb/", countyPage("企业年报", "", false, [][2]string{{"/qynb/1.html", "平潭某公司2017年度年报"}}, ""))
	p.html("/zwgk/tzgg/", countyPage("通知公告", "", false, nil, ""))

	type entry struct {
		path, title string
		report      bool
	}
	columns := []struct {
		dir, name, crumb string
		pages            [][]entry
		tail             func(page int) string
		pageName         func(page int) string
	}{
		{dir: nb + "zfnb/", name: "政府年报", crumb: crumb + ` &gt; <a href="/zwgk/xxgknb/zfnb/">政府年报</a>`,
			pages: [][]entry{{
				{"201901/t20190130_1.html", "平潭县人民政府2018年政府信息公开工作年度报告", true},
				{"202001/t20200130_1.html", "平潭县人民政府2019年政府信息公开工作年度报告", true},
				{"201901/t20190130_2.html", "《平潭县2018年政府信息公开工作年度报告》解读", false},
			}, {
				{"201801/t20180130_1.html", "平潭县人民政府2017年政府信息 公开年度报告", true},
				{"201801/t20180130_2.html", "平潭县政府网站工作年度报表（2017年度）", false},
			}},
			// TRS, new convention: page 2 is index_2.html.
			tail: func(page int) string {
				return fmt.Sprintf(`<script>createPageHTML('page_div',2,%d,'index','html',5);</script>`, page+1)
			},
			pageName: func(page int) string { return []string{"", "index_2.html"}[page] }},
		{dir: nb + "qzbm/", name: "区直部门", crumb: crumb + ` &gt; <a href="/zwgk/xxgknb/qzbm/">区直部门</a>`,
			pages: [][]entry{{
				{"fpb/2018.html", "平潭县扶贫办2017年政府信息年度报告", true},
				{"yy/2018.html", "平潭县人民医院2017年政务信息公开报告", true},
				{"jtj/tu2018.html", "一图读懂平潭县交通局2017年政府信息公开工作报告", false},
			}, {
				{"jtj/2018.html", "平潭县交通局2017年政府信息公开工作报告", true},
				{"rsj/2018.html", "平潭县人社局2017年度政府信息与政务公开工作总结", true},
				{"gsj/2018.html", "平潭县国税局2017年度信息与政务公开工作报告", true},
				{"tz2018.html", "关于做好2017年政府信息公开工作年度报告的通知", false},
			}},
			// TRS, old convention: page 2 is index_1.html.
			tail: func(page int) string {
				return fmt.Sprintf(`<script>createPageHTML(2, %d, "index", "html");</script>`, page)
			},
			pageName: func(page int) string { return []string{"", "index_1.html"}[page] }},
		{dir: nb + "zj/", name: "镇街", crumb: crumb + ` &gt; <a href="/zwgk/xxgknb/zj/">镇街</a>`,
			pages: [][]entry{{
				{"tcz/2018.html", "潭城镇“2017年政府信息公开工作年度报告”", true},
				{"saz/yd2018.html", "苏澳镇2017年政务公开工作要点", false},
			}, {
				{"lsz/2018.html", "流水镇2017年度政府信息公开工作年度报告", true},
				{"gs2018.html", "2017年政府信息公开工作年度报告格式", false},
			}},
			tail: func(page int) string {
				if page == 0 {
					return `<div class="page"><a href="list_2.html">下一页</a></div>`
				}
				return `<div class="page"><a href="./">上一页</a></div>`
			},
			pageName: func(page int) string { return []string{"", "list_2.html"}[page] }},
	}
	var reports, excluded []string
	for _, c := range columns {
		for page, entries := range c.pages {
			var links [][2]string
			for _, e := range entries {
				links = append(links, [2]string{e.path, e.title})
				if e.report {
					p.report(c.dir+e.path, e.title)
					reports = append(reports, c.dir+e.path)
				} else {
					p.report(c.dir+e.path, e.title)
					excluded = append(excluded, c.dir+e.path)
				}
			}
			// The sub-column pages say 年报 only in their breadcrumb.
			p.html(c.dir+c.pageName(page), countyPage(c.name, c.crumb, true, links, c.tail(page)))
		}
	}

	var sink collect
	st := mustFetch(t, New(testOptions(nil)), Site{Name: "平潭县", Start: []string{p.url("/zwgk/")}}, &sink)
	if got, want := st.Reports, len(reports); got != want {
		t.Errorf("reports = %d, want %d", got, want)
	}
	for _, u := range reports {
		if n := p.hit(u); n != 1 {
			t.Errorf("report %s requested %d times, want 1", u, n)
		}
	}
	for _, u := range excluded {
		if n := p.hit(u); n != 0 {
			t.Errorf("excluded page %s requested %d times", u, n)
		}
	}
	for _, u := range []string{"/jggk/qzbm/", "/jggk/zj/", "/jggk/", "/qynb/", "/zwgk/tzgg/"} {
		if n := p.hit(u); n != 0 {
			t.Errorf("unrelated column %s requested %d times", u, n)
		}
	}
	for _, c := range columns {
		for page := range c.pages {
			if n := p.hit(c.dir + c.pageName(page)); n != 1 {
				t.Errorf("list page %s requested %d times, want 1", c.dir+c.pageName(page), n)
			}
		}
	}
	d := sink.byURL()[p.url(nb+"qzbm/rsj/2018.html")]
	if d.LinkText != "平潭县人社局2017年度政府信息与政务公开工作总结" || d.Parent != p.url(nb+"qzbm/index_1.html") {
		t.Errorf("provenance = %q from %q", d.LinkText, d.Parent)
	}
}

func TestScanHTML_BlocksAndCrumb(t *testing.T) {
	p := scanHTML([]byte(countyPage("区直部门", ` &gt; <a href="/zwgk/xxgknb/">信息公开年报</a> &gt; <a href="/zwgk/xxgknb/qzbm/">区直部门</a>`, true,
		[][2]string{{"a.html", "平潭县扶贫办2017年政府信息年度报告"}}, `<iframe src="frame.html" title="列表"></iframe>`)))
	if want := "当前位置： 首页 > 政务公开 > 信息公开年报 > 区直部门"; p.crumb != want {
		t.Errorf("crumb = %q, want %q", p.crumb, want)
	}
	blockOf := map[string]int{}
	for _, l := range p.links {
		blockOf[l.href] = l.block
	}
	if blockOf["/jggk/qzbm/"] != blockOf["/jggk/zj/"] || blockOf["/zwgk/xxgknb/zfnb/"] != blockOf["/zwgk/xxgknb/zj/"] ||
		blockOf["/jggk/qzbm/"] == blockOf["/zwgk/xxgknb/zfnb/"] || blockOf["a.html"] == blockOf["/zwgk/xxgknb/zfnb/"] {
		t.Errorf("blocks = %v", blockOf)
	}
	if l := p.links[len(p.links)-3]; !l.frame || l.href != "frame.html" || l.title != "列表" {
		t.Errorf("frame link = %+v", l)
	}
	for _, tc := range []struct {
		title string
		want  bool
	}{{"政府年报", true}, {"部门年报", true}, {"乡镇（街道）年报", true}, {"区直部门年报", true}, {"县直单位年度报告", true},
		{"政府信息公开年报", true}, {"街道 年报", true}, {"【部门年报】", true},
		{"企业年报", false}, {"统计年报", false}, {"年报解读", false}, {"区直部门", false}, {"2017年度年报", false}} {
		var m matcher
		if got := m.isColumn(link{text: tc.title}, ""); got != tc.want {
			t.Errorf("isColumn(%q) = %v, want %v", tc.title, got, tc.want)
		}
	}
}

func TestCrawler_Fetch_FramesAndDocumentWrite(t *testing.T) {
	// A column whose list is in an <iframe> (with its own 下一页), and
	// report links written by document.write: literal strings are read from
	// the script text; a call that concatenates a variable is not guessed.
	p := newPortal(t)
	p.html("/nb/", `<!DOCTYPE html><html><head><meta charset="utf-8"><title>信息公开年报</title></head><body>
<div class="list"><iframe src="/nb/frame_list.html" width="100%" height="600" frameborder="0"></iframe></div>
<script type="text/javascript">
document.write('<ul class="dw"><li><a href="/nb/dw/2019.html">平潭县2019年政府信息公开工作年度报告</a></li>');
document.writeln("<li><a href=\"/nb/dw/2018.html\" title=\"平潭县2018年政府信息公开工作年度报告\">平潭县2018年…<\/a></li>" +
	'<li><a href="/nb/dw/jd2018.html">\u300a2018\u5e74\u62a5\u544a\u300b\u89e3\u8bfb</a></li></ul>');
var id = 5;
document.write('<a href="/nb/var/' + id + '.html">平潭县2017年政府信息公开工作年度报告</a>');
</script></body></html>`)
	p.html("/nb/frame_list.html", listPage("年报列表", [][2]string{
		{"/nb/fr/2017.html", "平潭县2017年政府信息公开工作年度报告"},
		{"/nb/fr/2016.html", "平潭县2016年政府信息公开工作年度报告"}}, `<a href="frame_list_2.html">下一页</a>`))
	p.html("/nb/frame_list_2.html", listPage("年报列表", [][2]string{{"/nb/fr/2015.html", "平潭县2015年政府信息公开工作年度报告"}}, ""))
	reports := []string{"/nb/dw/2019.html", "/nb/dw/2018.html", "/nb/fr/2017.html", "/nb/fr/2016.html", "/nb/fr/2015.html"}
	for _, r := range reports {
		p.report(r, "平潭县年报")
	}
	var sink collect
	st := mustFetch(t, New(testOptions(nil)), Site{Name: "平潭县", Start: []string{p.url("/nb/")}}, &sink)
	if st.Reports != len(reports) || st.Lists != 3 {
		t.Errorf("reports, lists = %d, %d, want %d, 3", st.Reports, st.Lists, len(reports))
	}
	for _, r := range reports {
		if p.hit(r) != 1 {
			t.Errorf("%s requested %d times, want 1", r, p.hit(r))
		}
	}
	for _, u := range []string{"/nb/var/.html", "/nb/var/5.html", "/nb/dw/jd2018.html"} {
		if n := p.hit(u); n != 0 {
			t.Errorf("%s requested %d times", u, n)
		}
	}
	if d := sink.byURL()[p.url("/nb/dw/2018.html")]; d.LinkText != "平潭县2018年政府信息公开工作年度报告" || d.Parent != p.url("/nb/") {
		t.Errorf("written link: text %q parent %q", d.LinkText, d.Parent)
	}
}

func TestDocWriteHTML(t *testing.T) {
	got := docWriteHTML([]string{`document.write("<a href='a.html'>\u5e74\u62a5<\/a>"); document.write('x' + y); document.writeln ( 'b' +
 "c" );`})
	if want := "<a href='a.html'>年报</a>\nbc\n"; got != want {
		t.Errorf("docWriteHTML = %q, want %q", got, want)
	}
}
