package crawler

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// discover finds the links worth following in a text response and queues
// them; it also fills doc's title and date hints. For a report page it
// returns the attachment URLs it links.
func (r *run) discover(it Item, final *url.URL, text []byte, doc *Document) (attachments []string) {
	switch {
	case isGkmlptAPI(final):
		r.followGkmlpt(it, final, text)
	case isHanwebProxy(final):
		r.followHanweb(it, final, text)
	case isAPIBody(doc.ContentType, text):
		r.followAPI(it, final, doc.ContentType, text, false) // api.go
	default:
		return r.followHTML(it, final, text, doc)
	}
	return nil
}

// listLinks classifies the links of a list page (or of list records) into
// items to queue and pagination pages, and counts the links not seen on an
// earlier list page of this run.
func (r *run) listLinks(it Item, base *url.URL, links []link, charset string) (items, pages []Item, fresh int) {
	for _, l := range links {
		u, ok := resolveIn(base, l.href, charset)
		if !ok {
			continue
		}
		abs := u.String()
		allowed := r.allowedHost(u.Hostname())
		if l.frame {
			// A list shown in an <iframe> is a list page of its own.
			if allowed && !isAttachment(u) && !excludeRe.MatchString(l.label()) {
				items = append(items, Item{URL: abs, Kind: KindList, Parent: it.URL, LinkText: l.label()})
			}
			continue
		}
		if allowed && r.match.isReport(l, abs) {
			kind := KindReport
			if isAttachmentLink(l, u) {
				kind = KindAttachment
			}
			items = append(items, Item{URL: abs, Kind: kind, Parent: it.URL, LinkText: l.label(), Published: l.date})
		} else if allowed && isPagination(l, u, base) {
			pages = append(pages, Item{URL: abs, Kind: KindList, Parent: it.URL, LinkText: l.label()})
			continue
		} else if allowed && r.match.isColumn(l, abs) {
			items = append(items, Item{URL: abs, Kind: KindList, Parent: it.URL, LinkText: l.label()})
		}
		if r.markListed(abs) {
			fresh++
		}
	}
	return items, pages, fresh
}

// markListed records a URL linked from a list page; it reports whether the
// URL is new in this run.
func (r *run) markListed(abs string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.listSeen[abs] {
		return false
	}
	r.listSeen[abs] = true
	return true
}

// countListed adds n distinct records to a list API's count and returns the
// total.
func (r *run) countListed(list string, n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listCount[list] += n
	return r.listCount[list]
}

// followHTML handles an HTML list or report page; for a report page it
// returns the attachment URLs.
func (r *run) followHTML(it Item, final *url.URL, text []byte, doc *Document) (attachments []string) {
	var p pageInfo
	if it.Kind == KindReport {
		p = scanReport(text) // large pages; links and hints only
	} else {
		p = scanHTML(text)
		p.links = append(p.links, docWriteLinks(p.scripts)...)
	}
	doc.Title = p.metaTitle
	if doc.Title == "" {
		doc.Title = p.title
	}
	if doc.Published == "" {
		doc.Published = p.metaPub
	}
	base := final
	if p.base != "" {
		if b, err := final.Parse(p.base); err == nil {
			base = b
		}
	}
	if it.Kind == KindReport {
		var items []Item
		for _, l := range p.links {
			u, ok := resolveIn(base, l.href, doc.Charset)
			if !ok || !r.allowedHost(u.Hostname()) {
				continue
			}
			abs := u.String()
			lab := l.label()
			switch {
			case isAttachmentLink(l, u) && !excludeRe.MatchString(lab):
				items = append(items, Item{URL: abs, Kind: KindAttachment, Parent: it.URL, LinkText: lab, Published: doc.Published})
				attachments = append(attachments, abs)
			case r.match.isReport(l, abs):
				items = append(items, Item{URL: abs, Kind: KindReport, Parent: it.URL, LinkText: lab, Published: l.date})
			}
		}
		r.add(items)
		return attachments
	}

	items, pages, fresh := r.listLinks(it, base, p.links, doc.Charset)
	items = append(items, r.subColumns(it, base, p, doc.Charset)...)
	scripts := strings.Join(p.scripts, "\n")
	for _, next := range nextStaticPages(p.scripts) {
		if u, ok := resolve(base, next); ok {
			pages = append(pages, Item{URL: u.String(), Kind: KindList, Parent: it.URL})
		}
	}
	// Guangdong gkmlpt index: the list comes from the JSON API.
	if orig, err := url.Parse(it.URL); err == nil {
		if api, ok := gkmlptAPI(final, orig.Fragment, text); ok {
			items = append(items, Item{URL: api, Kind: KindList, Parent: it.URL})
		}
	}
	// Hanweb column: the first records are inline (in a <script
	// type="text/xml"> datastore, or in the markup on some versions), the
	// rest come from dataproxy.jsp.
	if strings.Contains(scripts, "datastore") || strings.Contains(scripts, "dataproxy.jsp") || bytes.Contains(text, []byte("<datastore")) {
		full := string(text)
		recs, total := hanwebRecords(full)
		for _, rec := range recs {
			ri, _, rf := r.listLinks(it, base, scanHTML([]byte(rec)).links, doc.Charset)
			items = append(items, ri...)
			fresh += rf
		}
		if proxy, form, per, ok := hanwebProxy(final, full); ok && (total < 0 || total > len(recs)) {
			items = append(items, Item{URL: hanwebPage(proxy, 1, per), Method: "POST", Form: form.Encode(), Kind: KindList, Parent: it.URL})
		}
	}
	r.add(items)
	// Stop paginating when a page yields nothing new (repeated pages, a
	// server that answers every page number with the last page), and
	// within the budget.
	r.paginate(it, pages, fresh, items)
	return nil
}

// followGkmlpt handles a gkmlpt list API response (JSON).
func (r *run) followGkmlpt(it Item, final *url.URL, text []byte) {
	var l gkmlptList
	if err := json.Unmarshal(text, &l); err != nil {
		r.log.Warn("gkmlpt list is not JSON", "url", it.URL, "err", err)
		return
	}
	var items []Item
	fresh := 0
	for _, a := range l.Articles {
		ref := a.URL
		if ref == "" {
			ref = a.PostURL
		}
		u, ok := resolve(final, ref)
		if !ok {
			continue
		}
		abs := u.String()
		if r.markListed(abs) {
			fresh++
		}
		title := jsUnescape(a.Title)
		lk := link{text: title}
		if !r.allowedHost(u.Hostname()) || !r.match.isReport(lk, abs) {
			continue
		}
		kind := KindReport
		if isAttachment(u) {
			kind = KindAttachment
		}
		pub := rawDate(a.DisplayPublishTime)
		items = append(items, Item{URL: abs, Kind: kind, Parent: it.URL, LinkText: title, Published: pub})
		for _, att := range a.Attachment {
			au, ok := resolve(u, att.URL)
			if !ok || !r.allowedHost(au.Hostname()) {
				continue
			}
			items = append(items, Item{URL: au.String(), Kind: KindAttachment, Parent: abs, LinkText: jsUnescape(att.Name), Published: pub})
		}
	}
	r.add(items)
	q := final.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	q.Del("page")
	listKey := final.Scheme + "://" + final.Host + final.Path + "?" + q.Encode()
	seen := r.countListed(listKey, fresh)
	total := int(rawInt(l.Classify.PostCount))
	if len(l.Articles) == 0 || fresh == 0 || (total > 0 && seen >= total) {
		r.novel(items)
		return
	}
	next := *final
	q.Set("page", strconv.Itoa(page+1))
	next.RawQuery = q.Encode()
	r.paginate(it, []Item{{URL: next.String(), Kind: KindList, Parent: it.URL}}, fresh, items)
}

// followHanweb handles a Hanweb dataproxy.jsp response (XML records).
func (r *run) followHanweb(it Item, final *url.URL, text []byte) {
	recs, total := hanwebRecords(string(text))
	var items []Item
	fresh := 0
	for _, rec := range recs {
		ri, _, rf := r.listLinks(it, final, scanHTML([]byte(rec)).links, "")
		items = append(items, ri...)
		fresh += rf
	}
	r.add(items)
	q := final.Query()
	start, _ := strconv.Atoi(q.Get("startrecord"))
	end, _ := strconv.Atoi(q.Get("endrecord"))
	per, _ := strconv.Atoi(q.Get("perpage"))
	if per <= 0 || end < start || len(recs) == 0 || fresh == 0 ||
		(total >= 0 && end >= total) || (total < 0 && len(recs) < end-start+1) {
		r.novel(items)
		return
	}
	proxy := *final
	proxy.RawQuery = ""
	r.paginate(it, []Item{{URL: hanwebPage(proxy.String(), end+1, per), Method: it.Method, Form: it.Form, Kind: KindList, Parent: it.URL}}, fresh, items)
}
