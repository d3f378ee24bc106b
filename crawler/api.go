package crawler

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// List APIs (issue 14). A list built by a script gets its records from a
// JSON or XML API (a TRS search, a CMS's own list service). The XHR/fetch
// calls a rendered list page makes are captured; an answer that holds
// records (a title and a URL per record) is read like a list page, and the
// API is then enumerated page by page by counting up its page parameter
// (page, pageNo, pageIndex, curPage… in the query, a form body or a JSON
// body), without clicking through the pager, until a page brings no new
// link or the announced total is reached. gkmlpt and Hanweb APIs keep their
// own readers.

// followAPIs reads the API calls a rendered list page made.
func (r *run) followAPIs(it Item, page *url.URL, calls []apiCall) {
	for _, c := range calls {
		if c.resp == nil || c.resp.status < 200 || c.resp.status > 299 {
			continue
		}
		ct := c.resp.contentType()
		if !isAPIBody(ct, c.resp.body) {
			continue
		}
		u, err := url.Parse(c.url)
		if err != nil {
			continue
		}
		api := Item{URL: c.url, Kind: KindList, Parent: page.String(), Run: r.start}
		if c.method != "" && c.method != "GET" {
			api.Method, api.Form = c.method, string(c.body)
		}
		r.mu.Lock()
		dup := r.seen[api.Key()]
		r.seen[api.Key()] = true
		if !dup {
			r.stats.Lists++
		}
		r.mu.Unlock()
		if dup {
			continue
		}
		text := decodeWith(c.resp.body, detectCharset(c.resp.body, ct))
		switch {
		case isGkmlptAPI(u):
			r.followGkmlpt(api, u, text)
		case isHanwebProxy(u):
			r.followHanweb(api, u, text)
		default:
			r.followAPI(api, u, ct, text, true)
		}
	}
}

// isAPIBody reports whether a response is JSON (or JSONP) or XML data
// rather than a page.
func isAPIBody(ctype string, body []byte) bool {
	ct := strings.ToLower(ctype)
	if strings.Contains(ct, "html") {
		return false
	}
	if strings.Contains(ct, "json") || strings.Contains(ct, "xml") {
		return true
	}
	s := bytes.TrimLeft(body[:min(len(body), 256)], " \t\r\n\ufeff")
	return bytes.HasPrefix(s, []byte("{")) || bytes.HasPrefix(s, []byte("[")) || bytes.HasPrefix(s, []byte("<?xml"))
}

// followAPI reads one page of a list API: its records are queued like the
// links of a list page (relative URLs resolve against the page that called
// the API), and the next page is queued while pages bring new links. The
// call a rendered page made (captured) usually repeats what the page
// shows already: it leads to its next page whenever it holds records.
func (r *run) followAPI(it Item, final *url.URL, ctype string, text []byte, captured bool) {
	data := apiLinks(ctype, text)
	base := final
	if it.Parent != "" {
		if u, err := url.Parse(it.Parent); err == nil && u.Host != "" {
			base = u
		}
	}
	items, _, fresh := r.listLinks(it, base, data.links, "")
	r.add(items)
	if captured && len(data.links) > 0 {
		// The call the page made shows what the page shows: its records
		// are not new, and still lead to the next page.
		fresh = max(fresh, 1)
	}
	// The next page goes through the budget like any pagination (depth,
	// novelty: an API that answers every page number with the same
	// records stops after Budget.StalePages pages).
	var pages []Item
	if next, cur, key, ok := nextAPIPage(it); ok && len(data.links) > 0 && cur < maxStaticPages &&
		(data.pages == 0 || cur < data.pages) && (data.total == 0 || r.countListed(key, data.records) < data.total) {
		pages = append(pages, next)
	}
	r.paginate(it, pages, fresh, items)
}

// apiData is what a list API response holds for the crawler.
type apiData struct {
	links   []link
	records int // records that gave links (a record's attachments are part of it)
	total   int // records announced (0 when unknown)
	pages   int // pages announced (0 when unknown)
}

var jsonpRe = regexp.MustCompile(`(?s)^\s*[\w$.]+\s*\(\s*(.*?)\s*\)\s*;?\s*$`)

// apiLinks reads the records of a JSON (or JSONP) or XML list: every object
// (element) with a URL-like field and a title-like field is a link; HTML
// fragments in string values are scanned for <a href>.
func apiLinks(ctype string, text []byte) apiData {
	var d apiData
	s := bytes.TrimLeft(text, " \t\r\n\ufeff")
	var v any
	if len(s) > 0 && s[0] == '<' {
		v = xmlTree(s)
	} else {
		if !bytes.HasPrefix(s, []byte("{")) && !bytes.HasPrefix(s, []byte("[")) {
			if m := jsonpRe.FindSubmatch(s); m != nil {
				s = m[1]
			}
		}
		dec := json.NewDecoder(bytes.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return d
		}
	}
	d.walk(v)
	return d
}

// Field names of list records, lower-case.
var (
	urlKeys   = map[string]bool{"url": true, "href": true, "link": true, "docpuburl": true, "puburl": true, "pub_url": true, "docurl": true, "doc_url": true, "detailurl": true, "detail_url": true, "posturl": true, "post_url": true, "linkurl": true, "link_url": true, "pageurl": true, "weburl": true, "chnldocurl": true, "wzlj": true, "fileurl": true, "file_url": true, "path": true}
	titleKeys = map[string]bool{"title": true, "doctitle": true, "doc_title": true, "maintitle": true, "showtitle": true, "name": true, "subject": true, "bt": true, "wjbt": true, "filename": true, "file_name": true, "docname": true}
	totalKeys = map[string]bool{"total": true, "totalcount": true, "total_count": true, "recordcount": true, "totalrecord": true, "totalrecords": true, "totalelements": true, "totalnum": true, "totalsize": true, "rowcount": true, "count": true}
	pagesKeys = map[string]bool{"totalpage": true, "totalpages": true, "pagecount": true, "pagetotal": true, "pages": true, "total_page": true}
	// notPageURL marks URL fields of pictures and other media.
	notPageURL = regexp.MustCompile(`img|pic|photo|thumb|icon|video|logo|cover|image`)
)

// walk collects the records of a decoded JSON value or XML tree.
func (d *apiData) walk(v any) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			d.walk(e)
		}
	case string:
		// An HTML fragment as a record (Hanweb <record><![CDATA[…]]>).
		if strings.Contains(x, "<a ") || strings.Contains(x, "<A ") {
			d.links = append(d.links, scanHTML([]byte(x)).links...)
			d.records++
		}
	case map[string]any:
		var l link
		urlRank, records := 0, d.records
		for k, val := range x {
			lk := strings.ToLower(k)
			switch val := val.(type) {
			case string:
				val = strings.TrimSpace(val)
				switch {
				case looksLikeURL(val) && (urlKeys[lk] || (strings.HasSuffix(lk, "url") && !notPageURL.MatchString(lk))):
					rank := 1
					if urlKeys[lk] {
						rank = 2
					}
					if rank > urlRank {
						l.href, urlRank = val, rank
					}
				case titleKeys[lk] || (strings.HasSuffix(lk, "title") && !strings.HasPrefix(lk, "sub")):
					if t := collapse(stripTags([]byte(val))); len(t) > len(l.text) {
						l.text = t
					}
				case strings.Contains(lk, "time") || strings.Contains(lk, "date") || lk == "fbrq":
					if dt := normDate(val); dt != "" {
						l.date = dt
					}
				case strings.Contains(val, "<a ") || strings.Contains(val, "<A "):
					d.links = append(d.links, scanHTML([]byte(val)).links...)
					d.records++
				case totalKeys[lk] || pagesKeys[lk]:
					d.count(lk, val)
				}
			case json.Number:
				switch {
				case totalKeys[lk] || pagesKeys[lk]:
					d.count(lk, val.String())
				case strings.Contains(lk, "time") || strings.Contains(lk, "date"):
					if dt := rawDate(json.RawMessage(val.String())); dt != "" {
						l.date = dt
					}
				}
			default:
				d.walk(val)
			}
		}
		if l.href != "" && l.text != "" {
			d.links = append(d.links, l)
			d.records = records + 1
		}
	}
}

// count records a total or page count field.
func (d *apiData) count(key, val string) {
	n, err := strconv.Atoi(strings.TrimSpace(val))
	if err != nil || n <= 0 {
		return
	}
	if pagesKeys[key] {
		d.pages = max(d.pages, n)
	} else {
		d.total = max(d.total, n)
	}
}

// pageExts are the file types a record URL may name.
var pageExts = map[string]bool{".html": true, ".htm": true, ".shtml": true, ".jsp": true, ".php": true, ".asp": true, ".aspx": true, ".do": true}

// looksLikeURL reports whether a string value is a URL or a path to a page
// or file.
func looksLikeURL(s string) bool {
	if s == "" || strings.ContainsAny(s, " \n\t<>") {
		return false
	}
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "/") ||
		strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") {
		return true
	}
	ext := strings.ToLower(path.Ext(strings.SplitN(s, "?", 2)[0]))
	return pageExts[ext] || attachmentExts[ext]
}

// xmlTree decodes an XML document into nested maps: an element with child
// elements is a map from child name to value (a []any when repeated), a
// leaf is its text (CDATA included). Malformed XML yields what was read.
func xmlTree(b []byte) any {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = false
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // already UTF-8
	type frame struct {
		name     string
		children map[string]any
		text     strings.Builder
	}
	root := &frame{children: map[string]any{}}
	stack := []*frame{root}
	add := func(parent *frame, name string, v any) {
		if old, ok := parent.children[name]; ok {
			if list, ok := old.([]any); ok {
				parent.children[name] = append(list, v)
			} else {
				parent.children[name] = []any{old, v}
			}
			return
		}
		parent.children[name] = v
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, &frame{name: t.Name.Local, children: map[string]any{}})
		case xml.CharData:
			stack[len(stack)-1].text.Write(t)
		case xml.EndElement:
			if len(stack) < 2 {
				continue
			}
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			var v any = f.text.String()
			if len(f.children) > 0 {
				v = f.children
			}
			add(stack[len(stack)-1], f.name, v)
		}
	}
	return root.children
}

// pageKeyRe matches the name of a page-number parameter.
var pageKeyRe = regexp.MustCompile(`(?i)^(?:page|pageno|page_no|pagenum|pagenumber|pageindex|page_index|currpage|curpage|cur_page|currentpage|pn|p)$`)

// jsonPageRe finds a page number in a JSON request body.
var jsonPageRe = regexp.MustCompile(`(?i)"(page|pageNo|page_no|pageNum|pageNumber|pageIndex|page_index|currPage|curPage|currentPage|pn)"\s*:\s*"?(\d+)"?`)

// nextAPIPage returns the item of the next page of a list API request (the
// page parameter of its query, form or JSON body counted up), the current
// page number, and a key for the list without its page; ok is false when
// the request has no page parameter.
func nextAPIPage(it Item) (next Item, cur int, key string, ok bool) {
	u, err := url.Parse(it.URL)
	if err != nil {
		return Item{}, 0, "", false
	}
	bump := func(q url.Values) (url.Values, int, bool) {
		for k, vs := range q {
			if len(vs) != 1 || !pageKeyRe.MatchString(k) {
				continue
			}
			n, err := strconv.Atoi(vs[0])
			if err != nil || n < 0 {
				continue
			}
			nq := url.Values{}
			for k2, v2 := range q {
				nq[k2] = v2
			}
			nq.Set(k, strconv.Itoa(n+1))
			q.Set(k, "*")
			return nq, n, true
		}
		return nil, 0, false
	}
	next = it
	next.Attempts, next.Failure = 0, ""
	form := strings.TrimSpace(it.Form)
	switch {
	case strings.HasPrefix(form, "{"):
		m := jsonPageRe.FindStringSubmatchIndex(form)
		if m == nil {
			break
		}
		n, _ := strconv.Atoi(form[m[4]:m[5]])
		next.Form = form[:m[4]] + strconv.Itoa(n+1) + form[m[5]:]
		return next, n, it.Method + " " + it.URL + "\n" + form[:m[4]] + "*" + form[m[5]:], true
	case form != "":
		q, err := url.ParseQuery(form)
		if err != nil {
			break
		}
		if nq, n, ok := bump(q); ok {
			next.Form = nq.Encode()
			return next, n, it.Method + " " + it.URL + "\n" + q.Encode(), true
		}
	}
	q := u.Query()
	if nq, n, ok := bump(q); ok {
		nu := *u
		nu.RawQuery = nq.Encode()
		next.URL = nu.String()
		ku := *u
		ku.RawQuery = q.Encode()
		return next, n, it.Method + " " + ku.String() + "\n" + it.Form, true
	}
	return Item{}, 0, "", false
}
