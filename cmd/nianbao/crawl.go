package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"nianbao/crawler"
	"nianbao/parser"
	"nianbao/store"
)

const crawlHelp = `Usage: nianbao crawl [--config FILE] [--db PATH] [--site NAME]

Makes one pass over the sites of the config: finds each site's annual-report
pages (list pages, pagination, gkmlpt and Hanweb list APIs), fetches report
pages and their attachments politely (robots.txt, per-host delay and
parallelism, conditional requests), archives every body in the database,
parses it and stores each report (agency, year) as a new version when its
numbers changed. Sites run in parallel (concurrent_sites in the config),
no more of them at once on a start host than its parallelism: a host's
delay is shared by every site on it.

On a terminal a progress line shows sites done, hosts with a request in
flight (active) and hosts waiting for their delay, pages, reports, failures
and the site last heard from; otherwise progress goes to stderr as log
lines. A summary
per site is printed at the end. Ctrl-C stops cleanly; the next crawl resumes
the unfinished queue. URLs that failed are retried by the next crawl. Before
fetching, a crawl parses again, from the archive, any body archived without a
recorded outcome (a killed crawl, an older nianbao; see 'nianbao check').

Exit status:
  0    every site was crawled and every URL fetched
  1    fatal error (bad database, store write failed)
  2    usage or config error
  3    some URLs failed (listed in the summary and recorded in the run)
  4    the database is in use by another nianbao process
  130  interrupted (Ctrl-C); the next crawl resumes

Flags:
`

func runCrawl(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("crawl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "configs/sites.yaml", "config file (YAML)")
	dbPath := fs.String("db", "", "database file (default: the config's db)")
	var only multiFlag
	fs.Var(&only, "site", "crawl only the site with this name (repeatable)")
	verbose := fs.Bool("v", false, "log every fetch and report to stderr")
	fs.Usage = func() { fmt.Fprint(stderr, crawlHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "nianbao crawl takes flags only"}
	}
	cfg, err := ReadConfig(*cfgPath)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	if *dbPath != "" {
		cfg.DB = *dbPath
	}
	sites := cfg.Sites
	if len(only) > 0 {
		sites = nil
		for _, name := range only {
			s, err := cfg.site(name)
			if err != nil {
				return err
			}
			sites = append(sites, s)
		}
	}
	defer setCrawlMemoryLimit(os.Getenv)()
	_, err = crawlSites(ctx, cfg, sites, crawlOutput{stdout: stdout, stderr: stderr, verbose: *verbose})
	return err
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// crawlOutput is where a crawl reports.
type crawlOutput struct {
	stdout, stderr io.Writer
	verbose        bool
	// quietSummary suppresses the summary table (the demo prints its own).
	quietSummary bool
	// storeOptions, when set, replaces the store options (benchmarks).
	storeOptions *store.Options
	// hook, when set (tests only), is called at named points of the
	// pipeline and the crawl state (see pipeline.hook, storeState.hook).
	hook func(point string)
}

// crawlResult is what one crawl did, for callers that print more.
type crawlResult struct {
	RunID string
	Sites []siteSummary
	// Healed counts archived bodies parsed again because they had no
	// outcome (an interrupted crawl, an archive of an older nianbao).
	Healed int
	// Browser is set when the crawl had a browser to render with.
	Browser bool
	// Hosts is the crawler's request state at the end (peaks included).
	Hosts crawler.HostStats
}

// siteSummary is the outcome of one site.
type siteSummary struct {
	Name    string
	Stats   crawler.Stats
	Reports siteResult
	Err     error // fatal error of the site, if any
}

// crawlSites crawls sites into cfg.DB and prints the summary. It returns a
// partialError when some URLs failed, an error wrapping context.Canceled
// when interrupted, and other errors when the store failed.
func crawlSites(ctx context.Context, cfg *Config, sites []SiteConfig, out crawlOutput) (*crawlResult, error) {
	sopts := &store.Options{}
	if out.storeOptions != nil {
		sopts = out.storeOptions
	}
	db, err := store.Open(cfg.DB, sopts)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return crawlSitesDB(ctx, db, cfg, sites, out)
}

// crawlSitesDB is crawlSites on a database the caller opened read-write
// and closes: 'nianbao serve' owns one for its lifetime and runs every
// scheduled crawl through here.
func crawlSitesDB(ctx context.Context, db *store.DB, cfg *Config, sites []SiteConfig, out crawlOutput) (*crawlResult, error) {
	if err := applyAgencyRules(db, cfg); err != nil {
		return nil, err
	}
	logLevel := slog.LevelWarn
	if out.verbose {
		logLevel = slog.LevelDebug
	}
	prog := newProgress(out.stderr, len(sites), logLevel)
	logger := slog.New(prog.handler())

	names := make([]string, len(sites))
	for i, s := range sites {
		names[i] = s.Name
	}
	runID, err := db.BeginRun(names)
	if err != nil {
		return nil, err
	}
	p := parser.New(parser.Options{PDFCacheDir: pdfCacheDir(), Timeout: time.Duration(noLimit(int64(cfg.ParseTimeout))),
		PDFMemoryLimit: int64(cfg.PDFMemoryLimit)})
	defer p.Close()
	state := newStoreState(db)
	pipe := newPipeline(db, p, runID, logger)
	pipe.hook, state.hook = out.hook, out.hook
	state.notModified = func(site string, rec crawler.Record) error { return pipe.settleURL(ctx, site, rec) }
	// Before anything is fetched: parse again what an interrupted crawl or
	// an older nianbao left archived without an outcome.
	if _, err := pipe.settle(ctx); err != nil {
		return nil, fmt.Errorf("settle the archive: %w", err)
	}

	jitter := cfg.Delay.D() / 2
	if jitter == 0 {
		jitter = -1 // none
	}
	browser, _ := cfg.browserPath() // checked by Validate
	c := crawler.New(crawler.Options{
		UserAgent:      cfg.UserAgent,
		Delay:          cfg.Delay.D(),
		RandomDelay:    jitter,
		Parallelism:    cfg.Parallelism,
		MaxInFlight:    cfg.MaxInFlight,
		MaxConnections: cfg.MaxConnections,
		MaxBodySize:    int64(cfg.MaxBodySize),
		Timeout:        cfg.Timeout.D(),
		Retries:        cfg.Retries,
		IgnoreRobots:   cfg.IgnoreRobots,
		Budget:         cfg.budget(),
		Logger:         logger,
		State:          state,
		OnEvent:        prog.event,
		Browser:        browser,
		BrowserTabs:    cfg.BrowserTabs,
		RenderTimeout:  cfg.RenderTimeout.D(),
	})
	defer c.Close()

	prog.start()
	summaries := make([]siteSummary, len(sites))
	var failMu sync.Mutex // protects failures
	var failures []store.URLFailure
	csites := make([]crawler.Site, len(sites))
	hosts := make([][]string, len(sites)) // each site's start hosts
	perHost := make([]int, len(sites))    // sites at once on them: the parallelism
	for i, s := range sites {
		site := crawler.Site{Name: s.Name, Start: s.Start, AllowedDomains: siteDomains(s), Parallelism: cfg.siteParallelism(s),
			ReportPattern: s.ReportPattern, ListPattern: s.ListPattern, Render: s.Render}
		siteBudget(&site, s)
		if s.Delay != nil {
			d := s.Delay.D()
			site.Delay = &d
		}
		csites[i], hosts[i], perHost[i] = site, site.Hosts(), site.Parallelism
	}
	// Sites run concurrent_sites at a time, and no more at once on a host
	// than its parallelism (the crawler shares a host's delay among its
	// sites anyway).
	gerr := runSitesByHost(ctx, hosts, perHost, cfg.ConcurrentSites, func(gctx context.Context, i int) error {
		s, site := sites[i], csites[i]
		stats, err := c.Fetch(gctx, site, pipe)
		summaries[i] = siteSummary{Name: s.Name, Stats: stats}
		var fatal []error
		for _, e := range flattenErrors(err) {
			var fe *crawler.FetchError
			switch {
			case errors.As(e, &fe):
				failMu.Lock()
				failures = append(failures, store.URLFailure{URL: fe.URL, Site: s.Name, Reason: fe.Reason, Status: fe.Status, Error: fe.Error(), At: time.Now()})
				failMu.Unlock()
			case errors.Is(e, context.Canceled) && ctx.Err() != nil:
				// Interrupted; reported once below.
			default:
				fatal = append(fatal, e)
			}
		}
		if ferr := state.Flush(); ferr != nil {
			fatal = append(fatal, ferr)
		}
		if len(fatal) > 0 {
			summaries[i].Err = errors.Join(fatal...)
			return fmt.Errorf("site %s: %w", s.Name, summaries[i].Err)
		}
		return nil
	})
	prog.stop()
	flushErr := state.Flush()
	results, finErr := pipe.finish(ctx, ctx.Err() != nil)
	for i := range summaries {
		if r := results[summaries[i].Name]; r != nil {
			summaries[i].Reports = *r
		}
	}
	run := store.Run{ID: runID, Kind: "crawl", Sites: names, Counts: store.Counts{NewCaptures: pipe.newCaptures, Failures: map[string]int{}}}
	for _, s := range summaries {
		run.Counts.PagesFetched += s.Stats.Lists + s.Stats.Reports + s.Stats.Attachments
		run.Counts.NotModified += s.Stats.NotModified
		run.Counts.NewReports += s.Reports.New
		run.Counts.NewVersions += s.Reports.Changed
		run.Counts.Rendered += s.Stats.Rendered
		run.Counts.ChallengesPassed += s.Stats.Challenges
	}
	pipe.mu.Lock()
	failures = append(failures, pipe.failures...)
	pipe.mu.Unlock()
	sort.Slice(failures, func(i, j int) bool {
		if failures[i].Site != failures[j].Site {
			return failures[i].Site < failures[j].Site
		}
		return failures[i].URL < failures[j].URL
	})
	for _, f := range failures {
		run.Counts.Failures[f.Reason]++
	}
	run.Failures = failures
	interrupted := ctx.Err() != nil
	if interrupted {
		// Leave Finished zero: the run did not complete. FinishRun needs a
		// time, so record the interruption as a failure reason instead.
		run.Counts.Failures["interrupted"]++
	}
	runErr := db.FinishRun(run)

	res := &crawlResult{RunID: runID, Sites: summaries, Healed: pipe.healed, Browser: browser != "", Hosts: c.HostStats()}
	if !out.quietSummary {
		printCrawlSummary(out.stdout, res, failures, interrupted)
	}
	switch {
	case interrupted:
		return res, fmt.Errorf("crawl interrupted; run 'nianbao crawl' again to resume: %w", context.Canceled)
	case gerr != nil:
		return res, gerr
	case flushErr != nil:
		return res, flushErr
	case finErr != nil:
		return res, finErr
	case runErr != nil:
		return res, runErr
	case len(failures) > 0:
		return res, partialError{err: fmt.Errorf("%d URLs failed (see the summary; they are retried by the next crawl)", len(failures))}
	}
	return res, nil
}

// flattenErrors unpacks errors.Join trees into their leaves.
func flattenErrors(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flattenErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// printCrawlSummary prints one line per site and the failed URLs.
func printCrawlSummary(w io.Writer, res *crawlResult, failures []store.URLFailure, interrupted bool) {
	header := []string{"site", "pages", "reports", "new", "changed", "unchanged", "not-mod", "failed"}
	if res.Browser {
		// Pages rendered in the browser, and challenges it passed.
		header = append(header, "rendered", "challenges")
	}
	rows := [][]string{header}
	var tot [9]int
	blocked := 0
	for _, s := range res.Sites {
		st, r := s.Stats, s.Reports
		failed := st.Failed
		for _, n := range r.Problems {
			failed += n
		}
		for reason, n := range st.Failures {
			if strings.HasPrefix(reason, "blocked") {
				blocked += n
			}
		}
		v := [9]int{st.Lists + st.Reports + st.Attachments, r.Found + st.NotModified, r.New, r.Changed, r.Unchanged, st.NotModified, failed,
			st.Rendered, st.Challenges}
		row := []string{s.Name}
		for i, n := range v[:len(header)-1] {
			tot[i] += n
			row = append(row, fmt.Sprint(n))
		}
		rows = append(rows, row)
	}
	total := []string{"total"}
	for _, n := range tot[:len(header)-1] {
		total = append(total, fmt.Sprint(n))
	}
	rows = append(rows, total)
	printTable(w, rows)
	if !res.Browser && blocked > 0 {
		fmt.Fprintf(w, "\n%d URLs answered with an anti-bot challenge or block page. With a browser (apt-get install chromium, or `browser:` in the config) the challenges that a script answers are passed.\n", blocked)
	}

	if len(failures) > 0 {
		fmt.Fprintf(w, "\nFailures (%d):\n", len(failures))
		bySite := map[string]map[string]int{}
		for _, f := range failures {
			if bySite[f.Site] == nil {
				bySite[f.Site] = map[string]int{}
			}
			bySite[f.Site][f.Reason]++
		}
		for _, s := range res.Sites {
			m := bySite[s.Name]
			if len(m) == 0 {
				continue
			}
			var reasons []string
			for r, n := range m {
				reasons = append(reasons, fmt.Sprintf("%s ×%d", r, n))
			}
			sort.Strings(reasons)
			fmt.Fprintf(w, "  %s: %s\n", s.Name, strings.Join(reasons, ", "))
		}
		for i, f := range failures {
			if i == 20 {
				fmt.Fprintf(w, "  … and %d more (nianbao keeps them in the run record)\n", len(failures)-20)
				break
			}
			fmt.Fprintf(w, "  %s  %s\n", f.Reason, f.URL)
		}
	}
	for _, s := range res.Sites {
		if s.Stats.Pending > 0 {
			fmt.Fprintf(w, "%s: %d URLs left in the queue; the next crawl resumes them\n", s.Name, s.Stats.Pending)
		}
	}
	if res.Healed > 0 {
		fmt.Fprintf(w, "%d archived bodies without a recorded outcome were parsed again from the archive\n", res.Healed)
	}
	if interrupted {
		fmt.Fprintln(w, "Interrupted.")
	}
	fmt.Fprintf(w, "Run %s\n", res.RunID)
}

// printTable prints rows as columns aligned by display width (CJK
// characters take two cells); the first column is left-aligned, the others
// right-aligned.
func printTable(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-displayWidth(c))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// displayWidth is the number of terminal cells s takes.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && (unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x30ff) || (r >= 0xff00 && r <= 0xff60) || (r >= 0xac00 && r <= 0xd7a3)):
			n += 2
		default:
			n++
		}
	}
	return n
}

// progress shows the crawl's progress: a redrawn line on a terminal,
// occasional log lines otherwise. Its methods are safe for concurrent use.
type progress struct {
	w     io.Writer
	tty   bool
	level slog.Level
	sites int

	mu      sync.Mutex // protects the fields below and writes to w
	stats   map[string]crawler.Stats
	hosts   crawler.HostStats // the latest event's, over all sites
	done    int
	current string
	last    time.Time
	shown   bool // a progress line is on screen
	stopped bool
}

func newProgress(w io.Writer, sites int, level slog.Level) *progress {
	return &progress{w: w, tty: isTerminal(w), level: level, sites: sites, stats: map[string]crawler.Stats{}}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// handler returns a slog handler that writes to w without tearing the
// progress line.
func (p *progress) handler() slog.Handler {
	return &progressHandler{p: p, h: slog.NewTextHandler(progressWriter{p}, &slog.HandlerOptions{Level: p.level})}
}

type progressWriter struct{ p *progress }

// Write clears the progress line (on a terminal) and writes b; the caller
// holds no lock.
func (pw progressWriter) Write(b []byte) (int, error) {
	pw.p.mu.Lock()
	defer pw.p.mu.Unlock()
	if pw.p.tty && pw.p.shown {
		fmt.Fprint(pw.p.w, "\r\033[K")
		pw.p.shown = false
	}
	return pw.p.w.Write(b)
}

type progressHandler struct {
	p *progress
	h slog.Handler
}

func (h *progressHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }
func (h *progressHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.h.Handle(ctx, r)
}
func (h *progressHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return &progressHandler{p: h.p, h: h.h.WithAttrs(a)}
}
func (h *progressHandler) WithGroup(n string) slog.Handler {
	return &progressHandler{p: h.p, h: h.h.WithGroup(n)}
}

func (p *progress) start() {
	p.mu.Lock()
	p.last = time.Now()
	p.mu.Unlock()
}

// event receives crawler events (serialised per site, concurrent across
// sites).
func (p *progress) event(ev crawler.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.stats[ev.Site] = ev.Stats
	p.hosts = ev.Hosts
	p.current = ev.Site
	if ev.Type == crawler.EventDone {
		p.done++
		if !p.tty {
			p.logLocked("site done", ev.Site, ev.Stats)
		}
	}
	interval := 10 * time.Second
	if p.tty {
		interval = 100 * time.Millisecond
	}
	if time.Since(p.last) < interval {
		return
	}
	p.last = time.Now()
	if p.tty {
		p.drawLocked()
	} else {
		p.logLocked("crawl progress", "", crawler.Stats{})
	}
}

// totalsLocked sums the sites' stats; p.mu must be held.
func (p *progress) totalsLocked() (pages, reports, notMod, failed int) {
	for _, s := range p.stats {
		pages += s.Lists + s.Reports + s.Attachments
		reports += s.Reports + s.Attachments
		notMod += s.NotModified
		failed += s.Failed
	}
	return
}

func (p *progress) drawLocked() {
	pages, reports, notMod, failed := p.totalsLocked()
	line := fmt.Sprintf("crawl: sites %d/%d · hosts %d active, %d waiting · pages %d · reports %d · not modified %d · failures %d · %s",
		p.done, p.sites, p.hosts.Active, p.hosts.Waiting, pages, reports, notMod, failed, p.current)
	fmt.Fprint(p.w, "\r\033[K"+line)
	p.shown = true
}

func (p *progress) logLocked(msg, site string, st crawler.Stats) {
	pages, reports, notMod, failed := p.totalsLocked()
	var b strings.Builder
	fmt.Fprintf(&b, "%s level=INFO msg=%q", time.Now().Format(time.RFC3339), msg)
	if site != "" {
		fmt.Fprintf(&b, " site=%q pages=%d reports=%d not_modified=%d failed=%d pending=%d",
			site, st.Lists+st.Reports+st.Attachments, st.Reports+st.Attachments, st.NotModified, st.Failed, st.Pending)
	} else {
		fmt.Fprintf(&b, " sites_done=%d/%d hosts_active=%d hosts_waiting=%d in_flight=%d pages=%d reports=%d not_modified=%d failed=%d current=%q",
			p.done, p.sites, p.hosts.Active, p.hosts.Waiting, p.hosts.InFlight, pages, reports, notMod, failed, p.current)
	}
	fmt.Fprintln(p.w, b.String())
}

// stop clears the progress line.
func (p *progress) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	if p.tty && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// applyAgencyRules stores the config's agencies: rules in the archive and
// applies them to the register (store.ApplyAgencyRules); a config without
// the key leaves the archive's rules as they are.
func applyAgencyRules(db *store.DB, cfg *Config) error {
	rules, err := cfg.agencyRules()
	if err != nil || rules == nil {
		return err
	}
	if _, err := db.ApplyAgencyRules(rules); err != nil {
		return fmt.Errorf("agency rules of %s: %w", cmp.Or(cfg.file, "the config"), err)
	}
	return nil
}
