package panel

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nianbao/parser"
)

// This file builds the inputs of the tests: real fixture reports parsed
// from ../testdata (the parser's fixtures), and generated report pages in
// the shape of a real one (title, six sections of prose, the three tables
// as HTML), parsed by the real parser, so that every report carries the
// cells and the outline the parser would give it.

// parseFixture parses one of the parser's fixtures.
func parseFixture(tb testing.TB, name string) *parser.Report {
	tb.Helper()
	body, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	r, err := parser.Parse(body, parser.Source{URL: name})
	if err != nil {
		tb.Fatalf("parse %s: %v", name, err)
	}
	return r
}

// page describes a generated report page.
type page struct {
	Agency    string
	Year      int
	Published string // YYYY-MM-DD printed on the page; "" for none
	// Prose is section 一's text; Section5 section 五's ("" leaves the
	// section out), Section6 section 六's.
	Prose, Section5, Section6 string
	// Omit leaves out sections (their heading and content) by ID; "t2",
	// "t4" leave out a table (its section heading stays).
	Omit []string
	// T2 is table 二 (2021 format) as six rows of values:
	// "rules issued repealed in_force" …; nil means all zero.
	T2 map[string]string
	// T3 maps a table 三 row ID to its seven values (space separated);
	// rows not given are zero. OtherSingle prints （六）其他处理 as the one
	// 2019 row instead of the three 2021 rows.
	T3          map[string]string
	OtherSingle bool
	// T4 is table 四's 15 values (space separated); "" means all zero.
	T4 string
}

func (p page) omitted(id string) bool {
	for _, o := range p.Omit {
		if o == id {
			return true
		}
	}
	return false
}

// html renders the page.
func (p page) html() string {
	var b strings.Builder
	title := fmt.Sprintf("%s%d年政府信息公开工作年度报告", p.Agency, p.Year)
	fmt.Fprintf(&b, "<html><head><title>%s_门户网站</title></head><body>\n<div class=nav>首页 | 政务公开 | 主动公开 | 依申请公开</div>\n<h1>%s</h1>\n", title, title)
	if p.Published != "" {
		fmt.Fprintf(&b, "<div class=info>发布时间：%s 来源：%s</div>\n", p.Published, p.Agency)
	}
	fmt.Fprintf(&b, "<p>本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求编制。本报告中所列数据的统计期限自%d年1月1日起至%d年12月31日止。</p>\n", p.Year, p.Year)
	sec := func(id, heading string) bool {
		if p.omitted(id) {
			return false
		}
		b.WriteString("<p>" + heading + "</p>\n")
		return true
	}
	if sec("s1", "一、总体情况") {
		for _, para := range strings.Split(p.Prose, "\n") {
			b.WriteString("<p>" + para + "</p>\n")
		}
	}
	if sec("s2", "二、主动公开政府信息情况") && !p.omitted("t2") {
		t2 := map[string]string{"rules": "0 0 0", "normative_docs": "0 0 0", "licensing": "0", "penalty": "0", "coercion": "0", "fees": "0"}
		for k, v := range p.T2 {
			t2[k] = v
		}
		b.WriteString(`<table border=1><tr><td colspan=4>第二十条第（一）项</td></tr><tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>`)
		for i, row := range parser.Rows(parser.TableActive, parser.Format2021) {
			if i == 2 {
				b.WriteString(`</table><table border=1><tr><td colspan=2>第二十条第（五）项</td></tr><tr><td>信息内容</td><td>本年处理决定数量</td></tr>`)
			}
			if i == 5 {
				b.WriteString(`</table><table border=1><tr><td colspan=2>第二十条第（八）项</td></tr><tr><td>信息内容</td><td>本年收费金额（单位：万元）</td></tr>`)
			}
			b.WriteString("<tr><td>" + row.Label + "</td>")
			for _, v := range strings.Fields(t2[row.ID]) {
				b.WriteString("<td>" + v + "</td>")
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</table>\n")
	}
	if sec("s3", "三、收到和处理政府信息公开申请情况") && !p.omitted("t3") {
		b.WriteString(`<table border=1><tr><td rowspan=2>（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td><td rowspan=2>自然人</td><td colspan=5>法人或其他组织</td><td rowspan=2>总计</td></tr><tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>` + "\n")
		f := parser.Format2021
		if p.OtherSingle {
			f = parser.Format2019
		}
		for _, row := range parser.Rows(parser.TableRequests, f) {
			vals := p.T3[row.ID]
			if vals == "" {
				vals = "0 0 0 0 0 0 0"
			}
			b.WriteString("<tr><td>" + row.Label + "</td>")
			for _, v := range strings.Fields(vals) {
				if v == "_" {
					v = "" // an empty cell
				}
				b.WriteString("<td>" + v + "</td>")
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</table>\n")
	}
	if sec("s4", "四、政府信息公开行政复议、行政诉讼情况") && !p.omitted("t4") {
		t4 := p.T4
		if t4 == "" {
			t4 = strings.Repeat("0 ", 15)
		}
		b.WriteString(`<table border=1><tr><td colspan=5>行政复议</td><td colspan=10>行政诉讼</td></tr><tr><td rowspan=2>结果维持</td><td rowspan=2>结果纠正</td><td rowspan=2>其他结果</td><td rowspan=2>尚未审结</td><td rowspan=2>总计</td><td colspan=5>未经复议直接起诉</td><td colspan=5>复议后起诉</td></tr><tr>`)
		for range 2 {
			b.WriteString("<td>结果维持</td><td>结果纠正</td><td>其他结果</td><td>尚未审结</td><td>总计</td>")
		}
		b.WriteString("</tr><tr>")
		for _, v := range strings.Fields(t4) {
			b.WriteString("<td>" + v + "</td>")
		}
		b.WriteString("</tr></table>\n")
	}
	if p.Section5 != "" && sec("s5", "五、存在的主要问题及改进情况") {
		b.WriteString("<p>" + p.Section5 + "</p>\n")
	}
	if sec("s6", "六、其他需要报告的事项") {
		s6 := p.Section6
		if s6 == "" {
			s6 = "本年度未收取信息处理费。"
		}
		b.WriteString("<p>" + s6 + "</p>\n")
	}
	b.WriteString("<div class=footer>版权所有：门户网站 网站标识码：4400000001</div></body></html>")
	return b.String()
}

// parse renders and parses the page.
func (p page) parse(tb testing.TB) *parser.Report {
	tb.Helper()
	url := fmt.Sprintf("https://www.example.gov.cn/nb/%d/%s.html", p.Year+1, p.Agency)
	r, err := parser.Parse([]byte(p.html()), parser.Source{URL: url})
	if err != nil {
		tb.Fatalf("parse generated page: %v", err)
	}
	if r.Year != p.Year || r.Agency != p.Agency {
		tb.Fatalf("generated page parsed as %q %d, want %q %d", r.Agency, r.Year, p.Agency, p.Year)
	}
	return r
}

// vocabulary for generated prose: phrases a real report uses, combined at
// random so that two organs' texts share words but not sentences.
var phrases = []string{
	"坚持以公开为常态", "不公开为例外", "持续深化政务公开", "完善信息发布机制", "加强政策解读", "及时回应社会关切",
	"推进决策公开", "规范依申请公开办理", "严格执行保密审查", "强化政务新媒体管理", "优化门户网站栏目",
	"开展业务培训", "落实三审三校制度", "加强重点领域信息公开", "推动基层政务公开标准化", "健全工作考核机制",
	"围绕中心工作", "聚焦群众关切", "提升公开质量", "拓展公开渠道", "深化财政预决算公开", "做好建议提案办理结果公开",
	"加强督促检查", "压实工作责任", "及时更新办事指南", "做好政策文件清理", "开展政府开放日活动", "畅通互动交流渠道",
}

// prose returns n sentences built from the vocabulary with seed.
func prose(seed uint64, n int) string {
	rng := rand.New(rand.NewPCG(seed, seed*7+1))
	var b strings.Builder
	for i := range n {
		k := 3 + rng.IntN(3)
		for j := range k {
			if j > 0 {
				b.WriteString("，")
			}
			b.WriteString(phrases[rng.IntN(len(phrases))])
		}
		fmt.Fprintf(&b, "，全年完成%d项工作。", 10+rng.IntN(90)+i)
	}
	return b.String()
}

// entry wraps a report in an Entry.
func entry(r *parser.Report, site string) *Entry {
	return &Entry{Agency: r.Agency, Site: site, Year: r.Year, Report: r, Identified: true,
		Versions: []Version{{N: 1, Report: r, Digest: "v1", ParserVersion: parser.Version}}}
}

// indicator returns the indicator id of inds.
func indicator(tb testing.TB, inds []Indicator, id string) Indicator {
	tb.Helper()
	for _, ind := range inds {
		if ind.ID == id {
			return ind
		}
	}
	tb.Fatalf("no indicator %s", id)
	return Indicator{}
}

// signal returns the signal id of r, or false.
func signal(r Result, id string) (Signal, bool) {
	for _, s := range r.Signals {
		if s.ID == id {
			return s, true
		}
	}
	return Signal{}, false
}

// signalIDs lists r's signal IDs.
func signalIDs(r Result) []string {
	var ids []string
	for _, s := range r.Signals {
		ids = append(ids, s.ID)
	}
	return ids
}
