package crawler

import (
	"bytes"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// link is one <a href> of a page.
type link struct {
	// href is the raw attribute value.
	href string
	// text is the anchor text with whitespace collapsed.
	text string
	// title is the title attribute (often the untruncated link text).
	title string
	// date is a date (YYYY-MM-DD) printed next to the link in the same list
	// item or table row, "" if none.
	date string
}

// label returns the longer of the link's text and title: lists often
// truncate the text ("湛江市司法局2023年政府信息公开…") and keep the full
// title in the attribute.
func (l link) label() string {
	if len([]rune(l.title)) > len([]rune(l.text)) {
		return l.title
	}
	return l.text
}

// pageInfo is what link discovery needs from an HTML page.
type pageInfo struct {
	title     string // <title>
	metaTitle string // <meta name="ArticleTitle">
	metaPub   string // <meta name="PubDate">, normalised when possible
	base      string // <base href>
	links     []link
	// scripts are the inline scripts that may carry pagination or list-API
	// parameters (createPageHTML, window._CONFIG, Hanweb datastore/jpage).
	scripts []string
}

// scriptKeywords select the inline scripts worth keeping.
var scriptKeywords = []string{"createPageHTML", "_CONFIG", "datastore", "dataproxy", "jpage", "countPage", "totalRecord", "totalrecord"}

var dateRe = regexp.MustCompile(`((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})`)

// normDate returns the first date in s as YYYY-MM-DD, "" if there is none.
func normDate(s string) string {
	m := dateRe.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	mo, d := m[2], m[3]
	if len(mo) == 1 {
		mo = "0" + mo
	}
	if len(d) == 1 {
		d = "0" + d
	}
	return m[1] + "-" + mo + "-" + d
}

// collapse trims s and collapses runs of white space (including U+3000 and
// &nbsp;) into one space.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0' || r == '\u3000' || r == '\f'
	}), " ")
}

// scanHTML tokenizes a UTF-8 HTML document (or fragment) and collects its
// links, title hints and interesting inline scripts. It never fails: broken
// markup yields what could be read.
func scanHTML(doc []byte) pageInfo {
	var (
		p        pageInfo
		z        = html.NewTokenizer(bytes.NewReader(doc))
		cur      *link // the open <a>, if any
		text     strings.Builder
		inTitle  bool
		inScript bool
		rowStart int // index in p.links of the first link of the current <li>/<tr>
		titleBuf strings.Builder
	)
	closeLink := func() {
		if cur == nil {
			return
		}
		cur.text = collapse(text.String())
		p.links = append(p.links, *cur)
		cur = nil
		text.Reset()
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			closeLink()
			p.title = collapse(titleBuf.String())
			return p
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			attrs := map[string]string{}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				attrs[string(k)] = string(v)
			}
			switch string(name) {
			case "a":
				closeLink()
				if href, ok := attrs["href"]; ok {
					cur = &link{href: strings.TrimSpace(href), title: collapse(attrs["title"])}
				}
				if tt == html.SelfClosingTagToken {
					closeLink()
				}
			case "title":
				inTitle = tt == html.StartTagToken
			case "script":
				inScript = tt == html.StartTagToken
			case "base":
				if p.base == "" {
					p.base = strings.TrimSpace(attrs["href"])
				}
			case "meta":
				switch strings.ToLower(attrs["name"]) {
				case "articletitle":
					p.metaTitle = collapse(attrs["content"])
				case "pubdate", "publishdate", "firstpublishedtime":
					if d := normDate(attrs["content"]); d != "" {
						p.metaPub = d
					}
				}
			case "li", "tr", "dd", "dt":
				closeLink()
				rowStart = len(p.links)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "a":
				closeLink()
			case "title":
				inTitle = false
			case "script":
				inScript = false
			case "li", "tr", "dd", "dt":
				closeLink()
				rowStart = len(p.links)
			}
		case html.TextToken:
			t := z.Text()
			switch {
			case inScript:
				s := string(t)
				for _, k := range scriptKeywords {
					if strings.Contains(s, k) {
						p.scripts = append(p.scripts, s)
						break
					}
				}
			case inTitle:
				titleBuf.Write(t)
			case cur != nil:
				text.Write(t)
			default:
				// A date printed after the links of a list row is their
				// publication date.
				if rowStart < len(p.links) && p.links[len(p.links)-1].date == "" && bytes.ContainsAny(t, "0123456789") {
					if d := normDate(string(t)); d != "" {
						for i := rowStart; i < len(p.links); i++ {
							if p.links[i].date == "" {
								p.links[i].date = d
							}
						}
					}
				}
			}
		}
	}
}
