package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
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
//   - Every other document gets an outcome (store.Outcome): the report
//     version it made, or why it made none. The body, its report version
//     and its outcome are written in one transaction, shared with the
//     documents handled at the same time (group commit, docBatcher); the
//     crawler records the URL's validators only after Handle returned, so a
//     URL whose validators are stored always has its outcome.
//   - A body that already has an outcome at its URL is skipped: not parsed,
//     not stored again (a re-crawl of an unchanged site does no parsing).
//     The same bytes at another URL are recorded as a duplicate. A body
//     stored without an outcome (an archive written by an older nianbao)
//     is parsed as if new.
//   - An attachment is parsed only when its report page had no tables
//     (Report.NoTables set), or when it was linked from a list directly.
//     Otherwise it is archived only.
//   - A report page without tables (format none) is recorded as deferred
//     and stored as a report (with no cells) at the end of the run only if
//     none of its attachments yielded one; not after an interruption (the
//     next crawl settles it). A legacy (pre-2019) page is stored at once.
//
// Handle is called concurrently by the crawler. Problems with one document
// (a parse error, a report without a year) are counted and recorded in the
// run, not returned: Handle returns an error only when the store fails.
//
// Parsing is off the fetch path (issue 11): the crawler hands a document
// over after releasing its fetch slot, and keeps up to
// crawler.Options.MaxDocuments documents in Handle at once (more page
// requests wait when they are all taken: backpressure). Of those, at most
// GOMAXPROCS parse at a time (parse below); the others wait for a core or
// for the group commit, so that many documents share one fsync while the
// parse uses every core and no more memory than one parse per core. Handle
// still returns only once the document's body, report and outcome are
// committed, so the crawler records the URL after its outcome.
type pipeline struct {
	db     *store.DB
	parser *parser.Parser
	runID  string
	log    *slog.Logger
	docs   *docBatcher
	// parsing holds one token per parse running (cap GOMAXPROCS).
	parsing chan struct{}
	// hook, when set (tests only), is called at named points of the work
	// on a document: "parsed" (decided, nothing written), "committed"
	// (body, report and outcome written, crawl state not yet) and
	// "finish" (the end of the run, before the deferred pages are
	// settled).
	hook func(point string)

	mu sync.Mutex // protects the fields below
	// pages are the documents handled in this run, by URL; an attachment
	// waits on its parent's entry.
	pages map[string]*pageEntry
	// deferred are report pages without tables, by URL, waiting for the
	// end of the run.
	deferred map[string]deferredReport
	// replaced are deferred pages whose URL served another body later in
	// the run (one settled from an earlier run, then fetched anew); finish
	// records them as superseded.
	replaced []deferredReport
	// sites are the per-site outcome counters.
	sites map[string]*siteResult
	// failures are the documents that could not be parsed or keyed.
	failures []store.URLFailure
	// newCaptures counts bodies archived for the first time.
	newCaptures int
	// healed counts archived bodies handed to the pipeline again because
	// they had no final outcome (reread).
	healed int
}

var _ crawler.Sink = (*pipeline)(nil)

// pageEntry is what the pipeline learned about one handled document.
type pageEntry struct {
	done chan struct{} // closed when Handle finished with the document
	kind crawler.Kind
	// known is set when noTables below is meaningful: the page was parsed
	// in this run, or its outcome was read.
	known bool
	// noTables is set for a report page without standard tables (or one
	// that failed to parse).
	noTables bool
	// title is the page's own title hint (crawler.Document.Title) and
	// linkText the text of the list link that led to it: kept apart, as
	// the parser trusts them differently (parser.Source).
	title    string
	linkText string
}

// deferredReport is a report page without tables.
type deferredReport struct {
	url     string // set in pipeline.replaced only
	site    string
	report  *parser.Report
	capture string
	reread  bool // read back from the archive (handleOptions.reread)
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
	return &pipeline{db: db, parser: p, runID: runID, log: log, docs: &docBatcher{db: db}, parsing: make(chan struct{}, runtime.GOMAXPROCS(0)),
		pages:    map[string]*pageEntry{},
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

func (p *pipeline) at(point string) {
	if p.hook != nil {
		p.hook(point)
	}
}

// Handle implements crawler.Sink.
func (p *pipeline) Handle(ctx context.Context, doc crawler.Document) error {
	return p.handle(ctx, doc, handleOptions{waitParent: true})
}

// handleOptions modify handle for documents read back from the archive.
type handleOptions struct {
	// waitParent: an attachment whose parent page is not (yet) known in
	// this run waits a little for it, as during a crawl.
	waitParent bool
	// force: parse even when the body has a final outcome at its URL
	// (check --repair of an outcome that names a missing version).
	force bool
	// reread: the document was read back from the archive, not fetched;
	// its report is counted as new or changed but not as found (the crawl
	// counts its URL when it answers 304).
	reread bool
}

func (p *pipeline) handle(ctx context.Context, doc crawler.Document, o handleOptions) error {
	entry := &pageEntry{done: make(chan struct{}), kind: doc.Kind, title: doc.Title, linkText: doc.LinkText}
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
		parse, parent, err = p.attachmentNeedsParse(ctx, doc, o.waitParent)
		if err != nil {
			return err
		}
	}
	counted := parse && (doc.Kind == crawler.KindReport || parent == nil || parent.kind == crawler.KindList)

	p.mu.Lock()
	if d, ok := p.deferred[doc.URL]; ok && d.capture != doc.SHA256 {
		// The URL serves another body now: its deferred one is stale.
		delete(p.deferred, doc.URL)
		d.url = doc.URL
		p.replaced = append(p.replaced, d)
	}
	p.mu.Unlock()
	outs, stored, err := p.db.Outcomes(doc.SHA256)
	if err != nil {
		return fmt.Errorf("look up %s: %w", doc.URL, err)
	}
	var mine, other *store.Outcome
	for i := range outs {
		switch {
		case outs[i].URL == doc.URL:
			mine = &outs[i]
		case other == nil && outs[i].Result.Final():
			other = &outs[i]
		}
	}
	// outcome is the outcome every write below starts from.
	outcome := store.Outcome{URL: doc.URL, Kind: string(doc.Kind), Parent: doc.Parent, RunID: p.runID}
	switch {
	case mine != nil && mine.Result.Final() && !o.force:
		// Archived and settled before: same bytes, same outcome.
		entry.known, entry.noTables = parsedOutcome(*mine)
		p.mu.Lock()
		if counted {
			s := p.site(doc.Site)
			s.Found++
			s.Unchanged++
		}
		p.mu.Unlock()
		return nil
	case mine == nil && other != nil && stored && !o.force:
		// The same bytes were handled at another URL.
		entry.known, entry.noTables = parsedOutcome(*other)
		outcome.Result, outcome.Of = store.ResultDuplicate, other.URL
		outcome.Agency, outcome.Year = other.Agency, other.Year
		if _, err := p.put(ctx, store.Document{Capture: store.Capture{SHA256: doc.SHA256}, Outcome: outcome}); err != nil {
			return fmt.Errorf("record %s: %w", doc.URL, err)
		}
		p.mu.Lock()
		if counted {
			s := p.site(doc.Site)
			s.Found++
			s.Unchanged++
		}
		p.mu.Unlock()
		return nil
	}
	// From here on: a new body, or one stored before without a final
	// outcome here (an older nianbao's archive, a page deferred by an
	// interrupted run, a repair).
	fetched := doc.FetchedAt
	if fetched.IsZero() {
		fetched = time.Now()
	}
	finalURL := doc.FinalURL
	if finalURL == doc.URL {
		finalURL = ""
	}
	// An attachment of a report page takes the page's title and the link
	// that led to the page (the list names the report's organ; the link to
	// an attachment is often only "附件1" or a file name).
	title, linkText := entry.title, entry.linkText
	if parent != nil && doc.Kind == crawler.KindAttachment && parent.kind == crawler.KindReport {
		title = firstNonEmpty(parent.title, title)
		linkText = firstNonEmpty(parent.linkText, linkText)
	}
	sd := store.Document{Capture: store.Capture{SHA256: doc.SHA256, URL: doc.URL, FinalURL: finalURL, Status: doc.Status,
		ContentType: doc.ContentType, ETag: doc.ETag, LastModified: doc.LastModified, FetchedAt: fetched,
		RunID: p.runID, Site: doc.Site, Agency: doc.Site, Title: title, LinkText: linkText, Published: doc.Published, Rendered: doc.Rendered}}
	if !stored {
		sd.Body = doc.Body
	}
	if doc.Rendered && len(doc.Raw) > 0 {
		// The bytes the server sent are kept beside the rendered page, with
		// an outcome of their own (archived: the rendered page is the one
		// parsed), so no body at this URL is ever left without one.
		raw := sd.Capture
		raw.SHA256, raw.ContentType, raw.Rendered = "", doc.RawContentType, false
		sum := sha256.Sum256(doc.Raw)
		raw.SHA256 = hex.EncodeToString(sum[:])
		rawOut := outcome
		rawOut.Result, rawOut.Detail = store.ResultArchived, "as served, before rendering"
		if _, err := p.put(ctx, store.Document{Capture: raw, Body: doc.Raw, Outcome: rawOut}); err != nil {
			return fmt.Errorf("archive %s (as served): %w", doc.URL, err)
		}
		sd.Capture.RawSHA256 = raw.SHA256
	}
	if !parse {
		sd.Outcome = outcome
		sd.Outcome.Result = store.ResultArchived
		if _, err := p.put(ctx, sd); err != nil {
			return fmt.Errorf("archive %s: %w", doc.URL, err)
		}
		p.mu.Lock()
		p.site(doc.Site).Archived++
		p.mu.Unlock()
		return nil
	}

	r, err := p.parse(ctx, doc.Body, parser.Source{URL: doc.URL, FetchedAt: fetched, ContentType: doc.ContentType,
		Agency: doc.Site, Title: title, LinkText: linkText, Published: doc.Published})
	if ctx.Err() != nil && r == nil && errors.Is(err, ctx.Err()) {
		return err // interrupted while waiting for a core: nothing written
	}
	var problem error
	reason := ""
	// A document abandoned at a parse limit is archived and recorded in
	// the run as "parse: too complex"; with a known year it is also kept
	// as a report without tables (deferred like any table-less page).
	tooComplex := err == nil && strings.HasPrefix(r.NoTables, parser.NoTablesTooComplex)
	switch {
	case err != nil:
		entry.known, entry.noTables = true, true
		outcome.Result, outcome.Detail = store.ResultParseError, err.Error()
		if errors.Is(err, parser.ErrUnknownFormat) {
			outcome.Result = store.ResultNotReport
		}
		reason, problem = "parse", err
	case len(r.Cells) == 0 && doc.Kind == crawler.KindReport && r.Format == parser.FormatNone && r.Year > 0:
		// Wait for the attachments; stored at finish if none has tables.
		entry.known, entry.noTables = true, true
		outcome.Result, outcome.Agency, outcome.Year, outcome.Detail = store.ResultDeferred, r.Agency, r.Year, r.NoTables
	case r.Year <= 0:
		entry.known, entry.noTables = true, len(r.Cells) == 0
		outcome.Result, outcome.Agency = store.ResultNoYear, r.Agency
		reason, problem = "parse: no year", errors.New("the report's year could not be determined")
		if len(r.Cells) == 0 {
			problem = fmt.Errorf("report page without tables and without a year (%s)", r.NoTables)
		}
		if tooComplex {
			reason, problem = "parse: too complex", errors.New(r.NoTables)
		}
		outcome.Detail = problem.Error()
	default:
		entry.known, entry.noTables = true, len(r.Cells) == 0
		sd.Report = r
	}
	sd.Outcome = outcome
	p.at("parsed")
	res, err := p.put(ctx, sd)
	if err != nil {
		if r != nil && sd.Report != nil {
			return fmt.Errorf("store report %s %d from %s: %w", r.Agency, r.Year, doc.URL, err)
		}
		return fmt.Errorf("archive %s: %w", doc.URL, err)
	}
	if problem != nil {
		p.problem(doc, reason, problem)
		return nil
	}
	if tooComplex {
		p.problem(doc, "parse: too complex", errors.New(r.NoTables))
	}
	if outcome.Result == store.ResultDeferred {
		p.mu.Lock()
		p.deferred[doc.URL] = deferredReport{site: doc.Site, report: r, capture: doc.SHA256, reread: o.reread}
		p.mu.Unlock()
		return nil
	}
	p.mu.Lock()
	p.count(doc.Site, res.Report, !o.reread)
	p.mu.Unlock()
	p.log.Debug("report", "site", doc.Site, "agency", r.Agency, "year", r.Year, "format", r.Format, "version", res.Report.Version, "changed", res.Report.Changed, "url", doc.URL)
	return nil
}

// parse parses body on one of the pipeline's GOMAXPROCS parse slots; it
// returns ctx's error, without parsing, when ctx ends while it waits for
// one.
func (p *pipeline) parse(ctx context.Context, body []byte, src parser.Source) (*parser.Report, error) {
	select {
	case p.parsing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.parsing }()
	return p.parser.Parse(body, src)
}

// put writes one document through the group commit and counts a new
// body.
func (p *pipeline) put(ctx context.Context, d store.Document) (store.DocumentResult, error) {
	res, err := p.docs.put(d)
	if err != nil {
		return res, err
	}
	if res.NewCapture {
		p.mu.Lock()
		p.newCaptures++
		p.mu.Unlock()
	}
	p.at("committed")
	return res, nil
}

// settle prepares the archive for a crawl that will trust its crawl state
// (a 304 means "archived"): it records the outcome of every URL's current
// body that a report version was made from (store.AdoptVersions), then
// parses again, from the archive, every body still without a final
// outcome (store.Unsettled): bodies an older nianbao stored without their
// report, and report pages left deferred by an interrupted run. Nothing is
// downloaded. It returns how many bodies it handled.
func (p *pipeline) settle(ctx context.Context) (int, error) {
	if _, err := p.db.AdoptVersions(ctx); err != nil {
		return 0, err
	}
	probs, err := p.db.Unsettled(ctx)
	if err != nil {
		return 0, err
	}
	if len(probs) > 0 {
		p.log.Warn("settling archived bodies without a final outcome (an interrupted crawl, or an archive of an older nianbao): parsing them from the archive", "bodies", len(probs))
	}
	return p.settleProblems(ctx, probs, false)
}

// settleProblems hands the bodies of problems (ProblemNoOutcome,
// ProblemDeferred, ProblemBadOutcome) to the pipeline again, report pages
// before attachments so that an attachment finds its page's entry. A
// deferred page that is no longer its URL's current body is recorded as
// superseded without parsing. force parses bodies whose outcome is final
// (a bad outcome).
func (p *pipeline) settleProblems(ctx context.Context, probs []store.Problem, force bool) (int, error) {
	probs = slices.Clone(probs)
	slices.SortStableFunc(probs, func(a, b store.Problem) int {
		return cmp.Or(cmp.Compare(boolInt(a.DocKind == string(crawler.KindAttachment)), boolInt(b.DocKind == string(crawler.KindAttachment))),
			cmp.Compare(a.URL, b.URL))
	})
	n := 0
	for _, pr := range probs {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		switch pr.Kind {
		case store.ProblemDeferred:
			if !pr.Current {
				_, err := p.db.PutOutcome(store.Outcome{URL: pr.URL, SHA256: pr.SHA256, Result: store.ResultSuperseded, Kind: pr.DocKind,
					Parent: pr.Parent, Agency: pr.Agency, Year: pr.Year, RunID: p.runID, Detail: "the URL has since served another body"})
				if err != nil {
					return n, fmt.Errorf("settle %s: %w", pr.URL, err)
				}
				n++
				continue
			}
		case store.ProblemNoOutcome, store.ProblemBadOutcome:
		default:
			continue
		}
		if err := p.reread(ctx, pr.Site, pr.URL, pr.SHA256, crawler.Kind(pr.DocKind), pr.Parent, force); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// reread hands the archived body sha, fetched from url, to the pipeline
// again as if the crawler had just fetched it (without waiting for a
// parent page: there is no crawl running). A body that cannot be read back
// is recorded as a failure of the run, not returned.
func (p *pipeline) reread(ctx context.Context, site, url, sha string, kind crawler.Kind, parent string, force bool) error {
	c, err := p.db.Capture(sha)
	if err != nil {
		return fmt.Errorf("read archived %s: %w", url, err)
	}
	site = firstNonEmpty(site, c.Site, c.Agency)
	body, err := p.db.CaptureBody(sha)
	if errors.Is(err, store.ErrCorrupt) || errors.Is(err, store.ErrNotFound) {
		p.problem(crawler.Document{Site: site, URL: url, Status: c.Status}, "archive", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read archived %s: %w", url, err)
	}
	if kind == "" {
		kind = crawler.KindReport
	}
	finalURL := ""
	if c.URL == url {
		finalURL = c.FinalURL
	}
	p.log.Info("parsing an archived body that has no outcome", "url", url, "sha256", sha, "kind", kind)
	p.mu.Lock()
	p.healed++
	p.mu.Unlock()
	doc := crawler.Document{Site: site, Kind: kind, URL: url, FinalURL: finalURL, Status: c.Status, ContentType: c.ContentType,
		ETag: c.ETag, LastModified: c.LastModified, FetchedAt: c.FetchedAt, Body: body, SHA256: sha, Parent: parent,
		Title: c.Title, LinkText: c.LinkText, Published: c.Published}
	return p.handle(ctx, doc, handleOptions{force: force, reread: true})
}

// settleURL makes sure a URL that answered 304 has the outcome of the body
// its crawl state names: when the archive holds that body without one, it
// is parsed again from the archive, not downloaded. settle has normally
// done this for every URL before the crawl started.
func (p *pipeline) settleURL(ctx context.Context, site string, rec crawler.Record) error {
	if rec.SHA256 == "" || rec.Kind == crawler.KindList {
		return nil
	}
	_, err := p.db.Outcome(rec.SHA256, rec.URL)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if ok, err := p.db.HasCapture(rec.SHA256); err != nil || !ok {
		return err
	}
	parent := ""
	if rec.Kind == crawler.KindAttachment {
		err := p.db.ForEachURL(ctx, func(us store.URLState) error {
			if parent == "" && slices.Contains(us.Attachments, rec.URL) {
				parent = us.URL
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return p.reread(ctx, site, rec.URL, rec.SHA256, rec.Kind, parent, false)
}

// parsedOutcome says what an outcome tells about a page's tables: known
// is false when the body was not parsed (archived, duplicate).
func parsedOutcome(o store.Outcome) (known, noTables bool) {
	switch o.Result {
	case store.ResultArchived, store.ResultDuplicate:
		return false, false
	case store.ResultReport:
		return true, o.Cells == 0
	}
	return true, true
}

// count adds a PutReport outcome to the site's counters (found: also
// as a report document seen); p.mu must be held.
func (p *pipeline) count(site string, res store.PutResult, found bool) {
	s := p.site(site)
	if found {
		s.Found++
	}
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
// its parent is a list page or a report page without tables. With wait,
// it waits for the parent's Handle when it is running (the crawler
// discovers an attachment before it hands the parent to the sink). A
// parent handled in an earlier run is judged by its outcome, or by its
// archived body.
func (p *pipeline) attachmentNeedsParse(ctx context.Context, doc crawler.Document, wait bool) (bool, *pageEntry, error) {
	var parent *pageEntry
	// The parent's Handle normally starts before the attachment's request
	// completes; allow a little time for the rare opposite order.
	for delay := time.Millisecond; ; delay *= 2 {
		p.mu.Lock()
		parent = p.pages[doc.Parent]
		p.mu.Unlock()
		if parent != nil || !wait || delay > 256*time.Millisecond {
			break
		}
		select {
		case <-ctx.Done():
			return false, nil, ctx.Err()
		case <-time.After(delay):
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
	// The parent was handled in an earlier run (or skipped as archived).
	title, linkText := "", ""
	if parent != nil {
		title, linkText = parent.title, parent.linkText
	}
	known, noTables, pc, err := p.archived(doc.Parent)
	if err != nil {
		return false, parent, err
	}
	if !known {
		return true, parent, nil
	}
	// Read-only use by this attachment: a fresh entry, not the shared one,
	// so no lock is needed.
	return noTables, &pageEntry{done: closedChan, kind: crawler.KindReport, known: true, noTables: noTables,
		title: firstNonEmpty(pc.Title, title), linkText: firstNonEmpty(pc.LinkText, linkText)}, nil
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// archived tells whether the body last fetched from url has tables: from
// its outcome when one is recorded, else by parsing it as archived. known
// is false when nothing (readable) is archived for url. c is the body's
// provenance, with its Title set to the parsed title when it had none.
func (p *pipeline) archived(url string) (known, noTables bool, c store.Capture, err error) {
	us, err := p.db.URLState(url)
	if errors.Is(err, store.ErrNotFound) || (err == nil && us.SHA256 == "") {
		return false, false, c, nil
	}
	if err != nil {
		return false, false, c, fmt.Errorf("look up %s: %w", url, err)
	}
	c, err = p.db.Capture(us.SHA256)
	if errors.Is(err, store.ErrNotFound) {
		return false, false, store.Capture{}, nil
	}
	if err != nil {
		return false, false, store.Capture{}, fmt.Errorf("read archived %s: %w", url, err)
	}
	if o, err := p.db.Outcome(us.SHA256, url); err == nil {
		if known, noTables := parsedOutcome(o); known {
			return true, noTables, c, nil
		}
	}
	body, err := p.db.CaptureBody(us.SHA256)
	if err != nil {
		return false, false, store.Capture{}, fmt.Errorf("read archived %s: %w", url, err)
	}
	// Not cut short by an interruption: a parse error here would read as
	// "no tables known" and decide the attachment wrongly.
	r, err := p.parse(context.Background(), body, parser.Source{URL: url, ContentType: c.ContentType, Agency: c.Agency, Title: c.Title,
		LinkText: c.LinkText, Published: c.Published})
	if err != nil {
		return false, false, c, nil
	}
	c.Title = firstNonEmpty(r.Title, c.Title)
	return true, len(r.Cells) == 0, c, nil
}

// finish settles the deferred report pages: a page one of whose
// attachments yielded a report with tables (in this run or an earlier
// one) is recorded as superseded, the others are stored as reports, all in
// one transaction. It returns the per-site results. After an interrupted
// run the deferred pages are left deferred: their attachments may still be
// queued, and a page stored now would stay beside the attachment's report
// when the two name the organ differently; the next crawl settles them.
func (p *pipeline) finish(ctx context.Context, interrupted bool) (map[string]*siteResult, error) {
	p.mu.Lock()
	urls := make([]string, 0, len(p.deferred))
	for u := range p.deferred {
		urls = append(urls, u)
	}
	if interrupted {
		urls = nil
	}
	var docs []store.Document
	for _, d := range p.replaced {
		docs = append(docs, store.Document{Capture: store.Capture{SHA256: d.capture, URL: d.url},
			Outcome: store.Outcome{URL: d.url, Kind: string(crawler.KindReport), RunID: p.runID, Agency: d.report.Agency, Year: d.report.Year,
				Result: store.ResultSuperseded, Detail: "the URL has since served another body"}})
	}
	p.replaced = nil
	p.mu.Unlock()
	if len(docs) > 0 {
		if _, err := p.db.PutDocuments(docs); err != nil {
			return nil, fmt.Errorf("record %d replaced report pages: %w", len(docs), err)
		}
	}
	if len(urls) > 0 {
		p.at("finish")
		sort.Strings(urls)
		supersededBy, err := p.attachmentReports(ctx, urls)
		if err != nil {
			return nil, err
		}
		docs := make([]store.Document, len(urls))
		p.mu.Lock()
		for i, u := range urls {
			d := p.deferred[u]
			docs[i] = store.Document{Capture: store.Capture{SHA256: d.capture, URL: u},
				Outcome: store.Outcome{URL: u, Kind: string(crawler.KindReport), RunID: p.runID, Agency: d.report.Agency, Year: d.report.Year}}
			if by := supersededBy[u]; by != "" {
				docs[i].Outcome.Result, docs[i].Outcome.Detail = store.ResultSuperseded, "its attachment "+by+" gave the report"
			} else {
				docs[i].Report = d.report
			}
		}
		p.mu.Unlock()
		res, err := p.db.PutDocuments(docs)
		if err != nil {
			return nil, fmt.Errorf("store the %d report pages without tables: %w", len(docs), err)
		}
		p.mu.Lock()
		for i, d := range docs {
			if d.Report != nil {
				d := p.deferred[urls[i]]
				p.count(d.site, res[i].Report, !d.reread)
			}
		}
		p.mu.Unlock()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deferred = map[string]deferredReport{}
	return p.sites, nil
}

// attachmentReports returns, for those of pages that are the parent of an
// attachment whose outcome is a report with tables, that attachment's URL.
func (p *pipeline) attachmentReports(ctx context.Context, pages []string) (map[string]string, error) {
	want := map[string]bool{}
	for _, u := range pages {
		want[u] = true
	}
	by := map[string]string{}
	err := p.db.ForEachOutcome(ctx, func(o store.Outcome) error {
		if want[o.Parent] && o.Result == store.ResultReport && o.Cells > 0 && by[o.Parent] == "" {
			by[o.Parent] = o.URL
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the attachments' outcomes: %w", err)
	}
	return by, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// docBatcher writes the documents of concurrent Handle calls in shared
// transactions (group commit): the first caller to find no write in
// progress becomes the leader and writes everything queued, in batches,
// until the queue is empty; the others wait for their result. One fsync'd
// commit then serves several documents, each with its body, report version
// and outcome.
type docBatcher struct {
	db *store.DB

	mu      sync.Mutex // protects pending and writing
	pending []*docReq
	writing bool
}

type docReq struct {
	doc  store.Document
	res  store.DocumentResult
	err  error
	done chan struct{}
}

// put stores d and returns what became of it.
func (b *docBatcher) put(d store.Document) (store.DocumentResult, error) {
	req := &docReq{doc: d, done: make(chan struct{})}
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
			docs := make([]store.Document, len(batch))
			for i, r := range batch {
				docs[i] = r.doc
			}
			res, err := b.db.PutDocuments(docs)
			for i, r := range batch {
				if err == nil {
					r.res = res[i]
				}
				r.err = err
				close(r.done)
			}
		}
	}
	<-req.done
	return req.res, req.err
}
