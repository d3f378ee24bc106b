package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"nianbao/parser"
	"nianbao/store"
)

const exportHelp = `Usage: nianbao export [--db PATH] [--format csv|wide|jsonl|reports|warc] [--out FILE]
                      [--year Y] [--agency TEXT] [--all-versions] [--bom] [--blank-as-zero]

Writes the archive for analysis, streaming report by report (memory stays
flat as the archive grows), to FILE or standard output. The database is
opened read-only; during a crawl the writer's snapshot is read instead.

Formats:
  csv      (default) tidy: one row per cell of the latest version of each
           report, columns exactly
           agency,year,format,table,row,column,value,raw,source_url,published,fetched_at,sha256
           (as 'nianbao parse --format csv'), ordered by agency, year, then
           table, row and column in template order.
  wide     one row per report, one column per canonical cell
           (t3.new_received.total, …): the union of the 2019 and 2021
           templates' cells in template order, after the columns
           agency,year,format,scope,organ_code,published,source_url,fetched_at,sha256.
  reports  one row per report: identity, provenance, versions, cells, the
           failed consistency rules (R1–R4) and the cross-year checks against
           the same agency's previous year (Y1 carried_over = carried_forward,
           Y2 t2 in_force continuity).
  jsonl    one JSON object per report version (every version, always): the
           version's metadata and the full report model under "report".
  warc     the raw captures as WARC 1.1: a warcinfo record, then for each
           fetched body a request and a response record (HTTP headers rebuilt
           from the stored status, Content-Type, ETag and Last-Modified; the
           body byte for byte as fetched), or a resource record for a local
           file. Block and payload digests are sha256. Without --year or
           --agency every capture is written; with them, the captures the
           selected reports were parsed from. A FILE ending in .gz is
           written as a record-at-a-time gzip (.warc.gz).

CSV files are UTF-8 with LF line ends. Text fields that begin with = + - @,
a tab or a carriage return get a leading apostrophe against spreadsheet
formula injection; numbers (values, "-3") are left as they are. Blank cells
(printed blank, "/", "-", "无"…) export empty; --blank-as-zero writes 0
instead, an analyst's choice the export does not make by default: it also
writes 0 for a rowspan continuation (the value is counted on the row that
printed it), and leaves cells a report does not print at all empty (wide).

--all-versions writes every stored version of each report instead of the
latest: csv gains a last column "version", wide a "version" column after
sha256, and reports (whose "version" and "versions" columns are always
there) one row per version. Cross-year checks in reports compare with the
latest version of the previous year: the same stored agency name, or the
name without its parent divisions (淮安市洪泽区人民政府 → 洪泽区人民政府).

Exit status: 0 exported; 1 failure (database unreadable, write error);
2 usage error; 4 database locked by a writer and no snapshot to read;
130 interrupted.
`

// exportOptions are the parsed flags of 'nianbao export'.
type exportOptions struct {
	db          string
	format      string
	out         string
	year        int
	agency      string
	allVersions bool
	bom         bool
	blankAsZero bool
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o exportOptions
	fs.StringVar(&o.db, "db", DefaultConfig().DB, "archive `PATH`")
	fs.StringVar(&o.format, "format", "csv", "output format: csv, wide, jsonl, reports or warc")
	fs.StringVar(&o.out, "out", "", "write to `FILE` instead of standard output")
	fs.IntVar(&o.year, "year", 0, "only reports for statistics year `Y`")
	fs.StringVar(&o.agency, "agency", "", "only agencies whose name contains `TEXT` (or whose organ code is TEXT)")
	fs.BoolVar(&o.allVersions, "all-versions", false, "every stored version, not only the latest")
	fs.BoolVar(&o.bom, "bom", false, "start CSV output with a UTF-8 byte-order mark (for Excel)")
	fs.BoolVar(&o.blankAsZero, "blank-as-zero", false, "write blank cells as 0 (default: empty)")
	fs.Usage = func() { fmt.Fprint(stderr, exportHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "export takes only flags"}
	}
	switch o.format {
	case "csv", "wide", "reports":
	case "jsonl", "warc":
		if o.bom || o.blankAsZero {
			return usageError{msg: "--bom and --blank-as-zero apply to csv, wide and reports only"}
		}
	default:
		return usageError{msg: fmt.Sprintf("unknown --format %q", o.format), hint: "use csv, wide, jsonl, reports or warc"}
	}
	if o.year < 0 {
		return usageError{msg: fmt.Sprintf("bad --year %d", o.year)}
	}

	db, err := openArchiveReadOnly(o.db, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	defer exportGC()()

	return writeOutput(o.out, stdout, func(w io.Writer) error {
		return exportTo(ctx, db, o, w)
	})
}

// exportGC lets the heap grow to five times the live data between
// collections (GOGC=400) for the export, unless $GOGC says otherwise, and
// returns the function that restores the previous setting. An export's live
// heap is about 10 MB whatever the archive's size (records stream through a
// bounded pipeline), so this keeps the peak near 50 MB while cutting the
// CPU spent on garbage collection of the per-cell strings by about a third.
func exportGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(400)
	return func() { debug.SetGCPercent(old) }
}

// writeOutput runs write on standard output, or on a temporary file beside
// out that is renamed to out only when write succeeds, so that a failed or
// interrupted export never leaves a truncated file under the final name.
func writeOutput(out string, stdout io.Writer, write func(io.Writer) error) error {
	if out == "" || out == "-" {
		return write(stdout)
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("create %s: %w", out, err)
	}
	if err = write(f); err != nil {
		err = fmt.Errorf("export to %s: %w", out, err)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write %s: %w", out, cerr)
	}
	if err == nil {
		if err = os.Rename(tmp, out); err != nil {
			err = fmt.Errorf("write %s: %w", out, err)
		}
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// exportTo writes the export selected by o to w.
func exportTo(ctx context.Context, db *store.DB, o exportOptions, w io.Writer) error {
	if o.format == "warc" {
		return exportWARC(ctx, db, o, w)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	if o.bom {
		if _, err := bw.WriteString("\uFEFF"); err != nil {
			return fmt.Errorf("write export: %w", err)
		}
	}
	var e recordExporter
	switch o.format {
	case "csv":
		e = newTidyExporter(bw, o)
	case "wide":
		e = newWideExporter(bw, o)
	case "reports":
		e = newReportsExporter(bw, o, db)
	case "jsonl":
		e = newJSONLExporter(bw)
	}
	if err := e.header(); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	f := store.Filter{Year: o.year, LatestOnly: !o.allVersions && o.format != "jsonl"}
	var err error
	if t, ok := e.(*tidyExporter); ok {
		err = t.run(ctx, db, f, o.agency)
	} else {
		// Decoding the stored versions is most of the work: spread it over
		// the cores, records still arriving in order.
		err = db.ForEachReportParallel(ctx, f, 0, func(rec *store.ReportRecord) error {
			if !recordMatches(rec, o.agency) {
				return nil
			}
			if err := e.record(rec); err != nil {
				return fmt.Errorf("write export: %w", err)
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	return nil
}

// recordExporter writes one export format, one report record at a time.
type recordExporter interface {
	header() error
	record(rec *store.ReportRecord) error
}

// tidyExporter writes the tidy CSV: parser.Header, one row per cell.
type tidyExporter struct {
	out         *bufio.Writer
	w           *csvWriter
	allVersions bool
	blankAsZero bool
	valueCol    int
	bufs        sync.Pool // of *bytes.Buffer holding one record's rows
}

func newTidyExporter(w *bufio.Writer, o exportOptions) *tidyExporter {
	return &tidyExporter{out: w, w: &csvWriter{w: w}, allVersions: o.allVersions, blankAsZero: o.blankAsZero,
		valueCol: slices.Index(parser.Header, "value"),
		bufs:     sync.Pool{New: func() any { return new(bytes.Buffer) }}}
}

// run writes the rows of every selected record. The rows are formatted on
// the store's decoding goroutines, one buffer per record, and written here
// in key order: formatting is as much work as decoding, and this way both
// use every core.
func (e *tidyExporter) run(ctx context.Context, db *store.DB, f store.Filter, agency string) error {
	return store.ForEachReportMapped(ctx, db, f, 0,
		func(rec *store.ReportRecord) (*bytes.Buffer, error) {
			if !recordMatches(rec, agency) {
				return nil, nil
			}
			buf := e.bufs.Get().(*bytes.Buffer)
			buf.Reset()
			if err := e.rows(&csvWriter{w: buf}, rec); err != nil {
				return nil, err
			}
			return buf, nil
		},
		func(buf *bytes.Buffer) error {
			if buf == nil {
				return nil
			}
			_, err := e.out.Write(buf.Bytes())
			e.bufs.Put(buf)
			if err != nil {
				return fmt.Errorf("write export: %w", err)
			}
			return nil
		})
}

func (e *tidyExporter) header() error {
	h := parser.Header
	if e.allVersions {
		h = append(slices.Clip(h), "version")
	}
	return e.w.write(h)
}

func (e *tidyExporter) record(rec *store.ReportRecord) error { return e.rows(e.w, rec) }

// rows writes rec's rows to w. It only reads e, so several goroutines may
// call it at once with their own writers.
func (e *tidyExporter) rows(w *csvWriter, rec *store.ReportRecord) error {
	for _, v := range rec.Versions {
		r := v.Report
		if r == nil {
			continue
		}
		n := strconv.Itoa(v.N)
		for _, c := range r.Cells {
			row := r.Record(c)
			if e.blankAsZero && row[e.valueCol] == "" {
				row[e.valueCol] = "0"
			}
			if e.allVersions {
				row = append(row, n)
			}
			if err := w.write(row); err != nil {
				return err
			}
		}
	}
	return nil
}

// wideExporter writes one row per report version, one column per cell.
type wideExporter struct {
	w           *csvWriter
	allVersions bool
	blankAsZero bool
	ids         []string
	index       map[string]int // cell ID → column
	base        int            // number of identity columns
	row         []string       // reused
}

func newWideExporter(w *bufio.Writer, o exportOptions) *wideExporter {
	e := &wideExporter{w: &csvWriter{w: w}, allVersions: o.allVersions, blankAsZero: o.blankAsZero, ids: parser.CellIDs()}
	e.base = len(wideBase)
	if e.allVersions {
		e.base++
	}
	e.index = make(map[string]int, len(e.ids))
	for i, id := range e.ids {
		e.index[id] = e.base + i
	}
	e.row = make([]string, e.base+len(e.ids))
	return e
}

var wideBase = []string{"agency", "year", "format", "scope", "organ_code", "published", "source_url", "fetched_at", "sha256"}

func (e *wideExporter) header() error {
	h := slices.Clone(wideBase)
	if e.allVersions {
		h = append(h, "version")
	}
	return e.w.write(append(h, e.ids...))
}

func (e *wideExporter) record(rec *store.ReportRecord) error {
	for _, v := range rec.Versions {
		r := v.Report
		if r == nil {
			continue
		}
		clear(e.row)
		copy(e.row, []string{parser.SafeField(r.Agency), yearString(r.Year), string(r.Format), string(r.Scope),
			parser.SafeField(r.OrganCode), r.Published, parser.SafeField(r.SourceURL), r.FetchedAt, r.SHA256})
		if e.allVersions {
			e.row[len(wideBase)] = strconv.Itoa(v.N)
		}
		for _, c := range r.Cells {
			i, ok := e.index[c.ID()]
			if !ok {
				continue
			}
			val := c.Value
			if val == "" && e.blankAsZero {
				val = "0"
			}
			e.row[i] = val
		}
		if err := e.w.write(e.row); err != nil {
			return err
		}
	}
	return nil
}

// reportsExporter writes one row per report (version) with its checks and
// the cross-year checks against the same agency's previous year.
type reportsExporter struct {
	w           *csvWriter
	db          *store.DB
	allVersions bool
	yearFilter  bool
	prev        *parser.Report // latest version of the previous record
	prevAgency  string
	prevYear    int
}

var reportsHeader = []string{"agency", "year", "version", "versions", "format", "scope", "organ_code", "title",
	"published", "source_url", "fetched_at", "sha256", "stored_at", "parser_version", "cells", "blank_cells",
	"missing", "no_tables", "checked", "failed_rules", "failures",
	"cross_year_prev", "cross_year_checked", "cross_year_failed_rules", "cross_year_failures"}

func newReportsExporter(w *bufio.Writer, o exportOptions, db *store.DB) *reportsExporter {
	return &reportsExporter{w: &csvWriter{w: w}, db: db, allVersions: o.allVersions, yearFilter: o.year != 0}
}

func (e *reportsExporter) header() error { return e.w.write(reportsHeader) }

// previous returns the latest version of the report of rec's agency for
// the year before, and that report's agency name, or nil. The agency is
// the same stored name or, failing that, the name without its parent
// divisions (淮安市洪泽区人民政府 2024 → 洪泽区人民政府 2023). Records arrive
// ordered by agency and year, so a same-name predecessor is the previous
// record unless a year filter skipped it; the others are single lookups,
// which keeps memory flat. Renamed organs that only an organ code links
// are not paired here ('nianbao diff' pairs them).
func (e *reportsExporter) previous(rec *store.ReportRecord) (*parser.Report, string) {
	if !e.yearFilter && e.prev != nil && e.prevAgency == rec.Agency && e.prevYear == rec.Year-1 {
		return e.prev, rec.Agency
	}
	names := []string{rec.Agency}
	if !e.yearFilter {
		names = nil // the same name would have been the previous record
	}
	names = append(names, withoutParentDivisions(rec.Agency)...)
	for _, n := range names {
		pr, err := e.db.Report(n, rec.Year-1)
		if err != nil || pr.Latest() == nil || pr.Latest().Report == nil {
			continue
		}
		return pr.Latest().Report, n
	}
	return nil, ""
}

func (e *reportsExporter) record(rec *store.ReportRecord) error {
	prev, prevAgency := e.previous(rec)
	for _, v := range rec.Versions {
		r := v.Report
		if r == nil {
			continue
		}
		blank := 0
		for _, c := range r.Cells {
			if c.Value == "" {
				blank++
			}
		}
		var rules, fails []string
		for _, f := range r.Failures {
			if !slices.Contains(rules, f.Rule) {
				rules = append(rules, f.Rule)
			}
			fails = append(fails, f.String())
		}
		var xPrev, xChecked string
		var xRules, xFails []string
		if prev != nil {
			xPrev = strconv.Itoa(rec.Year - 1)
			if prevAgency != rec.Agency {
				xPrev += " " + prevAgency
			}
			checks := parser.CrossYear(prev, r)
			xChecked = strconv.Itoa(len(checks))
			for _, x := range checks {
				if x.Holds {
					continue
				}
				if !slices.Contains(xRules, x.Rule) {
					xRules = append(xRules, x.Rule)
				}
				xFails = append(xFails, x.String())
			}
		}
		row := []string{
			parser.SafeField(rec.Agency), strconv.Itoa(rec.Year), strconv.Itoa(v.N), strconv.Itoa(rec.Count),
			string(r.Format), string(r.Scope), parser.SafeField(r.OrganCode), parser.SafeField(r.Title),
			r.Published, parser.SafeField(r.SourceURL), r.FetchedAt, r.SHA256, v.StoredAt.UTC().Format(time.RFC3339),
			v.ParserVersion, strconv.Itoa(len(r.Cells)), strconv.Itoa(blank),
			parser.SafeField(strings.Join(r.Missing, "; ")), parser.SafeField(r.NoTables),
			strconv.Itoa(r.Checked), strings.Join(rules, " "), parser.SafeField(strings.Join(fails, "; ")),
			xPrev, xChecked, strings.Join(xRules, " "), parser.SafeField(strings.Join(xFails, "; ")),
		}
		if err := e.w.write(row); err != nil {
			return err
		}
	}
	if l := rec.Latest(); l != nil {
		e.prev, e.prevAgency, e.prevYear = l.Report, rec.Agency, rec.Year
	}
	return nil
}

// jsonlExporter writes one JSON object per report version.
type jsonlExporter struct {
	enc *json.Encoder
}

// jsonlVersion is one line of the jsonl export.
type jsonlVersion struct {
	Agency        string         `json:"agency"`
	Year          int            `json:"year"`
	Version       int            `json:"version"`
	Versions      int            `json:"versions"`
	StoredAt      time.Time      `json:"stored_at"`
	RunID         string         `json:"run_id,omitempty"`
	ParserVersion string         `json:"parser_version"`
	Digest        string         `json:"digest"`
	Captures      []string       `json:"captures"`
	Report        *parser.Report `json:"report"`
}

func newJSONLExporter(w *bufio.Writer) *jsonlExporter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonlExporter{enc: enc}
}

func (e *jsonlExporter) header() error { return nil }

func (e *jsonlExporter) record(rec *store.ReportRecord) error {
	for _, v := range rec.Versions {
		err := e.enc.Encode(jsonlVersion{Agency: rec.Agency, Year: rec.Year, Version: v.N, Versions: rec.Count,
			StoredAt: v.StoredAt.UTC(), RunID: v.RunID, ParserVersion: v.ParserVersion, Digest: v.Digest,
			Captures: v.Captures, Report: v.Report})
		if err != nil {
			return err
		}
	}
	return nil
}

// csvWriter writes RFC 4180 records with LF line ends, quoting exactly the
// fields encoding/csv would quote. It exists because the tidy export
// writes a million rows a second: it remembers, per column, the last field
// and whether it needed quotes, so that the report-level fields repeated on
// every row of a report (agency, URL, SHA-256) are scanned once.
type csvWriter struct {
	w     csvSink
	last  []string // per column: the previous row's field
	quote []bool   // per column: whether last needed quotes
}

// csvSink is where a csvWriter writes: a *bufio.Writer or a *bytes.Buffer.
type csvSink interface {
	WriteByte(c byte) error
	WriteString(s string) (int, error)
}

func (c *csvWriter) write(fields []string) error {
	if len(c.last) < len(fields) {
		c.last = make([]string, len(fields))
		c.quote = make([]bool, len(fields))
	}
	for i, f := range fields {
		if i > 0 {
			c.w.WriteByte(',')
		}
		q := c.quote[i]
		if f != c.last[i] { // equal strings from one report share their bytes: cheap
			q = csvNeedsQuotes(f)
			c.last[i], c.quote[i] = f, q
		}
		if !q {
			c.w.WriteString(f)
			continue
		}
		c.w.WriteByte('"')
		for {
			j := strings.IndexByte(f, '"')
			if j < 0 {
				c.w.WriteString(f)
				break
			}
			c.w.WriteString(f[:j+1])
			c.w.WriteByte('"')
			f = f[j+1:]
		}
		c.w.WriteByte('"')
	}
	return c.w.WriteByte('\n')
}

// csvNeedsQuotes mirrors encoding/csv's fieldNeedsQuotes for the ','
// delimiter.
func csvNeedsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` {
		return true
	}
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	r := f[0]
	return r == ' ' || r == '\t'
}

func yearString(y int) string {
	if y == 0 {
		return ""
	}
	return strconv.Itoa(y)
}

// openArchiveReadOnly opens the archive for a read-only command. When a
// crawl holds it, the store opens the writer's snapshot, and the user is
// told how old it is.
func openArchiveReadOnly(path string, stderr io.Writer) (*store.DB, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open archive %s: no such file (run 'nianbao crawl' first, or give --db)", path)
	}
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	if s := db.FromSnapshot(); s != nil {
		fmt.Fprintf(stderr, "nianbao: a crawl holds %s (pid %d); reading its snapshot of %s\n",
			path, s.HolderPID, s.Taken.Format(time.RFC3339))
	}
	return db, nil
}

// normAgency normalises an agency name or search text for matching:
// Unicode compatibility folding (full-width letters, digits and brackets
// become ASCII) and no white space.
func normAgency(s string) string {
	s = norm.NFKC.String(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// agencyMatches reports whether report r is selected by the search text:
// an empty text, r's organ code, or part of r's normalised name.
func agencyMatches(r *parser.Report, agency, text string) bool {
	if text == "" {
		return true
	}
	if r != nil && r.OrganCode != "" && strings.EqualFold(r.OrganCode, strings.TrimSpace(text)) {
		return true
	}
	return strings.Contains(normAgency(agency), normAgency(text))
}

func recordMatches(rec *store.ReportRecord, text string) bool {
	if text == "" {
		return true
	}
	var r *parser.Report
	if l := rec.Latest(); l != nil {
		r = l.Report
	}
	return agencyMatches(r, rec.Agency, text)
}
