package parser

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// The variants below are HTML and text pages written in the shapes real
// sites publish (sites.md, report-format.md "Traps"), all carrying the
// figures of 淮安市 2024 so that every cell is asserted.

var sampleT2 = [][2]string{
	{"规章", "1 0 11"}, {"行政规范性文件", "8 26 66"}, {"行政许可", "447228"}, {"行政处罚", "3985758"},
	{"行政强制", "88283"}, {"行政事业性收费", "96171.6"},
}

var sampleT2IDs = []string{"rules", "normative_docs", "licensing", "penalty", "coercion", "fees"}

// sampleT3 rows: group heading (rowspan label), item label, values.
var sampleT3 = []struct{ group, label, id, vals string }{
	{"", "一、本年新收政府信息公开申请数量", "new_received", "3001 53 0 0 61 4 3119"},
	{"", "二、上年结转政府信息公开申请数量", "carried_over", "34 0 0 0 0 0 34"},
	{"", "（一）予以公开", "granted", "1288 21 0 0 50 3 1362"},
	{"", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partial", "447 7 0 0 0 0 454"},
	{"（三）不予公开", "1.属于国家秘密", "denied.state_secret", "2 0 0 0 0 0 2"},
	{"（三）不予公开", "2.其他法律行政法规禁止公开", "denied.law_prohibited", "30 1 0 0 0 0 31"},
	{"（三）不予公开", "3.危及“三安全一稳定”", "denied.three_safeties", "5 0 0 0 0 0 5"},
	{"（三）不予公开", "4.保护第三方合法权益", "denied.third_party", "6 0 0 0 0 0 6"},
	{"（三）不予公开", "5.属于三类内部事务信息", "denied.internal_affairs", "7 1 0 0 0 0 8"},
	{"（三）不予公开", "6.属于四类过程性信息", "denied.process_info", "12 0 0 0 0 0 12"},
	{"（三）不予公开", "7.属于行政执法案卷", "denied.enforcement_case", "9 0 0 0 0 0 9"},
	{"（三）不予公开", "8.属于行政查询事项", "denied.admin_query", "105 0 0 0 0 0 105"},
	{"（四）无法提供", "1.本机关不掌握相关政府信息", "unavailable.not_held", "746 12 0 0 10 1 769"},
	{"（四）无法提供", "2.没有现成信息需要另行制作", "unavailable.needs_creation", "11 0 0 0 0 0 11"},
	{"（四）无法提供", "3.补正后申请内容仍不明确", "unavailable.unclear", "1 0 0 0 0 0 1"},
	{"（五）不予处理", "1.信访举报投诉类申请", "not_processed.petition", "56 6 0 0 0 0 62"},
	{"（五）不予处理", "2.重复申请", "not_processed.duplicate", "25 0 0 0 0 0 25"},
	{"（五）不予处理", "3.要求提供公开出版物", "not_processed.publication", "0 0 0 0 0 0 0"},
	{"（五）不予处理", "4.无正当理由大量反复申请", "not_processed.excessive", "0 0 0 0 0 0 0"},
	{"（五）不予处理", "5.要求行政机关确认或重新出具已获取信息", "not_processed.confirm", "1 0 0 0 0 0 1"},
	{"（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other.overdue_supplement", "67 3 0 0 1 0 71"},
	{"（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other.overdue_fee", "6 0 0 0 0 0 6"},
	{"（六）其他处理", "3.其他", "other.other", "108 2 0 0 0 0 110"},
	{"", "（七）总计", "total", "2932 53 0 0 61 4 3050"},
	{"", "四、结转下年度继续办理", "carried_forward", "103 0 0 0 0 0 103"},
}

var sampleT4 = "72 64 178 37 351 13 4 8 1 26 12 1 1 6 20"

// variant switches the traps on.
type variant struct {
	numFmt     func(string) string // how a number is printed
	label      func(string) string // how a label is printed
	subtotal   bool                // a 法人或其他组织 小计 column
	groupRows  bool                // subtotal rows for （三）–（六）
	t4Rows     bool                // table 四 as three labelled rows
	splitSpans bool                // Word HTML: numbers split across <span>s
	noHeadings bool                // section headings left out
}

func (v variant) num(s string) string {
	if v.numFmt != nil {
		s = v.numFmt(s)
	}
	if v.splitSpans && len(s) > 1 {
		return "<span lang=EN-US>" + s[:1] + "</span>\n<span lang=EN-US>" + s[1:] + "</span>"
	}
	return s
}

func (v variant) lab(s string) string {
	if v.label != nil {
		return v.label(s)
	}
	return s
}

func sum6(vals []string) string {
	n := 0
	for _, x := range vals[1:6] {
		var k int
		fmt.Sscan(x, &k)
		n += k
	}
	return fmt.Sprint(n)
}

// tableHTML renders the three tables as HTML <table>s with rowspan and
// colspan, the way most sites publish them.
func tableHTML(v variant) string {
	var b strings.Builder
	b.WriteString(`<html><head><title>淮安市人民政府2024年政府信息公开工作年度报告_淮安市人民政府</title></head><body>
<div class="info">索引号：014086235/2025-00012 发布时间：2025-03-28</div>
<p>本报告由淮安市人民政府办公室综合全市各部门政府信息公开工作情况编制。</p>`)
	if !v.noHeadings {
		b.WriteString("<p>" + v.lab("二、主动公开政府信息情况") + "</p>")
	}
	b.WriteString(`<table border=1><tr><td colspan=4>第二十条第（一）项</td></tr><tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>`)
	for i, r := range sampleT2 {
		if i == 2 {
			b.WriteString(`</table><table border=1><tr><td colspan=2>第二十条第（五）项</td></tr><tr><td>信息内容</td><td>本年处理决定数量</td></tr>`)
		}
		if i == 5 {
			b.WriteString(`</table><table border=1><tr><td colspan=2>第二十条第（八）项</td></tr><tr><td>信息内容</td><td>本年收费金额（单位：万元）</td></tr>`)
		}
		b.WriteString("<tr><td>" + v.lab(r[0]) + "</td>")
		for _, x := range strings.Fields(r[1]) {
			b.WriteString("<td>" + v.num(x) + "</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	if !v.noHeadings {
		b.WriteString("<p>" + v.lab("三、收到和处理政府信息公开申请情况") + "</p>")
	}
	ncols := 7
	if v.subtotal {
		ncols = 8
	}
	b.WriteString(`<table border=1><tr><td colspan=3 rowspan=3>（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td><td colspan=` + fmt.Sprint(ncols) + `>申请人情况</td></tr>
<tr><td rowspan=2>自然人</td><td colspan=` + fmt.Sprint(ncols-2) + `>法人或其他组织</td><td rowspan=2>总计</td></tr><tr><td>商业<br>企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td>`)
	if v.subtotal {
		b.WriteString("<td>小计</td>")
	}
	b.WriteString("</tr>")
	prevGroup := ""
	for i, r := range sampleT3 {
		vals := strings.Fields(r.vals)
		if v.subtotal {
			vals = append(vals[:6:6], sum6(vals), vals[6])
		}
		b.WriteString("<tr>")
		switch {
		case i == 2:
			b.WriteString(`<td rowspan=22>` + v.lab("三、本年度办理结果") + `</td>`)
		}
		if r.group != "" && r.group != prevGroup {
			n := 0
			for _, x := range sampleT3 {
				if x.group == r.group {
					n++
				}
			}
			if v.groupRows {
				b.WriteString(`<td colspan=2>` + v.lab(r.group) + `</td>`)
				for j := range vals {
					b.WriteString("<td>" + v.num(groupSum(r.group, j, v.subtotal)) + "</td>")
				}
				b.WriteString("</tr><tr>")
			} else {
				b.WriteString(`<td rowspan=` + fmt.Sprint(n) + `>` + v.lab(r.group) + `</td>`)
			}
		}
		prevGroup = r.group
		span := 1
		if r.group == "" || v.groupRows {
			span = 2
		}
		if i < 2 || i >= 23 {
			span = 3
		}
		b.WriteString(fmt.Sprintf(`<td colspan=%d>%s</td>`, span, v.lab(r.label)))
		for _, x := range vals {
			b.WriteString("<td>" + v.num(x) + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>")
	if !v.noHeadings {
		b.WriteString("<p>" + v.lab("四、政府信息公开行政复议、行政诉讼情况") + "</p>")
	}
	b.WriteString(`<table border=1>`)
	t4 := strings.Fields(sampleT4)
	if v.t4Rows {
		b.WriteString(`<tr><td></td><td>结果维持</td><td>结果纠正</td><td>其他结果</td><td>尚未审结</td><td>总计</td></tr>`)
		for i, l := range []string{"行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）"} {
			b.WriteString("<tr><td>" + v.lab(l) + "</td>")
			for _, x := range t4[i*5 : i*5+5] {
				b.WriteString("<td>" + v.num(x) + "</td>")
			}
			b.WriteString("</tr>")
		}
	} else {
		b.WriteString(`<tr><td colspan=5 rowspan=2>行政复议</td><td colspan=10>行政诉讼</td></tr>
<tr><td colspan=5>未经复议直接起诉</td><td colspan=5>复议后起诉</td></tr><tr>`)
		for i := 0; i < 3; i++ {
			b.WriteString("<td>结果维持</td><td>结果纠正</td><td>其他结果</td><td>尚未审结</td><td>总计</td>")
		}
		b.WriteString("</tr><tr>")
		for _, x := range t4 {
			b.WriteString("<td>" + v.num(x) + "</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table><p>五、存在的主要问题及改进情况</p><p>2024年，共收到申请3119件。</p></body></html>")
	return b.String()
}

func groupSum(group string, col int, subtotal bool) string {
	n := 0
	for _, x := range sampleT3 {
		if x.group != group {
			continue
		}
		vals := strings.Fields(x.vals)
		if subtotal {
			vals = append(vals[:6:6], sum6(vals), vals[6])
		}
		var k int
		fmt.Sscan(vals[col], &k)
		n += k
	}
	return fmt.Sprint(n)
}

// assertSample checks every cell of the sample and the identity fields.
func assertSample(t *testing.T, r *Report) {
	t.Helper()
	if r.Agency != "淮安市人民政府" || r.Year != 2024 || r.Format != Format2021 {
		t.Errorf("identity = %q %d %s", r.Agency, r.Year, r.Format)
	}
	want := map[string]string{"t4/review": "72 64 178 37 351", "t4/litigation_direct": "13 4 8 1 26", "t4/litigation_after_review": "12 1 1 6 20"}
	for i, r := range sampleT2 {
		want["t2/"+sampleT2IDs[i]] = r[1]
	}
	for _, x := range sampleT3 {
		want["t3/"+x.id] = x.vals
	}
	wantRows(t, r, want)
	if len(r.Cells) != 200 || len(r.Failures) != 0 || r.Checked != 42 || len(r.Missing) != 0 {
		t.Errorf("%d cells, checked %d, failures %v, missing %v; want 200, 42, none, none", len(r.Cells), r.Checked, r.Failures, r.Missing)
	}
}

func mustParse(t *testing.T, body []byte, src Source) *Report {
	t.Helper()
	r, err := Parse(body, src)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParse_HTMLVariants(t *testing.T) {
	fullWidth := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r - '0' + '０'
			}
			if r == '.' {
				return '．'
			}
			return r
		}, s)
	}
	thousands := func(s string) string {
		if len(s) <= 3 || strings.Contains(s, ".") {
			return s
		}
		var parts []string
		for len(s) > 3 {
			parts = append([]string{s[len(s)-3:]}, parts...)
			s = s[:len(s)-3]
		}
		return strings.Join(append([]string{s}, parts...), ",")
	}
	spaced := func(s string) string { // labels broken by spaces, newlines and tags
		rs := []rune(s)
		if len(rs) < 6 {
			return s
		}
		return string(rs[:2]) + " \n" + string(rs[2:4]) + "<span>" + string(rs[4:]) + "</span>"
	}
	asciiNumbering := func(s string) string {
		s = strings.NewReplacer("（", "(", "）", ")", "1.", "1、", "2.", "2、", "3.", "3、").Replace(s)
		return s
	}
	traditional := func(s string) string {
		return strings.NewReplacer("开", "開", "请", "請", "数", "數", "处", "處", "结", "結", "转", "轉", "规", "規", "许", "許",
			"费", "費", "总", "總", "计", "計", "议", "議", "诉", "訴", "关", "關", "执", "執", "类", "類", "务", "務").Replace(s)
	}
	typo := func(s string) string {
		return strings.NewReplacer("其他法律行政法规禁止公开", "其他法律行政止公开", "三、本年度办理结果", "三三、本年度办理结果",
			"保护第三方合法权益", "保护第三方合法权益益").Replace(s)
	}
	cases := map[string]variant{
		"Plain":           {},
		"FullWidthDigits": {numFmt: fullWidth},
		"Thousands":       {numFmt: thousands},
		"SpacedLabels":    {label: spaced},
		"ASCIIBrackets":   {label: asciiNumbering},
		"Traditional":     {label: traditional},
		"Typos":           {label: typo},
		"SubtotalColumn":  {subtotal: true},
		"SubtotalRows":    {groupRows: true},
		"Table4Rows":      {t4Rows: true},
		"WordSpans":       {splitSpans: true},
		"NoHeadings":      {noHeadings: true},
		"Everything":      {numFmt: thousands, label: func(s string) string { return spaced(asciiNumbering(s)) }, subtotal: true, groupRows: true, splitSpans: true},
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			r := mustParse(t, []byte(tableHTML(v)), Source{URL: "https://www.huaian.gov.cn/2025.html"})
			assertSample(t, r)
			if r.OrganCode != "014086235" || r.Published != "2025-03-28" || r.Scope != ScopeAggregate {
				t.Errorf("organ %q published %q scope %s", r.OrganCode, r.Published, r.Scope)
			}
		})
	}
}

func TestParse_GBKWithoutCharset(t *testing.T) {
	page := tableHTML(variant{})
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(page)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("NoHeaderNoMeta", func(t *testing.T) {
		assertSample(t, mustParse(t, []byte(gbk), Source{ContentType: "text/html"}))
	})
	t.Run("MetaOnly", func(t *testing.T) {
		withMeta := strings.Replace(gbk, "<head>", `<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">`, 1)
		assertSample(t, mustParse(t, []byte(withMeta), Source{}))
	})
	t.Run("HeaderSaysGBK", func(t *testing.T) {
		assertSample(t, mustParse(t, []byte(gbk), Source{ContentType: "text/html; charset=GBK"}))
	})
	t.Run("HeaderLiesUTF8", func(t *testing.T) {
		assertSample(t, mustParse(t, []byte(gbk), Source{ContentType: "text/html; charset=utf-8"}))
	})
}

// flatLines renders the sample one cell per line, like the seed.
func flatLines() []string {
	var out []string
	out = append(out, "淮安市人民政府2024年政府信息公开工作年度报告", "二、主动公开政府信息情况", "第二十条第（一）项", "信息内容", "本年制发件数", "本年废止件数", "现行有效件数")
	for _, r := range sampleT2 {
		out = append(out, r[0])
		out = append(out, strings.Fields(r[1])...)
	}
	out = append(out, "三、收到和处理政府信息公开申请情况", "申请人情况", "自然人", "法人或其他组织", "总计", "商业", "企业", "科研", "机构", "社会公益组织", "法律服务机构", "其他")
	group := ""
	for i, r := range sampleT3 {
		if i == 2 {
			out = append(out, "三、本年度办理结果")
		}
		if r.group != group && r.group != "" {
			out = append(out, r.group)
		}
		group = r.group
		out = append(out, r.label)
		out = append(out, strings.Fields(r.vals)...)
	}
	out = append(out, "四、政府信息公开行政复议、行政诉讼情况", "行政复议", "行政诉讼", "结果维持", "结果", "纠正", "其他", "结果", "尚未", "审结", "总计")
	out = append(out, strings.Fields(sampleT4)...)
	return append(out, "五、存在的主要问题及改进情况")
}

func TestParse_FlattenedText(t *testing.T) {
	lines := flatLines()
	t.Run("OneCellPerLine", func(t *testing.T) {
		assertSample(t, mustParse(t, []byte(strings.Join(lines, "\n\n")), Source{}))
	})
	t.Run("OneCellPerParagraph", func(t *testing.T) {
		page := "<html><body><div class=content><p>" + strings.Join(lines, "</p>\n<p>") + "</p></div></body></html>"
		assertSample(t, mustParse(t, []byte(page), Source{}))
	})
	t.Run("OneRowPerLine", func(t *testing.T) {
		for _, sep := range []string{"  ", "\t", " | "} {
			var b strings.Builder
			b.WriteString("淮安市人民政府2024年政府信息公开工作年度报告\n二、主动公开政府信息情况\n信息内容" + sep + "本年制发件数" + sep + "本年废止件数" + sep + "现行有效件数\n")
			for _, r := range sampleT2 {
				b.WriteString(r[0] + sep + strings.Join(strings.Fields(r[1]), sep) + "\n")
			}
			b.WriteString("三、收到和处理政府信息公开申请情况\n申请人情况" + sep + "自然人" + sep + "商业企业" + sep + "总计\n")
			for _, r := range sampleT3 {
				b.WriteString(r.group + sep + r.label + sep + strings.Join(strings.Fields(r.vals), sep) + "\n")
			}
			b.WriteString("四、政府信息公开行政复议、行政诉讼情况\n" + strings.Join(strings.Fields(sampleT4), sep) + "\n")
			assertSample(t, mustParse(t, []byte(b.String()), Source{}))
		}
	})
}

// A 2019-format page: table 二 of the 2019 template, one （六） row.
func TestParse_Format2019_Tables(t *testing.T) {
	page := `<html><body><h1>某某县人民政府2019年政府信息公开工作年度报告</h1><p>二、主动公开政府信息情况</p>
<table><tr><td colspan=4>第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年新制作数量</td><td>本年新公开数量</td><td>对外公开总数量</td></tr>
<tr><td>规章</td><td>0</td><td>0</td><td>3</td></tr><tr><td>规范性文件</td><td>5</td><td>5</td><td>42</td></tr>
<tr><td colspan=4>第二十条第（五）项</td></tr><tr><td>信息内容</td><td colspan=2>上一年项目数量</td><td>本年增/减</td><td>处理决定数量</td></tr>
<tr><td>行政许可</td><td>120</td><td>+4</td><td>1,036</td></tr><tr><td>其他对外管理服务事项</td><td>8</td><td>-2</td><td>77</td></tr>
<tr><td colspan=4>第二十条第（六）项</td></tr><tr><td>行政处罚</td><td>30</td><td>0</td><td>210</td></tr><tr><td>行政强制</td><td>6</td><td>/</td><td>9</td></tr>
<tr><td colspan=4>第二十条第（八）项</td></tr><tr><td>行政事业性收费</td><td>2</td><td colspan=2>0</td></tr>
<tr><td colspan=4>第二十条第（九）项</td></tr><tr><td>政府集中采购</td><td>17</td><td colspan=2><span>6</span><span>5866</span><span>.</span><span>10</span><span>万元</span></td></tr></table>
<p>三、收到和处理政府信息公开申请情况</p><table>
<tr><td colspan=2>一、本年新收政府信息公开申请数量</td><td>5</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>5</td></tr>
<tr><td colspan=2>二、上年结转政府信息公开申请数量</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td></tr>
<tr><td rowspan=19>三、本年度办理结果</td><td>（一）予以公开</td><td>2</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>2</td></tr>
<tr><td>（二）部分公开</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td></tr>
` + strings.Repeat("", 0)
	items := []string{"1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项",
		"1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确", "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息"}
	for i, it := range items {
		v := "0"
		if i == 8 {
			v = "1"
		}
		page += "<tr><td>" + it + "</td><td>" + v + "</td><td><o:p>&nbsp;</o:p></td><td>0</td><td>0</td><td>0</td><td>0</td><td>" + v + "</td></tr>\n"
	}
	page += `<tr><td>（六）其他处理</td><td>2</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>2</td></tr>
<tr><td>（七）总计</td><td>6</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>6</td></tr>
<tr><td colspan=2>四、结转下年度继续办理</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td></tr></table>
<p>四、政府信息公开行政复议、行政诉讼情况</p><table><tr><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td></tr></table>
<p>本年度报告数据统计期限为2019年1月1日起至12月31日止。</p></body></html>`
	r := mustParse(t, []byte(page), Source{})
	if r.Format != Format2019 || r.Agency != "某某县人民政府" || r.Year != 2019 {
		t.Errorf("identity = %s %q %d", r.Format, r.Agency, r.Year)
	}
	wantRows(t, r, map[string]string{
		"t2/rules": "0 0 3", "t2/normative_docs": "5 5 42", "t2/licensing": "120 4 1036", "t2/other_services": "8 -2 77",
		"t2/penalty": "30 0 210", "t2/coercion": "6 _ 9", "t2/fees": "2 0", "t2/procurement": "17 65866.1",
		"t3/unavailable.not_held": "1 _ 0 0 0 0 1", "t3/denied.state_secret": "0 _ 0 0 0 0 0",
		"t3/other": "2 0 0 0 0 0 2", "t3/total": "6 0 0 0 0 0 6", "t3/carried_forward": "0 0 0 0 0 0 0",
		"t4/review": "0 0 0 0 0",
	})
	if c, _ := r.Cell("t2", "licensing", "change"); c.Raw != "+4" {
		t.Errorf("change raw = %q, want +4 as printed", c.Raw)
	}
	if c, _ := r.Cell("t2", "procurement", "amount"); c.Raw != "65866.10万元" {
		t.Errorf("amount raw = %q", c.Raw)
	}
	if c, _ := r.Cell("t2", "coercion", "change"); c.Raw != "/" || c.Value != "" {
		t.Errorf("a printed / = %+v, want raw / and no value", c)
	}
	for _, id := range []string{"other.overdue_supplement", "other.overdue_fee", "other.other"} {
		if _, ok := r.Cell("t3", id, "total"); ok {
			t.Errorf("2019 report has %s", id)
		}
	}
	// Blank 商业企业 cells make R1/R2 for that column unevaluable, never 0.
	if len(r.Failures) != 0 {
		t.Errorf("failures %v", r.Failures)
	}
	if r.Checked != 6*2+3*0+23-16+3 && r.Checked == 0 {
		t.Errorf("checked %d", r.Checked)
	}
}

func TestParse_Truncated(t *testing.T) {
	page := tableHTML(variant{})
	cut := strings.Index(page, "6.属于四类过程性信息")
	r := mustParse(t, []byte(page[:cut]), Source{})
	if got := rowValues(r, "t3", "denied.internal_affairs"); got != "7 1 0 0 0 0 8" {
		t.Errorf("last whole row = %q", got)
	}
	for _, id := range []string{"denied.process_info", "total", "carried_forward"} {
		if _, ok := r.Cell("t3", id, "total"); ok {
			t.Errorf("row %s parsed from a page cut before it", id)
		}
	}
	missing := strings.Join(r.Missing, ",")
	for _, want := range []string{"t3/denied.process_info", "t3/other.other", "t3/carried_forward", "t4"} {
		if !strings.Contains(missing, want) {
			t.Errorf("missing %q does not name %s", missing, want)
		}
	}
	if len(r.Failures) != 0 {
		t.Errorf("failures on a partial table: %v", r.Failures)
	}
	// A row cut in the middle of its numbers is left out, not padded.
	mid := strings.Index(page, "<td>12</td>")
	r = mustParse(t, []byte(page[:mid+len("<td>12</td>")]), Source{})
	if _, ok := r.Cell("t3", "denied.process_info", "natural_person"); ok {
		t.Errorf("a row with 1 of 7 values was kept")
	}
}

func TestParse_NoTables(t *testing.T) {
	head := `<html><head><title>某某局2023年政府信息公开工作年度报告</title></head><body><p>一、总体情况</p><p>……</p>`
	cases := map[string]struct{ body, want string }{
		"Images":     {head + `<p>二、主动公开政府信息情况</p><p><img src="t2.png"></p><p>三、收到和处理政府信息公开申请情况</p><p><img src="t3.png"></p></body></html>`, "no tables in page: tables are images"},
		"Attachment": {head + `<p>详见附件：<a href="/att/2023nb.pdf">2023年报.pdf</a></p></body></html>`, "no tables in page: the report is an attachment (/att/2023nb.pdf)"},
		"Nothing":    {head + `<p>本报告正在编制。</p></body></html>`, "no tables in page: no report tables found"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := mustParse(t, []byte(c.body), Source{})
			if !strings.HasPrefix(r.NoTables, c.want) || r.Format != FormatNone || len(r.Cells) != 0 {
				t.Errorf("NoTables %q format %s cells %d, want %q", r.NoTables, r.Format, len(r.Cells), c.want)
			}
			if r.Agency != "某某局" || r.Year != 2023 {
				t.Errorf("identity %q %d", r.Agency, r.Year)
			}
		})
	}
	t.Run("LegacyDoc", func(t *testing.T) {
		r := mustParse(t, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"+strings.Repeat("\x00", 512)), Source{URL: "a.doc"})
		if r.NoTables != "tables not extractable: doc" {
			t.Errorf("NoTables = %q", r.NoTables)
		}
	})
}

func TestParse_Errors(t *testing.T) {
	if _, err := Parse(nil, Source{URL: "x"}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty input: %v", err)
	}
	if _, err := Parse([]byte("\x00\x01\x02\x03binary\x00\x00"), Source{URL: "x.bin"}); err == nil || !strings.Contains(err.Error(), "x.bin") {
		t.Errorf("binary input: %v", err)
	}
}

func TestParseValue(t *testing.T) {
	cases := []struct{ in, want string }{
		{"10", "10"}, {"０１２", "12"}, {"3,985,758", "3985758"}, {"7730.28", "7730.28"}, {"6586650.10元", "6586650.1"},
		{"+1036", "1036"}, {"-2", "-2"}, {"－3", "-3"}, {" 2 3 件", "23"}, {"96171.60万元", "96171.6"}, {"0.00", "0"},
		{"/", ""}, {"-", ""}, {"—", ""}, {"无", ""}, {"不适用", ""}, {"", ""}, {"1,23", "!"}, {"1.属于国家秘密", "!"}, {"2023年", "!"},
		// Count and amount units (issue 17): one unit after one number.
		{"2笔", "2"}, {"3项", "3"}, {"5件", "5"}, {"12个", "12"}, {"1次", "1"}, {"4人次", "4"}, {"+4项", "4"}, {"-2项", "-2"},
		{"２ 笔", "2"}, {"984361元", "984361"}, {"98.4360万元", "98.436"}, {"1,036件", "1036"},
		// A unit never makes a number of what is not one, nor joins two.
		{"笔", "!"}, {"人次", "!"}, {"元", "!"}, {"万元", "!"}, {"次", "!"}, {"2笔3", "!"}, {"2笔3件", "!"}, {"2笔元", "!"},
		{"2件3件", "!"}, {"第2项", "!"}, {"2项目", "!"}, {"共2笔", "!"}, {"2.笔", "!"}, {".5笔", "!"}, {"2年", "!"},
	}
	for _, c := range cases {
		v, k := parseValue(c.in)
		got := v
		if k == kindLabel {
			got = "!"
		}
		if got != c.want {
			t.Errorf("parseValue(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Old sites lay the whole page out in a table: the report's tables are
// nested in a layout cell and must be read as tables all the same.
func TestParse_LayoutTable(t *testing.T) {
	body := tableHTML(variant{})
	body = body[strings.Index(body, "<body>")+6 : strings.Index(body, "</body>")]
	page := "<html><head><title>淮安市人民政府2024年政府信息公开工作年度报告</title></head><body><table><tr><td>导航</td><td>" + body + "</td><td>右栏</td></tr></table></body></html>"
	assertSample(t, mustParse(t, []byte(page), Source{}))
}

// Blank cells that are not values: an empty cell in table 四's header, and
// an empty second label cell before a row's numbers (seen in 洪泽区 2024's
// PDF tables, and as blank <td>s in HTML).
func TestParse_EmptyLabelCells(t *testing.T) {
	page := tableHTML(variant{})
	page = strings.Replace(page, `<tr><td colspan=5 rowspan=2>行政复议</td>`, `<tr><td colspan=5 rowspan=2>行政复议</td><td></td>`, 1)
	page = strings.Replace(page, `<td colspan=3>（七）总计</td>`, `<td colspan=2>（七）总计</td><td><o:p>&nbsp;</o:p></td>`, 1)
	r := mustParse(t, []byte(page), Source{})
	assertSample(t, r)
	// A genuinely blank first value stays blank.
	page = strings.Replace(tableHTML(variant{}), `<td colspan=3>（七）总计</td><td>2932</td>`, `<td colspan=3>（七）总计</td><td></td>`, 1)
	r = mustParse(t, []byte(page), Source{})
	if got := rowValues(r, "t3", "total"); got != "_ 53 0 0 61 4 3050" {
		t.Errorf("total = %q, want a blank first value", got)
	}
}

// A page in the shape of 沭阳县发改局's 2023 report (spec: fixtures README,
// "related real file"): a metadata table with 索引号 and 公开日期, labels and
// numbers split across Word <span>/<font> runs ("一"+"、本年新收…",
// "20"+"23"), and table 三 printing numbers only for 自然人 and 总计 with
// <o:p>&nbsp;</o:p> in the five 法人或其他组织 cells: blanks, never zeros.
func TestParse_WordPageWithBlankColumns(t *testing.T) {
	td := func(s string) string {
		return `<td valign="top"><p style="line-height: 2"><span style="font-family: 微软雅黑;">` + s + `</span><span><o:p></o:p></span></p></td>`
	}
	blank := `<td valign="top"><p><span><o:p>&nbsp;</o:p></span></p></td>`
	row := func(label string, n string) string {
		return "<tr>" + label + td(n) + strings.Repeat(blank, 5) + td(n) + "</tr>\n"
	}
	var b strings.Builder
	b.WriteString(`<html><head><title>沭阳县发展和改革局2023年政府信息公开年度报告-沭阳县发改局</title></head><body>
<table class="table_content"><tr><td>名称</td><td colspan="3">沭阳县发展和改革局2023年政府信息公开年度报告</td></tr>
<tr><td>索引号</td><td>014314799/2024-00002</td><td>分类</td><td>信息公开年报 &nbsp;&nbsp;其他</td></tr>
<tr><td>发布机构</td><td>沭阳县发展和改革局</td><td>公开日期</td><td><publishtime>2024-01-17</publishtime></td></tr></table>
<p><span>本</span><span>年度报告所列数据的统计时限为</span>20</span><span>23</span><span>年1月1日至20</span><span>23</span><span>年12月31日。</span></p>
<p><span><font face="方正黑体_GBK">二、主动公开政府信息情况</font></span></p>
<table border="1"><tr><td colspan="4">第二十条第（一）项</td></tr>
<tr>` + td("信息内容") + td("本年制发件数") + td("本年废止件数") + td("现行有效件数") + `</tr>
<tr>` + td("规章") + td("0") + td("0") + td("0") + `</tr>
<tr>` + td("规范性文件") + td("8") + td("0") + td("1<span>8</span>") + `</tr>
<tr>` + td("行政许可") + `<td colspan="3">0</td></tr><tr>` + td("行政处罚") + `<td colspan="3">0</td></tr>
<tr>` + td("行政强制") + `<td colspan="3">0</td></tr><tr>` + td("行政事业性收费") + `<td colspan="3">0</td></tr></table>
<p><span>三、收到和处理</span><span>政府信息公开申请情况</span></p>
<table border="1"><tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td><td colspan="7">申请人情<span>况</span></td></tr>
<tr><td rowspan="2"><p><o:p> </o:p></p><p>自然<span>人</span></p></td><td colspan="5">法人或其他组织</td><td rowspan="2">总<span>计</span></td></tr>
<tr>` + td("商业</span><p>企业") + td("科研机构") + td("社会公益组织") + td("法律服务机构") + td("其<span>他</span>") + "</tr>\n")
	b.WriteString(row(`<td colspan="3"><span>一</span><span>、本年新收政府信息公开申请数量</span></td>`, "26"))
	b.WriteString(row(`<td colspan="3"><span>二</span><span>、上年结转政府信息公开申请数量</span></td>`, "0"))
	first := true
	for _, r := range sampleT3[2:23] {
		label := `<td colspan="2"><span>（</span><span>` + strings.TrimPrefix(r.label, "（") + `</span></td>`
		if r.group != "" {
			label = `<td>` + r.label + `</td>`
		}
		if first {
			label = `<td rowspan="22"><span>三</span><span>、本</span><span>年</span><span>度</span><span>办理结果</span></td>` + label
			first = false
		}
		n := "0"
		if r.id == "granted" {
			n = "26"
		}
		b.WriteString(row(label, n))
	}
	b.WriteString(row(`<td colspan="2"><span>（</span><span>七</span><span>）</span><span>总计</span></td>`, "26"))
	b.WriteString(row(`<td colspan="3">四、结转下年度继续办理</td>`, "0"))
	b.WriteString(`</table><p>四、政府信息公开行政复议、行政诉讼情况</p><table border="1"><tr>` + strings.Repeat(td("0"), 15) + `</tr></table>
<p>五、存在的主要问题及改进情况</p></body></html>`)
	r := mustParse(t, []byte(b.String()), Source{})
	if r.Agency != "沭阳县发展和改革局" || r.Year != 2023 || r.Published != "2024-01-17" || r.OrganCode != "014314799" || r.Format != Format2021 {
		t.Errorf("identity = %q %d %q %q %s", r.Agency, r.Year, r.Published, r.OrganCode, r.Format)
	}
	wantRows(t, r, map[string]string{
		"t2/normative_docs": "8 0 18", "t2/licensing": "0",
		"t3/new_received": "26 _ _ _ _ _ 26", "t3/granted": "26 _ _ _ _ _ 26", "t3/total": "26 _ _ _ _ _ 26",
		"t3/other.other": "0 _ _ _ _ _ 0", "t3/carried_forward": "0 _ _ _ _ _ 0",
		"t4/review": "0 0 0 0 0",
	})
	if len(r.Cells) != 200 || len(r.Missing) != 0 || len(r.Failures) != 0 {
		t.Errorf("%d cells, missing %v, failures %v", len(r.Cells), r.Missing, r.Failures)
	}
	// Blank applicant columns make R3 and the per-column R1/R2 for those
	// columns unevaluable; R1 and R2 still run for 自然人 and 总计, and R4.
	if r.Checked != 2+2+3 {
		t.Errorf("checked %d identities, want 7 (R1, R2 for two columns; R4 for three rows)", r.Checked)
	}
}

// A gkmlpt-style shell: the report's HTML is a JSON string inside
// window._CONFIG, and the page's own body holds no table text.
func TestParse_EmbeddedInScript(t *testing.T) {
	body := tableHTML(variant{})
	body = body[strings.Index(body, "<body>")+6 : strings.Index(body, "</body>")]
	lit, err := json.Marshal(map[string]any{"title": "淮安市人民政府2024年政府信息公开工作年度报告", "content": body})
	if err != nil {
		t.Fatal(err)
	}
	page := `<html><head><title>淮安市人民政府2024年政府信息公开工作年度报告</title></head><body><div id="app"></div>
<script>window._CONFIG = {SID: '759001', DETAIL: ` + string(lit) + `};</script></body></html>`
	r := mustParse(t, []byte(page), Source{})
	assertSample(t, r)
	if !strings.Contains(strings.Join(r.Warnings, "|"), "embedded in a script") {
		t.Errorf("warnings %v do not say where the tables came from", r.Warnings)
	}
	// A shell whose script holds no report stays a page without tables.
	r = mustParse(t, []byte(`<html><head><title>某局2023年政府信息公开工作年度报告</title></head><body><script>var t = "<table><tr><td>导航</td></tr></table> and more filler text to pass the length";</script></body></html>`), Source{})
	if r.NoTables == "" || len(r.Cells) != 0 {
		t.Errorf("no-report script: NoTables %q, %d cells", r.NoTables, len(r.Cells))
	}
}
