package crawler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The browser renders pages that need JavaScript (issue 14): headless
// Chromium driven by chromedp, one process per Crawler, started on first use
// and stopped by Crawler.Close. Every request a page makes is intercepted
// (Fetch domain) and either refused (images, fonts, media, stylesheets,
// other hosts) or fetched by the run's own client, through colly: robots.txt,
// the per-host delay and parallelism, the User-Agent, retries and body caps
// apply to it exactly as to a plain fetch, and the browser itself never
// touches the network. chromedp types stay in this file.

// browserStartTimeout bounds the start of Chromium: a broken binary must
// not hang the crawl.
const browserStartTimeout = 45 * time.Second

// browser is the headless Chromium of one Crawler.
type browser struct {
	path string
	ua   string
	log  *slog.Logger
	// tabs holds one token per page being rendered: the tab pool, shared
	// by all Fetch calls of the Crawler.
	tabs chan struct{}

	mu sync.Mutex // protects the fields below
	// ctx is the browser's chromedp context, nil until started. chromedp
	// ties the browser process to a context, so it is kept for the
	// browser's lifetime (start to close), as colly keeps its own.
	ctx    context.Context
	cancel context.CancelFunc
	// err is why the browser could not start; rendering stays off then.
	err error
	pid int
}

func newBrowser(path, ua string, tabs int, log *slog.Logger) *browser {
	return &browser{path: path, ua: ua, log: log, tabs: make(chan struct{}, tabs)}
}

// start starts Chromium once and returns its chromedp context. A failed
// start is remembered: later calls return the same error at once.
func (b *browser) start() (context.Context, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx != nil || b.err != nil {
		return b.ctx, b.err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(b.path),
		chromedp.UserAgent(b.ua),
		chromedp.DisableGPU,
		// The network is Go's: keep Chromium from calling home.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("blink-settings", "imagesEnabled=false"),
		// Memory: no spare renderer waiting for the next site, no page
		// kept alive for a Back, one renderer per site, few in all.
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,SpareRendererForSitePerProcess,BackForwardCache"),
		chromedp.Flag("process-per-site", true),
		chromedp.Flag("renderer-process-limit", strconv.Itoa(cap(b.tabs)+1)),
		// Requests the page makes are intercepted and answered by the
		// crawler; anything the browser would fetch by itself (a favicon,
		// a prefetch) goes to a proxy that does not exist, loopback
		// included, and fails.
		chromedp.ProxyServer("http://nianbao-no-network.invalid:9"),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	cancel := func() { cancelCtx(); cancelAlloc() }
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }() // the first Do starts the process
	var err error
	select {
	case err = <-started:
	case <-time.After(browserStartTimeout):
		cancel()
		<-started // the start gives up once its context is cancelled
		err = fmt.Errorf("no answer after %s", browserStartTimeout)
	}
	if err != nil {
		cancel()
		b.err = fmt.Errorf("crawler: start browser %s: %w", b.path, err)
		b.log.Warn("browser unavailable; pages that need JavaScript are read without it", "err", b.err)
		return nil, b.err
	}
	b.ctx, b.cancel = ctx, cancel
	if c := chromedp.FromContext(ctx); c != nil && c.Browser != nil && c.Browser.Process() != nil {
		b.pid = c.Browser.Process().Pid
	}
	b.log.Debug("browser started", "path", b.path, "pid", b.pid)
	return ctx, nil
}

// processID returns the pid of the running browser, 0 if none.
func (b *browser) processID() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pid
}

// close stops the browser, if it runs, and waits for it to exit.
func (b *browser) close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx == nil {
		return nil
	}
	// A graceful close, then a kill if the browser does not exit in time.
	done := make(chan error, 1)
	go func() { done <- chromedp.Cancel(b.ctx) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		b.cancel()
		err = <-done
	}
	b.cancel()
	b.ctx, b.cancel, b.pid = nil, nil, 0
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("crawler: stop browser: %w", err)
	}
	return nil
}

// browserSession is one Fetch's share of the browser: a BrowserContext of
// its own (an incognito profile), so that the cookies of one site's run
// never reach another's, and the tabs it keeps for its next pages.
type browserSession struct {
	b      *browser
	ctx    context.Context // the session's chromedp context, for its lifetime
	cancel context.CancelFunc

	mu   sync.Mutex // protects idle
	idle []*tab     // open tabs (on about:blank) waiting for a page
}

// newSession starts the browser if needed and opens a session.
func (b *browser) newSession() (*browserSession, error) {
	bctx, err := b.start()
	if err != nil {
		return nil, err
	}
	sctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(sctx); err != nil {
		cancel()
		return nil, fmt.Errorf("crawler: open browser context: %w", err)
	}
	return &browserSession{b: b, ctx: sctx, cancel: cancel}, nil
}

// close closes the session's tabs and disposes of its BrowserContext. No
// render may run during or after close.
func (s *browserSession) close() {
	s.mu.Lock()
	idle := s.idle
	s.idle = nil
	s.mu.Unlock()
	for _, t := range idle {
		t.close()
	}
	s.cancel()
}

// tab is a browser tab of a session, reused from page to page: opening a
// tab costs more than rendering a small page.
type tab struct {
	ctx       context.Context // the tab's chromedp context, for its lifetime
	cancel    context.CancelFunc
	mainFrame cdp.FrameID

	wg sync.WaitGroup // request handlers in flight

	mu     sync.Mutex  // protects the fields below
	cur    *renderPage // the page being rendered; nil between pages
	closed bool        // no handler starts after close
}

// takeTab returns an idle tab of the session or opens one.
func (s *browserSession) takeTab() (*tab, error) {
	s.mu.Lock()
	if n := len(s.idle); n > 0 {
		t := s.idle[n-1]
		s.idle = s.idle[:n-1]
		s.mu.Unlock()
		return t, nil
	}
	s.mu.Unlock()
	tctx, cancel := chromedp.NewContext(s.ctx)
	t := &tab{ctx: tctx, cancel: cancel}
	if err := chromedp.Listen(tctx, t.event); err != nil { // opens the tab
		cancel()
		return nil, fmt.Errorf("open tab: %w", err)
	}
	t.mainFrame = cdp.FrameID(chromedp.FromContext(tctx).Target.TargetID)
	if _, err := chromedp.Call(tctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		t.close()
		return nil, fmt.Errorf("intercept requests: %w", err)
	}
	return t, nil
}

// putTab leaves the page (a blank document stops its scripts and its
// requests) and keeps the tab for the session's next page, or closes it
// when it does not answer or enough tabs wait already.
func (s *browserSession) putTab(t *tab) {
	ctx, cancel := context.WithTimeout(t.ctx, 5*time.Second)
	_, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: "about:blank"})
	cancel()
	if err == nil {
		s.mu.Lock()
		if len(s.idle) < cap(s.b.tabs) {
			s.idle = append(s.idle, t)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
	t.close()
}

// close closes the tab and waits for its handlers.
func (t *tab) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.cancel()
	t.wg.Wait()
}

// event receives the tab's events on chromedp's reader goroutine: it only
// starts a handler.
func (t *tab) event(ev any) {
	e, ok := ev.(*fetch.EventRequestPaused)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.wg.Add(1)
	pg := t.cur
	if pg == nil {
		// A late request of a page that is done.
		go func() {
			defer t.wg.Done()
			_, _ = chromedp.Call(t.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonAborted})
		}()
		return
	}
	pg.mu.Lock()
	pg.inflight++
	pg.last = time.Now()
	pg.mu.Unlock()
	pg.wg.Add(1)
	go func() {
		defer t.wg.Done()
		defer pg.wg.Done()
		pg.handle(e)
	}()
}

// subRequest is a request made by a page in the browser.
type subRequest struct {
	method string
	url    string
	header http.Header
	body   []byte
	kind   string // the browser's resource type: Document, Script, XHR, Fetch
}

// subResponse is the answer to a subRequest (or the plain response of the
// page), as served: status, headers, raw body, final URL.
type subResponse struct {
	status int
	header http.Header
	body   []byte
	url    string
}

// contentType returns the Content-Type as served (with its charset).
func (s *subResponse) contentType() string {
	return cmp.Or(s.header.Get(origContentType), s.header.Get("Content-Type"))
}

// apiCall is an XHR or fetch() call of a rendered page and its answer.
type apiCall struct {
	method string
	url    string
	body   []byte // the request body ("" for GET)
	reqCT  string // the request's Content-Type
	resp   *subResponse
}

// renderRequest is what a page needs to be rendered.
type renderRequest struct {
	// url is the page, first is its response to a plain fetch (served to
	// the browser's first request for the page, so the page is not fetched
	// twice); nil first means the browser's request is fetched too.
	url   string
	first *subResponse
	// fetch fetches a request of the page politely (the run's client).
	fetch func(ctx context.Context, req subRequest) (*subResponse, error)
	// allowed says whether a URL may be requested at all.
	allowed func(u *url.URL) bool
	// setCookies hands the browser's cookies for a URL to the plain
	// client's jar.
	setCookies func(u *url.URL, cookies []*http.Cookie)
	// timeout bounds the whole render.
	timeout time.Duration
}

// renderResult is a rendered page.
type renderResult struct {
	// url is location.href after rendering (after reloads and redirects).
	url string
	// dom is the serialised DOM, UTF-8; nil when the page is no HTML
	// document (a PDF reached through a challenge).
	dom []byte
	// main is the last response of the page's top document, as served;
	// nil when none arrived.
	main *subResponse
	// apis are the XHR/fetch calls the page made, with their answers.
	apis []apiCall
	// refused counts the requests the browser was not let make (images,
	// fonts, other hosts, robots.txt).
	refused int
	// timedOut is set when the page did not settle within the timeout
	// (the DOM is read as it was).
	timedOut bool
}

// renderPage is the state of one page being rendered in a tab.
type renderPage struct {
	req       renderRequest
	ctx       context.Context // ends with the page: its handlers stop then
	mainFrame cdp.FrameID

	wg sync.WaitGroup // the page's request handlers in flight

	mu       sync.Mutex // protects the fields below
	inflight int        // requests paused and not yet answered
	last     time.Time  // last request start or end
	// mains counts the top-document requests; the first is served from
	// req.first.
	mains   int
	main    *subResponse
	apis    []apiCall
	refused int
}

// maxAPICalls caps the XHR/fetch calls kept per page.
const maxAPICalls = 32

// settling: a page is done when no request has been in flight for quiet,
// its document is complete, and (if it still shows a challenge) no reload
// came for challengeQuiet.
const (
	quiet          = 300 * time.Millisecond
	challengeQuiet = 3 * time.Second
)

// render loads req.url in a tab of the session and returns the rendered
// page. It waits for a free tab (the pool); ctx cancels it.
func (s *browserSession) render(ctx context.Context, req renderRequest) (*renderResult, error) {
	select {
	case s.b.tabs <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.b.tabs }()
	t, err := s.takeTab()
	if err != nil {
		return nil, err
	}
	pctx, cancelPage := context.WithCancel(t.ctx)
	defer cancelPage()
	stop := context.AfterFunc(ctx, cancelPage)
	defer stop()
	pg := &renderPage{req: req, ctx: pctx, mainFrame: t.mainFrame, last: time.Now()}
	t.mu.Lock()
	t.cur = pg
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		t.cur = nil
		t.mu.Unlock()
		cancelPage()
		pg.wg.Wait()
		s.putTab(t)
	}()

	actx, cancel := context.WithTimeout(pctx, req.timeout)
	defer cancel()
	nav, err := chromedp.Call(actx, page.Navigate, page.NavigateParams{URL: req.url})
	if err == nil && nav.ErrorText != "" {
		// net::ERR_ABORTED for a download (a PDF behind a challenge): the
		// response was still received.
		err = errors.New(nav.ErrorText)
	}
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	res := &renderResult{}
	if err == nil {
		pg.settle(actx)
		res.timedOut = actx.Err() != nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// Read the page, with a little time of its own if the render timed out.
	rctx, rcancel := context.WithTimeout(pctx, 10*time.Second)
	defer rcancel()
	pg.mu.Lock()
	res.main, res.apis, res.refused = pg.main, pg.apis, pg.refused
	pg.mu.Unlock()
	if res.main == nil {
		if err == nil {
			err = errors.New("no response for the page")
		}
		return nil, fmt.Errorf("render %s: %w", req.url, err)
	}
	res.url = res.main.url
	if isHTMLResponse(res.main) {
		v, derr := chromedp.Run(rctx, chromedp.Evaluate[[]string](
			`[location.href, (document.doctype ? '<!DOCTYPE ' + document.doctype.name + '>\n' : '') + document.documentElement.outerHTML]`))
		if derr != nil || len(v) != 2 {
			return nil, fmt.Errorf("render %s: read the page: %w", req.url, cmp.Or(derr, errors.New("no document")))
		}
		res.url, res.dom = v[0], utf8Meta([]byte(v[1]))
	}
	// Cookies set by scripts after the last request (a challenge's
	// answer) go to the plain client too.
	if u, err := url.Parse(res.url); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		pg.cookiesToJar(rctx, u)
	}
	return res, nil
}

// settle waits until the page is done (see quiet) or ctx ends.
func (pg *renderPage) settle(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		pg.mu.Lock()
		busy, since, main := pg.inflight > 0, time.Since(pg.last), pg.main
		pg.mu.Unlock()
		if busy || since < quiet {
			continue
		}
		if main != nil && isChallengeResponse(main) && since < challengeQuiet {
			continue // a challenge's script may still reload the page
		}
		state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState`))
		if err == nil && state == "complete" {
			return
		}
	}
}

// refusedTypes are the resource types a page may not load: what the
// crawler does not need to read the page.
var refusedTypes = map[network.ResourceType]bool{
	network.ResourceTypeImage: true, network.ResourceTypeMedia: true, network.ResourceTypeFont: true,
	network.ResourceTypeStylesheet: true, network.ResourceTypeTextTrack: true, network.ResourceTypeManifest: true,
	network.ResourceTypePing: true, network.ResourceTypeCSPViolationReport: true, network.ResourceTypePrefetch: true,
	network.ResourceTypeSignedExchange: true, network.ResourceTypeOther: true, network.ResourceTypeWebSocket: true,
}

// handle answers one paused request of the page.
func (pg *renderPage) handle(e *fetch.EventRequestPaused) {
	defer func() {
		pg.mu.Lock()
		pg.inflight--
		pg.last = time.Now()
		pg.mu.Unlock()
	}()
	ctx := pg.ctx
	fail := func(reason network.ErrorReason) {
		pg.mu.Lock()
		pg.refused++
		pg.mu.Unlock()
		_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: reason})
	}
	u, err := url.Parse(e.Request.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || refusedTypes[e.ResourceType] || !pg.req.allowed(u) {
		fail(network.ErrorReasonBlockedByClient)
		return
	}
	main := e.ResourceType == network.ResourceTypeDocument && e.FrameID == pg.mainFrame
	if e.ResourceType == network.ResourceTypeDocument && !main {
		// A frame's document is a list page of its own: the crawler
		// follows its src (and renders it when needed), so it is not
		// fetched twice.
		fail(network.ErrorReasonBlockedByClient)
		return
	}
	var resp *subResponse
	pg.mu.Lock()
	first := main && pg.mains == 0 && pg.req.first != nil
	if main {
		pg.mains++
	}
	pg.mu.Unlock()
	if first {
		resp = pg.req.first
	} else {
		pg.cookiesToJar(ctx, u)
		var body []byte
		for _, pd := range e.Request.PostDataEntries {
			body = append(body, pd.Bytes...)
		}
		resp, err = pg.req.fetch(ctx, subRequest{method: e.Request.Method, url: u.String(),
			header: forwardHeaders(e.Request.Headers), body: body, kind: string(e.ResourceType)})
		if err != nil {
			if errors.Is(err, ErrRobotsDisallowed) {
				fail(network.ErrorReasonBlockedByClient)
			} else {
				fail(network.ErrorReasonFailed)
			}
			return
		}
	}
	pg.cookiesToBrowser(ctx, u, resp.header)
	pg.mu.Lock()
	if main && (resp.status < 300 || resp.status > 399) {
		r := *resp
		r.url = cmp.Or(r.url, u.String())
		pg.main = &r
	}
	if (e.ResourceType == network.ResourceTypeXHR || e.ResourceType == network.ResourceTypeFetch) && len(pg.apis) < maxAPICalls {
		var body []byte
		for _, pd := range e.Request.PostDataEntries {
			body = append(body, pd.Bytes...)
		}
		pg.apis = append(pg.apis, apiCall{method: e.Request.Method, url: u.String(), body: body,
			reqCT: headerValue(e.Request.Headers, "Content-Type"), resp: resp})
	}
	pg.mu.Unlock()
	_, _ = chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
		RequestID: e.RequestID, ResponseCode: int64(resp.status),
		ResponsePhrase:  cmp.Or(http.StatusText(resp.status), "Status"),
		ResponseHeaders: fulfilHeaders(resp.header), Body: resp.body,
	})
}

// droppedRequestHeaders are not forwarded from the browser: the client sets
// its own User-Agent, cookies (from the jar), host and encoding.
var droppedRequestHeaders = map[string]bool{"Cookie": true, "User-Agent": true, "Host": true, "Content-Length": true,
	"Connection": true, "Accept-Encoding": true, "Upgrade-Insecure-Requests": true}

func forwardHeaders(h network.Headers) http.Header {
	out := http.Header{}
	for k, v := range h {
		ck := http.CanonicalHeaderKey(k)
		s, ok := v.(string)
		if !ok || droppedRequestHeaders[ck] || strings.HasPrefix(ck, "Sec-") {
			continue
		}
		out.Set(ck, s)
	}
	return out
}

func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// droppedResponseHeaders are not handed to the browser: the body is
// decoded and complete, cookies go through SetCookies, and the crawler's
// own header is restored to Content-Type.
var droppedResponseHeaders = map[string]bool{"Content-Length": true, "Content-Encoding": true, "Transfer-Encoding": true,
	"Connection": true, "Set-Cookie": true, origContentType: true, "Content-Type": true}

func fulfilHeaders(h http.Header) []*fetch.HeaderEntry {
	var out []*fetch.HeaderEntry
	for k, vs := range h {
		if droppedResponseHeaders[http.CanonicalHeaderKey(k)] {
			continue
		}
		for _, v := range vs {
			out = append(out, &fetch.HeaderEntry{Name: k, Value: v})
		}
	}
	if ct := cmp.Or(h.Get(origContentType), h.Get("Content-Type")); ct != "" {
		out = append(out, &fetch.HeaderEntry{Name: "Content-Type", Value: ct})
	}
	return out
}

// cookiesToJar hands the browser's cookies for u (including those set by
// scripts) to the plain client.
func (pg *renderPage) cookiesToJar(ctx context.Context, u *url.URL) {
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{u.String()}})
	if err != nil || len(res.Cookies) == 0 {
		return
	}
	var cs []*http.Cookie
	for _, c := range res.Cookies {
		hc := &http.Cookie{Name: c.Name, Value: c.Value, Path: c.Path, Secure: c.Secure, HttpOnly: c.HTTPOnly}
		if strings.HasPrefix(c.Domain, ".") {
			hc.Domain = c.Domain // a domain cookie; without a dot it is host-only
		}
		if !c.Session && c.Expires > 0 {
			hc.Expires = time.Unix(int64(c.Expires), 0)
		}
		cs = append(cs, hc)
	}
	pg.req.setCookies(u, cs)
}

// cookiesToBrowser sets in the browser the cookies a response set (the
// plain client's jar has them already).
func (pg *renderPage) cookiesToBrowser(ctx context.Context, u *url.URL, h http.Header) {
	if len(h.Values("Set-Cookie")) == 0 {
		return
	}
	var ps []*network.CookieParam
	for _, c := range (&http.Response{Header: h}).Cookies() {
		p := &network.CookieParam{Name: c.Name, Value: c.Value, URL: u.String(), Domain: c.Domain, Path: c.Path,
			Secure: c.Secure, HTTPOnly: c.HttpOnly}
		switch {
		case c.MaxAge < 0:
			p.Expires = 1 // deleted
		case c.MaxAge > 0:
			p.Expires = cdp.TimeSinceEpoch(time.Now().Add(time.Duration(c.MaxAge) * time.Second).Unix())
		case !c.Expires.IsZero():
			p.Expires = cdp.TimeSinceEpoch(c.Expires.Unix())
		}
		ps = append(ps, p)
	}
	if len(ps) > 0 {
		_, _ = chromedp.Call(ctx, network.SetCookies, network.SetCookiesParams{Cookies: ps})
	}
}

// isHTMLResponse reports whether a response is an HTML document.
func isHTMLResponse(s *subResponse) bool {
	ct := strings.ToLower(s.contentType())
	if strings.Contains(ct, "html") {
		return true
	}
	if ct != "" && !strings.HasPrefix(ct, "text/plain") && !strings.Contains(ct, "octet-stream") {
		return false
	}
	return looksHTML(s.body)
}

// isChallengeResponse reports whether a response is an anti-bot challenge.
func isChallengeResponse(s *subResponse) bool {
	var text []byte
	if isTextual(s.contentType(), s.body) {
		text = decodeWith(s.body, detectCharset(s.body, s.contentType()))
	}
	return blockKind(s.status, s.header, text) != ""
}

// metaCharsetRe finds the charset declarations of a document.
var metaCharsetRe = regexp.MustCompile(`(?i)<meta\s[^>]*charset\s*=[^>]*>`)

// utf8Meta rewrites the charset declarations of a serialised DOM (which is
// UTF-8 whatever the page was served in) so that no reader decodes it as
// GBK.
func utf8Meta(dom []byte) []byte {
	return metaCharsetRe.ReplaceAll(dom, []byte(`<meta charset="utf-8">`))
}

// looksHTML reports whether a body without a telling Content-Type starts
// like an HTML document.
func looksHTML(body []byte) bool {
	s := strings.ToLower(strings.TrimLeft(string(body[:min(len(body), 1024)]), " \t\r\n\ufeff"))
	return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html") ||
		strings.Contains(s, "<head") || strings.Contains(s, "<body") || strings.Contains(s, "<script")
}
