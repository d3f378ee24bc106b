package parser

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"html"
	"os"
	"strings"
	"testing"
)

// The DOCX files are written here, shaped as Word and WPS save the national
// templates: merged header cells (gridSpan, vMerge), the vertical label
// 三、本年度办理结果 merged down its 20-odd rows, and section labels merged
// down their items.

// wc is one w:tc of a generated table.
type wc struct {
	text string
	span int    // gridSpan; 0 or 1 for none
	vm   string // "", "restart" or "continue"
}

func dc(text string) wc              { return wc{text: text} }
func dspan(n int, text string) wc    { return wc{text: text, span: n} }
func dvstart(text string) wc         { return wc{text: text, vm: "restart"} }
func dvstartSpan(n int, t string) wc { return wc{text: t, span: n, vm: "restart"} }
func dvcont() wc                     { return wc{vm: "continue"} }
func dvcontSpan(n int) wc            { return wc{span: n, vm: "continue"} }

func dnums(s string) []wc {
	var out []wc
	for _, f := range strings.Fields(s) {
		out = append(out, dc(f))
	}
	return out
}

func drow(cells ...[]wc) []wc {
	var out []wc
	for _, cs := range cells {
		out = append(out, cs...)
	}
	return out
}

func done(x wc) []wc { return []wc{x} }

// wPara renders a paragraph; "\n" in text becomes a w:br, and text is split
// over two runs to look like Word's output.
func wPara(text string) string {
	var sb strings.Builder
	sb.WriteString(`<w:p><w:pPr><w:jc w:val="center"/></w:pPr>`)
	for i, part := range strings.Split(text, "\n") {
		if i > 0 {
			sb.WriteString(`<w:r><w:br/></w:r>`)
		}
		rs := []rune(part)
		h := len(rs) / 2
		fmt.Fprintf(&sb, `<w:r><w:rPr><w:rFonts w:hint="eastAsia"/></w:rPr><w:t>%s</w:t></w:r><w:r><w:t xml:space="preserve">%s</w:t></w:r>`,
			html.EscapeString(string(rs[:h])), html.EscapeString(string(rs[h:])))
	}
	sb.WriteString(`</w:p>`)
	return sb.String()
}

func wTable(rows ...[]wc) string {
	var sb strings.Builder
	sb.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid/>`)
	for _, r := range rows {
		sb.WriteString(`<w:tr><w:trPr><w:jc w:val="center"/></w:trPr>`)
		for _, x := range r {
			sb.WriteString(`<w:tc><w:tcPr><w:tcW w:w="900" w:type="dxa"/>`)
			if x.span > 1 {
				fmt.Fprintf(&sb, `<w:gridSpan w:val="%d"/>`, x.span)
			}
			switch x.vm {
			case "restart":
				sb.WriteString(`<w:vMerge w:val="restart"/>`)
			case "continue":
				sb.WriteString(`<w:vMerge/>`)
			}
			sb.WriteString(`</w:tcPr>`)
			// A cell's text may wrap over paragraphs, as labels do.
			for _, p := range strings.Split(x.text, "¶") {
				if p == "" {
					sb.WriteString(`<w:p/>`)
					continue
				}
				sb.WriteString(wPara(p))
			}
			sb.WriteString(`</w:tc>`)
		}
		sb.WriteString(`</w:tr>`)
	}
	sb.WriteString(`</w:tbl>`)
	return sb.String()
}

type zipEntry struct {
	name string
	data []byte
}

func zipFiles(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildDOCX wraps body (w:body content) in a minimal but complete package.
func buildDOCX(t testing.TB, body, title, created string) []byte {
	t.Helper()
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>` +
		body + `<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>`
	return zipFiles(t,
		zipEntry{"[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`)},
		zipEntry{"_rels/.rels", []byte(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`)},
		zipEntry{"word/document.xml", []byte(doc)},
		zipEntry{"docProps/core.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>` + title + `</dc:title><dc:creator>admin</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">` + created + `</dcterms:created></cp:coreProperties>`)},
	)
}

// t3Table renders table 三 with the given rows of 7 values. other holds the
// （六） part: three items (2021) or nil for the 2019 single row, whose
// values are then otherSingle.
func t3Table(v map[string]string, threeOther bool) string {
	rows := [][]wc{
		drow(done(dvstartSpan(3, "（本列数据的勾稽关系为：第一项加第二项之和，¶等于第三项加第四项之和）")), done(dspan(7, "申请人情况"))),
		drow(done(dvcontSpan(3)), done(dvstart("自然人")), done(dspan(5, "法人或其他组织")), done(dvstart("总计"))),
		drow(done(dvcontSpan(3)), done(dvcont()), []wc{dc("商业¶企业"), dc("科研¶机构"), dc("社会公益组织"), dc("法律服务机构"), dc("其他")}, done(dvcont())),
		drow(done(dspan(3, "一、本年新收政府信息公开申请数量")), dnums(v["new_received"])),
		drow(done(dspan(3, "二、上年结转政府信息公开申请数量")), dnums(v["carried_over"])),
		drow(done(dvstart("三、¶本¶年¶度¶办¶理¶结¶果")), done(dspan(2, "（一）予以公开")), dnums(v["granted"])),
		drow(done(dvcont()), done(dspan(2, "（二）部分公开（区分处理的，只计¶这一情形，不计其他情形）")), dnums(v["partial"])),
	}
	section := func(label string, items []string, ids []string) {
		for i, it := range items {
			head := dvcont()
			if i == 0 {
				head = dvstart(label)
			}
			rows = append(rows, drow(done(dvcont()), done(head), done(dc(it)), dnums(v[ids[i]])))
		}
	}
	section("（三）不予公开", []string{"1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项"},
		[]string{"denied.state_secret", "denied.law_prohibited", "denied.three_safeties", "denied.third_party", "denied.internal_affairs", "denied.process_info", "denied.enforcement_case", "denied.admin_query"})
	section("（四）无法提供", []string{"1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确"},
		[]string{"unavailable.not_held", "unavailable.needs_creation", "unavailable.unclear"})
	section("（五）不予处理", []string{"1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息"},
		[]string{"not_processed.petition", "not_processed.duplicate", "not_processed.publication", "not_processed.excessive", "not_processed.confirm"})
	if threeOther {
		// One value cell merged down the three （六） rows (科研机构).
		items := []string{"1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他"}
		ids := []string{"other.overdue_supplement", "other.overdue_fee", "other.other"}
		for i := range items {
			head, merged := dvcont(), dvcont()
			if i == 0 {
				head, merged = dvstart("（六）其他处理"), dvstart("0")
			}
			vals := dnums(v[ids[i]])
			rest := append(append([]wc{}, vals[:2]...), merged)
			rest = append(rest, vals[2:]...)
			rows = append(rows, drow(done(dvcont()), done(head), done(dc(items[i])), rest))
		}
	} else {
		rows = append(rows, drow(done(dvcont()), done(dspan(2, "（六）其他处理")), dnums(v["other"])))
	}
	rows = append(rows,
		drow(done(dvcont()), done(dspan(2, "（七）总计")), dnums(v["total"])),
		drow(done(dspan(3, "四、结转下年度继续办理")), dnums(v["carried_forward"])),
	)
	return wTable(rows...)
}

func t4Table(vals string) string {
	h3 := []wc{}
	for range 5 {
		h3 = append(h3, dvcont())
	}
	for range 2 {
		h3 = append(h3, dc("结果\n维持"), dc("结果\n纠正"), dc("其他\n结果"), dc("尚未 审结"), dc("总计"))
	}
	return wTable(
		drow(done(dspan(5, "行政复议")), done(dspan(10, "行政诉讼"))),
		drow([]wc{dvstart("结果¶维持"), dvstart("结果¶纠正"), dvstart("其他¶结果"), dvstart("尚未¶审结"), dvstart("总计")}, done(dspan(5, "未经复议直接起诉")), done(dspan(5, "复议后起诉"))),
		h3,
		dnums(vals),
	)
}

// t3Values2021 balance R1–R3.
var t3Values2021 = map[string]string{
	"new_received":               "20 3 0 1 2 0 26",
	"carried_over":               "2 0 0 0 0 0 2",
	"granted":                    "10 1 0 0 1 0 12",
	"partial":                    "3 0 0 0 0 0 3",
	"denied.state_secret":        "1 0 0 0 0 0 1",
	"denied.law_prohibited":      "0 0 0 0 0 0 0",
	"denied.three_safeties":      "0 0 0 0 0 0 0",
	"denied.third_party":         "0 0 0 0 0 0 0",
	"denied.internal_affairs":    "0 0 0 0 0 0 0",
	"denied.process_info":        "1 0 0 0 0 0 1",
	"denied.enforcement_case":    "0 0 0 0 0 0 0",
	"denied.admin_query":         "0 0 0 0 0 0 0",
	"unavailable.not_held":       "4 1 0 1 0 0 6",
	"unavailable.needs_creation": "1 0 0 0 0 0 1",
	"unavailable.unclear":        "0 0 0 0 0 0 0",
	"not_processed.petition":     "1 0 0 0 0 0 1",
	"not_processed.duplicate":    "0 0 0 0 0 0 0",
	"not_processed.publication":  "0 0 0 0 0 0 0",
	"not_processed.excessive":    "0 0 0 0 0 0 0",
	"not_processed.confirm":      "0 0 0 0 0 0 0",
	// Six values each: 科研机构 is the one merged cell.
	"other.overdue_supplement": "0 0 0 0 0 0",
	"other.overdue_fee":        "0 0 0 0 0 0",
	"other.other":              "0 0 0 0 0 0",
	"total":                    "21 2 0 1 1 0 25",
	"carried_forward":          "1 1 0 0 1 0 3",
}

func docx2021(t testing.TB) []byte {
	body := wPara("某某县人民政府") + wPara("2023年政府信息公开工作年度报告") +
		wPara("本报告所列数据的统计期限自2023年1月1日起至2023年12月31日止。") +
		wPara("一、总体情况") + wPara("2023年，全县主动公开政府信息1136条。") +
		wPara("二、主动公开政府信息情况") +
		wTable(
			done(dspan(4, "第二十条第（一）项")),
			[]wc{dc("信息内容"), dc("本年制发件数"), dc("本年废止件数"), dc("现行有效件数")},
			drow(done(dc("规章")), dnums("1 0 12")),
			drow(done(dc("行政规范性文件")), dnums("5 2 40")),
			done(dspan(4, "第二十条第（五）项")),
			[]wc{dc("信息内容"), dspan(3, "本年处理决定数量")},
			[]wc{dc("行政许可"), dspan(3, "1234")},
			done(dspan(4, "第二十条第（六）项")),
			[]wc{dc("信息内容"), dspan(3, "本年处理决定数量")},
			[]wc{dc("行政处罚"), dspan(3, "567")},
			[]wc{dc("行政强制"), dspan(3, "8")},
			done(dspan(4, "第二十条第（八）项")),
			[]wc{dc("信息内容"), dspan(3, "本年收费金额（单位：万元）")},
			[]wc{dc("行政事业性收费"), dspan(3, "12.50")},
		) +
		wPara("三、收到和处理政府信息公开申请情况") + t3Table(t3Values2021, true) +
		wPara("四、政府信息公开行政复议、行政诉讼情况") + t4Table("2 1 10 0 13 1 0 0 1 2 0 0 0 0 0") +
		wPara("五、存在的主要问题及改进情况") + wPara("无。") +
		wPara("某某县人民政府办公室\n2024年1月20日")
	return buildDOCX(t, body, "政府信息公开工作年度报告", "2024-01-18T08:00:00Z")
}

func TestExtractDOCX_Lines_MergedCells(t *testing.T) {
	doc, err := extractDOCX(docx2021(t), Source{URL: "r.docx"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ln := range doc.lines {
		s := dumpLine(ln)
		if !ln.table {
			s = "T " + s
		}
		got = append(got, s)
	}
	all := strings.Join(got, "\n")
	// Ids are assigned in order; find the ones the continuations name.
	idOf := func(text string) int {
		for _, ln := range doc.lines {
			for _, c := range ln.cells {
				if c.text == text {
					return c.id
				}
			}
		}
		t.Fatalf("no cell %q", text)
		return 0
	}
	hdr := idOf("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")
	vert := idOf("三、本年度办理结果")
	sec3 := idOf("（三）不予公开")
	sec6 := idOf("（六）其他处理")
	ziran, zongji := idOf("自然人"), idOf("总计")
	var merged0 int
	for _, ln := range doc.lines {
		if strings.HasPrefix(dumpLine(ln), fmt.Sprintf("^%d | （六）其他处理", vert)) {
			merged0 = ln.cells[5].id // the vMerge "0" under 科研机构
		}
	}
	for _, want := range []string{
		"T 某某县人民政府",
		"T 2023年政府信息公开工作年度报告",
		"第二十条第（一）项",
		"规章 | 1 | 0 | 12",
		"行政许可 | 1234",
		"行政事业性收费 | 12.50",
		"（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） | 申请人情况",
		fmt.Sprintf("^%d | 自然人 | 法人或其他组织 | 总计", hdr),
		fmt.Sprintf("^%d | ^%d | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | ^%d", hdr, ziran, zongji),
		"一、本年新收政府信息公开申请数量 | 20 | 3 | 0 | 1 | 2 | 0 | 26",
		"三、本年度办理结果 | （一）予以公开 | 10 | 1 | 0 | 0 | 1 | 0 | 12",
		fmt.Sprintf("^%d | （二）部分公开（区分处理的，只计这一情形，不计其他情形） | 3 | 0 | 0 | 0 | 0 | 0 | 3", vert),
		fmt.Sprintf("^%d | （三）不予公开 | 1.属于国家秘密 | 1 | 0 | 0 | 0 | 0 | 0 | 1", vert),
		fmt.Sprintf("^%d | ^%d | 2.其他法律行政法规禁止公开 | 0 | 0 | 0 | 0 | 0 | 0 | 0", vert, sec3),
		fmt.Sprintf("^%d | （六）其他处理 | 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0", vert),
		fmt.Sprintf("^%d | ^%d | 3.其他 | 0 | 0 | ^%d | 0 | 0 | 0 | 0", vert, sec6, merged0),
		fmt.Sprintf("^%d | （七）总计 | 21 | 2 | 0 | 1 | 1 | 0 | 25", vert),
		"行政复议 | 行政诉讼",
		// Line breaks (w:br) and spaces inside a CJK cell are dropped.
		fmt.Sprintf("^%d | ^%d | ^%d | ^%d | ^%d | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计", idOf("结果维持"), idOf("结果维持")+1, idOf("结果维持")+2, idOf("结果维持")+3, idOf("结果维持")+4),
		"2 | 1 | 10 | 0 | 13 | 1 | 0 | 0 | 1 | 2 | 0 | 0 | 0 | 0 | 0",
		"T 2024年1月20日",
	} {
		if !strings.Contains("\n"+all+"\n", "\n"+want+"\n") {
			t.Errorf("no line %q", want)
		}
	}
	if t.Failed() {
		t.Logf("lines:\n%s", all)
	}
	if doc.meta.title != "某某县人民政府2023年政府信息公开工作年度报告" || doc.meta.agency != "某某县人民政府" || doc.meta.published != "2024-01-20" {
		t.Errorf("meta %+v", doc.meta)
	}
}

func TestParse_DOCX_Format2021(t *testing.T) {
	r, err := Parse(docx2021(t), Source{URL: "r.docx"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Input != "docx" || r.Format != Format2021 || r.Year != 2023 || r.Agency != "某某县人民政府" {
		t.Fatalf("input %q format %q year %d agency %q", r.Input, r.Format, r.Year, r.Agency)
	}
	for _, w := range []struct{ table, row, values string }{
		{"t2", "rules", "1 0 12"},
		{"t2", "normative_docs", "5 2 40"},
		{"t2", "licensing", "1234"},
		{"t2", "penalty", "567"},
		{"t2", "coercion", "8"},
		{"t2", "fees", "12.5"},
		{"t3", "new_received", "20 3 0 1 2 0 26"},
		{"t3", "carried_over", "2 0 0 0 0 0 2"},
		{"t3", "granted", "10 1 0 0 1 0 12"},
		{"t3", "partial", "3 0 0 0 0 0 3"},
		{"t3", "denied.state_secret", "1 0 0 0 0 0 1"},
		{"t3", "denied.process_info", "1 0 0 0 0 0 1"},
		{"t3", "unavailable.not_held", "4 1 0 1 0 0 6"},
		{"t3", "unavailable.needs_creation", "1 0 0 0 0 0 1"},
		{"t3", "not_processed.petition", "1 0 0 0 0 0 1"},
		// 科研机构 is one cell merged down the three （六） rows.
		{"t3", "other.overdue_supplement", "0 0 0 0 0 0 0"},
		{"t3", "other.overdue_fee", "0 0 ^other.overdue_supplement 0 0 0 0"},
		{"t3", "other.other", "0 0 ^other.overdue_supplement 0 0 0 0"},
		{"t3", "total", "21 2 0 1 1 0 25"},
		{"t3", "carried_forward", "1 1 0 0 1 0 3"},
		{"t4", "review", "2 1 10 0 13"},
		{"t4", "litigation_direct", "1 0 0 1 2"},
		{"t4", "litigation_after_review", "0 0 0 0 0"},
	} {
		if got := pdfRowValues(r, w.table, w.row, r.Format); got != w.values {
			t.Errorf("%s/%s = %q, want %q", w.table, w.row, got, w.values)
		}
	}
	if len(r.Cells) != 10+25*7+15 || len(r.Missing) != 0 || len(r.Failures) != 0 {
		t.Errorf("cells %d missing %v failures %v", len(r.Cells), r.Missing, r.Failures)
	}
	if r.Published != "2024-01-20" {
		t.Errorf("published %q", r.Published)
	}
}

func docx2019(t testing.TB) []byte {
	v := map[string]string{}
	for k, s := range t3Values2021 {
		if !strings.HasPrefix(k, "other.") {
			v[k] = s
		}
	}
	v["other"] = "0 0 0 0 0 0 0"
	hdr5 := []wc{dc("信息内容"), dc("上一年项目数量"), dc("本年增/减"), dc("处理决定数量")}
	body := wPara("某某市交通运输局2020年政府信息公开工作年度报告") +
		wPara("二、主动公开政府信息情况") +
		wTable(
			done(dspan(4, "第二十条第（一）项")),
			[]wc{dc("信息内容"), dc("本年新制作数量"), dc("本年新公开数量"), dc("对外公开总数量")},
			drow(done(dc("规章")), dnums("0 0 3")),
			drow(done(dc("规范性文件")), dnums("2 2 15")),
			done(dspan(4, "第二十条第（五）项")),
			hdr5,
			drow(done(dc("行政许可")), dnums("30 +2 1500")),
			drow(done(dc("其他对外管理服务事项")), dnums("4 0 20")),
			done(dspan(4, "第二十条第（六）项")),
			hdr5,
			drow(done(dc("行政处罚")), dnums("12 -1 300")),
			drow(done(dc("行政强制")), dnums("5 0 7")),
			done(dspan(4, "第二十条第（八）项")),
			[]wc{dc("信息内容"), dc("上一年项目数量"), dspan(2, "本年增/减")},
			[]wc{dc("行政事业性收费"), dc("3"), dspan(2, "0")},
			done(dspan(4, "第二十条第（九）项")),
			[]wc{dc("信息内容"), dc("采购项目数量"), dspan(2, "采购总金额")},
			[]wc{dc("政府集中采购"), dc("6"), dspan(2, "120.5")},
		) +
		wPara("三、收到和处理政府信息公开申请情况") + t3Table(v, false) +
		wPara("四、政府信息公开行政复议、行政诉讼情况") + t4Table("0 0 0 0 0 0 0 0 0 0 0 0 0 0 0") +
		wPara("五、存在的主要问题及改进情况")
	return buildDOCX(t, body, "", "2021-01-25T10:00:00Z")
}

func TestParse_DOCX_Format2019(t *testing.T) {
	r, err := Parse(docx2019(t), Source{URL: "r2019.docx"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Input != "docx" || r.Format != Format2019 || r.Year != 2020 || r.Agency != "某某市交通运输局" {
		t.Fatalf("input %q format %q year %d agency %q", r.Input, r.Format, r.Year, r.Agency)
	}
	for _, w := range []struct{ table, row, values string }{
		{"t2", "rules", "0 0 3"},
		{"t2", "normative_docs", "2 2 15"},
		{"t2", "licensing", "30 2 1500"},
		{"t2", "other_services", "4 0 20"},
		{"t2", "penalty", "12 -1 300"},
		{"t2", "coercion", "5 0 7"},
		{"t2", "fees", "3 0"},
		{"t2", "procurement", "6 120.5"},
		{"t3", "new_received", "20 3 0 1 2 0 26"},
		{"t3", "unavailable.not_held", "4 1 0 1 0 0 6"},
		{"t3", "other", "0 0 0 0 0 0 0"},
		{"t3", "total", "21 2 0 1 1 0 25"},
		{"t3", "carried_forward", "1 1 0 0 1 0 3"},
		{"t4", "review", "0 0 0 0 0"},
	} {
		if got := pdfRowValues(r, w.table, w.row, r.Format); got != w.values {
			t.Errorf("%s/%s = %q, want %q", w.table, w.row, got, w.values)
		}
	}
	if c, _ := r.Cell("t2", "licensing", "change"); c.Raw != "+2" {
		t.Errorf("licensing change raw %q, want +2", c.Raw)
	}
	if len(r.Cells) != 22+23*7+15 || len(r.Missing) != 0 || len(r.Failures) != 0 {
		t.Errorf("cells %d missing %v failures %v", len(r.Cells), r.Missing, r.Failures)
	}
	// No date printed: the document's creation date stands in.
	if r.Published != "2021-01-25" {
		t.Errorf("published %q", r.Published)
	}
}

func TestExtractDOCX_Limits(t *testing.T) {
	// 32 MiB + 1 of spaces deflate to about 33 KiB: once with its true
	// size in the header (refused before inflating), once with a header
	// that claims 1000 bytes (the reader must stop there, not inflate on).
	big := bytes.Repeat([]byte(" "), docxMaxPartSize+1)
	var deflated bytes.Buffer
	fw, err := flate.NewWriter(&deflated, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(big)
	fw.Close()
	if deflated.Len() > 4<<20 {
		t.Fatalf("bomb is %d bytes", deflated.Len())
	}
	raw := func(size uint64) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, err := zw.CreateRaw(&zip.FileHeader{Name: "word/document.xml", Method: zip.Deflate,
			CRC32: crc32.ChecksumIEEE(big), CompressedSize64: uint64(deflated.Len()), UncompressedSize64: size})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(deflated.Bytes())
		zw.Close()
		return buf.Bytes()
	}
	bomb, lying := raw(uint64(len(big))), raw(1000)
	many := make([]zipEntry, 0, docxMaxEntries+1)
	many = append(many, zipEntry{"word/document.xml", []byte("<w:document/>")})
	for i := range docxMaxEntries {
		many = append(many, zipEntry{fmt.Sprintf("word/media/image%d.png", i), nil})
	}
	for _, tc := range []struct {
		name  string
		body  []byte
		where string
	}{
		{"Bomb", bomb, "word/document.xml"},
		{"LyingHeader", lying, "word/document.xml"},
		{"TooManyEntries", zipFiles(t, many...), "zip"},
		{"BadXML", zipFiles(t, zipEntry{"word/document.xml", []byte(`<w:document xmlns:w="` + wordNS + `"><w:body><w:p>`)}), "word/document.xml"},
		{"MissingMainPart", zipFiles(t, zipEntry{"word/document.xml", []byte("<x/>")}, zipEntry{"_rels/.rels", []byte(`<Relationships><Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/missing.xml"/></Relationships>`)}), "word/missing.xml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.body, Source{URL: "x.docx"})
			var pe *ParseError
			if !errors.Is(err, ErrCorrupt) || !errors.As(err, &pe) || pe.Where != tc.where || pe.Source != "x.docx" {
				t.Fatalf("err = %v, want *ParseError{Where: %q} wrapping ErrCorrupt", err, tc.where)
			}
		})
	}
}

// TestParse_DOCX_LibreOffice reads a DOCX written by LibreOffice (see
// loSampleRows) from the same source as lo-sample-2023.pdf: both must give
// the same cells.
func TestParse_DOCX_LibreOffice(t *testing.T) {
	body, err := os.ReadFile("testdata/lo-sample-2023.docx")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(body, Source{URL: "lo-sample-2023.docx"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Input != "docx" || r.Format != Format2021 || r.Year != 2023 || r.Agency != "某某县人民政府" || r.Published != "2024-01-20" {
		t.Fatalf("input %q format %q year %d agency %q published %q", r.Input, r.Format, r.Year, r.Agency, r.Published)
	}
	for _, w := range loSampleRows() {
		if got := pdfRowValues(r, w.table, w.row, r.Format); got != w.values {
			t.Errorf("%s/%s = %q, want %q", w.table, w.row, got, w.values)
		}
	}
	if len(r.Cells) != 10+25*7+15 || len(r.Missing) != 0 || len(r.Failures) != 0 || r.Checked == 0 {
		t.Errorf("cells %d missing %v failures %v checked %d", len(r.Cells), r.Missing, r.Failures, r.Checked)
	}
}

// FuzzReadWordXML: hostile document.xml never panics, and continuation
// cells only name earlier cells.
func FuzzReadWordXML(f *testing.F) {
	f.Add([]byte(`<w:document xmlns:w="` + wordNS + `"><w:body>` + wTable(drow(done(dvstart("a")), dnums("1 2")), drow(done(dvcont()), dnums("3 4"))) + `</w:body></w:document>`))
	f.Add([]byte(`<w:document xmlns:w="` + wordNS + `"><w:body><w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="99999999"/><w:vMerge/></w:tcPr><w:tbl><w:tr><w:tc><w:p><w:r><w:t>x</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:tc></w:tr></w:tbl></w:body></w:document>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &lineBuilder{}
		if err := readWordXML(data, b, nil); err != nil {
			return
		}
		seen := map[int]bool{}
		for _, ln := range b.lines {
			for _, c := range ln.cells {
				if c.mergedFrom >= 0 && !seen[c.mergedFrom] {
					t.Fatalf("cell %d continues %d, not emitted before", c.id, c.mergedFrom)
				}
				seen[c.id] = true
			}
		}
	})
}
