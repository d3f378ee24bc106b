package crawler

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DefaultUserAgent is sent when Options.UserAgent is empty. Real crawls
// should name a contact instead.
const DefaultUserAgent = "nianbao/1.0 (+https://github.com/nianbao; annual-report archive)"

// Options configures a Crawler. The zero value is usable: each field says
// what its zero value means; DefaultOptions holds the recommended settings.
type Options struct {
	// UserAgent is sent with every request (and matched against robots.txt
	// groups). Empty means DefaultUserAgent.
	UserAgent string
	// Delay is the least time between the starts of any two requests to
	// one host (its name, without the port), over all the Fetch calls of
	// the Crawler: two sites on one host share its delay. Every request
	// counts: pages, attachments, retries, redirect hops, robots.txt and
	// the requests of pages rendered in the browser. Zero means no delay;
	// DefaultOptions uses 1s.
	Delay time.Duration
	// RandomDelay is the extra random spacing added to Delay for each
	// request, uniformly in [0, RandomDelay): requests to a host start
	// between Delay and Delay+RandomDelay apart, never closer than Delay.
	// Zero means Delay/2; negative means no jitter.
	RandomDelay time.Duration
	// Parallelism bounds the requests in flight to one host, over all the
	// Fetch calls of the Crawler. Zero means 2.
	Parallelism int
	// MaxInFlight bounds the requests in flight over all hosts and Fetch
	// calls. A request waiting for its host's delay holds no place. Zero
	// means 64.
	MaxInFlight int
	// MaxDocuments bounds the page and attachment bodies in flight or in
	// hand (read, not yet handled by the Sink) over all Fetch calls, so
	// that memory stays bounded when the Sink falls behind: a new page
	// request waits for a place (robots.txt and the browser's requests do
	// not). Zero means 64.
	MaxDocuments int
	// MaxConnections bounds the open connections of the Crawler's own
	// transport (when Transport is nil). Its idle pool keeps room for the
	// requests in flight (see Transport), so a dial seldom waits; when one
	// must, the idle connections are closed first. Zero means 512.
	MaxConnections int
	// MaxBodySize caps a response body in bytes. A longer body is a failure
	// ("truncated"), never delivered. Zero means 50 MB; negative means no
	// cap.
	MaxBodySize int64
	// Timeout bounds one attempt of one request, body included. Zero means
	// 30s.
	Timeout time.Duration
	// Retries is the number of extra attempts after a timeout, a network
	// error, 429 or 5xx. Zero means no retry; DefaultOptions uses 3.
	Retries int
	// RetryBackoff is the wait before the first retry; it doubles for each
	// further one (with jitter). Zero means 1s.
	RetryBackoff time.Duration
	// MaxRetryWait caps a single backoff or Retry-After wait. A Retry-After
	// longer than that is cut to it. Zero means 2 minutes.
	MaxRetryWait time.Duration
	// IgnoreRobots disables robots.txt. False (the default) honours it: a
	// disallowed URL is never requested and is counted as failure "robots".
	IgnoreRobots bool
	// Logger receives debug and warning logs. Nil means discard.
	Logger *slog.Logger
	// State keeps validators, hashes and queues between runs. Nil means a
	// fresh MemState owned by the Crawler (so runs of one Crawler share it).
	State State
	// OnEvent, when set, receives progress events, one at a time. Nil means
	// no events.
	OnEvent func(Event)
	// Budget bounds every Fetch (pages, pagination depth, novelty,
	// wall-clock time); Site fields override it per site. Zero fields mean
	// DefaultBudget's values (see Budget).
	Budget Budget
	// Transport is the HTTP transport under the crawler's retry and
	// politeness layers. Nil means a clone of http.DefaultTransport with
	// MaxConnections open connections at most, of which up to
	// MaxConnections−2×MaxInFlight idle (32 per host): the requests in
	// flight use at most MaxInFlight, and as many may be dialling. A
	// request's delay counts from when the transport reports it written
	// (httptrace WroteRequest, as net/http's transports do); with one that
	// does not, from the end of the request.
	Transport http.RoundTripper
	// Browser is the path of a Chromium (or Chrome) executable, run
	// headless to render the pages that need JavaScript: every HTML page of
	// a site with Site.Render, script challenges (瑞数, 加速乐, 网站卫士…),
	// and list pages built by scripts (TRS 动静结合, avalon, Vue). The
	// browser starts on the first such page and runs until Close; it makes
	// no request itself (the crawler fetches what a page asks for, under
	// the same rules as any request). Empty (the default) means no browser:
	// challenges are failures "blocked: <kind>" and script-built lists yield
	// only what their markup holds. A browser that fails to start is
	// logged once and treated as absent.
	Browser string
	// BrowserTabs is the number of pages rendered at once (browser tabs),
	// over all Fetch calls of the Crawler. Zero means 2.
	BrowserTabs int
	// RenderTimeout bounds the rendering of one page: its scripts, reloads
	// and the requests they make. A page still busy then is read as it is.
	// Zero means 30s.
	RenderTimeout time.Duration
}

// DefaultOptions are the recommended settings for real sites.
var DefaultOptions = Options{
	UserAgent:      DefaultUserAgent,
	Delay:          time.Second,
	Parallelism:    2,
	MaxInFlight:    64,
	MaxDocuments:   64,
	MaxConnections: 512,
	MaxBodySize:    50 << 20,
	Timeout:        30 * time.Second,
	Retries:        3,
	RetryBackoff:   time.Second,
	MaxRetryWait:   2 * time.Minute,
}

// Site is one site of the catalogue: where a crawl starts, which hosts it may
// visit and optional overrides. Only Name and Start are required.
type Site struct {
	// Name identifies the site (the organ's name); it keys the site's queue
	// in State and is copied into every Document.
	Name string
	// Start lists the absolute URLs the crawl starts from: a report column,
	// a portal's 信息公开 page, a gkmlpt index (with its #category), a
	// Hanweb col page.
	Start []string
	// AllowedDomains are the hosts that may be fetched. An entry matches its
	// host exactly, and a leading "." or "*." matches every sub-domain too.
	// Empty means the hosts of Start. Ports are ignored.
	AllowedDomains []string
	// Delay overrides Options.Delay for this site's requests; nil means
	// Options.Delay. On a host shared with other sites, each request waits
	// for its own site's delay since the host's previous request.
	Delay *time.Duration
	// Parallelism overrides Options.Parallelism for this site's requests
	// (a request waits while its host has that many in flight, whichever
	// sites made them); zero means Options.Parallelism.
	Parallelism int
	// MaxPages, MaxDepth, StalePages and MaxDuration override the fields of
	// Options.Budget for this site (see Budget): zero means the Options
	// value, negative means no limit.
	MaxPages    int
	MaxDepth    int
	StalePages  int
	MaxDuration time.Duration
	// ReportPattern, when set, is a regular expression that replaces the
	// default report heuristics: a link whose text, title or URL matches it
	// is a report (the exclusions 解读/图解/要点/通知/制度/格式 still apply to
	// its text).
	ReportPattern string
	// ListPattern, when set, is a regular expression that replaces the
	// default column heuristics: a link whose URL matches it is followed as a
	// list page. Pagination (index_N, ?page=N, 下一页, gkmlpt, Hanweb) is
	// always followed.
	ListPattern string
	// Render, when set, renders every HTML page of the site in the browser
	// (Options.Browser) after its plain fetch. False (the default) renders
	// only challenges and script-built lists. Without a browser it has no
	// effect.
	Render bool
}

// Validate checks the site: a name, at least one absolute http(s) start URL
// and valid patterns. The error wraps ErrInvalidSite.
func (s Site) Validate() error {
	if strings.TrimSpace(s.Name) == "" {
		return fmt.Errorf("%w: no name", ErrInvalidSite)
	}
	if len(s.Start) == 0 {
		return fmt.Errorf("%w: site %s: no start URL", ErrInvalidSite, s.Name)
	}
	for _, raw := range s.Start {
		u, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("%w: site %s: start URL %q: %w", ErrInvalidSite, s.Name, raw, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: site %s: start URL %q: not an absolute http(s) URL", ErrInvalidSite, s.Name, raw)
		}
	}
	for _, p := range []struct{ name, re string }{{"report pattern", s.ReportPattern}, {"list pattern", s.ListPattern}} {
		if p.re == "" {
			continue
		}
		if _, err := regexp.Compile(p.re); err != nil {
			return fmt.Errorf("%w: site %s: %s: %w", ErrInvalidSite, s.Name, p.name, err)
		}
	}
	if s.Parallelism < 0 {
		return fmt.Errorf("%w: site %s: negative parallelism", ErrInvalidSite, s.Name)
	}
	return nil
}

// Crawler fetches sites. It is safe for concurrent use: several Fetch calls
// (for different sites) may run at once. Without Options.Browser it holds
// no goroutine between calls; with one, the browser process it started
// runs until Close.
type Crawler struct {
	opts    Options
	browser *browser // nil without Options.Browser
	// gate schedules every request of every Fetch call by host (hosts.go).
	gate *hostGate
	// robots keeps the robots.txt files the Fetch calls read (robots.go).
	robots *robotsCache
	// big is the token of the one large body (over bigBody bytes) that
	// may be read and handled at a time across all of the Crawler's
	// Fetch calls (see bigBody).
	big chan struct{}
}

// New returns a Crawler with opts, zero fields replaced by their documented
// defaults.
func New(opts Options) *Crawler {
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.RandomDelay == 0 {
		opts.RandomDelay = opts.Delay / 2
	}
	if opts.RandomDelay < 0 {
		opts.RandomDelay = 0
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = 2
	}
	if opts.MaxBodySize == 0 {
		opts.MaxBodySize = 50 << 20
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Retries < 0 {
		opts.Retries = 0
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = time.Second
	}
	if opts.MaxRetryWait <= 0 {
		opts.MaxRetryWait = 2 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.State == nil {
		opts.State = NewMemState()
	}
	if opts.BrowserTabs <= 0 {
		opts.BrowserTabs = 2
	}
	if opts.RenderTimeout <= 0 {
		opts.RenderTimeout = 30 * time.Second
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 64
	}
	if opts.MaxDocuments <= 0 {
		opts.MaxDocuments = 64
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = 512
	}
	var conns *connGate
	if opts.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		conns = newConnGate(opts.MaxConnections, d.DialContext)
		conns.closeIdle = t.CloseIdleConnections
		t.DialContext = conns.DialContext
		// Keep a connection per parallel slot: the default of 2 idle
		// connections per host closes and reopens the others. The idle
		// pool leaves room under MaxConnections for the requests in
		// flight and their dials, so that the gate seldom has to close
		// idle connections (zero would mean no limit).
		t.MaxIdleConnsPerHost = 32
		t.MaxIdleConns = max(opts.MaxConnections-2*opts.MaxInFlight, 1)
		opts.Transport = t
	}
	c := &Crawler{opts: opts, big: make(chan struct{}, 1), gate: newHostGate(opts.MaxInFlight, opts.MaxDocuments, conns),
		robots: newRobotsCache()}
	if opts.Browser != "" {
		c.browser = newBrowser(opts.Browser, opts.UserAgent, opts.BrowserTabs, opts.Logger)
	}
	return c
}

// Close stops the browser if the Crawler started one, and waits for it to
// exit. It returns nil when there is none. No Fetch may run during or after
// Close.
func (c *Crawler) Close() error {
	if c.browser == nil {
		return nil
	}
	return c.browser.close()
}

// HostStats returns a snapshot of the Crawler's requests over all its
// Fetch calls: hosts active and waiting, requests in flight and queued,
// documents in hand, open connections and their peaks.
func (c *Crawler) HostStats() HostStats { return c.gate.stats() }

// Fetch makes one pass over site and hands every document to sink as it
// arrives. If site's queue in State holds items of an interrupted run, Fetch
// resumes them instead of starting again from the start pages; items that
// failed in an earlier run are retried either way.
//
// Fetch returns when the queue is empty, when the budget's MaxPages or
// MaxDuration is reached (the queue is then dropped, see Budget), when ctx
// is done or when the sink returns an error. The error is nil when every URL
// succeeded; otherwise it joins one *FetchError per failed URL and per
// budget limit reached, ctx.Err() if the run was interrupted (the queue
// stays in State), and the sink's error if the sink stopped the run. Stats are valid in every case. A site
// that fails Validate returns an error wrapping ErrInvalidSite and no
// request is made.
func (c *Crawler) Fetch(ctx context.Context, site Site, sink Sink) (Stats, error) {
	return c.fetch(ctx, site, sink)
}
