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
	// block numbers the innermost container (div, ul, table…) the link
	// is in, so that links of one menu or tab bar can be told apart from
	// the page's other links; 0 outside any container. Set by scanHTML
	// only.
	block int
	// frame is set for the src of an <iframe> or <frame>: the document
	// it loads is part of the page.
	frame bool
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
	// crumb is the text of the page's breadcrumb (当前位置：首页 > 政务公开 >
	// 信息公开年报), "" if none was recognised. Set by scanHTML only.
	crumb string
}

// scriptKeywords select the inline scripts worth keeping.
var scriptKeywords = []string{"createPageHTML", "_CONFIG", "datastore", "dataproxy", "jpage", "countPage", "totalRecord", "totalrecord", "document.write"}

var (
	// containerTags are the elements that group links into a block (a
	// menu, a tab bar, a list); li, td and inline elements are not.
	containerTags = map[string]bool{"div": true, "ul": true, "ol": true, "dl": true, "nav": true, "table": true,
		"p": true, "section": true, "header": true, "aside": true, "form": true}
	// crumbAttrRe matches the class or id of a breadcrumb container.
	crumbAttrRe = regexp.MustCompile(`(?i)crumb|position|location|weizhi|dqwz|mbx|curpos|current-?path|lujing`)
	// crumbTextRe matches the label that starts a breadcrumb.
	crumbTextRe = regexp.MustCompile(`(?:当前|您的|所在|现在的?)位置`)
)

// block is an open container element during scanHTML.
type block struct {
	tag   string
	id    int
	crumb bool // the container is (inside) a breadcrumb
}

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
		blocks   []block // open containers, innermost last
		nblocks  int     // containers seen
		crumb    strings.Builder
	)
	top := func() block {
		if len(blocks) == 0 {
			return block{}
		}
		return blocks[len(blocks)-1]
	}
	closeLink := func() {
		if cur == nil {
			return
		}
		cur.text = collapse(text.String())
		if b := top(); b.crumb && b.id == cur.block {
			crumb.WriteString(cur.text + " ")
		}
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
			p.crumb = collapse(crumb.String())
			return p
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			// Attributes are read only for the few tags that need them:
			// TagAttr allocates, and report pages have thousands of tags.
			attr := func(want ...string) []string {
				vals := make([]string, len(want))
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					for i, w := range want {
						if string(k) == w {
							vals[i] = string(v)
						}
					}
				}
				return vals
			}
			switch string(name) {
			case "a":
				closeLink()
				if v := attr("href", "title"); v[0] != "" {
					cur = &link{href: strings.TrimSpace(v[0]), title: collapse(v[1]), block: top().id}
				}
				if tt == html.SelfClosingTagToken {
					closeLink()
				}
			case "iframe", "frame":
				if v := attr("src", "title"); strings.TrimSpace(v[0]) != "" {
					p.links = append(p.links, link{href: strings.TrimSpace(v[0]), title: collapse(v[1]), block: top().id, frame: true})
				}
			case "title":
				inTitle = tt == html.StartTagToken
			case "script":
				inScript = tt == html.StartTagToken
			case "base":
				if v := attr("href"); p.base == "" {
					p.base = strings.TrimSpace(v[0])
				}
			case "meta":
				v := attr("name", "content")
				switch strings.ToLower(v[0]) {
				case "articletitle":
					p.metaTitle = collapse(v[1])
				case "pubdate", "publishdate", "firstpublishedtime":
					if d := normDate(v[1]); d != "" {
						p.metaPub = d
					}
				}
			case "li", "tr", "dd", "dt":
				closeLink()
				rowStart = len(p.links)
			default:
				if tt == html.StartTagToken && containerTags[string(name)] {
					tag := string(name)
					v := attr("class", "id")
					nblocks++
					blocks = append(blocks, block{tag: tag, id: nblocks,
						crumb: top().crumb || (v[0]+v[1] != "" && crumbAttrRe.MatchString(v[0]+" "+v[1]))})
				}
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
			default:
				if containerTags[string(name)] {
					// Close up to the matching container; an unmatched
					// end tag is ignored.
					for i := len(blocks) - 1; i >= 0; i-- {
						if blocks[i].tag == string(name) {
							closeLink()
							blocks = blocks[:i]
							break
						}
					}
				}
			}
		case html.TextToken:
			switch {
			case inScript:
				raw := z.Raw() // script text is not unescaped anyway
				for _, k := range scriptKeywords {
					if bytes.Contains(raw, []byte(k)) {
						p.scripts = append(p.scripts, string(raw))
						break
					}
				}
			case inTitle:
				titleBuf.Write(z.Text())
			case cur != nil:
				text.Write(z.Text())
			default:
				if len(blocks) > 0 {
					raw := z.Raw()
					if b := &blocks[len(blocks)-1]; b.crumb {
						crumb.Write(z.Text())
						crumb.WriteByte(' ')
					} else if bytes.Contains(raw, []byte("位置")) && crumbTextRe.Match(raw) {
						b.crumb = true
						crumb.Write(z.Text())
						crumb.WriteByte(' ')
					}
				}
				// A date printed after the links of a list row is their
				// publication date.
				if rowStart < len(p.links) && p.links[len(p.links)-1].date == "" {
					raw := z.Raw()
					if bytes.IndexAny(raw, "0123456789") < 0 {
						break
					}
					if d := normDate(string(raw)); d != "" {
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
