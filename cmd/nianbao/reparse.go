package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"nianbao/parser"
	"nianbao/store"
)

const reparseHelp = `Usage: nianbao reparse [--db PATH] [--config FILE] [--dry-run] [--jobs N] [-v]

Re-parses the archived bodies with this build's parser (no network) and
records a new version of every report whose numbers changed. Run it after
upgrading nianbao: a fixed parser reaches everything ever fetched.

First, identity (issue 12): the capture of every stored version is parsed
again and the agency register decides anew which organ and year the version
belongs to, from everything the page prints (title, heading, metadata, body,
signature, the list link that led to it) and the config's agencies: rules
last applied; a version whose organ or year changed moves to that report
(versions of one organ-year are ordered by the time they were stored, and
the outcomes naming them follow). Reports that an older nianbao stacked under
a site's name are split, each page its own report, and names the register
knows to be one organ become one report per year. Numbers are not touched in
this pass.

Then numbers. Which bodies are parsed:
  - each report's latest version is parsed again from the capture(s) it was
    made from; a changed number makes a new version, a change of printing
    only ("0" → "０") does not;
  - bodies that no report comes from yet (attachments, pages an older parser
    could not read) are parsed too, and stored when they give tables for a
    report not yet archived or archived without tables; such a body without
    tables is not stored (it is usually a page whose tables are in an
    attachment that the report was already made from);
  - bodies of superseded versions are not parsed (that would bring back
    numbers a site has since corrected).
A report whose body now gives no tables keeps its version (a warning is
printed: the parser may have regressed). Each body's outcome (the version it
made, or why it made none; see 'nianbao check') is recorded when a version
is stored from it, or when it had none yet. Parse errors are counted and listed
with -v; they do not change the exit status. The run is recorded with kind
"reparse".

--config FILE first stores the file's agencies: rules in the archive (as a
crawl with it would), so that a correction made there reaches every report
archived; the db is then the file's unless --db says otherwise.

--dry-run opens the archive read-only and only counts what would change
(with the archive's stored rules; --config is not applied).
An archive of an older schema cannot be opened read-only: run reparse
without --dry-run once (it migrates the archive first).

Bodies are parsed on --jobs workers at a time (default: one per CPU); what
is stored is decided in the order above, one body after another, so the
result and the output are those of one worker.

Exit status: 0 done; 1 failure (database missing or unreadable, write
error); 2 usage error; 4 database locked by another process (a crawl is
running: reparse needs to write); 130 interrupted (versions stored so far
are kept).
`

// reparseCounts are the outcomes of one reparse.
type reparseCounts struct {
	captures    int // bodies parsed
	unchanged   int
	newVersions int
	newReports  int
	superseded  int // bodies of superseded versions, not parsed
	noYear      int
	duplicate   int // unlinked bodies of reports already archived with tables
	lostTables  int // linked bodies that now give no tables (kept)
	notReport   int // unlinked bodies that are no report (ErrUnknownFormat)
	noTables    int // unlinked bodies that give no tables (not stored)
	parseErrors int
}

func runReparse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reparse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "archive `PATH` (default: the config's db, else "+DefaultConfig().DB+")")
	cfgPath := fs.String("config", "", "apply the agencies: rules of this config `FILE` first")
	dryRun := fs.Bool("dry-run", false, "count what would change; write nothing")
	verbose := fs.Bool("v", false, "list every parse error and unchanged report on stderr")
	jobs := fs.Int("jobs", 0, "parse `N` bodies at a time (default: the number of CPUs)")
	fs.Usage = func() { fmt.Fprint(stderr, reparseHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "reparse takes only flags"}
	}
	if *jobs < 0 {
		return usageError{msg: fmt.Sprintf("bad --jobs %d", *jobs), hint: "give 1 or more, or 0 for one per CPU"}
	}
	var cfg *Config
	if *cfgPath != "" {
		var err error
		if cfg, err = ReadConfig(*cfgPath); err != nil {
			return usageError{msg: err.Error()}
		}
	}
	if *dbPath == "" {
		*dbPath = DefaultConfig().DB
		if cfg != nil {
			*dbPath = cfg.DB
		}
	}
	var db *store.DB
	var err error
	if *dryRun {
		db, err = openArchiveReadOnly(*dbPath, stderr)
	} else {
		db, err = openArchiveWritable(*dbPath)
	}
	if err != nil {
		return err
	}
	defer db.Close()

	p := parser.New(parser.Options{PDFCacheDir: pdfCacheDir()})
	defer p.Close()
	start := time.Now()
	rp := &reparser{db: db, gate: &parseGate{p: p}, workers: *jobs, dryRun: *dryRun, verbose: *verbose, out: stdout, errOut: stderr}
	if !*dryRun {
		if cfg != nil {
			if err := applyAgencyRules(db, cfg); err != nil {
				return err
			}
		}
		if rp.runID, err = db.BeginRunKind("reparse", nil); err != nil {
			return err
		}
	}
	ic, runErr := rp.reidentify(ctx)
	if runErr == nil {
		runErr = rp.run(ctx)
	}
	c := rp.counts
	if !*dryRun {
		fails := map[string]int{}
		for _, f := range rp.failures {
			fails[f.Reason]++
		}
		run := store.Run{ID: rp.runID, Counts: store.Counts{NewReports: c.newReports, NewVersions: c.newVersions, Failures: fails}, Failures: rp.failures}
		if err := db.FinishRun(run); err != nil && runErr == nil {
			runErr = err
		}
	}
	verb := "stored"
	if *dryRun {
		verb = "would store (dry run)"
	}
	moved := "moved"
	if *dryRun {
		moved = "would move (dry run)"
	}
	fmt.Fprintf(stdout, "identity: %d versions read again (%d unreadable, kept); %d %s to another organ or year, %d updated in place, %d organs registered\n",
		ic.versions, ic.unread, ic.res.Moved, moved, ic.res.Updated, ic.res.Organs)
	fmt.Fprintf(stdout, "reparsed %d captures with parser %s in %s\n", c.captures, parser.Version, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "reports: %d unchanged; %s %d new versions, %d new reports\n", c.unchanged, verb, c.newVersions, c.newReports)
	fmt.Fprintf(stdout, "skipped: %d superseded, %d without a year, %d without tables, %d duplicates of archived reports, %d not reports, %d lost their tables (kept), %d parse errors\n",
		c.superseded, c.noYear, c.noTables, c.duplicate, c.notReport, c.lostTables, c.parseErrors)
	return runErr
}

// openArchiveWritable opens the archive for a command that writes to it.
func openArchiveWritable(path string) (*store.DB, error) {
	db, err := store.Open(path, nil)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	return db, nil
}

type reparser struct {
	db      *store.DB
	gate    *parseGate
	workers int // bodies parsed at a time; 0 means one per CPU
	runID   string
	dryRun  bool
	verbose bool
	out     io.Writer
	errOut  io.Writer

	// always records each body's outcome, even over one recorded before
	// (check --repair of an outcome naming a missing version).
	always bool

	counts   reparseCounts
	failures []store.URLFailure
	// latest holds the digest and cell count of each report's latest
	// version, by reportID; kept current as versions are stored.
	latest map[string]latestInfo
}

type latestInfo struct {
	digest string
	cells  int
	n      int // version number
}

// reportID is a report's key in reparse's maps: its agency_id and year.
func reportID(agencyID string, year int) string { return fmt.Sprintf("%s\x00%d", agencyID, year) }

func (rp *reparser) run(ctx context.Context) error {
	latestOf, old, err := rp.loadLatest(ctx)
	if err != nil {
		return err
	}
	var linked, unlinked []store.Capture
	err = rp.db.Captures(ctx, func(c store.Capture) error {
		switch {
		case latestOf[c.SHA256] != nil:
			linked = append(linked, c)
		case old[c.SHA256]:
			rp.counts.superseded++
		case c.Status == 0 || (c.Status >= 200 && c.Status < 300):
			unlinked = append(unlinked, c)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read captures: %w", err)
	}
	// Fetch order within each group, so that a later body of the same
	// report wins as it did when crawled.
	byFetch := func(cs []store.Capture) {
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].FetchedAt.Before(cs[j].FetchedAt) })
	}
	byFetch(linked)
	byFetch(unlinked)
	// Bodies are read and parsed on all cores; what is stored is decided
	// and written here in the order above, one capture after another, as
	// a sequential run would.
	for _, group := range []struct {
		cs     []store.Capture
		linked bool
	}{{linked, true}, {unlinked, false}} {
		err := forEachOrdered(ctx, len(group.cs), rp.workers, func(i int) reparsed {
			return rp.parse(group.cs[i])
		}, func(i int, res reparsed) error {
			return rp.one(group.cs[i], res, group.linked)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// loadLatest fills rp.latest and returns which captures the latest
// versions come from (capture → report IDs) and which only superseded
// versions.
func (rp *reparser) loadLatest(ctx context.Context) (latestOf map[string][]string, old map[string]bool, err error) {
	rp.latest = map[string]latestInfo{}
	latestOf = map[string][]string{} // capture → report IDs whose latest version it made
	old = map[string]bool{}
	err = rp.db.ForEachReportParallel(ctx, store.Filter{}, rp.workers, func(rec *store.ReportRecord) error {
		id := reportID(rec.AgencyID, rec.Year)
		v := rec.Latest()
		rp.latest[id] = latestInfo{digest: v.Digest, cells: len(v.Report.Cells), n: v.N}
		for _, c := range v.Captures {
			latestOf[c] = append(latestOf[c], id)
		}
		for _, ov := range rec.Versions[:len(rec.Versions)-1] {
			for _, c := range ov.Captures {
				old[c] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read reports: %w", err)
	}
	return latestOf, old, nil
}

// reparsed is one capture's body parsed again, or the error that stopped
// it: bodyErr (the body could not be read) stops the reparse, parseErr is
// the parser's and is counted.
type reparsed struct {
	r                 *parser.Report
	digest            string // store.CellsDigest(r)
	bodyErr, parseErr error
}

// parse reads and parses the body of capture c. It runs on several
// goroutines at once.
func (rp *reparser) parse(c store.Capture) reparsed {
	body, err := rp.db.CaptureBody(c.SHA256)
	if err != nil {
		return reparsed{bodyErr: err}
	}
	r, err := rp.gate.Parse(body, parser.Source{URL: c.URL, FetchedAt: c.FetchedAt, ContentType: c.ContentType,
		Agency: c.Agency, Title: c.Title, LinkText: c.LinkText, Published: c.Published})
	if err != nil {
		return reparsed{parseErr: err}
	}
	return reparsed{r: r, digest: store.CellsDigest(r)}
}

// one records what re-parsing capture c gave. linked says a report's
// latest version was made from it.
func (rp *reparser) one(c store.Capture, res reparsed, linked bool) error {
	if res.bodyErr != nil {
		return res.bodyErr
	}
	outs, _, err := rp.db.Outcomes(c.SHA256)
	if err != nil {
		return err
	}
	outcome := store.Outcome{URL: c.URL, RunID: rp.runID}
	for _, o := range outs {
		if o.URL == c.URL {
			outcome.Kind, outcome.Parent = o.Kind, o.Parent
		}
	}
	// record writes outcome (with the report to store, if any).
	record := func(r *parser.Report) (store.DocumentResult, error) {
		if rp.dryRun || (r == nil && len(outs) > 0 && !rp.always) {
			return store.DocumentResult{}, nil
		}
		res, err := rp.db.PutDocuments([]store.Document{{Capture: store.Capture{SHA256: c.SHA256, URL: c.URL}, Report: r, Outcome: outcome}})
		if err != nil {
			return store.DocumentResult{}, err
		}
		return res[0], nil
	}
	rp.counts.captures++
	r, err := res.r, res.parseErr
	if err != nil {
		outcome.Result, outcome.Detail = store.ResultParseError, err.Error()
		if linked || !errors.Is(err, parser.ErrUnknownFormat) {
			rp.fail(c, "parse", err)
		} else {
			outcome.Result = store.ResultNotReport
			rp.counts.notReport++
		}
		_, err := record(nil)
		return err
	}
	if r.Year <= 0 || r.Agency == "" {
		outcome.Result, outcome.Agency = store.ResultNoYear, r.Agency
		outcome.Detail = fmt.Sprintf("report without a year or agency (%s)", strings.TrimSpace(r.NoTables))
		if linked {
			rp.fail(c, "parse: no year", errors.New(outcome.Detail))
		} else {
			rp.counts.noYear++
		}
		_, err := record(nil)
		return err
	}
	// The report it belongs to is the register's decision (an organ, or
	// an unidentified page).
	agencyID, _, _, err := rp.db.Resolve(r, c.Site, c.URL)
	if err != nil {
		return err
	}
	id := reportID(agencyID, r.Year)
	prev, exists := rp.latest[id]
	outcome.Agency, outcome.Year = r.Agency, r.Year
	switch {
	case linked && len(r.Cells) == 0 && exists && prev.cells > 0:
		rp.counts.lostTables++
		fmt.Fprintf(rp.errOut, "nianbao: warning: %s %d: %s now gives no tables (%s); version kept\n", r.Agency, r.Year, c.URL, r.NoTables)
		outcome.Result, outcome.Version, outcome.Cells = store.ResultReport, prev.n, prev.cells
		_, err := record(nil)
		return err
	case !linked && len(r.Cells) == 0:
		// A page whose tables are in an attachment, or an image-only
		// attachment: the crawl stored the report from another body, maybe
		// under another spelling of the agency, so storing this one would
		// only add a hollow duplicate.
		rp.counts.noTables++
		outcome.Result, outcome.Detail = store.ResultNoTables, r.NoTables
		_, err := record(nil)
		return err
	case !linked && exists && prev.cells > 0:
		rp.counts.duplicate++
		outcome.Result, outcome.Detail = store.ResultSuperseded, "the report is archived from another body"
		_, err := record(nil)
		return err
	}
	digest := res.digest
	if exists && digest == prev.digest {
		rp.counts.unchanged++
		if rp.verbose {
			fmt.Fprintf(rp.errOut, "unchanged %s %d (%s)\n", r.Agency, r.Year, c.URL)
		}
		outcome.Result, outcome.Version, outcome.Cells = store.ResultReport, prev.n, len(r.Cells)
		_, err := record(nil)
		return err
	}
	version := "would be new"
	n := 0
	if !rp.dryRun {
		res, err := record(r)
		if err != nil {
			return err
		}
		n = res.Report.Version
		id = reportID(res.Report.AgencyID, r.Year)
		version = fmt.Sprintf("version %d", n)
		if !res.Report.Changed {
			rp.counts.unchanged++
			return nil
		}
	}
	rp.latest[id] = latestInfo{digest: digest, cells: len(r.Cells), n: n}
	if exists {
		rp.counts.newVersions++
		fmt.Fprintf(rp.out, "changed %s %d: %s from %s\n", r.Agency, r.Year, version, c.URL)
	} else {
		rp.counts.newReports++
		fmt.Fprintf(rp.out, "new %s %d (%s, %d cells) from %s\n", r.Agency, r.Year, r.Format, len(r.Cells), c.URL)
	}
	return nil
}

func (rp *reparser) fail(c store.Capture, reason string, err error) {
	rp.counts.parseErrors++
	if rp.verbose {
		fmt.Fprintf(rp.errOut, "%s: %s: %v\n", c.URL, reason, err)
	}
	if len(rp.failures) < store.MaxRunFailures {
		rp.failures = append(rp.failures, store.URLFailure{URL: c.URL, Site: c.Site, Reason: reason, Status: c.Status, Error: err.Error(), At: time.Now()})
	}
}
