package parser

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var (
	// reTitle finds a report title: "湛江市司法局2025年政府信息公开工作年度报告",
	// "…2024年度政府信息公开工作年度报告", "2023 年政府信息公开工作年度报告".
	reTitle = regexp.MustCompile(`^(.{0,40}?)\s*((?:19|20)\d{2})\s*年\s*度?\s*(?:政府|政务)?\s*信\s*息\s*公\s*开.{0,12}?(?:年\s*度\s*报\s*告|年\s*报|工作报告)`)
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
	// rePeriod finds the statistics period: "统计期限为2025年1月1日", "统计期限自 2023 年 1 月 1 日".
	rePeriod = regexp.MustCompile(`统\s*计\s*期\s*限\s*(?:为|是|自|从)?\s*((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日`)
	// reSource finds a 来源 / 发布机构 field.
	reSource = regexp.MustCompile(`(?:来\s*源|发布机构|发布单位|信息来源)\s*[:：]\s*([^\s:：|]{2,30})`)
	// reAggregate recognises a government's report that totals its area.
	reAggregate = regexp.MustCompile(`(?:汇总|涵盖|综合)了?(?:全(?:区|县|市|省|镇|乡|旗)|各(?:部门|单位|乡|镇|街道)|本(?:区|县|市|省|镇|乡)(?:各|所属)|所属|下属|辖区)|(?:汇总|综合)编制`)
	// reOrganSuffix recognises a line that is an organ's name.
	reOrganSuffix = regexp.MustCompile(`(?:政府|局|委员会|委|办公室|办|院|室|会|处|所|站|中心|街道|镇|乡|区|县|市|署|厅|部|管委会|集团)$`)
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
// metadata and the source hints, in the order of report-format.md: the
// title first, then page fields, then the configured site name.
func fillMeta(r *Report, doc *document, src Source) {
	// The head of the document: up to the first table section.
	var head []string
	for _, l := range doc.lines {
		if len(head) > 80 {
			break
		}
		head = append(head, l.text)
	}
	// Title and agency.
	titleCands := []string{doc.meta.title}
	for i, t := range head {
		if len([]rune(t)) <= 80 {
			titleCands = append(titleCands, t)
			// PDF title pages print the organ on the line above the title.
			if i > 0 && strings.Contains(t, "公") && strings.Contains(t, "报") && reTitle.MatchString(strings.TrimSpace(t)) {
				if m := reTitle.FindStringSubmatch(t); m != nil && strings.TrimSpace(m[1]) == "" {
					prev := strings.ReplaceAll(head[i-1], " ", "")
					if reOrganSuffix.MatchString(prev) && len([]rune(prev)) <= 30 {
						titleCands = append(titleCands, prev+strings.TrimSpace(t))
					}
				}
			}
		}
	}
	titleCands = append(titleCands, src.Title)
	bestAgency := ""
	for _, t := range titleCands {
		t = strings.TrimSpace(t)
		if !strings.Contains(t, "公") || !strings.Contains(t, "报") && !strings.Contains(t, "報") {
			continue
		}
		m := reTitle.FindStringSubmatch(t)
		if m == nil {
			continue
		}
		agency := cleanAgency(m[1])
		y, _ := strconv.Atoi(m[2])
		if r.Title == "" || (bestAgency == "" && agency != "") {
			r.Title = strings.TrimSpace(cutTitle(t))
			r.Year = y
			bestAgency = agency
		}
		if bestAgency != "" {
			break
		}
	}
	r.Agency = bestAgency
	if r.Agency == "" {
		r.Agency = cleanAgency(doc.meta.agency)
	}
	if r.Agency == "" {
		if m := findLine(reSource, head, "来", "源", "发布"); m != nil {
			r.Agency = cleanAgency(m[1])
		}
	}
	if r.Agency == "" {
		r.Agency = src.Agency
	}
	// Publication date.
	switch {
	case doc.meta.published != "":
		r.Published = doc.meta.published
	default:
		if m := findLine(rePublished, head, "期", "间", "間"); m != nil {
			r.Published = findDate(m[1])
		} else if src.Published != "" {
			r.Published = findDate(src.Published)
		} else if m := findLine(reWritten, head, "日期"); m != nil {
			r.Published = findDate(m[1])
		}
	}
	// Organ code.
	if m := findLine(reIndex, head, "索"); m != nil {
		r.OrganCode = strings.ToUpper(m[1])
	}
	// Year: title, else the statistics period, else publication year − 1.
	if r.Year == 0 {
		if m := rePeriod.FindStringSubmatch(allText(doc)); m != nil {
			r.Year, _ = strconv.Atoi(m[1])
		} else if len(r.Published) >= 4 {
			if y, err := strconv.Atoi(r.Published[:4]); err == nil {
				r.Year = y - 1
			}
		}
	}
	// Scope from the preamble: the text before section 二, at most 6,000
	// bytes.
	r.Scope = ScopeSelf
	var pre strings.Builder
	for _, l := range doc.lines {
		if strings.Contains(l.text, "主动公开政府信息情况") || pre.Len() > 6000 {
			break
		}
		pre.WriteString(strings.ReplaceAll(l.text, " ", ""))
	}
	if reAggregate.MatchString(pre.String()) {
		r.Scope = ScopeAggregate
	}
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

func cleanAgency(s string) string {
	s = strings.TrimSpace(foldSpaces(s))
	s = strings.ReplaceAll(s, " ", "")
	s = strings.Trim(s, "《》“”\"':：、，,.。-—_|")
	if strings.HasPrefix(s, "关于") {
		s = strings.TrimPrefix(s, "关于")
	}
	return s
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
