package parser

import (
	"fmt"
	"strings"
	"testing"
)

// Reports exported from Word by old IE-era editors (issue 17): upper-case
// tags, unquoted attributes (<TD vAlign=center width=94 colSpan=2>), Word's
// <?xml:namespace?> and <o:p> runs, every table wrapped in <DIV
// align=center>, and table 二 of the 2019 template printed with units after
// counts (2笔, 3项, 5件, 12个, 1次, 4人次) and amounts (984361元, 98.4361万元).

// word19Cell is one printed value cell of table 二 and what it must read as.
type word19Cell struct{ raw, value string }

// word19Block is one block of the 2019 template's table 二: its heading
// (第二十条第（x）项), its column headers and its rows.
type word19Block struct {
	heading string
	headers []string
	rows    []word19Row
}

type word19Row struct {
	id, label string
	cells     []word19Cell
}

// word19T2 returns the eight rows of the 2019 table 二 with count unit cu
// on every count and amount unit au ("元" or "万元") on the amount. Blanks
// (/, 无, an empty cell) stay blank, with no unit; changes are signed.
func word19T2(cu, au string) []word19Block {
	c := func(n string) word19Cell { return word19Cell{n + cu, strings.TrimPrefix(n, "+")} }
	amount := word19Cell{"984361" + au, "984361"}
	if au == "万元" {
		amount = word19Cell{"98.4360万元", "98.436"}
	}
	return []word19Block{
		{"第二十条第（一）项", []string{"信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"}, []word19Row{
			{"rules", "规章", []word19Cell{c("0"), c("1"), c("3")}},
			{"normative_docs", "规范性文件", []word19Cell{c("5"), c("5"), c("42")}},
		}},
		{"第二十条第（五）项", []string{"信息内容", "上一年项目数量", "本年增/减", "处理决定数量"}, []word19Row{
			{"licensing", "行政许可", []word19Cell{c("120"), c("+4"), {"1,036" + cu, "1036"}}},
			{"other_services", "其他对外管理服务事项", []word19Cell{c("8"), {"", ""}, c("77")}},
		}},
		{"第二十条第（六）项", []string{"信息内容", "上一年项目数量", "本年增/减", "处理决定数量"}, []word19Row{
			{"penalty", "行政处罚", []word19Cell{c("30"), c("-2"), c("210")}},
			{"coercion", "行政强制", []word19Cell{c("6"), {"/", ""}, c("9")}},
		}},
		{"第二十条第（八）项", []string{"信息内容", "上一年项目数量", "本年增/减"}, []word19Row{
			{"fees", "行政事业性收费", []word19Cell{c("2"), {"无", ""}}},
		}},
		{"第二十条第（九）项", []string{"信息内容", "采购项目数量", "采购总金额"}, []word19Row{
			{"procurement", "政府集中采购", []word19Cell{c("2"), amount}},
		}},
	}
}

// word19Opts are the shapes of one generated page.
type word19Opts struct {
	perBlock  bool   // one <TABLE> per block (else one table for all of 二)
	unitSpan  bool   // the unit in its own <SPAN> (Word switches font for it)
	unitSpace bool   // a space between number and unit
	t3Unit    string // a unit after the counts of tables 三 and 四
}

// word19TD renders one cell the way Word 2003 saved through IE does.
func word19TD(text string, span int) string {
	attrs := `style="BORDER-RIGHT: windowtext 1pt solid; PADDING-RIGHT: 5.4pt; BORDER-TOP: #ece9d8; PADDING-LEFT: 5.4pt; BORDER-LEFT: #ece9d8; BORDER-BOTTOM: windowtext 1pt solid" vAlign=center width=94`
	if span > 1 {
		attrs += fmt.Sprintf(" colSpan=%d", span)
	}
	if text == "" {
		return "<TD " + attrs + `><P class=MsoNormal style="TEXT-ALIGN: center" align=center><SPAN lang=EN-US><o:p>&nbsp;</o:p></SPAN></P></TD>`
	}
	return "<TD " + attrs + `><P class=MsoNormal style="TEXT-ALIGN: center" align=center><SPAN style="FONT-SIZE: 10.5pt; FONT-FAMILY: 宋体">` + text + `<SPAN lang=EN-US><o:p></o:p></SPAN></SPAN></P></TD>`
}

// word19Num renders a value cell's text: the number in Times New Roman,
// the unit after it, in its own 宋体 run when o.unitSpan.
func word19Num(raw string, o word19Opts) string {
	num, unit := splitUnit(raw)
	if o.unitSpace && unit != "" {
		unit = " " + unit
	}
	if o.unitSpan && unit != "" {
		return `<SPAN lang=EN-US style="FONT-FAMILY: 'Times New Roman'">` + num + `</SPAN><SPAN style="FONT-FAMILY: 宋体">` + unit + `</SPAN>`
	}
	return num + unit
}

// splitUnit cuts a printed value into its number and unit ("2笔" → "2",
// "笔"); a blank mark has no unit.
func splitUnit(raw string) (string, string) {
	i := strings.LastIndexAny(raw, "0123456789")
	if i < 0 {
		return raw, ""
	}
	return raw[:i+1], raw[i+1:]
}

// word19Raw is the raw text the parser must keep for a cell rendered by
// word19Num.
func word19Raw(raw string, o word19Opts) string {
	if num, unit := splitUnit(raw); o.unitSpace && unit != "" {
		return num + " " + unit
	}
	return raw
}

// word19Page renders a whole 2019-format report: title, table 二 with the
// blocks given, table 三 (23 rows) and table 四.
func word19Page(blocks []word19Block, o word19Opts) string {
	var b strings.Builder
	b.WriteString(`<HTML xmlns:o="urn:schemas-microsoft-com:office:office"><HEAD><TITLE>某某县人民政府2020年政府信息公开工作年度报告</TITLE>
<META http-equiv=Content-Type content="text/html; charset=utf-8"><META content="MSHTML 6.00.2900.5512" name=GENERATOR></HEAD>
<BODY>
<P class=MsoNormal style="TEXT-INDENT: 32pt; LINE-HEIGHT: 28pt"><SPAN style="FONT-SIZE: 16pt; FONT-FAMILY: 黑体">二、主动公开政府信息情况<SPAN lang=EN-US><?xml:namespace prefix = o ns = "urn:schemas-microsoft-com:office:office" /><o:p></o:p></SPAN></SPAN></P>
`)
	open := func() {
		b.WriteString("<DIV align=center>\n<TABLE class=MsoNormalTable style=\"BORDER-COLLAPSE: collapse\" cellSpacing=0 cellPadding=0 border=1>\n<TBODY>\n")
	}
	closeT := func() { b.WriteString("</TBODY></TABLE></DIV>\n") }
	open()
	for i, bl := range blocks {
		if i > 0 && o.perBlock {
			closeT()
			b.WriteString("<P class=MsoNormal><SPAN lang=EN-US><o:p>&nbsp;</o:p></SPAN></P>\n")
			open()
		}
		b.WriteString("<TR>" + word19TD(bl.heading, 4) + "</TR>\n<TR>")
		for j, h := range bl.headers {
			span := 1
			if j == len(bl.headers)-1 && len(bl.headers) < 4 {
				span = 5 - len(bl.headers)
			}
			b.WriteString(word19TD(h, span))
		}
		b.WriteString("</TR>\n")
		for _, r := range bl.rows {
			b.WriteString("<TR>" + word19TD(r.label, 1))
			for j, c := range r.cells {
				span := 1
				if j == len(r.cells)-1 && len(r.cells) < 3 {
					span = 4 - len(r.cells)
				}
				b.WriteString(word19TD(word19Num(c.raw, o), span))
			}
			b.WriteString("</TR>\n")
		}
	}
	closeT()
	b.WriteString(`<P class=MsoNormal><SPAN style="FONT-FAMILY: 黑体">三、收到和处理政府信息公开申请情况</SPAN></P>` + "\n")
	open()
	b.WriteString("<TR>" + word19TD("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3) + word19TD("申请人情况", 7) + "</TR>\n")
	b.WriteString("<TR>" + word19TD("", 3) + word19TD("自然人", 1) + word19TD("法人或其他组织", 5) + word19TD("总计", 1) + "</TR>\n")
	b.WriteString("<TR>" + word19TD("", 4) + word19TD("商业企业", 1) + word19TD("科研机构", 1) + word19TD("社会公益组织", 1) + word19TD("法律服务机构", 1) + word19TD("其他", 1) + word19TD("", 1) + "</TR>\n")
	for _, r := range word19T3 {
		b.WriteString("<TR>" + word19TD(r.label, 3))
		for _, v := range strings.Fields(r.vals) {
			b.WriteString(word19TD(word19Num(v+o.t3Unit, o), 1))
		}
		b.WriteString("</TR>\n")
	}
	closeT()
	b.WriteString(`<P class=MsoNormal><SPAN style="FONT-FAMILY: 黑体">四、政府信息公开行政复议、行政诉讼情况</SPAN></P>` + "\n")
	open()
	b.WriteString("<TR>" + word19TD("行政复议", 5) + word19TD("行政诉讼", 10) + "</TR>\n<TR>")
	for i := 0; i < 3; i++ {
		for _, h := range []string{"结果维持", "结果纠正", "其他结果", "尚未审结", "总计"} {
			b.WriteString(word19TD(h, 1))
		}
	}
	b.WriteString("</TR>\n<TR>")
	for _, v := range strings.Fields(word19T4) {
		b.WriteString(word19TD(word19Num(v+o.t3Unit, o), 1))
	}
	b.WriteString("</TR>\n")
	closeT()
	b.WriteString(`<P class=MsoNormal><SPAN style="FONT-FAMILY: 黑体">五、存在的主要问题及改进情况</SPAN></P></BODY></HTML>`)
	return b.String()
}

// word19T3 is a 2019 table 三 whose arithmetic holds.
var word19T3 = []struct{ id, label, vals string }{
	{"new_received", "一、本年新收政府信息公开申请数量", "12 1 0 0 0 0 13"},
	{"carried_over", "二、上年结转政府信息公开申请数量", "1 0 0 0 0 0 1"},
	{"granted", "三、本年度办理结果 （一）予以公开", "6 1 0 0 0 0 7"},
	{"partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "1 0 0 0 0 0 1"},
	{"denied.state_secret", "（三）不予公开 1.属于国家秘密", "0 0 0 0 0 0 0"},
	{"denied.law_prohibited", "2.其他法律行政法规禁止公开", "0 0 0 0 0 0 0"},
	{"denied.three_safeties", "3.危及“三安全一稳定”", "0 0 0 0 0 0 0"},
	{"denied.third_party", "4.保护第三方合法权益", "0 0 0 0 0 0 0"},
	{"denied.internal_affairs", "5.属于三类内部事务信息", "0 0 0 0 0 0 0"},
	{"denied.process_info", "6.属于四类过程性信息", "1 0 0 0 0 0 1"},
	{"denied.enforcement_case", "7.属于行政执法案卷", "0 0 0 0 0 0 0"},
	{"denied.admin_query", "8.属于行政查询事项", "0 0 0 0 0 0 0"},
	{"unavailable.not_held", "（四）无法提供 1.本机关不掌握相关政府信息", "3 0 0 0 0 0 3"},
	{"unavailable.needs_creation", "2.没有现成信息需要另行制作", "0 0 0 0 0 0 0"},
	{"unavailable.unclear", "3.补正后申请内容仍不明确", "0 0 0 0 0 0 0"},
	{"not_processed.petition", "（五）不予处理 1.信访举报投诉类申请", "1 0 0 0 0 0 1"},
	{"not_processed.duplicate", "2.重复申请", "0 0 0 0 0 0 0"},
	{"not_processed.publication", "3.要求提供公开出版物", "0 0 0 0 0 0 0"},
	{"not_processed.excessive", "4.无正当理由大量反复申请", "0 0 0 0 0 0 0"},
	{"not_processed.confirm", "5.要求行政机关确认或重新出具已获取信息", "0 0 0 0 0 0 0"},
	{"other", "（六）其他处理", "0 0 0 0 0 0 0"},
	{"total", "（七）总计", "12 1 0 0 0 0 13"},
	{"carried_forward", "四、结转下年度继续办理", "1 0 0 0 0 0 1"},
}

var word19T4 = "1 0 0 0 1 0 0 0 0 0 0 0 0 0 0"

// Issue 17: the 第二十条第（九）项 block printed as 政府集中采购 | 2笔 |
// 984361元 in IE/Word markup lost both cells.
func TestParse_Format2019_WordProcurementUnits(t *testing.T) {
	page := `<HTML><HEAD><TITLE>某某县人民政府2020年政府信息公开工作年度报告</TITLE></HEAD><BODY>
<P>二、主动公开政府信息情况</P>
<DIV align=center><TABLE cellSpacing=0 cellPadding=0 border=1><TBODY>
<TR><TD vAlign=center width=94 colSpan=4>第二十条第（一）项</TD></TR>
<TR><TD vAlign=center width=94>信息内容</TD><TD vAlign=center width=94>本年新制作数量</TD><TD vAlign=center width=94>本年新公开数量</TD><TD vAlign=center width=94>对外公开总数量</TD></TR>
<TR><TD vAlign=center width=94>规章</TD><TD vAlign=center width=94>0</TD><TD vAlign=center width=94>0</TD><TD vAlign=center width=94>0</TD></TR>
</TBODY></TABLE></DIV>
<DIV align=center><TABLE cellSpacing=0 cellPadding=0 border=1><TBODY>
<TR><TD vAlign=center width=94 colSpan=3>第二十条第（九）项</TD></TR>
<TR><TD vAlign=center width=94>信息内容</TD><TD vAlign=center width=94>采购项目数量</TD><TD vAlign=center width=94>采购总金额</TD></TR>
<TR><TD vAlign=center width=94>政府集中采购</TD><TD vAlign=center width=94>2笔</TD><TD vAlign=center width=94>984361元</TD></TR>
</TBODY></TABLE></DIV>
<P>三、收到和处理政府信息公开申请情况</P></BODY></HTML>`
	r := mustParse(t, []byte(page), Source{})
	if r.Format != Format2019 {
		t.Fatalf("format %s, want 2019", r.Format)
	}
	for _, w := range []Cell{
		{Table: "t2", Row: "procurement", Column: "items", Value: "2", Raw: "2笔"},
		{Table: "t2", Row: "procurement", Column: "amount", Value: "984361", Raw: "984361元"},
	} {
		if c, ok := r.Cell(w.Table, w.Row, w.Column); !ok || c != w {
			t.Errorf("got %+v (present %v), want %+v", c, ok, w)
		}
	}
}

// Every block of the 2019 table 二, in IE/Word markup, with each count unit
// on every count and 元 or 万元 on the amount: every cell is read with its
// value and its raw text as printed, and the rest of the report with it.
func TestParse_Format2019_WordUnits(t *testing.T) {
	for _, layout := range []struct {
		name string
		o    word19Opts
	}{
		{"OneTable", word19Opts{}},
		{"TablePerBlock", word19Opts{perBlock: true}},
		{"UnitSpan", word19Opts{perBlock: true, unitSpan: true}},
		{"UnitSpaced", word19Opts{unitSpace: true}},
		{"UnitSpanSpaced", word19Opts{unitSpan: true, unitSpace: true}},
	} {
		for i, cu := range []string{"笔", "项", "件", "个", "次", "人次", ""} {
			au := []string{"元", "万元"}[i%2]
			name := layout.name + "/" + cu + au
			t.Run(name, func(t *testing.T) {
				o := layout.o
				if cu == "件" || cu == "人次" {
					o.t3Unit = cu
				}
				blocks := word19T2(cu, au)
				r := mustParse(t, []byte(word19Page(blocks, o)), Source{})
				assertWord19(t, r, blocks, o)
			})
		}
	}
}

// assertWord19 checks every cell of a page rendered by word19Page.
func assertWord19(t *testing.T, r *Report, blocks []word19Block, o word19Opts) {
	t.Helper()
	if r.Format != Format2019 || r.Agency != "某某县人民政府" || r.Year != 2020 {
		t.Errorf("identity = %s %q %d", r.Format, r.Agency, r.Year)
	}
	n := 0
	for _, bl := range blocks {
		for _, row := range bl.rows {
			cols := Rows(TableActive, Format2019)
			var spec RowSpec
			for _, s := range cols {
				if s.ID == row.id {
					spec = s
				}
			}
			if len(spec.Columns) != len(row.cells) {
				t.Fatalf("test data: row %s has %d cells, the template %d", row.id, len(row.cells), len(spec.Columns))
			}
			for j, want := range row.cells {
				n++
				w := Cell{Table: TableActive, Row: row.id, Column: spec.Columns[j], Value: want.value, Raw: word19Raw(want.raw, o)}
				if c, ok := r.Cell(w.Table, w.Row, w.Column); !ok || c != w {
					t.Errorf("got %+v (present %v), want %+v", c, ok, w)
				}
			}
		}
	}
	for _, row := range word19T3 {
		for j, v := range strings.Fields(row.vals) {
			n++
			w := Cell{Table: TableRequests, Row: row.id, Column: t3Columns[j], Value: v, Raw: word19Raw(v+o.t3Unit, o)}
			if c, ok := r.Cell(w.Table, w.Row, w.Column); !ok || c != w {
				t.Errorf("got %+v (present %v), want %+v", c, ok, w)
			}
		}
	}
	for i, v := range strings.Fields(word19T4) {
		n++
		w := Cell{Table: TableAppeals, Row: t4Rows[i/5].ID, Column: t4Columns[i%5], Value: v, Raw: word19Raw(v+o.t3Unit, o)}
		if c, ok := r.Cell(w.Table, w.Row, w.Column); !ok || c != w {
			t.Errorf("got %+v (present %v), want %+v", c, ok, w)
		}
	}
	if len(r.Cells) != n || n != 198 || len(r.Missing) != 0 || len(r.Failures) != 0 {
		t.Errorf("%d cells (want %d of 198), missing %v, failures %v, warnings %v", len(r.Cells), n, r.Missing, r.Failures, r.Warnings)
	}
}
