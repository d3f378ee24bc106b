package parser

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// tokKind classifies a cell for the matcher.
type tokKind int

const (
	tLabel  tokKind = iota // text
	tNum                   // a number
	tBlank                 // a printed blank mark: "/", "-", "无"
	tEmpty                 // a table cell that printed nothing
	tMerged                // a rowspan continuation of a value cell
)

type tok struct {
	kind  tokKind
	text  string // as printed
	value string // canonical number for tNum
	id    int    // cell id
	from  int    // origin cell id for tMerged
}

func (t tok) isValue() bool { return t.kind != tLabel }

type tline struct {
	src   *line // the extractor's line
	text  string
	core  *string // labelCore(text), computed on first use by coreOf
	toks  []tok
	table bool
	prose bool // a sentence, not a table row: never read for values
}

// rowMatcher recognises one row (or one group heading) of a table by its
// label.
type rowMatcher struct {
	id       string   // canonical row ID; "" for a group heading
	fuzzyR   []rune   // fuzzy as runes
	keywords []string // the row matches when its label core contains one
	exact    []string // or equals one
	fuzzy    string   // core of the template label, for typo-tolerant matching
	ncols    int
}

func m(id string, ncols int, fuzzy string, keywords ...string) rowMatcher {
	return rowMatcher{id: id, ncols: ncols, fuzzy: fuzzy, fuzzyR: []rune(fuzzy), keywords: keywords}
}

func mx(id string, ncols int, exact ...string) rowMatcher {
	return rowMatcher{id: id, ncols: ncols, exact: exact, fuzzy: exact[0], fuzzyR: []rune(exact[0])}
}

// t3Matchers lists table 三's rows and group headings in template order.
// Group headings (id "") may carry subtotals in local templates; they are
// recognised so their numbers are never taken for an item's.
var t3Matchers = []rowMatcher{
	m("new_received", 7, "本年新收政府信息公开申请数量", "新收"),
	m("carried_over", 7, "上年结转政府信息公开申请数量", "上年结转", "上年度结转"),
	m("", 7, "本年度办理结果", "办理结果"),
	m("granted", 7, "予以公开", "予以公开"),
	m("partial", 7, "部分公开区分处理的只计这一情形不计其他情形", "部分公开", "区分处理"),
	mx("", 7, "不予公开"),
	m("denied.state_secret", 7, "属于国家秘密", "国家秘密"),
	m("denied.law_prohibited", 7, "其他法律行政法规禁止公开", "禁止公开", "法律行政法规"),
	m("denied.three_safeties", 7, "危及三安全一稳定", "三安全", "一稳定"),
	m("denied.third_party", 7, "保护第三方合法权益", "第三方"),
	m("denied.internal_affairs", 7, "属于三类内部事务信息", "内部事务"),
	m("denied.process_info", 7, "属于四类过程性信息", "过程性"),
	m("denied.enforcement_case", 7, "属于行政执法案卷", "执法案卷"),
	m("denied.admin_query", 7, "属于行政查询事项", "行政查询", "查询事项"),
	mx("", 7, "无法提供"),
	m("unavailable.not_held", 7, "本机关不掌握相关政府信息", "不掌握"),
	m("unavailable.needs_creation", 7, "没有现成信息需要另行制作", "另行制作", "没有现成"),
	m("unavailable.unclear", 7, "补正后申请内容仍不明确", "仍不明确", "补正后"),
	mx("", 7, "不予处理"),
	m("not_processed.petition", 7, "信访举报投诉类申请", "信访", "举报投诉"),
	m("not_processed.duplicate", 7, "重复申请", "重复申请"),
	m("not_processed.publication", 7, "要求提供公开出版物", "出版物"),
	m("not_processed.excessive", 7, "无正当理由大量反复申请", "大量反复"),
	m("not_processed.confirm", 7, "要求行政机关确认或重新出具已获取信息", "重新出具", "确认或"),
	m("other", 7, "其他处理", "其他处理"),
	m("other.overdue_supplement", 7, "申请人无正当理由逾期不补正行政机关不再处理其政府信息公开申请", "不补正", "逾期不补", "理由逾期"),
	m("other.overdue_fee", 7, "申请人逾期未按收费通知要求缴纳费用行政机关不再处理其政府信息公开申请", "收费通知", "缴纳费用", "逾期未按"),
	mx("other.other", 7, "其他"),
	mx("total", 7, "总计", "合计"),
	m("carried_forward", 7, "结转下年度继续办理", "结转下年", "继续办理"),
}

var t2Matchers2021 = []rowMatcher{
	m("rules", 3, "规章", "规章"),
	m("normative_docs", 3, "行政规范性文件", "规范性文件"),
	m("licensing", 1, "行政许可", "行政许可"),
	m("penalty", 1, "行政处罚", "行政处罚"),
	m("coercion", 1, "行政强制", "行政强制"),
	m("fees", 1, "行政事业性收费", "事业性收费"),
}

var t2Matchers2019 = []rowMatcher{
	m("rules", 3, "规章", "规章"),
	m("normative_docs", 3, "规范性文件", "规范性文件"),
	m("licensing", 3, "行政许可", "行政许可"),
	m("other_services", 3, "其他对外管理服务事项", "对外管理服务"),
	m("penalty", 3, "行政处罚", "行政处罚"),
	m("coercion", 3, "行政强制", "行政强制"),
	m("fees", 2, "行政事业性收费", "事业性收费"),
	m("procurement", 2, "政府集中采购", "集中采购", "政府采购"),
}

// matchWindow is how many template rows a label may skip ahead: enough for
// reports that leave rows out, small enough that a header word ("总计",
// "其他") is not taken for a row at the far end of the table.
const matchWindow = 10

// sections of a report.
const (
	secNone = iota
	secT2
	secT3
	secT4
	secEnd
)

// interpret maps a document's lines onto the canonical template.
func interpret(doc *document, src Source) *Report {
	r := &Report{Input: doc.input, Cells: make([]Cell, 0, 210), Missing: []string{}, Failures: []CheckFailure{}, Warnings: []string{}}
	fillMeta(r, doc, src)
	secs := splitSections(lineTexts(doc))
	origins := rowspanOrigins(doc)
	for _, sec := range secs {
		tokenize(sec, origins)
	}

	// Format: table 二's headers tell the templates apart; then table 三's
	// rows; then the year.
	format := detectFormat(secs[secT2], r.Year)
	t2 := t2Matchers2021
	if format == Format2019 {
		t2 = t2Matchers2019
	}
	res2 := matchRows(secs[secT2], t2)
	t3m := t3Matchers
	if hasSubtotalColumn(secs[secT3]) {
		t3m = withColumns(t3Matchers, 8)
		r.Warnings = append(r.Warnings, "t3: a 小计 (subtotal) column was recognised and left out")
	}
	res3 := matchRows(secs[secT3], t3m)
	res4 := matchAppeals(secs[secT4])

	// Table 三: a （六）其他处理 row printed together with its three items is a
	// subtotal, not the 2019 single row.
	if len(res3.rows["other"]) > 0 && (len(res3.rows["other.overdue_supplement"]) > 0 || len(res3.rows["other.overdue_fee"]) > 0 || len(res3.rows["other.other"]) > 0) {
		delete(res3.rows, "other")
		r.Warnings = append(r.Warnings, "t3: （六）其他处理 printed with its items is a subtotal and was left out")
	}
	if format == "" {
		switch {
		case len(res3.rows["other.overdue_supplement"])+len(res3.rows["other.overdue_fee"]) > 0:
			format = Format2021
		case len(res3.rows["other"]) > 0 && r.Year > 0 && r.Year <= 2020:
			format = Format2019
		case len(res3.rows) > 0 || len(res2.rows) > 0 || len(res4.rows) > 0:
			format = Format2021
			if r.Year > 0 && r.Year <= 2020 {
				format = Format2019
			}
		}
	}

	if len(res2.rows)+len(res3.rows)+len(res4.rows) == 0 {
		r.Format = FormatNone
		if r.Year > 0 && r.Year < 2019 {
			r.Format = FormatLegacy
		}
		r.NoTables = noTablesReason(doc, secs, r.Format)
		return r
	}
	r.Format = format
	emit := func(table string, rows []RowSpec, res matchResult) {
		found := 0
		for _, spec := range rows {
			if _, ok := res.rows[spec.ID]; ok {
				found++
			}
		}
		for _, spec := range rows {
			toks, ok := res.rows[spec.ID]
			if !ok {
				continue
			}
			for i, col := range spec.Columns {
				c := Cell{Table: table, Row: spec.ID, Column: col}
				t := toks[i]
				switch t.kind {
				case tNum:
					c.Value, c.Raw = t.value, t.text
				case tBlank:
					c.Raw = t.text
				case tMerged:
					c.MergedWith = res.owner[t.from]
					if c.MergedWith == "" {
						c.MergedWith = "?"
					}
				}
				r.Cells = append(r.Cells, c)
			}
		}
		if found == 0 {
			r.Missing = append(r.Missing, table)
			return
		}
		for _, spec := range rows {
			if _, ok := res.rows[spec.ID]; ok {
				continue
			}
			if table == TableRequests && otherAlternative(spec.ID, res) {
				continue
			}
			miss := table + "/" + spec.ID
			if why := res.why[spec.ID]; why != "" {
				miss += ": " + why
			}
			r.Missing = append(r.Missing, miss)
		}
	}
	emit(TableActive, Rows(TableActive, format), res2)
	_, single := res3.rows["other"]
	emit(TableRequests, t3RowsPrinted(format, single, otherPresent(res3) && !single), res3)
	emit(TableAppeals, t4Rows, res4)
	for _, res := range []matchResult{res2, res3, res4} {
		r.Warnings = append(r.Warnings, res.warnings...)
	}
	runChecks(r)
	return r
}

// otherPresent reports whether table 三 printed its （六） rows in either form.
func otherPresent(res matchResult) bool {
	for _, id := range []string{"other", "other.overdue_supplement", "other.overdue_fee", "other.other"} {
		if _, ok := res.rows[id]; ok {
			return true
		}
	}
	return false
}

// otherAlternative reports whether row id of table 三 is the form of （六）
// that the report did not use: other.* when it printed the single row
// "other", and "other" when it printed the items.
func otherAlternative(id string, res matchResult) bool {
	_, single := res.rows["other"]
	switch {
	case id == "other":
		return otherPresent(res) && !single
	case strings.HasPrefix(id, "other."):
		return single
	}
	return false
}

func withColumns(ms []rowMatcher, n int) []rowMatcher {
	out := make([]rowMatcher, len(ms))
	copy(out, ms)
	for i := range out {
		out[i].ncols = n
	}
	return out
}

// lineTexts wraps the document's lines for the matcher; their cells are
// classified later, by tokenize, and only for the lines of the table
// sections (most of a page is navigation and prose).
func lineTexts(doc *document) []tline {
	out := make([]tline, len(doc.lines))
	for i := range doc.lines {
		l := &doc.lines[i]
		out[i] = tline{text: l.text, table: l.table, src: l, prose: strings.ContainsRune(l.text, '。')}
	}
	return out
}

// rowspanOrigins maps the id of every cell that a rowspan continuation
// points at to its text; nil when the document has no continuations.
func rowspanOrigins(doc *document) map[int]string {
	var texts map[int]string
	for _, l := range doc.lines {
		for _, c := range l.cells {
			if c.mergedFrom > 0 {
				if texts == nil {
					texts = map[int]string{}
				}
				texts[c.mergedFrom] = ""
			}
		}
	}
	if texts == nil {
		return nil
	}
	for _, l := range doc.lines {
		for _, c := range l.cells {
			if _, ok := texts[c.id]; ok && c.id > 0 {
				texts[c.id] = c.text
			}
		}
	}
	return texts
}

// tokenize classifies the cells of lines; texts holds the text of rowspan
// origins.
func tokenize(lines []tline, texts map[int]string) {
	for i := range lines {
		tl := &lines[i]
		if tl.prose || tl.src == nil {
			continue
		}
		labelRunes := 0
		tl.toks = make([]tok, 0, len(tl.src.cells))
		for _, c := range tl.src.cells {
			switch {
			case c.mergedFrom > 0:
				origin := texts[c.mergedFrom]
				if _, k := parseValue(origin); k == kindLabel {
					continue // a rowspan label: read once, where printed
				}
				tl.toks = append(tl.toks, tok{kind: tMerged, id: c.id, from: c.mergedFrom})
			case c.empty:
				tl.toks = append(tl.toks, tok{kind: tEmpty, id: c.id})
			default:
				v, k := parseValue(c.text)
				switch k {
				case kindNumber:
					tl.toks = append(tl.toks, tok{kind: tNum, text: c.text, value: v, id: c.id})
				case kindBlank:
					tl.toks = append(tl.toks, tok{kind: tBlank, text: c.text, id: c.id})
				default:
					tl.toks = append(tl.toks, tok{kind: tLabel, text: c.text, id: c.id})
					labelRunes += utf8.RuneCountInString(c.text)
				}
			}
		}
		tl.prose = labelRunes > 70
	}
}

// heading recognises the section headings 二、三、四 and the end of the
// tables (五、 or 六、).
func heading(l *tline) int {
	if l.prose || len(l.text) > 200 || !strings.ContainsAny(l.text, "公复復诉訴问問改需") || !containsAny(l.text, "公开", "公開", "复议", "復議", "诉讼", "訴訟", "问题", "問題", "改进", "改進", "需要报告", "需要報告") {
		return secNone
	}
	// Cheap tests first: a heading is short, not bracketed, and numbered
	// 二 to 六 (or, for 主动公开, not numbered at all).
	t := strings.TrimSpace(simplify(foldWidth(l.text)))
	if t == "" || strings.HasPrefix(t, "(") || strings.HasPrefix(t, "（") || utf8.RuneCountInString(t) > 40 {
		return secNone
	}
	n := leadingNumeral(t)
	switch n {
	case 0, '二', '三', '四', '五', '六':
	default:
		return secNone
	}
	core := l.coreOf()
	if len(core) > 120 || !containsAny(core, "主动公开", "收到和处理", "申请情况", "行政复议", "行政诉讼", "问题", "改进", "其他需要报告") {
		return secNone
	}
	switch {
	case (n == '二' || n == 0 && len([]rune(core)) <= 14) && strings.Contains(core, "主动公开政府信息"):
		return secT2
	case n == '三' && (strings.Contains(core, "收到和处理") || strings.Contains(core, "申请情况")):
		return secT3
	case n == '四' && (strings.Contains(core, "行政复议") || strings.Contains(core, "行政诉讼")):
		return secT4
	case (n == '五' || n == '六') && (strings.Contains(core, "问题") || strings.Contains(core, "改进") || strings.Contains(core, "其他需要报告")):
		return secEnd
	}
	return secNone
}

// splitSections cuts the lines into the sections of tables 二, 三 and 四.
// Where a heading is missing, table 三 starts at its first row label and
// table 四 at the first line naming 行政复议 after it.
func splitSections(lines []tline) map[int][]tline {
	start := map[int]int{}
	for i := range lines {
		if s := heading(&lines[i]); s != secNone {
			if _, seen := start[s]; !seen {
				if s == secEnd && len(start) == 0 {
					continue // a table of contents or a summary before the tables
				}
				start[s] = i
			}
		}
	}
	// Fallbacks start at the line that gives the section away, which is
	// part of the section (a heading is not).
	inclusive := map[int]bool{}
	find := func(sec, from int, key string) {
		if _, ok := start[sec]; ok {
			return
		}
		for i := from; i < len(lines); i++ {
			if !lines[i].prose && strings.Contains(lines[i].coreOf(), key) {
				start[sec], inclusive[sec] = i, true
				return
			}
		}
	}
	find(secT3, 0, "本年新收")
	if s3, ok := start[secT3]; ok {
		find(secT4, s3, "行政复议")
		for _, key := range []string{"第二十条", "信息内容"} {
			if _, ok := start[secT2]; !ok {
				for i := 0; i < s3; i++ {
					if !lines[i].prose && strings.Contains(lines[i].coreOf(), key) {
						start[secT2], inclusive[secT2] = i, true
						break
					}
				}
			}
		}
	}
	type bound struct{ sec, at int }
	var bs []bound
	for s, at := range start {
		bs = append(bs, bound{s, at})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].at < bs[j].at })
	out := map[int][]tline{}
	for i, b := range bs {
		end := len(lines)
		if i+1 < len(bs) {
			end = bs[i+1].at
		}
		from := b.at + 1
		if inclusive[b.sec] {
			from = b.at
		}
		if b.sec != secEnd {
			out[b.sec] = lines[from:end]
		}
	}
	return out
}

// detectFormat tells the 2019 template from the 2021 one by table 二's
// column headings; "" when they say nothing.
func detectFormat(lines []tline, year int) Format {
	s19, s21 := 0, 0
	for i := range lines {
		c := lines[i].coreOf()
		for _, k := range []string{"新制作", "新公开", "对外公开总", "上一年项目", "增减", "对外管理服务", "集中采购"} {
			if strings.Contains(c, k) {
				s19++
			}
		}
		for _, k := range []string{"制发件数", "废止件数", "现行有效", "收费金额"} {
			if strings.Contains(c, k) {
				s21++
			}
		}
	}
	switch {
	case s19 > s21:
		return Format2019
	case s21 > s19:
		return Format2021
	}
	return ""
}

// hasSubtotalColumn reports whether table 三's header has a 小计 column.
func hasSubtotalColumn(lines []tline) bool {
	for i := range lines {
		c := lines[i].coreOf()
		if strings.Contains(c, "新收") {
			return false // the header is over
		}
		if strings.Contains(c, "小计") {
			return true
		}
	}
	return false
}

// matchResult is what the matcher read from one table.
type matchResult struct {
	rows     map[string][]tok // row ID → its value tokens, one per column
	owner    map[int]string   // value cell id → the row that read it
	why      map[string]string
	warnings []string
}

func newResult() matchResult {
	return matchResult{rows: map[string][]tok{}, owner: map[int]string{}, why: map[string]string{}}
}

// matchRows reads rows in template order: a label that matches a row opens
// it, and the values that follow (on the same line, or on later lines up to
// the next row label) fill its columns. Labels that match nothing (wrapped
// label fragments, vertical group labels, headers) are passed over.
func matchRows(lines []tline, ms []rowMatcher) matchResult {
	res := newResult()
	last := -1
	var open *openRow
	closeRow := func() {
		if open == nil {
			return
		}
		o := open
		open = nil
		if len(o.vals) == 0 {
			return
		}
		spec := ms[o.m]
		if spec.id == "" {
			return // a group subtotal: recognised, not exported
		}
		if len(o.vals) < spec.ncols {
			res.why[spec.id] = fmt.Sprintf("%d of %d values printed", len(o.vals), spec.ncols)
			res.warnings = append(res.warnings, fmt.Sprintf("row %s (%s): only %d of %d values could be read, row left out", spec.id, o.label, len(o.vals), spec.ncols))
			return
		}
		vals := o.vals
		if spec.ncols == 8 { // drop the 小计 column (before 总计)
			vals = append(append([]tok{}, vals[:6]...), vals[7])
		}
		res.rows[spec.id] = vals
		for _, v := range vals {
			if v.id > 0 {
				res.owner[v.id] = spec.id
			}
		}
	}
	for li, l := range lines {
		if l.prose {
			continue
		}
		// A table row with label text that matches no row ends the open
		// row: its numbers belong to a row the template does not have.
		for i := 0; i < len(l.toks); {
			t := l.toks[i]
			if t.kind == tLabel {
				j := i
				for j < len(l.toks) && l.toks[j].kind == tLabel {
					j++
				}
				run := l.toks[i:j]
				if k, ok := matchLabel(run, ms, last); ok {
					closeRow()
					open = &openRow{m: k, line: li, label: joinText(run), skip: surplusEmpties(l.toks[j:], ms[k].ncols),
						vals: make([]tok, 0, ms[k].ncols)}
					last = k
				} else if open != nil && l.table && li != open.line {
					closeRow()
				}
				i = j
				continue
			}
			if open != nil {
				if l.table && li != open.line && open.sawLabelLine {
					closeRow()
				} else if t.kind == tEmpty && open.skip > 0 && len(open.vals) == 0 {
					open.skip-- // an empty label cell, not a value
				} else if len(open.vals) < ms[open.m].ncols {
					open.vals = append(open.vals, t)
				}
			}
			i++
		}
		if open != nil && li != open.line && lineHasLabel(l) {
			open.sawLabelLine = true
		}
	}
	closeRow()
	return res
}

// surplusEmpties counts the empty cells right after a row label that are
// not values: when a table row holds more value cells than the row has
// columns, leading empty cells are an empty second label column (a blank
// sub-label under a two-column label), not blank values.
func surplusEmpties(after []tok, ncols int) int {
	n, lead, leading := 0, 0, true
	for _, t := range after {
		if t.kind == tLabel {
			break
		}
		n++
		if leading && t.kind == tEmpty {
			lead++
		} else {
			leading = false
		}
	}
	return min(lead, max(0, n-ncols))
}

type openRow struct {
	skip         int // leading empty cells to pass over
	m            int
	line         int
	label        string
	vals         []tok
	sawLabelLine bool
}

func lineHasLabel(l tline) bool {
	for _, t := range l.toks {
		if t.kind == tLabel {
			return true
		}
	}
	return false
}

func joinText(run []tok) string {
	var b strings.Builder
	for _, t := range run {
		b.WriteString(t.text)
	}
	return b.String()
}

// matchLabel finds the row a run of label cells names, among the rows after
// last and within the window. Keywords decide first (the latest row wins,
// so "（三）不予公开 1.属于国家秘密" is the item, not the heading); a
// similarity of 0.7 or more, clearly ahead of the next best, catches typos.
func matchLabel(run []tok, ms []rowMatcher, last int) (int, bool) {
	cores := []string{labelCore(joinText(run))}
	if len(run) > 1 {
		for _, t := range run {
			cores = append(cores, labelCore(t.text))
		}
	}
	hi := min(len(ms)-1, last+matchWindow)
	best := -1
	for k := last + 1; k <= hi; k++ {
		for _, c := range cores {
			if c == "" {
				continue
			}
			if matches(ms[k], c) {
				best = k
			}
		}
	}
	if best >= 0 {
		return best, true
	}
	bestScore, second := 0.0, 0.0
	runes := make([][]rune, 0, len(cores))
	for _, c := range cores {
		if r := []rune(c); len(r) >= 2 {
			runes = append(runes, r)
		}
	}
	for k := last + 1; k <= hi; k++ {
		for _, c := range runes {
			// The subsequence is at most the shorter length, so lengths
			// whose ratio is under the 0.7 threshold cannot reach it.
			if n, f := len(c), len(ms[k].fuzzyR); n*10 < f*7 || f*10 < n*7 {
				continue
			}
			s := similarity(c, ms[k].fuzzyR)
			switch {
			case s > bestScore:
				if best != k {
					second = bestScore
				}
				bestScore, best = s, k
			case s > second && k != best:
				second = s
			}
		}
	}
	if best >= 0 && bestScore >= 0.7 && bestScore-second >= 0.1 {
		return best, true
	}
	return -1, false
}

func matches(m rowMatcher, core string) bool {
	for _, e := range m.exact {
		if core == e {
			return true
		}
	}
	for _, k := range m.keywords {
		if strings.Contains(core, k) {
			return true
		}
	}
	return false
}

// matchAppeals reads table 四: usually one row of 15 values under a
// three-row header, in the order review, direct litigation, litigation after
// review, each upheld/corrected/other/pending/total. A layout that labels
// each row with its 5 values is read row by row.
func matchAppeals(lines []tline) matchResult {
	res := newResult()
	labelled := map[string][]tok{}
	var all []tok
	reliable := true
	for li := range lines {
		l := &lines[li]
		if l.prose {
			continue
		}
		if !l.table {
			reliable = false
		}
		// Empty cells count only on data rows: a blank cell in a header
		// row is not a blank value.
		data := false
		for _, t := range l.toks {
			if t.kind == tNum || t.kind == tBlank {
				data = true
				break
			}
		}
		var vals []tok
		for _, t := range l.toks {
			if t.kind == tNum || t.kind == tBlank || data && (t.kind == tEmpty || t.kind == tMerged) {
				vals = append(vals, t)
			}
		}
		all = append(all, vals...)
		if len(vals) >= 5 {
			c := l.coreOf()
			switch {
			case strings.Contains(c, "直接起诉"):
				labelled["litigation_direct"] = vals[len(vals)-5:]
			case strings.Contains(c, "复议后起诉"):
				labelled["litigation_after_review"] = vals[len(vals)-5:]
			case strings.Contains(c, "行政复议") && len(vals) == 5:
				labelled["review"] = vals
			}
		}
	}
	if len(labelled) == 3 {
		res.rows = labelled
		return res
	}
	switch {
	case len(all) >= 15:
		if len(all) > 15 {
			res.warnings = append(res.warnings, fmt.Sprintf("t4: %d values found, the first 15 were read", len(all)))
		}
	case len(all) > 0 && reliable:
		res.warnings = append(res.warnings, fmt.Sprintf("t4: only %d of 15 values printed", len(all)))
	case len(all) > 0:
		res.warnings = append(res.warnings, fmt.Sprintf("t4: %d of 15 values found and their columns cannot be told, table left out", len(all)))
		return res
	default:
		return res
	}
	for i, row := range t4Rows {
		if (i+1)*5 > len(all) {
			res.why[row.ID] = "not printed"
			break
		}
		res.rows[row.ID] = all[i*5 : i*5+5]
	}
	return res
}

// noTablesReason says why a report yielded no cells.
func noTablesReason(doc *document, secs map[int][]tline, f Format) string {
	if doc.noTables != "" {
		return doc.noTables
	}
	if f == FormatLegacy {
		return "legacy format (before 2019): free-form tables are archived, not tabulated"
	}
	_, h2 := secs[secT2]
	_, h3 := secs[secT3]
	switch {
	case doc.images > 0 && (h2 || h3):
		return fmt.Sprintf("no tables in page: tables are images (%d images under the table headings)", doc.images)
	case len(doc.attachments) > 0:
		return "no tables in page: the report is an attachment (" + doc.attachments[0] + ")"
	case doc.images > 0:
		return fmt.Sprintf("no tables in page: no table text, %d images (tables as images?)", doc.images)
	case h2 || h3:
		return "no tables in page: the table headings have no table text under them"
	}
	return "no tables in page: no report tables found"
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// coreOf returns labelCore of the line's text, computing it once.
func (l *tline) coreOf() string {
	if l.core == nil {
		c := ""
		if len(l.text) < 2000 {
			c = labelCore(l.text)
		}
		l.core = &c
	}
	return *l.core
}
