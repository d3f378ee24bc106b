package crawler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gocolly/colly/v2"
)

// Keys of the per-request colly context.
const (
	ctxItem     = "nianbao.item"     // Item
	ctxPrev     = "nianbao.prev"     // Record
	ctxHasPrev  = "nianbao.hasPrev"  // bool
	ctxTooLarge = "nianbao.tooLarge" // int64, the announced Content-Length
)

// run is the state of one Fetch. Its methods run on the dispatcher goroutine
// (Fetch's own) and on colly's fetching goroutines.
type run struct {
	opts   Options
	site   Site
	sink   Sink
	state  State
	log    *slog.Logger
	parent context.Context // the caller's context
	ctx    context.Context // parent, also cancelled when the sink or State fails
	stop   context.CancelFunc
	col    *colly.Collector
	robots *robots       // nil with Options.IgnoreRobots
	big    chan struct{} // the Crawler's large-body token
	gate   *hostGate     // the Crawler's per-host schedule
	// robotsCache is the Crawler's robots.txt files (robots.go).
	robotsCache *robotsCache
	match       matcher
	allowed     []string // lower-case host entries; "." prefix = with sub-domains
	start       time.Time
	maxBody     int64
	// inflight caps the items handed to colly and not yet handed to the
	// sink: waiting at the gate, in flight, or being rendered.
	inflight int
	// bodies are the bodies the transport read, by the id in their
	// response's bodyHeader, until onResponse takes them; nextBody
	// numbers them. Both are protected by mu.
	bodies   map[string]*fetchedBody
	nextBody int
	budget   Budget // resolved: 0 means no limit

	br *runBrowser // the run's use of the browser; nil without one (render.go)

	mu sync.Mutex // protects the fields below
	// seen holds the Item.Key of everything queued or fetched in this run.
	seen map[string]bool
	// listSeen holds the URLs linked from list pages in this run, for the
	// "stop when a page yields nothing new" rule of pagination.
	listSeen map[string]bool
	// listCount counts distinct records per list API (URL without paging).
	listCount map[string]int
	// reportSeen holds the link texts of the reports listed in this run,
	// for the novelty rule of the budget.
	reportSeen map[string]bool
	// exhausted is the reason of the site-wide budget limit that ended
	// the run, "" while none did; finished is set when the run is over.
	exhausted  string
	finished   bool
	lists      []Item // frontier: list pages, fetched first
	others     []Item // frontier: reports and attachments
	busy       int    // items handed to colly and not yet to the sink (see inflight)
	dispatched int    // requests started (for MaxPages)
	stats      Stats
	errs       []error // one *FetchError per failed URL
	fatal      error   // the sink's or State's error that stopped the run
	wake       chan struct{}

	evMu sync.Mutex // serialises Options.OnEvent calls
}

func (c *Crawler) fetch(ctx context.Context, site Site, sink Sink) (Stats, error) {
	stats := Stats{Site: site.Name, Started: time.Now()}
	if err := site.Validate(); err != nil {
		return stats, err
	}
	if sink == nil {
		return stats, fmt.Errorf("%w: site %s: nil sink", ErrInvalidSite, site.Name)
	}
	r := &run{
		opts: c.opts, site: site, sink: sink, state: c.opts.State, parent: ctx,
		log:         c.opts.Logger.With("site", site.Name),
		maxBody:     c.opts.MaxBodySize,
		seen:        map[string]bool{},
		listSeen:    map[string]bool{},
		listCount:   map[string]int{},
		reportSeen:  map[string]bool{},
		bodies:      map[string]*fetchedBody{},
		wake:        make(chan struct{}, 1),
		stats:       stats,
		budget:      c.opts.Budget.override(site).resolve(DefaultBudget),
		big:         c.big,
		gate:        c.gate,
		robotsCache: c.robots,
	}
	r.ctx, r.stop = context.WithCancel(ctx)
	defer r.stop()
	r.br = c.newRunBrowser()
	defer r.br.close() // after the collector's Wait below
	if site.ReportPattern != "" {
		r.match.report = regexp.MustCompile(site.ReportPattern) // validated above
	}
	if site.ListPattern != "" {
		r.match.list = regexp.MustCompile(site.ListPattern)
	}
	r.allowed = allowedHosts(site)

	queue, err := r.state.Queue(site.Name)
	if err != nil {
		return r.stats, fmt.Errorf("crawler: site %s: read queue: %w", site.Name, err)
	}
	var pending, retry []Item
	for _, it := range queue {
		if it.Failure == "" {
			pending = append(pending, it)
		} else {
			retry = append(retry, it)
		}
	}
	r.start = r.stats.Started
	var seed []Item
	if len(pending) > 0 {
		// An interrupted run: finish its queue; do not start over.
		r.stats.Resumed = true
		for _, it := range pending {
			if !it.Run.IsZero() && it.Run.Before(r.start) {
				r.start = it.Run
			}
		}
		seed = pending
	} else {
		for _, s := range site.Start {
			seed = append(seed, Item{URL: s, Kind: KindList, Run: r.start})
		}
		if err := r.state.Enqueue(site.Name, seed); err != nil {
			return r.stats, fmt.Errorf("crawler: site %s: queue start pages: %w", site.Name, err)
		}
	}
	seed = append(seed, retry...)
	for _, it := range seed {
		if r.seen[it.Key()] {
			continue
		}
		r.seen[it.Key()] = true
		r.push(it)
	}

	par := c.opts.Parallelism
	if site.Parallelism > 0 {
		par = site.Parallelism
	}
	delay, jitter := c.opts.Delay, c.opts.RandomDelay
	if site.Delay != nil {
		delay = max(*site.Delay, 0)
		jitter = 0
		if c.opts.RandomDelay > 0 || c.opts.Delay == 0 {
			jitter = delay / 2
		}
	}
	r.newCollector(c.opts.Transport, policy{par: par, delay: delay, jitter: jitter})
	// Enough items to keep every allowed host busy, and as many waiting
	// for their turn at the gate.
	r.inflight = par * (len(r.allowed) + 1)

	r.emit(Event{Type: EventStart})
	r.log.Debug("crawl start", "resumed", r.stats.Resumed, "queued", len(seed))
	if d := r.budget.MaxDuration; d > 0 {
		t := time.AfterFunc(d, func() {
			r.exhaust(fmt.Sprintf("budget: max_duration %s reached", d),
				fmt.Errorf("%w: the site's run took longer than %s", ErrBudget, d))
			r.stop()
		})
		defer t.Stop()
	}
	r.loop()
	r.col.Wait()
	r.dropBodies()
	r.mu.Lock()
	r.finished = true
	exhausted := r.exhausted != ""
	r.mu.Unlock()

	var errs []error
	if exhausted && ctx.Err() == nil {
		if err := r.dropQueue(); err != nil {
			errs = append(errs, fmt.Errorf("crawler: site %s: drop queue: %w", site.Name, err))
		}
	}
	if q, err := r.state.Queue(site.Name); err == nil {
		n := 0
		for _, it := range q {
			if it.Failure == "" {
				n++
			}
		}
		r.mu.Lock()
		r.stats.Pending = n
		r.mu.Unlock()
	} else {
		errs = append(errs, fmt.Errorf("crawler: site %s: read queue: %w", site.Name, err))
	}
	r.mu.Lock()
	r.stats.Finished = time.Now()
	errs = append(errs, r.errs...)
	if r.fatal != nil {
		errs = append(errs, r.fatal)
	}
	final := r.stats.clone()
	r.mu.Unlock()
	if err := ctx.Err(); err != nil {
		errs = append(errs, fmt.Errorf("crawler: site %s interrupted with %d URLs pending: %w", site.Name, final.Pending, err))
	}
	r.emit(Event{Type: EventDone})
	r.log.Debug("crawl done", "requests", final.Requests, "reports", final.Reports, "failed", final.Failed, "pending", final.Pending)
	return final, errors.Join(errs...)
}

// allowedHosts returns the site's allowed host entries, lower-case and
// without ports; "*.x" becomes ".x".
func allowedHosts(site Site) []string {
	var out []string
	add := func(h string) {
		h = strings.ToLower(strings.TrimSpace(h))
		h = strings.TrimPrefix(h, "*")
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		if h != "" && h != "." {
			out = append(out, h)
		}
	}
	for _, d := range site.AllowedDomains {
		add(d)
	}
	if len(out) == 0 {
		for _, s := range site.Start {
			if u, err := url.Parse(s); err == nil {
				add(u.Hostname())
			}
		}
	}
	return out
}

// allowedHost reports whether host (without port) may be fetched.
func (r *run) allowedHost(host string) bool {
	host = strings.ToLower(host)
	for _, a := range r.allowed {
		if strings.HasPrefix(a, ".") {
			if host == a[1:] || strings.HasSuffix(host, a) {
				return true
			}
		} else if host == a {
			return true
		}
	}
	return false
}

// newCollector builds the run's colly collector: a fresh one per Fetch, so
// that the run's context is its context and no visited set survives the run.
// The crawler keeps its own seen set, so colly's (which marks URLs before
// fetching them) is switched off. Politeness is not colly's: its LimitRule
// spaces requests per parallel slot and per collector, so a host with
// parallelism 2 got two requests per delay, and two sites on one host each
// got their own. The transport waits at the Crawler's gate instead, with
// the site's policy (hosts.go).
func (r *run) newCollector(base http.RoundTripper, pol policy) {
	colBody := 0 // colly: 0 = unlimited
	if r.maxBody > 0 {
		// One byte more than the cap, so that a longer body is visible as
		// such: colly itself truncates silently.
		colBody = int(min(r.maxBody+1, int64(^uint(0)>>1)))
	}
	col := colly.NewCollector(
		colly.Async(true),
		colly.StdlibContext(r.ctx),
		colly.UserAgent(r.opts.UserAgent),
		colly.AllowURLRevisit(),
		colly.ParseHTTPErrorResponse(),
		colly.MaxBodySize(colBody),
	)
	// robots.txt is checked by the crawler itself (robots.go), before it
	// hands a request to colly.
	col.IgnoreRobotsTxt = true
	col.SetRequestTimeout(0) // per attempt, in retryTransport
	rt := &retryTransport{
		base: base, gate: r.gate, pol: pol, retries: r.opts.Retries, backoff: r.opts.RetryBackoff, maxWait: r.opts.MaxRetryWait,
		timeout: r.opts.Timeout, runCtx: r.ctx, readBody: r.readBody,
		onAttempt: func(*http.Request) {
			r.mu.Lock()
			r.stats.Requests++
			r.mu.Unlock()
		},
		onRetry: func(req *http.Request, reason string, status int, wait time.Duration) {
			r.mu.Lock()
			r.stats.Retries++
			r.mu.Unlock()
			r.log.Debug("retry", "url", req.URL.String(), "reason", reason, "wait", wait)
			r.emit(Event{Type: EventRetry, URL: req.URL.String(), Status: status, Reason: reason})
		},
	}
	col.WithTransport(rt)
	if !r.opts.IgnoreRobots {
		r.robots = newRobots(rt, r.opts.UserAgent, r.robotsCache)
	}
	col.SetRedirectHandler(func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return fmt.Errorf("%w: stopped after %d", errTooManyRedirects, len(via))
		}
		if via[0].Header.Get(browserMarker) != "" {
			return http.ErrUseLastResponse // the browser follows it itself
		}
		if !r.allowedHost(req.URL.Hostname()) {
			return fmt.Errorf("%w: %s redirects to %s", ErrOffsiteRedirect, via[0].URL, req.URL)
		}
		return nil
	})
	col.OnResponseHeaders(r.onHeaders)
	col.OnResponse(r.onResponse)
	col.OnError(r.onError)
	r.col = col
}

// push adds an item to the in-memory frontier; r.mu must be held or the
// dispatcher not yet started.
func (r *run) push(it Item) {
	if it.Kind == KindList {
		r.lists = append(r.lists, it)
	} else {
		r.others = append(r.others, it)
	}
}

// signal wakes the dispatcher.
func (r *run) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// loop hands queued items to colly, at most r.inflight at a time, until the
// frontier is empty and nothing is in flight, or the run is stopped (then it
// waits for the requests in flight).
func (r *run) loop() {
	for {
		r.mu.Lock()
		for r.busy < r.inflight && len(r.lists)+len(r.others) > 0 && r.ctx.Err() == nil &&
			(r.budget.MaxPages == 0 || r.dispatched < r.budget.MaxPages) {
			var it Item
			if len(r.lists) > 0 {
				it, r.lists = r.lists[0], r.lists[1:]
			} else {
				it, r.others = r.others[0], r.others[1:]
			}
			r.busy++
			r.dispatched++
			r.mu.Unlock()
			r.dispatch(it)
			r.mu.Lock()
		}
		idle := r.busy == 0
		pagesOut := r.budget.MaxPages > 0 && r.dispatched >= r.budget.MaxPages && len(r.lists)+len(r.others) > 0
		r.mu.Unlock()
		if idle {
			if pagesOut && r.ctx.Err() == nil {
				r.exhaust(fmt.Sprintf("budget: max_pages %d reached", r.budget.MaxPages),
					fmt.Errorf("%w: %d URLs taken from the queue, more queued", ErrBudget, r.budget.MaxPages))
			}
			return
		}
		<-r.wake
	}
}

// release marks one request finished.
func (r *run) release() {
	r.mu.Lock()
	r.busy--
	r.mu.Unlock()
	r.signal()
}

// dispatch starts the request for it (colly fetches asynchronously). A URL
// that robots.txt disallows, or on a host whose robots.txt is unreachable,
// fails here, without a request.
func (r *run) dispatch(it Item) {
	key := it.Key()
	prev, hasPrev, err := r.state.Lookup(key)
	if err != nil {
		r.abort(fmt.Errorf("crawler: site %s: look up %s: %w", r.site.Name, it.URL, err))
		r.release()
		return
	}
	if hasPrev && prev.Failure == "" && it.Failure == "" && !prev.FetchedAt.Before(r.start) {
		// Already done in this run before an interruption.
		r.mu.Lock()
		r.dispatched--
		r.mu.Unlock()
		if err := r.state.Done(r.site.Name, prev); err != nil {
			r.abort(fmt.Errorf("crawler: site %s: record %s: %w", r.site.Name, it.URL, err))
		}
		r.release()
		return
	}
	if r.robots != nil {
		if u, err := url.Parse(it.URL); err == nil {
			if err := r.robots.check(r.ctx, u); err != nil {
				switch {
				case errors.Is(err, ErrRobotsDisallowed):
					r.failed(it, prev, 0, "robots", err, false)
				case errors.Is(err, ErrRobotsUnreachable):
					r.failed(it, prev, 0, "robots: unreachable", err, true)
				default:
					// Interrupted: the item stays queued.
				}
				r.release()
				return
			}
		}
	}
	hdr := http.Header{}
	hdr.Set("User-Agent", r.opts.UserAgent)
	if it.Parent != "" {
		// Like a browser following the link; some sites refuse attachment
		// downloads without it.
		hdr.Set("Referer", it.Parent)
	}
	if it.Kind != KindList && hasPrev {
		// Conditional request; list pages are always fetched fresh.
		if prev.ETag != "" {
			hdr.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			hdr.Set("If-Modified-Since", prev.LastModified)
		}
	}
	method := "GET"
	var body io.Reader
	if it.Method != "" && it.Method != "GET" {
		method = it.Method
		body = strings.NewReader(it.Form)
		hdr.Set("Content-Type", "application/x-www-form-urlencoded")
		if strings.HasPrefix(strings.TrimSpace(it.Form), "{") {
			hdr.Set("Content-Type", "application/json") // a list API page (api.go)
		}
	}
	cctx := colly.NewContext()
	cctx.Put(ctxItem, it)
	cctx.Put(ctxPrev, prev)
	cctx.Put(ctxHasPrev, hasPrev)
	r.log.Debug("fetch", "url", it.URL, "kind", it.Kind)
	if err := r.col.Request(method, it.URL, body, cctx, hdr); err != nil {
		// colly checks the URL before it starts the request.
		switch {
		case r.ctx.Err() != nil:
			// Interrupted: the item stays queued.
		default:
			reason, retry := classifyErr(err)
			if reason == "" {
				// Refused by colly before any transfer.
				reason, retry = "invalid url", false
			}
			r.failed(it, prev, 0, reason, err, retry)
		}
		r.release()
	}
}

// onHeaders aborts a response whose announced length exceeds the cap, before
// its body is read.
func (r *run) onHeaders(resp *colly.Response) {
	if r.maxBody <= 0 {
		return
	}
	if n, err := strconv.ParseInt(resp.Headers.Get("Content-Length"), 10, 64); err == nil && n > r.maxBody {
		resp.Ctx.Put(ctxTooLarge, n)
		resp.Request.Abort()
	}
}

// onError handles a request that got no usable response.
func (r *run) onError(resp *colly.Response, err error) {
	cctx := resp.Ctx
	if cctx == nil && resp.Request != nil {
		cctx = resp.Request.Ctx
	}
	if resp.Headers != nil {
		// A body the transport read for a response colly then failed.
		r.giveBody(r.takeBody(*resp.Headers))
	}
	if cctx == nil {
		r.release()
		return
	}
	if r.subRequestFailed(cctx, err) {
		return // a request of a page in the browser (render.go)
	}
	it, _ := cctx.GetAny(ctxItem).(Item)
	prev, _ := cctx.GetAny(ctxPrev).(Record)
	defer r.release()
	if n, ok := cctx.GetAny(ctxTooLarge).(int64); ok {
		r.failed(it, prev, resp.StatusCode, "truncated",
			fmt.Errorf("%w: Content-Length %d exceeds the %d-byte limit", ErrTruncated, n, r.maxBody), false)
		return
	}
	if r.ctx.Err() != nil && !errors.Is(err, ErrOffsiteRedirect) {
		return // interrupted: the item stays queued for the next run
	}
	reason, retry := classifyErr(err)
	if reason == "" {
		reason, retry = "network", true
	}
	r.failed(it, prev, resp.StatusCode, reason, err, retry)
}

// onResponse handles a response (any status: ParseHTTPErrorResponse is on).
func (r *run) onResponse(resp *colly.Response) {
	if r.subResponseDone(resp) {
		return // a request of a page in the browser (render.go)
	}
	// The item's place among the run's items in flight is given back
	// before the sink handles the document (below), so that a slow sink
	// (a long parse, a commit) never holds back the fetching: the document
	// keeps only its share of the Crawler's MaxDocuments, given back with
	// its body (giveBody) once the sink returned and the URL is recorded.
	release := sync.OnceFunc(r.release)
	defer release()
	it, _ := resp.Ctx.GetAny(ctxItem).(Item)
	prev, _ := resp.Ctx.GetAny(ctxPrev).(Record)
	hasPrev, _ := resp.Ctx.GetAny(ctxHasPrev).(bool)
	hdr := *resp.Headers
	status := resp.StatusCode
	body := resp.Body
	fb := r.takeBody(hdr)
	if fb == nil {
		fb = &fetchedBody{body: body} // read by colly
	}
	// A large body's token is given back once the sink has handled it.
	defer r.giveBody(fb)
	body = fb.body
	ctype := hdr.Get(origContentType)
	if ctype == "" {
		ctype = hdr.Get("Content-Type")
	}
	r.mu.Lock()
	r.stats.Bytes += int64(len(body))
	r.mu.Unlock()

	if fb.tooLong || (r.maxBody > 0 && int64(len(body)) > r.maxBody) {
		r.failed(it, prev, status, "truncated",
			fmt.Errorf("%w: body exceeds the %d-byte limit", ErrTruncated, r.maxBody), false)
		return
	}
	if !fb.big && (len(body) > bigBody || isPDF(body)) {
		if !r.takeToken(r.ctx) {
			return // the run stopped while waiting: the item stays queued
		}
		fb.big = true
	}
	if n, err := strconv.ParseInt(hdr.Get("Content-Length"), 10, 64); err == nil && n > int64(len(body)) && status != http.StatusNotModified {
		r.failed(it, prev, status, "truncated",
			fmt.Errorf("%w: got %d of %d bytes", ErrTruncated, len(body), n), true)
		return
	}
	if status == http.StatusNotModified {
		r.notModified(it, prev, hdr)
		return
	}
	textual := isTextual(ctype, body)
	var cs string
	var text []byte
	if textual {
		cs = detectCharset(body, ctype)
		text = decodeWith(body, cs)
	}
	final := resp.Request.URL
	var rr *renderOutcome
	if why, kind := r.renderWhy(it, status, hdr, ctype, text, final); why != "" {
		if out, ok := r.render(it, final, status, hdr, body, why, kind); ok {
			rr, status, hdr, body, ctype, final = out, out.status, out.hdr, out.body, out.ctype, out.final
			textual, cs, text = isTextual(ctype, body), "", nil
			if textual {
				cs = detectCharset(body, ctype)
				text = decodeWith(body, cs)
			}
		} else if r.ctx.Err() != nil {
			return // interrupted: the item stays queued
		}
	}
	kind := blockKind(status, hdr, text)
	if rr != nil {
		kind = rr.block
	}
	if kind != "" {
		r.failed(it, prev, status, "blocked: "+kind, fmt.Errorf("%w: %s (HTTP %d)", ErrBlocked, kind, status), true)
		return
	}
	if status < 200 || status > 299 {
		r.failed(it, prev, status, "http "+strconv.Itoa(status),
			fmt.Errorf("%w %d", ErrStatus, status), retryable(status))
		return
	}

	sum := sha256.Sum256(body)
	doc := Document{
		Site: r.site.Name, Kind: it.Kind, URL: it.URL, FinalURL: final.String(), Status: status,
		ContentType: ctype, Charset: cs, ETag: hdr.Get("ETag"), LastModified: hdr.Get("Last-Modified"),
		FetchedAt: time.Now(), Body: body, SHA256: hex.EncodeToString(sum[:]),
		LinkText: it.LinkText, Parent: it.Parent, Published: it.Published,
	}
	if hasPrev && prev.SHA256 != "" {
		doc.Previous = prev.SHA256
		doc.Unchanged = prev.SHA256 == doc.SHA256
	}
	if rr != nil && rr.rendered {
		doc.Rendered, doc.Raw, doc.RawContentType = true, rr.raw, rr.rawCT
		doc.ETag, doc.LastModified = rr.hdr.Get("ETag"), rr.hdr.Get("Last-Modified")
	}
	var attachments []string
	if textual && it.Kind != KindAttachment {
		attachments = r.discover(it, final, text, &doc)
		if rr != nil {
			r.followAPIs(it, final, rr.apis)
		}
	}
	if r.fatalErr() != nil {
		return
	}
	// The links are queued: the next items may go while the sink works.
	release()
	if err := r.sink.Handle(r.ctx, doc); err != nil {
		if r.parent.Err() != nil || r.timedOut() {
			return // interrupted: the item stays queued
		}
		r.abort(fmt.Errorf("crawler: site %s: sink: %s: %w", r.site.Name, it.URL, err))
		return
	}
	rec := Record{Key: it.Key(), URL: it.URL, Kind: it.Kind, FetchedAt: doc.FetchedAt, Status: status,
		ETag: doc.ETag, LastModified: doc.LastModified, SHA256: doc.SHA256, Attachments: attachments}
	if err := r.state.Done(r.site.Name, rec); err != nil {
		r.abort(fmt.Errorf("crawler: site %s: record %s: %w", r.site.Name, it.URL, err))
		return
	}
	r.mu.Lock()
	switch it.Kind {
	case KindList:
		r.stats.Lists++
	case KindReport:
		r.stats.Reports++
	case KindAttachment:
		r.stats.Attachments++
	}
	if it.Kind != KindList {
		switch {
		case doc.Previous == "":
			r.stats.New++
		case doc.Unchanged:
			r.stats.Unchanged++
		default:
			r.stats.Changed++
		}
	}
	r.mu.Unlock()
	meta := doc
	meta.Body = nil
	r.emit(Event{Type: EventDocument, URL: it.URL, Kind: it.Kind, Status: status, Document: &meta})
}

// notModified records a 304. The attachments of an unchanged report page
// are queued for their own conditional request.
func (r *run) notModified(it Item, prev Record, hdr http.Header) {
	if it.Kind == KindReport && len(prev.Attachments) > 0 {
		var items []Item
		for _, a := range prev.Attachments {
			if u, err := url.Parse(a); err == nil && r.allowedHost(u.Hostname()) {
				items = append(items, Item{URL: a, Kind: KindAttachment, Parent: it.URL})
			}
		}
		r.add(items)
	}
	rec := prev
	rec.Key, rec.URL, rec.Kind = it.Key(), it.URL, it.Kind
	rec.FetchedAt, rec.Status, rec.Failure = time.Now(), http.StatusNotModified, ""
	if v := hdr.Get("ETag"); v != "" {
		rec.ETag = v
	}
	if v := hdr.Get("Last-Modified"); v != "" {
		rec.LastModified = v
	}
	if err := r.state.Done(r.site.Name, rec); err != nil {
		r.abort(fmt.Errorf("crawler: site %s: record %s: %w", r.site.Name, it.URL, err))
		return
	}
	r.mu.Lock()
	r.stats.NotModified++
	r.mu.Unlock()
	r.emit(Event{Type: EventNotModified, URL: it.URL, Kind: it.Kind, Status: http.StatusNotModified})
}

// maxRuns is the number of consecutive runs in which a URL may fail before
// it is no longer queued for retry; it is still fetched again whenever a list
// page links it.
const maxRuns = 5

// failed records the final failure of it. With retry, the item stays queued
// (marked with its failure) so that the next run tries it again, up to
// maxRuns runs.
func (r *run) failed(it Item, prev Record, status int, reason string, cause error, retry bool) {
	fe := &FetchError{URL: it.URL, Status: status, Reason: reason, Err: cause}
	rec := prev // keep the validators and hash of the last good fetch
	rec.Key, rec.URL, rec.Kind = it.Key(), it.URL, it.Kind
	rec.FetchedAt, rec.Status, rec.Failure = time.Now(), status, reason
	if err := r.state.Done(r.site.Name, rec); err != nil {
		r.abort(fmt.Errorf("crawler: site %s: record %s: %w", r.site.Name, it.URL, err))
	} else if retry && it.Attempts+1 < maxRuns {
		again := it
		again.Attempts++
		again.Failure = reason
		again.Run = r.start
		if err := r.state.Enqueue(r.site.Name, []Item{again}); err != nil {
			r.abort(fmt.Errorf("crawler: site %s: requeue %s: %w", r.site.Name, it.URL, err))
		}
	}
	r.mu.Lock()
	r.stats.Failed++
	if r.stats.Failures == nil {
		r.stats.Failures = map[string]int{}
	}
	r.stats.Failures[reason]++
	r.errs = append(r.errs, fe)
	r.mu.Unlock()
	r.log.Warn("fetch failed", "url", it.URL, "reason", reason, "status", status, "err", cause)
	r.emit(Event{Type: EventFailure, URL: it.URL, Kind: it.Kind, Status: status, Reason: reason, Err: fe})
}

// abort stops the run because of a sink or State error.
func (r *run) abort(err error) {
	r.mu.Lock()
	if r.fatal == nil {
		r.fatal = err
	}
	r.mu.Unlock()
	r.stop()
}

// timedOut reports whether the run was stopped by its MaxDuration.
func (r *run) timedOut() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exhausted != "" && r.fatal == nil && r.ctx.Err() != nil
}

func (r *run) fatalErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fatal
}

// add queues newly discovered items (those not seen in this run): first in
// State, then in the frontier.
func (r *run) add(items []Item) {
	r.mu.Lock()
	var fresh []Item
	for _, it := range items {
		it.Run = r.start
		if k := it.Key(); !r.seen[k] {
			r.seen[k] = true
			fresh = append(fresh, it)
		}
	}
	r.mu.Unlock()
	if len(fresh) == 0 {
		return
	}
	if err := r.state.Enqueue(r.site.Name, fresh); err != nil {
		r.abort(fmt.Errorf("crawler: site %s: queue %d URLs: %w", r.site.Name, len(fresh), err))
		return
	}
	r.mu.Lock()
	for _, it := range fresh {
		r.push(it)
	}
	r.mu.Unlock()
	r.signal()
}

// emit sends an event with the current stats to Options.OnEvent.
func (r *run) emit(ev Event) {
	if r.opts.OnEvent == nil {
		return
	}
	ev.Site = r.site.Name
	ev.Hosts = r.gate.stats()
	r.mu.Lock()
	ev.Stats = r.stats.clone()
	r.mu.Unlock()
	r.evMu.Lock()
	defer r.evMu.Unlock()
	r.opts.OnEvent(ev)
}
