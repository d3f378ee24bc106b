package parser

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

var (
	// reDate finds a date as printed: 2026-01-27, 2026/1/27, 2026年1月27日.
	reDate = regexp.MustCompile(`((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})`)
	// rePublished finds a page's publication field.
	// In a metadata table the label and the date are two cells, with no
	// colon between them.
	rePublished = regexp.MustCompile(`(?:(?:发布时间|发布日期|发文日期|公开日期)\s*[:：]?|(?:时\s*间|日\s*期)\s*[:：])\s*((?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})`)
	// reWritten is the 成文日期, a weaker publication date.
	reWritten = regexp.MustCompile(`(?:成文日期|生成日期)\s*[:：]?\s*((?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})`)
	// reIndex finds the 索引号 and its organ-code prefix.
	reIndex = regexp.MustCompile(`索\s*引\s*号\s*[:：]?\s*([0-9A-Za-z][0-9A-Za-z-]{7,19})\s*/`)
	// rePeriod finds the statistics period: "统计期限为2025年1月1日", "统计期限自 2023 年 1 月 1 日",
	// "统计时限为2023年1月1日", "统计期限为2023年度".
	rePeriod = regexp.MustCompile(`统\s*计\s*(?:期\s*限|时\s*限|时\s*间|期\s*间|区\s*间)\s*(?:为|是|自|从|[:：])?\s*((?:19|20)\d{2})\s*年\s*(?:0?1\s*月\s*0?1\s*日|度|全年)`)
	// reAggregate recognises a government's report that totals its area.
	reAggregate = regexp.MustCompile(`(?:汇总|涵盖|综合)了?(?:全(?:区|县|市|省|镇|乡|旗)|各(?:部门|单位|乡|镇|街道)|本(?:区|县|市|省|镇|乡)(?:各|所属)|所属|下属|辖区)|(?:汇总|综合)编制`)
)

// findDate returns the first date in s as YYYY-MM-DD, or "".
func findDate(s string) string {
	m := reDate.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return normDate(m[1], m[2], m[3])
}

func normDate(y, mo, d string) string {
	mi, _ := strconv.Atoi(mo)
	di, _ := strconv.Atoi(d)
	if mi < 1 || mi > 12 || di < 1 || di > 31 {
		return ""
	}
	return fmt.Sprintf("%s-%02d-%02d", y, mi, di)
}

// fillMeta sets the report's identity from the document's lines, its page
// metadata and the source hints (see Report.AgencySource for the order),
// then its publication date, organ code and scope.
func fillMeta(r *Report, doc *document, src Source) {
	// The head of the document: its first lines, where the title, the
	// metadata block and the heading are.
	head := doc.lines[:min(len(doc.lines), 81)]

	// Title and heading: the first title naming an organ gives the agency
	// and the year; else the first title gives the year.
	titled := false
	take := func(t string, from IdentitySource) bool {
		p, ok := parseTitle(t)
		if !ok || titled && (r.AgencySource != "" || p.agency == "") {
			return false
		}
		titled = true
		r.Title = strings.TrimSpace(cutTitle(strings.TrimSpace(t)))
		r.Year, r.YearSource = p.year, from
		if p.agency != "" {
			r.Agency, r.AgencySource = p.agency, from
			return true
		}
		return false
	}
	done := doc.meta.title != "" && take(doc.meta.title, titleOrigin(doc, src))
	for i := 0; !done && i < len(head); i++ {
		t := head[i].text
		if len(t) > 80*3 || utf8.RuneCountInString(t) > 80 {
			continue
		}
		subject := strings.Contains(t, "信息") || strings.Contains(t, "政务")
		if subject {
			if done = take(t, IdentityHeading); done {
				break
			}
		}
		// A title broken over two lines: PDF title pages print the organ on
		// the line above "2023年政府信息公开工作年度报告"; some pages break
		// the heading after the year.
		if i > 0 && subject && (strings.Contains(t, "报") || strings.Contains(t, "总结")) {
			if prev := strings.ReplaceAll(head[i-1].text, " ", ""); utf8.RuneCountInString(prev) <= 30 && organName(prev) != "" {
				if p, ok := parseTitle(t); ok && p.agency == "" {
					done = take(prev+strings.TrimSpace(t), IdentityHeading)
				}
			}
		}
		if !done && i+1 < len(head) && strings.Contains(t, "年") && !strings.Contains(t, "报") {
			if next := head[i+1].text; strings.Contains(next, "报") && utf8.RuneCountInString(next) <= 40 {
				done = take(strings.TrimSpace(t)+strings.TrimSpace(next), IdentityHeading)
			}
		}
	}
	if !done && src.Title != "" {
		take(src.Title, IdentitySourceTitle)
	}

	// The other places an organ prints its name, in order of trust.
	var named titleParts
	var compiler string
	bodyRead := false
	body := func() {
		if !bodyRead {
			named, compiler = bodyIdentity(preamble(doc, false))
			bodyRead = true
		}
	}
	if r.Agency == "" && doc.input == "html" {
		if a := organName(doc.meta.agency); a != "" {
			r.Agency, r.AgencySource = a, IdentityMetadata
		}
	}
	if r.Agency == "" {
		if a := metadataAgency(head); a != "" {
			r.Agency, r.AgencySource = a, IdentityMetadata
		}
	}
	if r.Agency == "" {
		body()
		if named.agency != "" {
			r.Agency, r.AgencySource = named.agency, IdentityBody
		}
	}
	if r.Agency == "" {
		if a := signature(doc.lines, tablesStart(doc)); a != "" {
			r.Agency, r.AgencySource = a, IdentitySignature
		}
	}
	if r.Agency == "" && compiler != "" {
		r.Agency, r.AgencySource = compiler, IdentityBody
	}
	var link titleParts
	if src.LinkText != "" && (r.Agency == "" || r.Year == 0) {
		link = linkTextIdentity(src.LinkText)
	}
	if r.Agency == "" && link.agency != "" {
		r.Agency, r.AgencySource = link.agency, IdentityLinkText
	}
	if r.Agency == "" && src.Agency != "" {
		r.Agency, r.AgencySource = src.Agency, IdentityConfig
	}

	// Publication date.
	lines := make([]string, len(head))
	for i, l := range head {
		lines[i] = l.text
	}
	switch {
	case doc.meta.published != "":
		r.Published = doc.meta.published
	default:
		if m := findLine(rePublished, lines, "期", "间", "間"); m != nil {
			r.Published = findDate(m[1])
		} else if src.Published != "" {
			r.Published = findDate(src.Published)
		} else if m := findLine(reWritten, lines, "日期"); m != nil {
			r.Published = findDate(m[1])
		}
	}
	// Organ code.
	if m := findLine(reIndex, lines, "索"); m != nil {
		r.OrganCode = strings.ToUpper(m[1])
	}
	// Year: the title's, else the statistics period, else a preamble
	// sentence naming the report, else the link text, else publication
	// year − 1. Never the publication year itself.
	if r.Year == 0 {
		if m := rePeriod.FindStringSubmatch(allText(doc)); m != nil {
			r.Year, _ = strconv.Atoi(m[1])
			r.YearSource = IdentityPeriod
		}
	}
	if r.Year == 0 {
		body()
		if named.year != 0 {
			r.Year, r.YearSource = named.year, IdentityBody
		}
	}
	if r.Year == 0 && link.year != 0 {
		r.Year, r.YearSource = link.year, IdentityLinkText
	}
	if r.Year == 0 && len(r.Published) >= 4 {
		if y, err := strconv.Atoi(r.Published[:4]); err == nil {
			r.Year, r.YearSource = y-1, IdentityPublished
		}
	}
	// Scope from the preamble, up to the first mention of section 二.
	r.Scope = ScopeSelf
	if pre := preamble(doc, true); containsAny(pre, "汇总", "涵盖", "综合") && reAggregate.MatchString(pre) {
		r.Scope = ScopeAggregate
	}
}

// preamble returns the text before section 二 (主动公开政府信息情况), at most
// about 6,000 bytes, with spaces removed and lines joined. With atMention
// it ends at the first line that mentions the section; else at its
// heading, so that a first paragraph listing the sections by name (and
// often naming the organ that compiled the report) is included.
func preamble(doc *document, atMention bool) string {
	var pre strings.Builder
	for _, l := range doc.lines {
		if pre.Len() > 6000 || strings.Contains(l.text, "主动公开政府信息情况") && (atMention || utf8.RuneCountInString(l.text) <= 30) {
			break
		}
		pre.WriteString(strings.ReplaceAll(l.text, " ", ""))
	}
	return pre.String()
}

// tablesStart returns the index of the first table line of the document, or
// 0 when it has none: a signature is looked for after it.
func tablesStart(doc *document) int {
	for i, l := range doc.lines {
		if l.table {
			return i
		}
	}
	return 0
}

// cutTitle drops a site suffix from a <title>: "报告_平潭综合实验区…" → "报告".
func cutTitle(t string) string {
	for _, sep := range []string{"_", " - ", "－", "|"} {
		if i := strings.Index(t, sep); i > 0 && strings.Contains(t[:i], "报") {
			return t[:i]
		}
	}
	return t
}

func allText(doc *document) string {
	var b strings.Builder
	for _, l := range doc.lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.String()
}

// findLine runs re on the lines that hold one of the keys, in order, and
// returns the first match: most lines hold none, and the regexps backtrack.
//
// A label and its value may sit on consecutive lines (a page flattened one
// cell per line), so a line is also tried together with the next one.
func findLine(re *regexp.Regexp, lines []string, keys ...string) []string {
	for i, l := range lines {
		for _, k := range keys {
			if strings.Contains(l, k) {
				if m := re.FindStringSubmatch(l); m != nil {
					return m
				}
				if i+1 < len(lines) {
					if m := re.FindStringSubmatch(l + "\n" + lines[i+1]); m != nil {
						return m
					}
				}
				break
			}
		}
	}
	return nil
}
