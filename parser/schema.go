package parser

import "strings"

// This file is the export contract: the canonical table/row/column IDs of
// report-format.md, in template order. Changing an ID breaks every CSV that
// researchers have already taken away.

// Table IDs.
const (
	TableActive   = "t2" // 二、主动公开政府信息情况
	TableRequests = "t3" // 三、收到和处理政府信息公开申请情况
	TableAppeals  = "t4" // 四、政府信息公开行政复议、行政诉讼情况
)

// RowSpec describes one canonical row of a table: its ID, its label as the
// national template prints it, and its columns in order.
type RowSpec struct {
	ID      string
	Label   string
	Columns []string
}

// t3Columns are table 三's applicant columns, in template order.
var t3Columns = []string{"natural_person", "commercial", "research", "social_org", "legal_service", "other_org", "total"}

// t4Columns are table 四's outcome columns, in template order.
var t4Columns = []string{"upheld", "corrected", "other", "pending", "total"}

var t2Rows2021 = []RowSpec{
	{"rules", "规章", []string{"issued", "repealed", "in_force"}},
	{"normative_docs", "行政规范性文件", []string{"issued", "repealed", "in_force"}},
	{"licensing", "行政许可", []string{"decisions"}},
	{"penalty", "行政处罚", []string{"decisions"}},
	{"coercion", "行政强制", []string{"decisions"}},
	{"fees", "行政事业性收费", []string{"amount_10k_yuan"}},
}

var t2Rows2019 = []RowSpec{
	{"rules", "规章", []string{"new_made", "new_published", "total_published"}},
	{"normative_docs", "规范性文件", []string{"new_made", "new_published", "total_published"}},
	{"licensing", "行政许可", []string{"prev_items", "change", "decisions"}},
	{"other_services", "其他对外管理服务事项", []string{"prev_items", "change", "decisions"}},
	{"penalty", "行政处罚", []string{"prev_items", "change", "decisions"}},
	{"coercion", "行政强制", []string{"prev_items", "change", "decisions"}},
	{"fees", "行政事业性收费", []string{"prev_items", "change"}},
	{"procurement", "政府集中采购", []string{"items", "amount"}},
}

// t3Rows lists every row table 三 can have, in template order. The 2021
// template has the three other.* rows; the 2019 template (and some local
// 2021 variants) print the single row "other" instead.
var t3Rows = []RowSpec{
	{"new_received", "一、本年新收政府信息公开申请数量", t3Columns},
	{"carried_over", "二、上年结转政府信息公开申请数量", t3Columns},
	{"granted", "（一）予以公开", t3Columns},
	{"partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", t3Columns},
	{"denied.state_secret", "1.属于国家秘密", t3Columns},
	{"denied.law_prohibited", "2.其他法律行政法规禁止公开", t3Columns},
	{"denied.three_safeties", "3.危及“三安全一稳定”", t3Columns},
	{"denied.third_party", "4.保护第三方合法权益", t3Columns},
	{"denied.internal_affairs", "5.属于三类内部事务信息", t3Columns},
	{"denied.process_info", "6.属于四类过程性信息", t3Columns},
	{"denied.enforcement_case", "7.属于行政执法案卷", t3Columns},
	{"denied.admin_query", "8.属于行政查询事项", t3Columns},
	{"unavailable.not_held", "1.本机关不掌握相关政府信息", t3Columns},
	{"unavailable.needs_creation", "2.没有现成信息需要另行制作", t3Columns},
	{"unavailable.unclear", "3.补正后申请内容仍不明确", t3Columns},
	{"not_processed.petition", "1.信访举报投诉类申请", t3Columns},
	{"not_processed.duplicate", "2.重复申请", t3Columns},
	{"not_processed.publication", "3.要求提供公开出版物", t3Columns},
	{"not_processed.excessive", "4.无正当理由大量反复申请", t3Columns},
	{"not_processed.confirm", "5.要求行政机关确认或重新出具已获取信息", t3Columns},
	{"other", "（六）其他处理", t3Columns},
	{"other.overdue_supplement", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", t3Columns},
	{"other.overdue_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", t3Columns},
	{"other.other", "3.其他", t3Columns},
	{"total", "（七）总计", t3Columns},
	{"carried_forward", "四、结转下年度继续办理", t3Columns},
}

var t4Rows = []RowSpec{
	{"review", "行政复议", t4Columns},
	{"litigation_direct", "行政诉讼·未经复议直接起诉", t4Columns},
	{"litigation_after_review", "行政诉讼·复议后起诉", t4Columns},
}

// Rows returns the canonical rows of table ("t2", "t3" or "t4") for format f,
// in template order. For t3 under Format2021 the three other.* rows are
// returned; under Format2019 the single "other" row. It returns nil for an
// unknown table or a format without standard tables.
func Rows(table string, f Format) []RowSpec {
	if f != Format2021 && f != Format2019 {
		return nil
	}
	switch table {
	case TableActive:
		if f == Format2019 {
			return t2Rows2019
		}
		return t2Rows2021
	case TableRequests:
		out := make([]RowSpec, 0, len(t3Rows))
		for _, r := range t3Rows {
			switch {
			case r.ID == "other" && f == Format2021:
				continue
			case len(r.ID) > 6 && r.ID[:6] == "other." && f == Format2019:
				continue
			}
			out = append(out, r)
		}
		return out
	case TableAppeals:
		return t4Rows
	}
	return nil
}

// Tables lists the table IDs in report order.
var Tables = []string{TableActive, TableRequests, TableAppeals}

// cellOrder returns a sort key for a cell so that cells sort in template
// order: table, then row as the template lists it (for either format), then
// column.
func cellOrder(c Cell) (int, int, int) {
	ti, ri, ci := 9, 99, 99
	for i, t := range Tables {
		if t == c.Table {
			ti = i
		}
	}
	var rows []RowSpec
	switch c.Table {
	case TableActive:
		rows = append(append([]RowSpec{}, t2Rows2021...), t2Rows2019...)
	case TableRequests:
		rows = t3Rows
	case TableAppeals:
		rows = t4Rows
	}
	for i, r := range rows {
		if r.ID == c.Row {
			ri = i
			for j, col := range r.Columns {
				if col == c.Column {
					ci = j
				}
			}
			break
		}
	}
	return ti, ri, ci
}

// TableRows returns the rows of table as r prints them: the rows of r's
// format, with table 三's （六）其他处理 in the form the report used (the
// single row "other", printed by the 2019 template and by some local 2021
// variants, or the three other.* rows). Renderers and exports that lay a
// report out row by row should use it rather than Rows.
func (r *Report) TableRows(table string) []RowSpec {
	rows := Rows(table, r.Format)
	if table != TableRequests || rows == nil {
		return rows
	}
	has := map[string]bool{}
	for _, c := range r.Cells {
		if c.Table == TableRequests {
			has[c.Row] = true
		}
	}
	return t3RowsPrinted(r.Format, has["other"], has["other.overdue_supplement"] || has["other.overdue_fee"] || has["other.other"])
}

// t3RowsPrinted returns table 三's rows for format f: the format's own form
// of （六）其他处理 (2019: the single row "other"; 2021: the three other.*
// rows), unless the report printed only the other form.
func t3RowsPrinted(f Format, single, items bool) []RowSpec {
	useSingle := f == Format2019
	switch {
	case single && !items:
		useSingle = true
	case items && !single:
		useSingle = false
	}
	out := make([]RowSpec, 0, len(t3Rows))
	for _, spec := range t3Rows {
		isItem := strings.HasPrefix(spec.ID, "other.")
		if spec.ID == "other" && !useSingle || isItem && useSingle {
			continue
		}
		out = append(out, spec)
	}
	return out
}
