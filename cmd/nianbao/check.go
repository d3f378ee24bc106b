package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"nianbao/parser"
	"nianbao/store"
)

const checkHelp = `Usage: nianbao check [--db PATH] [--repair] [-v]

Verifies the archive and prints what is inconsistent:
  - the file itself: bbolt's own check (every page reachable or free, none
    used twice) and the crawl queue's index;
  - every report version names captures that are stored;
  - every body fetched from a report page or attachment has an outcome at
    its URL: the report version it made, or why it made none (not a report,
    no year, no tables, parse error, an attachment archived beside a page
    with tables, a page superseded by its attachment, a duplicate of a body
    at another URL). A body archived without one (a crash of an older
    nianbao between a capture and its report) would never be parsed again:
    its URL answers 304. A report page left "deferred" (an interrupted crawl
    had not yet decided between it and its attachments) is listed too, and
    every older body must be accounted for by an outcome or a report version;
  - the indexes (reports by year and status, the agency register's names,
    stems and codes, outcomes by report) agree with what they index, and
    every report is keyed by an organ the register holds (or is an
    unidentified page).

--repair then settles, without network, what can be settled: indexes that
disagree are rebuilt from the reports, organs and outcomes; a body that
made a report version gets its outcome recorded; a URL's body without an
outcome is parsed again from the archive, as the next crawl would do, and
its report stored; deferred pages are decided now (stored as reports unless
one of their attachments gave the report); older bodies are parsed as
'nianbao reparse' parses bodies no report comes from. A missing capture or a
damaged file cannot be repaired: restore a backup. The archive is checked
again afterwards. The repair is recorded as a run of kind "repair".

Exit status: 0 consistent (with --repair: consistent after the repair); 1
problems found (or left after --repair), or failure; 2 usage error; 4 the
archive is in use by another nianbao process (--repair needs to write; check
alone reads the writer's snapshot); 130 interrupted.

Flags:
`

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", DefaultConfig().DB, "archive `PATH`")
	repair := fs.Bool("repair", false, "settle what lacks an outcome (parsing archived bodies; no network)")
	verbose := fs.Bool("v", false, "list every problem (default: the first 50)")
	fs.Usage = func() { fmt.Fprint(stderr, checkHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "check takes only flags"}
	}
	var db *store.DB
	var err error
	if *repair {
		db, err = openArchiveWritable(*dbPath)
	} else {
		db, err = openArchiveReadOnly(*dbPath, stderr)
	}
	if err != nil {
		return err
	}
	defer db.Close()

	probs, err := db.Check(ctx)
	if err != nil {
		return err
	}
	printProblems(stdout, probs, *verbose)
	if !*repair || len(probs) == 0 {
		return problemsError(probs)
	}
	for _, p := range probs {
		if p.Kind == store.ProblemFile {
			fmt.Fprintln(stdout, "not repairing: the file itself is damaged; restore a backup ('nianbao backup' makes one)")
			return problemsError(probs)
		}
	}
	fmt.Fprintln(stdout, "\nrepairing …")
	if err := repairArchive(ctx, db, probs, stdout, stderr); err != nil {
		return err
	}
	probs, err = db.Check(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nafter the repair:")
	printProblems(stdout, probs, *verbose)
	return problemsError(probs)
}

// problemsError is nil without problems, else an error for exit status 1.
func problemsError(probs []store.Problem) error {
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("%d problems found", len(probs))
}

// printProblems lists probs (the first 50 unless all) and counts them by
// kind.
func printProblems(w io.Writer, probs []store.Problem, all bool) {
	if len(probs) == 0 {
		fmt.Fprintln(w, "ok: the file, the report versions and the outcome of every archived body are consistent")
		return
	}
	byKind := map[store.ProblemKind]int{}
	for i, p := range probs {
		byKind[p.Kind]++
		if i == 50 && !all {
			fmt.Fprintf(w, "… and %d more (-v lists them all)\n", len(probs)-50)
		}
		if i < 50 || all {
			fmt.Fprintln(w, p.String())
		}
	}
	kinds := make([]store.ProblemKind, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	counts := make([]string, len(kinds))
	for i, k := range kinds {
		counts[i] = fmt.Sprintf("%d %s", byKind[k], k)
	}
	fmt.Fprintf(w, "%d problems: %s\n", len(probs), strings.Join(counts, ", "))
}

// repairArchive settles probs (see checkHelp) and prints what it did.
func repairArchive(ctx context.Context, db *store.DB, probs []store.Problem, stdout, stderr io.Writer) error {
	runID, err := db.BeginRunKind("repair", nil)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(probs, func(p store.Problem) bool { return p.Kind == store.ProblemIndex }) {
		if err := db.RebuildIndexes(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "rebuilt the indexes (reports by year and status, the agency register's names, stems and codes, outcomes by report)")
	}
	adopted, err := db.AdoptVersions(ctx)
	if err != nil {
		return err
	}
	if adopted > 0 {
		fmt.Fprintf(stdout, "recorded %d outcomes from the report versions made from their bodies (no parsing)\n", adopted)
		// Those problems are gone; find what is left to parse.
		if probs, err = db.Check(ctx); err != nil {
			return err
		}
	}
	p := parser.New(parser.Options{PDFCacheDir: pdfCacheDir()})
	defer p.Close()
	pipe := newPipeline(db, p, runID, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	var settle, force []store.Problem
	var older []store.Problem
	for _, pr := range probs {
		switch {
		case pr.Kind == store.ProblemUnaccounted, pr.Kind == store.ProblemBadOutcome && !pr.Current:
			older = append(older, pr)
		case pr.Kind == store.ProblemBadOutcome:
			force = append(force, pr)
		case pr.Kind == store.ProblemNoOutcome, pr.Kind == store.ProblemDeferred:
			settle = append(settle, pr)
		}
	}
	n, err := pipe.settleProblems(ctx, settle, false)
	if err != nil {
		return err
	}
	m, err := pipe.settleProblems(ctx, force, true)
	if err != nil {
		return err
	}
	results, err := pipe.finish(ctx, false)
	if err != nil {
		return err
	}
	var newReports, newVersions int
	for _, r := range results {
		newReports += r.New
		newVersions += r.Changed
	}
	if n+m > 0 {
		fmt.Fprintf(stdout, "parsed %d archived bodies again: %d new reports, %d new versions\n", pipe.healed, newReports, newVersions)
	}
	rp := &reparser{db: db, gate: &parseGate{p: p}, runID: runID, out: stdout, errOut: stderr, always: true}
	if len(older) > 0 {
		if _, _, err := rp.loadLatest(ctx); err != nil {
			return err
		}
		for _, pr := range older {
			c, err := db.Capture(pr.SHA256)
			if err != nil {
				return err
			}
			c.URL = pr.URL
			if err := rp.one(c, rp.parse(c), false); err != nil {
				return err
			}
		}
		c := rp.counts
		fmt.Fprintf(stdout, "parsed %d older bodies: %d new reports; %d without tables, %d of reports archived from another body, %d not reports, %d without a year, %d parse errors\n",
			c.captures, c.newReports, c.noTables, c.duplicate, c.notReport, c.noYear, c.parseErrors)
	}
	pipe.mu.Lock()
	failures := append(pipe.failures, rp.failures...)
	pipe.mu.Unlock()
	fails := map[string]int{}
	for _, f := range failures {
		fails[f.Reason]++
	}
	return db.FinishRun(store.Run{ID: runID, Counts: store.Counts{NewReports: newReports + rp.counts.newReports,
		NewVersions: newVersions + rp.counts.newVersions, Failures: fails}, Failures: failures})
}
