package crawler

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Default discovery heuristics (spec/sites.md B1, B5).
var (
	// reportRe matches the title of an annual report (after normTitle): a
	// year, then 信息公开/政务公开 and 报告/年报/总结, or "…年报", or the
	// shorter and older forms 政府信息年度报告, 政务信息公开报告,
	// 政府信息与政务公开工作总结, 信息与政务公开工作报告.
	reportRe = regexp.MustCompile(`(?:19|20)\d{2}(?:年度?)?.*(?:信息公开|政务公开).*(?:报告|年报|总结)` +
		`|(?:19|20)\d{2}(?:年度?)?.*年报` +
		`|(?:信息公开|政务公开).*(?:19|20)\d{2}年.*报告` +
		`|(?:19|20)\d{2}年度?.*(?:政府|政务)信息公开工作` +
		`|(?:19|20)\d{2}年度?.*(?:政府|政务)信息(?:公开)?(?:工作)?(?:年度)?(?:报告|总结)`)
	// excludeRe matches companion pages that are not reports: readings,
	// infographics, key points, notices, rules, forms, Q&A, press
	// conferences, the 政府网站工作年度报表 (a different annual form) and
	// half-year or quarterly summaries.
	excludeRe = regexp.MustCompile(`解读|图解|一图读懂|图说|要点|通知|制度|格式|问答|新闻发布|报表|半年|季度`)
	// columnRe matches the name of a report column (信息公开年报,
	// 政府信息公开工作年度报告, 年度报告…), of a 年报 sub-column named by the
	// kind of organ (政府年报, 部门年报, 乡镇（街道）年报, 区直部门年报,
	// 县直单位年度报告…) or of a year folder inside it, after normTitle.
	// Bare organ names (区直部门, 镇街) are handled by subColumns.
	columnRe = regexp.MustCompile(`^(?:各)?(?:(?:区|县|市|旗)(?:直|级|属)?(?:各)?)?` +
		`(?:政府|部门|单位|机关|机构|乡镇|乡|镇|街道|镇街|街镇|乡镇街道|乡镇[（(]街道[）)]|镇[（(]街道[）)]|本级|(?:政府)?组成部门)?` +
		`(?:(?:政府|政务)?(?:信息)?公开(?:工作)?)?(?:年报|年度报告)(?:专栏)?$` +
		`|^(?:19|20)\d{2}年?度?$`)
	// nextTextRe matches "next page" link texts.
	nextTextRe = regexp.MustCompile(`^(?:下一页|下页|后页|下一頁|next|Next|NEXT|>|›|»|>>)$`)
	// staticPageRe matches the file name of a static pagination page:
	// index_2.html, list_3.shtml, dezlist_2.shtml, column-index-2.shtml.
	staticPageRe = regexp.MustCompile(`^[A-Za-z][\w-]*[_-]\d+\.(?:s?html?|jsp)$`)
	// pageParams are query parameters that number list pages.
	pageParams = []string{"page", "pageNo", "pageno", "pageNum", "pagenum", "pageIndex", "PageIndex", "pageindex", "currPage", "curPage", "cur_page", "pn", "p"}
)

// attachmentExts are the file types fetched as attachments.
var attachmentExts = map[string]bool{".pdf": true, ".doc": true, ".docx": true, ".wps": true, ".xls": true, ".xlsx": true, ".et": true}

// isAttachment reports whether u names an attachment file: by the
// extension of its path, or of a query value (download scripts such as
// Hanweb's /module/download/downfile.jsp?classid=0&filename=….pdf).
func isAttachment(u *url.URL) bool {
	if attachmentExts[strings.ToLower(path.Ext(u.Path))] {
		return true
	}
	if u.RawQuery == "" {
		return false
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			if attachmentExts[strings.ToLower(path.Ext(v))] {
				return true
			}
		}
	}
	return false
}

// isAttachmentLink reports whether a link leads to an attachment: by its URL,
// or by a link text that names a file ("附件：2023年年报.pdf") on a link to a
// download script.
func isAttachmentLink(l link, u *url.URL) bool {
	if isAttachment(u) {
		return true
	}
	lab := strings.TrimSpace(l.label())
	return attachmentExts[strings.ToLower(path.Ext(lab))] && !strings.HasSuffix(strings.ToLower(u.Path), ".html") && !strings.HasSuffix(strings.ToLower(u.Path), ".htm")
}

// matcher classifies links. Custom patterns replace the defaults.
type matcher struct {
	report *regexp.Regexp // Site.ReportPattern, nil for the default
	list   *regexp.Regexp // Site.ListPattern, nil for the default
}

// isReport reports whether the link looks like an annual report.
func (m *matcher) isReport(l link, abs string) bool {
	lab := l.label()
	if lab != "" && excludeRe.MatchString(normTitle(lab)) {
		return false
	}
	if m.report != nil {
		return m.report.MatchString(l.text) || m.report.MatchString(l.title) || m.report.MatchString(abs)
	}
	return reportRe.MatchString(normTitle(l.text)) || reportRe.MatchString(normTitle(l.title))
}

// titleNoise are the runes normTitle drops: white space (stray spaces
// inside words are common: "2017年政府信息 公开年度报告") and quotes and
// title brackets, straight or curly.
const titleNoise = " \t\n\r\f\u00a0\u3000\"'“”‘’「」『』《》〈〉【】"

// normTitle returns a link text or title without titleNoise, for matching.
func normTitle(s string) string {
	if !strings.ContainsAny(s, titleNoise) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(titleNoise, r) {
			return -1
		}
		return r
	}, s)
}

// isColumn reports whether the link leads to a report column (a list).
func (m *matcher) isColumn(l link, abs string) bool {
	if m.list != nil {
		return m.list.MatchString(abs)
	}
	lab := normTitle(l.label())
	return lab != "" && !excludeRe.MatchString(lab) && columnRe.MatchString(lab)
}

// isPagination reports whether the link is a pagination link of page: a
// 下一页-style text, the same path with a page-number parameter, or a static
// sibling page (index_2.html next to index.html) with the page's own stem or
// a page-number text.
func isPagination(l link, u, page *url.URL) bool {
	if u.Host != page.Host || excludeRe.MatchString(l.label()) {
		return false
	}
	text := strings.TrimSpace(l.text)
	if nextTextRe.MatchString(text) {
		// A 下一页 link stays in the list's own directory tree (or is the
		// same script with other parameters).
		d, pd := path.Dir(u.Path), path.Dir(page.Path)
		return u.Path == page.Path || strings.HasPrefix(d, pd) || strings.HasPrefix(pd, d) && d != "/"
	}
	if u.Path == page.Path && u.RawQuery != page.RawQuery {
		q := u.Query()
		for _, p := range pageParams {
			if v := q.Get(p); v != "" {
				if _, err := strconv.Atoi(v); err == nil {
					return true
				}
			}
		}
		return false
	}
	name := path.Base(u.Path)
	if path.Dir(u.Path) != path.Dir(page.Path) || !staticPageRe.MatchString(name) {
		return false
	}
	if _, err := strconv.Atoi(text); err == nil {
		return true
	}
	return pageStem(name) == pageStem(page.Path)
}

// pageStem returns the name of a list page without its page number and
// extension: "index" for index.html, index_2.html and a directory URL.
func pageStem(p string) string {
	if strings.HasSuffix(p, "/") || p == "" {
		return "index"
	}
	name := path.Base(p)
	name = strings.TrimSuffix(name, path.Ext(name))
	if i := strings.LastIndexAny(name, "_-"); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	return name
}

// resolve returns ref resolved against base, without its fragment; ok is
// false for non-http(s) links (javascript:, mailto:…) and unparsable ones.
func resolve(base *url.URL, ref string) (*url.URL, bool) {
	// Curly quotes around an unquoted value (href=“/nb/2017.html”) come
	// from hand-edited pages: they are no part of the URL.
	ref = strings.Trim(strings.TrimSpace(ref), "“”‘’")
	if ref == "" || strings.HasPrefix(ref, "#") {
		return nil, false
	}
	r, err := url.Parse(ref)
	if err != nil {
		return nil, false
	}
	u := base.ResolveReference(r)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, false
	}
	u.Fragment = ""
	u.RawFragment = ""
	return u, true
}

// resolveIn is resolve for a link on a page decoded from charset. A browser
// percent-encodes the non-ASCII characters of a query in the page's own
// encoding (the path always in UTF-8); old GBK JSP sites expect that
// (list.jsp?lm=年报 → lm=%C4%EA%B1%A8), so it is done here for GBK-family
// pages.
func resolveIn(base *url.URL, ref, charset string) (*url.URL, bool) {
	u, ok := resolve(base, ref)
	if !ok || charset != "gb18030" || isASCII(u.RawQuery) {
		return u, ok
	}
	var b strings.Builder
	q := u.RawQuery
	for i := 0; i < len(q); {
		if q[i] < utf8.RuneSelf {
			b.WriteByte(q[i])
			i++
			continue
		}
		j := i
		for j < len(q) && q[j] >= utf8.RuneSelf {
			j++
		}
		enc, err := simplifiedchinese.GB18030.NewEncoder().String(q[i:j])
		if err != nil {
			return u, ok
		}
		for k := 0; k < len(enc); k++ {
			fmt.Fprintf(&b, "%%%02X", enc[k])
		}
		i = j
	}
	u.RawQuery = b.String()
	return u, ok
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// cphRe finds createPageHTML calls.
var cphRe = regexp.MustCompile(`createPageHTML\s*\(([^()]*)\)`)

// maxStaticPages caps the pages queued from one createPageHTML call.
const maxStaticPages = 500

// nextStaticPages reads the TRS createPageHTML call of a list page and
// returns the URLs of the following pages, relative to the page
// ("index_1.htm", "index_2.htm"…). All are returned at once, so that list
// pages are fetched in parallel instead of one after the other. The two
// conventions (spec/sites.md B4):
//
//	createPageHTML(count, cur, "index", "htm")                 cur is 0-based; page 2 = index_1.htm
//	createPageHTML('page_div', pages, cur, 'index', 'html', n) cur is 1-based; page 2 = index_2.html
//
// Arguments may be variables (var countPage = 7) defined in the scripts.
func nextStaticPages(scripts []string) []string {
	all := strings.Join(scripts, "\n")
	for _, m := range cphRe.FindAllStringSubmatch(all, -1) {
		args := strings.Split(m[1], ",")
		if len(args) < 4 {
			continue
		}
		for i := range args {
			args[i] = strings.TrimSpace(args[i])
		}
		quoted := func(s string) (string, bool) {
			if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
				return s[1 : len(s)-1], true
			}
			return "", false
		}
		num := func(s string) (int, bool) {
			if q, ok := quoted(s); ok {
				s = q
			}
			if n, err := strconv.Atoi(s); err == nil {
				return n, true
			}
			if !regexp.MustCompile(`^[A-Za-z_$][\w$]*$`).MatchString(s) {
				return 0, false
			}
			vm := regexp.MustCompile(`\b` + regexp.QuoteMeta(s) + `\s*=\s*['"]?(\d+)`).FindStringSubmatch(all)
			if vm == nil {
				return 0, false
			}
			n, err := strconv.Atoi(vm[1])
			return n, err == nil
		}
		if _, isNew := quoted(args[0]); isNew && len(args) >= 5 {
			pages, ok1 := num(args[1])
			cur, ok2 := num(args[2])
			prefix, ok3 := quoted(args[3])
			suffix, ok4 := quoted(args[4])
			if !ok1 || !ok2 || !ok3 || !ok4 {
				continue
			}
			var out []string
			for n := max(cur, 1) + 1; n <= pages && len(out) < maxStaticPages; n++ {
				out = append(out, fmt.Sprintf("%s_%d.%s", prefix, n, suffix))
			}
			return out
		}
		count, ok1 := num(args[0])
		cur, ok2 := num(args[1])
		prefix, ok3 := quoted(args[2])
		suffix, ok4 := quoted(args[3])
		if !ok1 || !ok2 || !ok3 || !ok4 {
			continue
		}
		var out []string
		for n := max(cur, 0) + 1; n < count && len(out) < maxStaticPages; n++ {
			out = append(out, fmt.Sprintf("%s_%d.%s", prefix, n, suffix))
		}
		return out
	}
	return nil
}

// gkmlpt (Guangdong 政府信息公开目录平台), spec/sites.md B2(a).
var (
	sidRe     = regexp.MustCompile(`\bSID\s*[:=]\s*['"]?([0-9A-Za-z_]+)`)
	gkTreeRe  = regexp.MustCompile(`['"]?id['"]?\s*:\s*['"]?(\d+)['"]?\s*,\s*['"]?name['"]?\s*:\s*['"]([^'"]*?(?:年报|年度报告)[^'"]*)['"]`)
	digitsRe  = regexp.MustCompile(`\d+`)
	jsEscRe   = regexp.MustCompile(`%u([0-9A-Fa-f]{4})|%([0-9A-Fa-f]{2})`)
	chinaZone = time.FixedZone("CST", 8*3600)
)

// gkmlptAPI returns the first list API URL for a gkmlpt index page: the
// category comes from the page URL's fragment (/gkmlpt/index#2791), else from
// a TREE entry named …年报/…年度报告; SID from window._CONFIG.
func gkmlptAPI(page *url.URL, fragment string, text []byte) (string, bool) {
	i := strings.Index(page.Path, "/gkmlpt/")
	if i < 0 || strings.Contains(page.Path, "/gkmlpt/api/") || strings.Contains(page.Path, "/gkmlpt/content/") {
		return "", false
	}
	s := string(text)
	if !strings.Contains(s, "_CONFIG") {
		return "", false
	}
	sm := sidRe.FindStringSubmatch(s)
	if sm == nil {
		return "", false
	}
	cat := digitsRe.FindString(fragment)
	if cat == "" {
		if tm := gkTreeRe.FindStringSubmatch(s); tm != nil {
			cat = tm[1]
		}
	}
	if cat == "" {
		return "", false
	}
	u := url.URL{Scheme: page.Scheme, Host: page.Host, Path: page.Path[:i] + "/gkmlpt/api/all/" + cat,
		RawQuery: "page=1&sid=" + url.QueryEscape(sm[1])}
	return u.String(), true
}

// isGkmlptAPI reports whether u is a gkmlpt list API URL.
func isGkmlptAPI(u *url.URL) bool { return strings.Contains(u.Path, "/gkmlpt/api/") }

// gkmlptList is the part of a gkmlpt list API response the crawler reads.
type gkmlptList struct {
	Classify struct {
		PostCount json.RawMessage `json:"post_count"`
	} `json:"classify"`
	Articles []gkmlptArticle `json:"articles"`
}

type gkmlptArticle struct {
	Title              string          `json:"title"`
	URL                string          `json:"url"`
	PostURL            string          `json:"post_url"`
	DisplayPublishTime json.RawMessage `json:"display_publish_time"`
	Attachment         []struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"attachment"`
}

// jsUnescape decodes JavaScript escape() sequences (%uXXXX, %XX), which some
// gkmlpt sites use for titles.
func jsUnescape(s string) string {
	if !strings.Contains(s, "%u") && !strings.Contains(s, "%U") {
		return s
	}
	return jsEscRe.ReplaceAllStringFunc(s, func(m string) string {
		var n uint64
		if m[1] == 'u' || m[1] == 'U' {
			n, _ = strconv.ParseUint(m[2:], 16, 32)
		} else {
			n, _ = strconv.ParseUint(m[1:], 16, 32)
		}
		if !utf8.ValidRune(rune(n)) {
			return m
		}
		return string(rune(n))
	})
}

// rawInt reads a JSON number or numeric string.
func rawInt(r json.RawMessage) int64 {
	s := strings.Trim(strings.TrimSpace(string(r)), `"`)
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return int64(n)
}

// rawDate reads a gkmlpt time: Unix seconds (or milliseconds) or a date
// string; it returns YYYY-MM-DD or "".
func rawDate(r json.RawMessage) string {
	if n := rawInt(r); n > 0 {
		if n > 1e12 {
			n /= 1000
		}
		if n > 1e8 {
			return time.Unix(n, 0).In(chinaZone).Format("2006-01-02")
		}
	}
	return normDate(string(r))
}

// Hanweb 大汉 JCMS list data, spec/sites.md B2(b).
var (
	recordRe      = regexp.MustCompile(`(?s)<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>`)
	totalRecordRe = regexp.MustCompile(`(?i)<totalrecord>\s*(\d+)\s*</totalrecord>|\btotalRecord\s*[:=]\s*['"]?(\d+)`)
	dataproxyRe   = regexp.MustCompile(`[^"'\s<>()]*dataproxy\.jsp(?:\?[^"'\s<>]*)?`)
	jsParamRe     = regexp.MustCompile(`(?i)\b(columnid|unitid|webid|webname|permissiontype|sourcecontenttype|appid|perpage)\s*[:=]\s*['"]?([^'",;&\s})]*)`)
	hanwebKeys    = map[string]string{"columnid": "columnid", "unitid": "unitid", "webid": "webid", "webname": "webname",
		"path": "path", "permissiontype": "permissiontype", "sourcecontenttype": "sourceContentType", "appid": "appid", "col": "col"}
)

// hanwebRecords returns the HTML fragments of the <record> entries of a
// Hanweb datastore (inline in a column page or a dataproxy.jsp response) and
// the <totalrecord> count (-1 when absent).
func hanwebRecords(text string) (records []string, total int) {
	for _, m := range recordRe.FindAllStringSubmatch(text, -1) {
		records = append(records, m[1])
	}
	total = -1
	if m := totalRecordRe.FindStringSubmatch(text); m != nil {
		v := m[1]
		if v == "" {
			v = m[2]
		}
		total, _ = strconv.Atoi(v)
	}
	return records, total
}

// hanwebProxy reads the dataproxy.jsp parameters of a Hanweb column page and
// returns the proxy URL (absolute, without query), the POST form and the
// page size; ok is false when the page has no jpage list.
func hanwebProxy(page *url.URL, text string) (proxy string, form url.Values, perPage int, ok bool) {
	if !strings.Contains(text, "dataproxy.jsp") && !strings.Contains(text, "<datastore") {
		return "", nil, 0, false
	}
	form = url.Values{"col": {"1"}, "appid": {"1"}, "path": {"/"}, "sourceContentType": {"1"}, "permissiontype": {"0"}}
	proxyPath := "/module/web/jpage/dataproxy.jsp"
	perPage = 15
	if m := dataproxyRe.FindString(text); m != "" {
		m = strings.ReplaceAll(m, "&amp;", "&")
		if u, err := url.Parse(m); err == nil {
			proxyPath = u.Path
			for k, vs := range u.Query() {
				if canon, ok := hanwebKeys[strings.ToLower(k)]; ok && len(vs) > 0 {
					form.Set(canon, vs[0])
				}
				if strings.EqualFold(k, "perpage") && len(vs) > 0 {
					if n, err := strconv.Atoi(vs[0]); err == nil && n > 0 {
						perPage = n
					}
				}
			}
		}
	}
	for _, m := range jsParamRe.FindAllStringSubmatch(text, -1) {
		k := strings.ToLower(m[1])
		if k == "perpage" {
			if n, err := strconv.Atoi(m[2]); err == nil && n > 0 {
				perPage = n
			}
			continue
		}
		canon := hanwebKeys[k]
		if m[2] != "" && form.Get(canon) == "" {
			form.Set(canon, m[2])
		}
	}
	if form.Get("columnid") == "" {
		return "", nil, 0, false
	}
	ref, err := url.Parse(proxyPath)
	if err != nil {
		return "", nil, 0, false
	}
	u := page.ResolveReference(ref)
	u.RawQuery, u.Fragment = "", ""
	return u.String(), form, perPage, true
}

// hanwebPage returns the dataproxy URL for records [start, start+3*perPage-1]
// (Hanweb fetches three pages per request).
func hanwebPage(proxy string, start, perPage int) string {
	return fmt.Sprintf("%s?startrecord=%d&endrecord=%d&perpage=%d", proxy, start, start+3*perPage-1, perPage)
}

// isHanwebProxy reports whether u is a Hanweb dataproxy.jsp URL.
func isHanwebProxy(u *url.URL) bool { return strings.HasSuffix(u.Path, "dataproxy.jsp") }
