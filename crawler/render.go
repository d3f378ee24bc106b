package crawler

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/gocolly/colly/v2"
)

// Rendering in a run (issue 14). A page is fetched plainly first, always:
// robots.txt, politeness and conditional requests apply as to any page. It
// is then rendered in the browser when
//   - the site says Render (every HTML page of the site), or
//   - the response is a script challenge (瑞数 $_ts, 加速乐, 网站卫士, a
//     JS-only redirect…) on a host whose challenge the browser has not
//     failed in this run: the browser runs the challenge's script, and the
//     cookies it earns are handed to the plain client, which then fetches
//     the host's other pages itself while the cookies last, or
//   - a list page is a script template: a TRS 动静结合 list (list2.trsapi,
//     maxStaticIndex, classsql) or a template (avalon ms-repeat, Vue v-for)
//     that shows no report link by itself.
// The plain response is served to the browser's first request for the
// page, so rendering costs no second fetch of it. The rendered DOM goes
// through the same discovery and to the same Sink as a plain body, with
// Document.Rendered set and the served bytes in Document.Raw.

// Keys and markers of browser subrequests on the run's colly collector.
const (
	// ctxBrowser is the colly context key of a subrequest's *subWait.
	ctxBrowser = "nianbao.browser"
	// browserMarker marks a browser subrequest between the collector's
	// redirect handler and the transport, which removes it before sending:
	// a redirect is handed back to the browser instead of being followed.
	browserMarker = "X-Nianbao-Browser"
)

// subWait receives the outcome of one browser subrequest.
type subWait struct{ done chan subResult }

type subResult struct {
	resp *subResponse
	err  error
}

var (
	// templateRe marks markup that a script turns into a list.
	templateRe = regexp.MustCompile(`\b(?:ms-repeat|ms-for|v-for|x-for|ng-repeat)(?:-[\w-]+)?\s*=`)
	// trsDynamicRe marks a TRS 动静结合 list: the first pages are static,
	// the rest come from a search API.
	trsDynamicRe = regexp.MustCompile(`maxStaticIndex|list2\.trsapi|\bclasssql\b`)
)

// renderableBlocks are the block kinds a browser can pass: a script sets a
// cookie or moves on. A captcha or a plain 403 needs a person.
var renderableBlocks = map[string]bool{"ruishu": true, "jiasule": true, "wzws": true, "just-a-moment": true,
	"js-only": true, "http 412": true, "http 503": true}

// runBrowser is a run's use of the Crawler's browser.
type runBrowser struct {
	b *browser

	mu sync.Mutex // protects the fields below
	// session is opened on the first render and closed with the run.
	session *browserSession
	// off is set when the browser could not start or open a session.
	off bool
	// failed holds the hosts (with port) whose challenge the browser did
	// not pass in this run: they are not tried again.
	failed map[string]bool
}

// newRunBrowser returns the run's browser share, nil without a browser.
func (c *Crawler) newRunBrowser() *runBrowser {
	if c.browser == nil {
		return nil
	}
	return &runBrowser{b: c.browser, failed: map[string]bool{}}
}

// open returns the run's session, opening it on first use; nil when the
// browser is unavailable.
func (rb *runBrowser) open() *browserSession {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if rb.session == nil && !rb.off {
		s, err := rb.b.newSession()
		if err != nil {
			rb.off = true
			rb.b.log.Warn("browser unavailable for this run", "err", err)
			return nil
		}
		rb.session = s
	}
	return rb.session
}

// close closes the run's session. It is safe on a nil runBrowser.
func (rb *runBrowser) close() {
	if rb == nil {
		return
	}
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if rb.session != nil {
		rb.session.close()
		rb.session = nil
	}
}

// lost turns rendering off for the rest of the run.
func (rb *runBrowser) lost() {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	rb.off = true
}

func (rb *runBrowser) gaveUp(host string) bool {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return rb.off || rb.failed[host]
}

func (rb *runBrowser) giveUp(host string) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	rb.failed[host] = true
}

// renderWhy says why a response should be rendered: "challenge" (kind is
// then the block kind), "site", "template", or "" when it should not (or
// cannot) be.
func (r *run) renderWhy(it Item, status int, hdr http.Header, ctype string, text []byte, final *url.URL) (why, kind string) {
	if r.br == nil {
		return "", ""
	}
	if kind := blockKind(status, hdr, text); kind != "" {
		if !renderableBlocks[kind] || r.br.gaveUp(final.Host) {
			return "", ""
		}
		return "challenge", kind
	}
	return r.renderWhyPage(it, status, ctype, text, final), ""
}

// renderWhyPage is renderWhy for a response that is no challenge.
func (r *run) renderWhyPage(it Item, status int, ctype string, text []byte, final *url.URL) string {
	if status < 200 || status > 299 || text == nil || it.Kind == KindAttachment || r.br.gaveUp("") {
		return ""
	}
	if !strings.Contains(strings.ToLower(ctype), "html") && !looksHTML(text) {
		return ""
	}
	if r.site.Render {
		return "site"
	}
	if it.Kind == KindList && r.scriptList(final, text) {
		return "template"
	}
	return ""
}

// scriptList reports whether a list page is built by a script: a TRS
// 动静结合 configuration, or template markup that shows no report link.
// gkmlpt and Hanweb lists are read from their APIs without a browser.
func (r *run) scriptList(page *url.URL, text []byte) bool {
	if bytes.Contains(text, []byte("_CONFIG")) || bytes.Contains(text, []byte("dataproxy.jsp")) || bytes.Contains(text, []byte("<datastore")) {
		return false
	}
	if trsDynamicRe.Match(text) {
		return true
	}
	if !templateRe.Match(text) {
		return false
	}
	for _, l := range scanHTML(text).links {
		if u, ok := resolve(page, l.href); ok && r.match.isReport(l, u.String()) {
			return false
		}
	}
	return true
}

// renderOutcome is a rendered response, ready for the plain path.
type renderOutcome struct {
	status   int
	hdr      http.Header
	body     []byte // the DOM when rendered, else the served body
	ctype    string
	final    *url.URL
	rendered bool   // body is the rendered DOM
	raw      []byte // the served body of the page, when rendered
	rawCT    string
	apis     []apiCall
	// block is the block kind of the result ("" when it is content): a
	// challenge the browser did not pass.
	block string
}

// render renders the page of a plain response (final, status, hdr, body)
// in the browser; kind is the block kind that made it a challenge. ok is
// false when it could not be rendered: the plain response is then handled
// as without a browser.
func (r *run) render(it Item, final *url.URL, status int, hdr http.Header, body []byte, why, kind string) (out *renderOutcome, ok bool) {
	s := r.br.open()
	if s == nil {
		return nil, false
	}
	first := &subResponse{status: status, header: hdr, body: body, url: final.String()}
	res, err := s.render(r.ctx, renderRequest{
		url: final.String(), first: first, fetch: r.subFetch, timeout: r.opts.RenderTimeout,
		allowed:    func(u *url.URL) bool { return r.allowedHost(u.Hostname()) },
		setCookies: func(u *url.URL, cs []*http.Cookie) { _ = r.col.SetCookies(u.String(), cs) },
	})
	if err != nil {
		if r.ctx.Err() == nil {
			r.log.Warn("render failed", "url", it.URL, "why", why, "err", err)
			if why == "challenge" {
				r.br.giveUp(final.Host)
			}
			if s.ctx.Err() != nil {
				r.br.lost() // the browser is gone (crashed, killed)
			}
		}
		return nil, false
	}
	out = &renderOutcome{status: res.main.status, hdr: res.main.header, final: final, apis: res.apis}
	if u, err := url.Parse(res.url); err == nil && u.Host != "" {
		out.final = u
	}
	if res.dom != nil {
		out.body, out.ctype, out.rendered = res.dom, "text/html; charset=utf-8", true
		out.raw, out.rawCT = res.main.body, res.main.contentType()
	} else {
		out.body, out.ctype = res.main.body, res.main.contentType()
	}
	if out.rendered {
		// A rendered page is what its scripts made of it: only the marks
		// of a challenge count, not how little text it shows.
		if out.block = blockKind(out.status, nil, out.body); out.block == "js-only" {
			out.block = ""
		}
	} else if isChallengeResponse(res.main) {
		out.block = blockKind(res.main.status, res.main.header, decodeWith(res.main.body, detectCharset(res.main.body, out.ctype)))
	}
	passed := false
	if why == "challenge" {
		if out.block != "" {
			r.br.giveUp(final.Host)
		} else if kind != "js-only" {
			// A JS-only page is a page built by a script, no challenge.
			passed = true
		}
	}
	r.mu.Lock()
	r.stats.Rendered++
	if passed {
		r.stats.Challenges++
	}
	r.mu.Unlock()
	r.log.Debug("rendered", "url", it.URL, "why", why, "final", out.final.String(), "status", out.status,
		"apis", len(res.apis), "refused", res.refused, "timed_out", res.timedOut, "challenge_passed", passed)
	return out, true
}

// subFetch fetches a request of a page in the browser through the run's
// collector, exactly as a plain fetch: robots.txt (ErrRobotsDisallowed),
// the host's delay and parallelism, the User-Agent, the cookie jar,
// retries and the body cap.
func (r *run) subFetch(ctx context.Context, sr subRequest) (*subResponse, error) {
	w := &subWait{done: make(chan subResult, 1)}
	cctx := colly.NewContext()
	cctx.Put(ctxBrowser, w)
	hdr := sr.header.Clone()
	hdr.Set("User-Agent", r.opts.UserAgent)
	hdr.Set(browserMarker, "1")
	var body io.Reader
	if len(sr.body) > 0 {
		body = bytes.NewReader(sr.body)
	}
	// robots.txt is the crawler's own check (robots.go, RFC 9309), as in
	// dispatch: the collector no longer checks it.
	if r.robots != nil {
		u, err := url.Parse(sr.url)
		if err != nil {
			return nil, fmt.Errorf("browser request %s: %w", sr.url, err)
		}
		if err := r.robots.check(ctx, u); err != nil {
			r.log.Debug("browser request refused by robots.txt", "url", sr.url, "err", err)
			return nil, err
		}
	}
	if err := r.col.Request(sr.method, sr.url, body, cctx, hdr); err != nil {
		return nil, err
	}
	select {
	case res := <-w.done:
		return res.resp, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// subResponseDone hands a collector response to the browser subrequest
// waiting for it; it reports false for the crawl's own requests.
func (r *run) subResponseDone(resp *colly.Response) bool {
	w, ok := resp.Ctx.GetAny(ctxBrowser).(*subWait)
	if !ok {
		return false
	}
	// The transport read the body (body.go); colly's is empty.
	body := resp.Body
	fb := r.takeBody(*resp.Headers)
	if fb != nil {
		// A subrequest's body goes to the browser, not to the sink: the
		// large-body token, if the read took it, is not kept.
		r.giveBody(fb)
		body = fb.body
	}
	r.mu.Lock()
	r.stats.Bytes += int64(len(body))
	r.mu.Unlock()
	if (fb != nil && fb.tooLong) || (r.maxBody > 0 && int64(len(body)) > r.maxBody) {
		w.done <- subResult{err: fmt.Errorf("%w: body exceeds the %d-byte limit", ErrTruncated, r.maxBody)}
		return true
	}
	hdr := resp.Headers.Clone()
	hdr.Del(bodyHeader)
	w.done <- subResult{resp: &subResponse{status: resp.StatusCode, header: hdr, body: body,
		url: resp.Request.URL.String()}}
	return true
}

// subRequestFailed hands a collector error to the browser subrequest
// waiting for it; it reports false for the crawl's own requests.
func (r *run) subRequestFailed(cctx *colly.Context, err error) bool {
	w, ok := cctx.GetAny(ctxBrowser).(*subWait)
	if !ok {
		return false
	}
	w.done <- subResult{err: err}
	return true
}
