package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"nianbao/crawler"
	"nianbao/parser"
	"nianbao/store"
)

// pipeline is the crawl's Sink: it archives every report page and
// attachment the crawler delivers, parses it with one shared parser (the
// PDF engine starts once per process) and stores the report as a new
// version when its numbers changed.
//
//   - List pages are counted, not archived.
//   - A body whose SHA-256 is already archived is skipped: not parsed, not
//     stored again (a re-crawl of an unchanged site does no parsing).
//   - An attachment is parsed only when its report page had no tables
//     (Report.NoTables set), or when it was linked from a list directly.
//     Otherwise it is archived only.
//   - A report page without tables (format none) is stored as a report
//     (with no cells) at the end of the run only if none of its
//     attachments yielded one, and not after an interruption. A legacy
//     (pre-2019) page is stored at once.
//
// Handle is called concurrently by the crawler. Problems with one document
// (a parse error, a report without a year) are counted and recorded in the
// run, not returned: Handle returns an error only when the store fails.
type pipeline struct {
	db       *store.DB
	parser   *parser.Parser
	runID    string
	log      *slog.Logger
	captures *captureBatcher

	mu sync.Mutex // protects the fields below
	// pages are the documents handled in this run, by URL; an attachment
	// waits on its parent's entry.
	pages map[string]*pageEntry
	// deferred are report pages without tables, by URL, waiting for the
	// end of the run.
	deferred map[string]deferredReport
	// sites are the per-site outcome counters.
	sites map[string]*siteResult
	// failures are the documents that could not be parsed or keyed.
	failures []store.URLFailure
	// newCaptures counts bodies archived for the first time.
	newCaptures int
}

var _ crawler.Sink = (*pipeline)(nil)

// pageEntry is what the pipeline learned about one handled document.
type pageEntry struct {
	done chan struct{} // closed when Handle finished with the document
	kind crawler.Kind
	// known is set when tablesKnown below is meaningful: the page was
	// parsed in this run.
	known bool
	// noTables is set for a report page without standard tables (or one
	// that failed to parse).
	noTables bool
	title    string
	// attachmentReports counts the reports stored from its attachments.
	attachmentReports int
}

// deferredReport is a report page without tables.
type deferredReport struct {
	site    string
	report  *parser.Report
	capture string
}

// siteResult counts the reports of one site in one run.
type siteResult struct {
	Found     int // report documents seen (stored, unchanged or skipped)
	New       int // reports stored for the first time
	Changed   int // reports that got a new version
	Unchanged int // reports whose numbers (or bytes) did not change
	Archived  int // attachments archived without parsing
	Problems  map[string]int
}

func newPipeline(db *store.DB, p *parser.Parser, runID string, log *slog.Logger) *pipeline {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &pipeline{db: db, parser: p, runID: runID, log: log, captures: &captureBatcher{db: db}, pages: map[string]*pageEntry{},
		deferred: map[string]deferredReport{}, sites: map[string]*siteResult{}}
}

func (p *pipeline) site(name string) *siteResult {
	s := p.sites[name]
	if s == nil {
		s = &siteResult{Problems: map[string]int{}}
		p.sites[name] = s
	}
	return s
}

// Handle implements crawler.Sink.
func (p *pipeline) Handle(ctx context.Context, doc crawler.Document) error {
	entry := &pageEntry{done: make(chan struct{}), kind: doc.Kind, title: firstNonEmpty(doc.Title, doc.LinkText)}
	p.mu.Lock()
	p.pages[doc.URL] = entry
	if doc.FinalURL != "" && doc.FinalURL != doc.URL {
		p.pages[doc.FinalURL] = entry
	}
	p.mu.Unlock()
	defer close(entry.done)

	if doc.Kind == crawler.KindList {
		return nil
	}
	parse, parent := true, (*pageEntry)(nil)
	if doc.Kind == crawler.KindAttachment && doc.Parent != "" {
		var err error
		parse, parent, err = p.attachmentNeedsParse(ctx, doc)
		if err != nil {
			return err
		}
	}

	has, err := p.db.HasCapture(doc.SHA256)
	if err != nil {
		return fmt.Errorf("check capture %s: %w", doc.URL, err)
	}
	if has {
		// Archived before: same bytes, same report. A page skipped here
		// leaves entry.known false; its attachments then look it up.
		p.mu.Lock()
		if parse && (doc.Kind == crawler.KindReport || parent == nil || parent.kind == crawler.KindList) {
			s := p.site(doc.Site)
			s.Found++
			s.Unchanged++
		}
		p.mu.Unlock()
		return nil
	}
	fetched := doc.FetchedAt
	if fetched.IsZero() {
		fetched = time.Now()
	}
	finalURL := doc.FinalURL
	if finalURL == doc.URL {
		finalURL = ""
	}
	title := entry.title
	if parent != nil && parent.title != "" && doc.Kind == crawler.KindAttachment && parent.kind == crawler.KindReport {
		title = parent.title
	}
	isNew, err := p.captures.put(store.Capture{SHA256: doc.SHA256, URL: doc.URL, FinalURL: finalURL, Status: doc.Status,
		ContentType: doc.ContentType, ETag: doc.ETag, LastModified: doc.LastModified, FetchedAt: fetched,
		RunID: p.runID, Site: doc.Site, Agency: doc.Site, Title: title, Published: doc.Published}, doc.Body)
	if err != nil {
		return fmt.Errorf("archive %s: %w", doc.URL, err)
	}
	p.mu.Lock()
	if isNew {
		p.newCaptures++
	}
	if !parse {
		p.site(doc.Site).Archived++
	}
	p.mu.Unlock()
	if !parse {
		return nil
	}

	r, err := p.parser.Parse(doc.Body, parser.Source{URL: doc.URL, FetchedAt: fetched, ContentType: doc.ContentType,
		Agency: doc.Site, Title: title, Published: doc.Published})
	if err != nil {
		entry.known, entry.noTables = true, true
		p.problem(doc, "parse", err)
		return nil
	}
	entry.known = true
	if strings.HasPrefix(r.NoTables, parser.NoTablesTooComplex) {
		// Abandoned at a parse limit: archived, recorded in the run, and
		// stored as a report without tables when its year is known.
		p.problem(doc, "parse: too complex", errors.New(r.NoTables))
		if r.Year <= 0 {
			entry.noTables = true
			return nil
		}
	}
	if len(r.Cells) == 0 {
		entry.noTables = true
		if doc.Kind == crawler.KindReport && r.Format == parser.FormatNone {
			// Wait for the attachments; stored at finish if none has tables.
			if r.Year <= 0 {
				p.problem(doc, "parse: no year", fmt.Errorf("report page without tables and without a year (%s)", r.NoTables))
				return nil
			}
			p.mu.Lock()
			p.deferred[doc.URL] = deferredReport{site: doc.Site, report: r, capture: doc.SHA256}
			p.mu.Unlock()
			return nil
		}
	}
	if r.Year <= 0 {
		p.problem(doc, "parse: no year", errors.New("the report's year could not be determined"))
		return nil
	}
	res, err := p.db.PutReport(r, []string{doc.SHA256}, p.runID)
	if err != nil {
		return fmt.Errorf("store report %s %d from %s: %w", r.Agency, r.Year, doc.URL, err)
	}
	p.mu.Lock()
	p.count(doc.Site, res)
	if parent != nil && len(r.Cells) > 0 {
		parent.attachmentReports++
	}
	p.mu.Unlock()
	p.log.Debug("report", "site", doc.Site, "agency", r.Agency, "year", r.Year, "format", r.Format, "version", res.Version, "changed", res.Changed, "url", doc.URL)
	return nil
}

// count adds a PutReport outcome to the site's counters; p.mu must be held.
func (p *pipeline) count(site string, res store.PutResult) {
	s := p.site(site)
	s.Found++
	switch {
	case res.Created:
		s.New++
	case res.Changed:
		s.Changed++
	default:
		s.Unchanged++
	}
}

// problem records a document the pipeline could not turn into a report.
func (p *pipeline) problem(doc crawler.Document, reason string, err error) {
	p.log.Warn("report not stored", "site", doc.Site, "url", doc.URL, "reason", reason, "err", err)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.site(doc.Site).Problems[reason]++
	p.failures = append(p.failures, store.URLFailure{URL: doc.URL, Site: doc.Site, Reason: reason, Status: doc.Status, Error: err.Error(), At: time.Now()})
}

// attachmentNeedsParse decides whether an attachment is parsed: yes when
// its parent is a list page or a report page without tables. It waits for
// the parent's Handle when it is running (the crawler discovers an
// attachment before it hands the parent to the sink), and asks the archive
// about a parent handled in an earlier run.
func (p *pipeline) attachmentNeedsParse(ctx context.Context, doc crawler.Document) (bool, *pageEntry, error) {
	var parent *pageEntry
	// The parent's Handle normally starts before the attachment's request
	// completes; allow a little time for the rare opposite order.
	for wait := time.Millisecond; ; wait *= 2 {
		p.mu.Lock()
		parent = p.pages[doc.Parent]
		p.mu.Unlock()
		if parent != nil || wait > 256*time.Millisecond {
			break
		}
		select {
		case <-ctx.Done():
			return false, nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	if parent != nil {
		select {
		case <-parent.done:
		case <-ctx.Done():
			return false, nil, ctx.Err()
		}
		if parent.kind == crawler.KindList {
			return true, parent, nil
		}
		if parent.known {
			return parent.noTables, parent, nil
		}
	}
	// The parent was handled in an earlier run (or skipped as archived):
	// re-read its archived body.
	pr, err := p.archived(doc.Parent)
	if err != nil {
		return false, parent, err
	}
	if pr == nil {
		return true, parent, nil
	}
	if parent == nil {
		parent = &pageEntry{done: closedChan, kind: crawler.KindReport}
	}
	if len(pr.Cells) == 0 {
		// Read-only use by this attachment: a fresh entry, not the shared
		// one, so no lock is needed.
		parent = &pageEntry{done: closedChan, kind: crawler.KindReport, known: true, noTables: true,
			title: firstNonEmpty(pr.Title, parent.title)}
		return true, parent, nil
	}
	return false, parent, nil
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// archived parses the body last fetched from url as archived; it returns
// nil when nothing (readable) is archived for it.
func (p *pipeline) archived(url string) (*parser.Report, error) {
	us, err := p.db.URLState(url)
	if errors.Is(err, store.ErrNotFound) || (err == nil && us.SHA256 == "") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", url, err)
	}
	body, err := p.db.CaptureBody(us.SHA256)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read archived %s: %w", url, err)
	}
	c, err := p.db.Capture(us.SHA256)
	if err != nil {
		return nil, fmt.Errorf("read archived %s: %w", url, err)
	}
	r, err := p.parser.Parse(body, parser.Source{URL: url, ContentType: c.ContentType, Agency: c.Agency, Title: c.Title, Published: c.Published})
	if err != nil {
		return nil, nil
	}
	return r, nil
}

// finish stores the deferred report pages whose attachments yielded no
// report, and returns the per-site results. After an interrupted run the
// deferred pages are not stored: their attachments may still be queued,
// and a page stored now would stay beside the attachment's report when
// the two name the organ differently.
func (p *pipeline) finish(interrupted bool) (map[string]*siteResult, error) {
	p.mu.Lock()
	urls := make([]string, 0, len(p.deferred))
	for u := range p.deferred {
		urls = append(urls, u)
	}
	if interrupted {
		urls = nil
	}
	p.mu.Unlock()
	sort.Strings(urls)
	for _, u := range urls {
		p.mu.Lock()
		d := p.deferred[u]
		e := p.pages[u]
		skip := e != nil && e.attachmentReports > 0
		p.mu.Unlock()
		if skip {
			continue
		}
		res, err := p.db.PutReport(d.report, []string{d.capture}, p.runID)
		if err != nil {
			return nil, fmt.Errorf("store report %s %d from %s: %w", d.report.Agency, d.report.Year, u, err)
		}
		p.mu.Lock()
		p.count(d.site, res)
		p.mu.Unlock()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deferred = map[string]deferredReport{}
	return p.sites, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// captureBatcher writes the captures of concurrent Handle calls in shared
// transactions (group commit): the first caller to find no write in
// progress becomes the leader and writes everything queued, in batches,
// until the queue is empty; the others wait for their result. One fsync'd
// commit then serves several documents.
type captureBatcher struct {
	db *store.DB

	mu      sync.Mutex // protects pending and writing
	pending []*captureReq
	writing bool
}

type captureReq struct {
	item  store.CaptureItem
	isNew bool
	err   error
	done  chan struct{}
}

// put stores body with provenance c and reports whether it was new.
func (b *captureBatcher) put(c store.Capture, body []byte) (bool, error) {
	req := &captureReq{item: store.CaptureItem{Capture: c, Body: body}, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, req)
	lead := !b.writing
	b.writing = true
	b.mu.Unlock()
	if lead {
		for {
			b.mu.Lock()
			batch := b.pending
			b.pending = nil
			if len(batch) == 0 {
				b.writing = false
				b.mu.Unlock()
				break
			}
			b.mu.Unlock()
			items := make([]store.CaptureItem, len(batch))
			for i, r := range batch {
				items[i] = r.item
			}
			isNew, err := b.db.PutCaptures(items)
			for i, r := range batch {
				if err == nil {
					r.isNew = isNew[i]
				}
				r.err = err
				close(r.done)
			}
		}
	}
	<-req.done
	return req.isNew, req.err
}
