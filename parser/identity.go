package parser

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// IdentitySource names where a report's agency or year was read: the
// values of Report.AgencySource and Report.YearSource. They are listed here
// in the order of trust in which the parser consults them (see
// Report.AgencySource); the empty source means nothing was found.
type IdentitySource string

// Identity sources, most trusted first.
const (
	// IdentityTitle is the document's own title: HTML <title> or <meta
	// name="ArticleTitle">, a PDF's or DOCX's Title property.
	IdentityTitle IdentitySource = "title"
	// IdentityHeading is a title printed in the document's head: the
	// heading above the text, or the first lines of a PDF (an organ line
	// above a "2023年政府信息公开工作年度报告" line counts as one title).
	IdentityHeading IdentitySource = "heading"
	// IdentitySourceTitle is Source.Title: the title that the crawler
	// passes along, such as the report page's title for its attachment.
	IdentitySourceTitle IdentitySource = "source_title"
	// IdentityMetadata is the page's metadata block: <meta
	// name="ContentSource">, or a 来源 / 发布机构 / 发布单位 / 发文机关 field.
	IdentityMetadata IdentitySource = "metadata"
	// IdentityBody is a sentence of the report's preamble: "特编制XX2023年
	// 政府信息公开工作年度报告", "本报告由XX…编制", "XX根据…要求编制本报告".
	// For the year, a preamble sentence naming the report
	// ("编制了2018年度政府信息公开年度报告").
	IdentityBody IdentitySource = "body"
	// IdentitySignature is the signature at the end of the report: an
	// organ's name on a line followed by a date ("XX局" / "2024年1月12日").
	IdentitySignature IdentitySource = "signature"
	// IdentityPeriod is the statistics period (year only): "统计期限为
	// 2023年1月1日…", "本报告中所列数据的统计期限自2023年1月1日…".
	IdentityPeriod IdentitySource = "period"
	// IdentityLinkText is Source.LinkText: the text of the list link that
	// led to the document.
	IdentityLinkText IdentitySource = "link_text"
	// IdentityPublished is the publication year minus one (year only):
	// reports are published in the year after the one they are about.
	IdentityPublished IdentitySource = "published"
	// IdentityConfig is Source.Agency, the configured site name (agency
	// only). It is a fallback, not an identification: see
	// Report.AgencyIdentified.
	IdentityConfig IdentitySource = "config"
)

// AgencyIdentified reports whether the report names its organ itself: its
// agency was read from the document or from the link that led to it, not
// taken from configuration. A report that is not identified carries the
// configured site name (or no agency at all), which many different reports
// of one site share: a store must never merge two such reports whose
// content differs, because nothing says they are the same organ's.
func (r *Report) AgencyIdentified() bool {
	return r.Agency != "" && r.AgencySource != "" && r.AgencySource != IdentityConfig
}

// titleParts is what a report title says: the organ as printed (cleaned)
// and the statistics year; either may be missing.
type titleParts struct {
	agency string
	year   int
}

// parseTitle reads a report title in any word order: the agency first
// ("湛江市司法局2025年政府信息公开工作年度报告"), the year first ("2019年上海市人民
// 政府办公厅政府信息公开工作年度报告"), the year last ("…工作年度报告（2019年）",
// "…信息公开工作2019年度报告"), or as "XX关于2019年度政府信息公开工作情况的报告".
// A site suffix after "_" or " - " is ignored, and so are spaces and quotes
// (straight or curly). The title must name its subject (政府信息, 政务信息,
// 信息公开, 政务公开 or 信息与政务公开) and a 报告, 年报 or 总结 shortly after
// it, and carry a year: "XX扶贫办2017年政府信息年度报告", "XX人社局2017年度
// 政府信息与政务公开工作总结" are reports. Companion pages are not, whatever
// they say (excludedTitle: 解读, 图解, 要点, 通知, 报表…). ok is false
// otherwise.
func parseTitle(s string) (p titleParts, ok bool) {
	if !strings.Contains(s, "信息") && !strings.Contains(s, "政务") && !strings.Contains(s, "資訊") ||
		!strings.Contains(s, "报") && !strings.Contains(s, "報") && !strings.Contains(s, "总结") && !strings.Contains(s, "總結") {
		return p, false
	}
	t := squeezeTitle(cutTitle(strings.TrimSpace(s)))
	if excludedTitle(t) {
		return p, false
	}
	k0 := subjectStart(t)
	if k0 < 0 {
		return p, false
	}
	if e := reportEnd(t[k0:]); e < 0 || e > 30*3 {
		return p, false
	}
	// k is where the subject starts once a leading 政府/政务 is set apart:
	// "上海市人民" + "政府信息公开" is 上海市人民政府's report (restoreGov).
	k := k0
	if strings.HasPrefix(t[k0:], "政府") || strings.HasPrefix(t[k0:], "政务") {
		k = k0 + len("政府")
	}
	ys, ye, year := findTitleYear(t)
	if year == 0 {
		return p, false
	}
	p.year = year
	switch {
	case ys < k0:
		if a := cleanTitleAgency(t[:ys]); a != "" {
			p.agency = a
		} else if ye <= k0 {
			p.agency = cleanTitleAgency(restoreGov(t[ye:k0], t[k0:k]))
		}
	case ys >= k:
		p.agency = cleanTitleAgency(restoreGov(t[:k0], t[k0:k]))
	}
	return p, true
}

// subjects are the words that name what a report is about; the earliest
// in a title starts its subject.
var subjects = []string{"信息与政务公开", "信息和政务公开", "信息及政务公开", "政府信息", "政务信息", "信息公开", "政务公开"}

// subjectStart returns the byte offset of the first subject word in t, or
// -1.
func subjectStart(t string) int {
	best := -1
	for _, w := range subjects {
		if i := strings.Index(t, w); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best
}

// excludedTitle reports whether a squeezed title names a companion page,
// not a report: a reading (解读, 图解, 一图读懂, 图说), key points (要点), a
// notice (通知; but a notice that publishes the report, 关于印发…报告的通知,
// carries it), rules (制度), a form (格式), questions and answers, a press
// conference, the 政府网站工作年度报表, or a half-year or quarterly summary.
// The crawler skips the same pages by their link text.
func excludedTitle(t string) bool {
	for _, w := range excludedWords {
		if strings.Contains(t, w) {
			return true
		}
	}
	return strings.Contains(t, "通知") && !containsAny(t, "印发", "公布", "发布")
}

var excludedWords = []string{"解读", "图解", "一图读懂", "图说", "要点", "制度", "格式", "问答", "新闻发布会", "报表", "半年", "季度"}

// restoreGov gives back the 政府 that was taken for the start of
// "政府信息公开" when the name needs it: "上海市人民" + "政府信息公开" is
// 上海市人民政府's report.
func restoreGov(name, cut string) string {
	if cut == "政府" && strings.HasSuffix(name, "人民") {
		return name + cut
	}
	return name
}

// reportEnd returns the byte offset in s of the first 报告, 年报 or 总结, or
// -1.
func reportEnd(s string) int {
	best := -1
	for _, w := range [...]string{"报告", "年报", "总结"} {
		if i := strings.Index(s, w); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best
}

// findTitleYear finds the first statistics year in a squeezed title: four
// digits 19xx/20xx followed by 年 (or 年度), or in brackets ("（2019）").
// It returns the byte range of the year with its 年/年度 and the year.
func findTitleYear(t string) (start, end, year int) {
	for i := 0; i+4 <= len(t); i++ {
		if !isYearAt(t, i) {
			continue
		}
		y, _ := strconv.Atoi(t[i : i+4])
		j := i + 4
		switch {
		case strings.HasPrefix(t[j:], "年度"):
			return i, j + len("年度"), y
		case strings.HasPrefix(t[j:], "年"):
			return i, j + len("年"), y
		case i > 0 && (t[i-1] == '(' || strings.HasSuffix(t[:i], "（")) && (strings.HasPrefix(t[j:], ")") || strings.HasPrefix(t[j:], "）")):
			return i, j, y
		}
		i += 3
	}
	return -1, -1, 0
}

// isYearAt reports whether t[i:i+4] is a year 19xx or 20xx standing alone
// (no digit right before or after it).
func isYearAt(t string, i int) bool {
	if !(t[i] == '1' && t[i+1] == '9' || t[i] == '2' && t[i+1] == '0') {
		return false
	}
	if !isASCIIDigit(t[i+2]) || !isASCIIDigit(t[i+3]) {
		return false
	}
	return (i == 0 || !isASCIIDigit(t[i-1])) && (i+4 == len(t) || !isASCIIDigit(t[i+4]))
}

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// squeezeTitle folds full-width digits and traditional characters,
// removes white space and quotes (straight or curly) and turns a year in
// Chinese numerals (二〇一九年) into digits. Full-width brackets stay as
// printed: they are part of the name ("（本级）").
func squeezeTitle(s string) string {
	s = simplify(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case isSpace(r), r == '"', r == '\'', r == '“', r == '”', r == '‘', r == '’':
		case r >= '０' && r <= '９':
			b.WriteByte(byte(r - '０' + '0'))
		default:
			b.WriteRune(r)
		}
	}
	t := b.String()
	if strings.ContainsAny(t, "〇○零") {
		t = cnYears(t)
	}
	return t
}

// cnDigits maps the numerals of a year written in Chinese to digits.
var cnDigits = map[rune]byte{'〇': '0', '○': '0', '零': '0', '一': '1', '二': '2', '三': '3', '四': '4', '五': '5', '六': '6', '七': '7', '八': '8', '九': '9'}

// cnYears rewrites four Chinese numerals followed by 年 ("二〇二三年") as
// digits.
func cnYears(t string) string {
	rs := []rune(t)
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		if i+4 < len(rs) && rs[i+4] == '年' {
			ok := true
			for _, r := range rs[i : i+4] {
				if _, d := cnDigits[r]; !d {
					ok = false
					break
				}
			}
			if ok && (rs[i] == '一' || rs[i] == '二') {
				for _, r := range rs[i : i+4] {
					b.WriteByte(cnDigits[r])
				}
				i += 3
				continue
			}
		}
		b.WriteRune(rs[i])
	}
	return b.String()
}

// notAgencies are words a title or sentence uses in place of the organ's
// name.
var notAgencies = map[string]bool{
	"本机关": true, "本单位": true, "本部门": true, "本局": true, "本委": true, "本办": true, "本院": true, "本级": true,
	"本市": true, "本区": true, "本县": true, "本镇": true, "本乡": true, "我局": true, "我委": true, "我办": true, "我院": true,
	"我市": true, "我区": true, "我县": true, "我镇": true, "我乡": true, "全市": true, "全区": true, "全县": true, "全省": true,
	"全镇": true, "各部门": true, "政府": true, "政务": true, "年度": true, "工作": true,
}

// cleanTitleAgency trims what surrounds an organ's name in a title: quotes,
// punctuation, "关于"/"关于印发" before it and "关于"/"的" after it. It
// returns "" for text that is no organ's name (本机关, 我局, a sentence).
func cleanTitleAgency(s string) string {
	s = strings.Trim(s, "《》“”\"'：:、，,.。-—_|【】[]·")
	for _, p := range []string{"关于印发", "关于公布", "关于发布", "关于", "印发", "公布"} {
		s = strings.TrimPrefix(s, p)
	}
	for _, p := range []string{"关于", "的", "发布", "公布"} {
		s = strings.TrimSuffix(s, p)
	}
	s = strings.Trim(s, "《》“”\"'：:、，,.。-—_|【】[]·")
	n := utf8.RuneCountInString(s)
	if n < 2 || n > 40 || notAgencies[s] || strings.HasPrefix(s, "我") ||
		strings.ContainsAny(s, "。，；！？") || strings.Contains(s, "报告") || strings.Contains(s, "信息公开") {
		return ""
	}
	return s
}

// reOrganName recognises an organ's name by its ending, for the sources
// that are not titles (metadata, body, signature, link text).
var reOrganName = regexp.MustCompile(`(?:政府|局|委员会|委|办公室|办公厅|办|院|室|会|处|所|站|中心|街道|镇|乡|区|县|市|署|厅|部|管委会|集团|公司|行|关|队|馆|台|社|联|盟|旗|州|省)(?:[(（][^()（）]{1,12}[)）])?$`)

// organName returns s as an organ's name, cleaned, or "" when it does not
// read as one.
func organName(s string) string {
	s = cleanTitleAgency(strings.Map(func(r rune) rune {
		if isSpace(r) {
			return -1
		}
		return r
	}, foldWidth(s)))
	if s == "" || utf8.RuneCountInString(s) > 30 || strings.ContainsAny(s, ":：/") || !reOrganName.MatchString(s) {
		return ""
	}
	for _, w := range []string{"网站", "网", "平台", "客户端", "公众号", "微博"} {
		if strings.HasSuffix(s, w) {
			return "" // a website named as the source (门户网站, 本网)
		}
	}
	return s
}

// Body sentences naming the organ that wrote the report.
var (
	// reCompiledBy: "本报告由淮安市人民政府办公室根据…编制"; the name runs to
	// the first verb after which it reads as an organ's name (so 综合 in
	// "平潭综合实验区…" does not end it).
	reCompiledBy = regexp.MustCompile(`本(?:年度)?报告(?:全文)?由([^，。；、《》]{2,60})`)
	// reCompiles: "…要求，沭阳县发展和改革局编制本报告", "XX根据…要求编制了本年度报告".
	reCompiles = regexp.MustCompile(`([^，。；：:]{2,80}?)(?:编制|编写|撰写)了?(?:此|本)(?:年度)?(?:报告|年报)`)
	// reNamesReport: a sentence naming the report: "特编制XX2023年政府信息公开工作年度报告",
	// "现将XX2023年…年度报告公布如下", "我局编制了2018年度政府信息公开年度报告".
	reNamesReport = regexp.MustCompile(`(?:编制|编写|撰写|公布|发布|现将|特将|形成)了?([^，。；：:]{0,60}?信息公开[^，。；：:]{0,20}?(?:报告|年报))`)
	// reSignDate is the date under a signature: 2024年1月12日, 2024年1月,
	// 二〇二四年一月十二日.
	reSignDate = regexp.MustCompile(`^(?:(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|[一二][〇○零一二三四五六七八九]{3}\s*年\s*[一二三四五六七八九十]{1,3}\s*月(?:\s*[一二三四五六七八九十]{1,3}\s*日)?)$`)
)

// bodyIdentity reads the preamble's sentences: the organ and year of a
// sentence naming the report, and the organ that compiled it.
func bodyIdentity(pre string) (named titleParts, compiler string) {
	if pre == "" {
		return
	}
	if strings.Contains(pre, "信息公开") {
		for _, m := range reNamesReport.FindAllStringSubmatch(pre, 4) {
			if p, ok := parseTitle(m[1]); ok {
				if named.year == 0 {
					named.year = p.year
				}
				if a := organName(p.agency); a != "" {
					named.agency = a
					break
				}
			}
		}
	}
	if strings.Contains(pre, "本") && strings.Contains(pre, "由") {
		for _, m := range reCompiledBy.FindAllStringSubmatch(pre, 4) {
			if a := compilerName(m[1]); a != "" {
				return named, a
			}
		}
	}
	if strings.Contains(pre, "编") || strings.Contains(pre, "撰") {
		for _, m := range reCompiles.FindAllStringSubmatch(pre, 4) {
			clause := m[1]
			for _, w := range []string{"根据", "依据", "依照", "按照", "结合", "现"} {
				if i := strings.Index(clause, w); i >= 0 {
					clause = clause[:i]
				}
			}
			if a := organName(clause); a != "" {
				return named, a
			}
		}
	}
	return named, ""
}

// compileVerbs end the name of the organ that compiled a report.
var compileVerbs = []string{"根据", "依据", "依照", "按照", "结合", "综合", "汇总", "会同", "牵头", "组织", "负责", "编制", "编写", "撰写", "起草", "制作", "统一"}

// compilerName returns the organ's name at the start of s ("平潭综合实验区
// 君山片区管理局结合工作实际编制…"): the shortest prefix ending before one of
// compileVerbs that reads as an organ's name.
func compilerName(s string) string {
	for i := range s {
		if i < 6 {
			continue
		}
		for _, v := range compileVerbs {
			if strings.HasPrefix(s[i:], v) {
				if a := organName(s[:i]); a != "" {
					return a
				}
				break
			}
		}
	}
	return ""
}

// signature finds the organ that signed the report: the last line (from
// index from on) that is an organ's name followed by a date, on the next
// line or after it on the same line.
func signature(lines []line, from int) string {
	for i := len(lines) - 1; i >= from && i >= 0; i-- {
		t := lines[i].text
		if len(t) > 40*3 || !strings.Contains(t, "年") || !strings.Contains(t, "月") {
			continue
		}
		t = strings.TrimSpace(foldSpaces(t))
		if !reSignDate.MatchString(t) {
			// The organ and the date on one line.
			if j := lastDateStart(t); j > 0 {
				if a := organName(t[:j]); a != "" {
					return a
				}
			}
			continue
		}
		if i > from {
			if a := organName(lines[i-1].text); a != "" {
				return a
			}
		}
	}
	return ""
}

// lastDateStart returns where a trailing signature date starts in t, or -1.
func lastDateStart(t string) int {
	for i := range t {
		if i > 0 && (isASCIIDigit(t[i]) || strings.HasPrefix(t[i:], "二") || strings.HasPrefix(t[i:], "一")) && reSignDate.MatchString(strings.TrimSpace(t[i:])) {
			return i
		}
	}
	return -1
}

// metaFieldLabels are the labels of a metadata block's organ field.
var metaFieldLabels = map[string]bool{
	"来源": true, "信息来源": true, "文章来源": true, "发布机构": true, "发布单位": true, "发布部门": true,
	"发文机关": true, "发文单位": true, "发文机构": true, "公开主体": true, "信息公开主体": true,
}

// reMetaField finds a "label：value" organ field on a line.
var reMetaField = regexp.MustCompile(`(?:来\s*源|发布机构|发布单位|发布部门|发文机关|发文单位|发文机构|公开主体)\s*[:：]\s*([^\s:：|]{2,30})`)

// metadataAgency reads the organ from a metadata block among the head
// lines: a "来源：XX" field, or a label cell followed by its value cell in a
// metadata table ("发布机构 | 沭阳县发展和改革局").
func metadataAgency(head []line) string {
	for _, l := range head {
		if !containsAny(l.text, "来", "发", "公开主体") {
			continue
		}
		for i, c := range l.cells {
			k := strings.TrimRight(strings.ReplaceAll(c.text, " ", ""), ":：")
			if metaFieldLabels[k] && i+1 < len(l.cells) {
				if a := organName(l.cells[i+1].text); a != "" {
					return a
				}
			}
		}
		for _, m := range reMetaField.FindAllStringSubmatch(l.text, 4) {
			if a := organName(m[1]); a != "" {
				return a
			}
		}
	}
	return ""
}

// linkTextIdentity reads a list link's text: a report title, or an organ's
// name with a year ("县发改局2023年度报告"), or an organ's name alone (a
// county column listing its departments). The link to a companion page
// (解读, 要点, 通知…: excludedTitle) says nothing.
func linkTextIdentity(s string) titleParts {
	s = strings.TrimSpace(s)
	for _, ext := range []string{".pdf", ".PDF", ".doc", ".docx", ".wps", ".htm", ".html"} {
		s = strings.TrimSuffix(s, ext)
	}
	if p, ok := parseTitle(s); ok {
		return p
	}
	t := squeezeTitle(s)
	if excludedTitle(t) {
		return titleParts{} // a companion page's link (解读, 要点, 通知…)
	}
	if ys, ye, y := findTitleYear(t); y > 0 {
		rest := t[ye:]
		if strings.Contains(rest, "报") || rest == "" {
			return titleParts{agency: organName(t[:ys]), year: y}
		}
		return titleParts{}
	}
	return titleParts{agency: organName(t)}
}

// titleOrigin says where doc.meta.title came from: for a PDF or DOCX, the
// title printed on its first lines, the linking page's title, or the file's
// Title property (see attachmentMeta); for HTML, the page's title.
func titleOrigin(doc *document, src Source) IdentitySource {
	if doc.input != "pdf" && doc.input != "docx" {
		return IdentityTitle
	}
	if h := headTitle(doc.lines); h != "" && h == doc.meta.title {
		return IdentityHeading
	}
	if src.Title != "" && doc.meta.title == src.Title {
		return IdentitySourceTitle
	}
	return IdentityTitle
}
