// Package export writes the archive in the formats researchers take away:
// tidy CSV (one row per cell), wide CSV (one row per report), the reports
// table (identity, provenance, checks), JSON lines (the full model), WARC
// (the raw captures) and Parquet (the tidy table with typed columns). Every writer streams report by report from the
// store, so memory stays flat as the archive grows. The record layout of
// the tidy CSV is parser's (parser.Header, Report.Record); this package
// adds the formats, the column order of the others and the CSV encoding.
//
// It is shared by 'nianbao export', 'nianbao diff' (the CSV writer) and the
// web view's download links, whose files are byte-identical to the
// command's.
package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"nianbao/parser"
	"nianbao/store"
)

// Options select and shape an export. The zero value writes the tidy CSV
// of every report's latest version.
type Options struct {
	// Format is csv (the default when empty), wide, reports, jsonl, warc
	// or parquet.
	Format string
	// Year, when not 0, keeps only reports for that statistics year.
	Year int
	// Agency, when set, keeps only the organs the agency register finds
	// for it: an agency_id, an organ code, or part of any name the organ
	// printed (store.Filter.AgencyContains).
	Agency string
	// AllVersions writes every stored version, not only the latest.
	AllVersions bool
	// BOM starts CSV output with a UTF-8 byte-order mark (for Excel).
	BOM bool
	// BlankAsZero writes blank cells as 0 (default: empty).
	BlankAsZero bool
	// Gzip writes WARC output as one gzip member per record (.warc.gz).
	Gzip bool
	// Filename is the output file's name, recorded in the WARC warcinfo
	// record; empty for standard output.
	Filename string
	// Software is nianbao's version, recorded in the WARC warcinfo record
	// ("nianbao VERSION"); empty means "(devel)".
	Software string
}

// Formats are the values Options.Format accepts.
var Formats = []string{"csv", "wide", "reports", "jsonl", "warc", "parquet"}

// Write writes the export selected by o to w. It returns the first error
// of the store or of w; what was written before it stays written.
func Write(ctx context.Context, db *store.DB, o Options, w io.Writer) error {
	if o.Format == "" {
		o.Format = "csv"
	}
	switch o.Format {
	case "warc":
		return writeWARC(ctx, db, o, w)
	case "parquet":
		return writeParquet(ctx, db, o, w)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	if o.BOM {
		if _, err := bw.WriteString("\uFEFF"); err != nil {
			return fmt.Errorf("write export: %w", err)
		}
	}
	var e recordExporter
	switch o.Format {
	default:
		return fmt.Errorf("export: unknown format %q (want one of %s)", o.Format, strings.Join(Formats, ", "))
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
	f := store.Filter{AgencyContains: strings.TrimSpace(o.Agency), Year: o.Year, LatestOnly: !o.AllVersions && o.Format != "jsonl"}
	var err error
	if t, ok := e.(*tidyExporter); ok {
		err = t.run(ctx, db, f)
	} else {
		// Decoding the stored versions is most of the work: spread it over
		// the cores, records still arriving in order.
		err = db.ForEachReportParallel(ctx, f, 0, func(rec *store.ReportRecord) error {
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
	w           *CSVWriter
	allVersions bool
	blankAsZero bool
	valueCol    int
	bufs        sync.Pool // of *bytes.Buffer holding one record's rows
}

func newTidyExporter(w *bufio.Writer, o Options) *tidyExporter {
	return &tidyExporter{out: w, w: &CSVWriter{w: w}, allVersions: o.AllVersions, blankAsZero: o.BlankAsZero,
		valueCol: slices.Index(parser.Header, "value"),
		bufs:     sync.Pool{New: func() any { return new(bytes.Buffer) }}}
}

// run writes the rows of every selected record. The rows are formatted on
// the store's decoding goroutines, one buffer per record, and written here
// in key order: formatting is as much work as decoding, and this way both
// use every core.
func (e *tidyExporter) run(ctx context.Context, db *store.DB, f store.Filter) error {
	return store.ForEachReportMapped(ctx, db, f, 0,
		func(rec *store.ReportRecord) (*bytes.Buffer, error) {
			buf := e.bufs.Get().(*bytes.Buffer)
			buf.Reset()
			if err := e.rows(&CSVWriter{w: buf}, rec); err != nil {
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

// header writes parser.Header; with every version, the version column
// comes before agency_id, which stays last.
func (e *tidyExporter) header() error {
	h := parser.Header
	if e.allVersions {
		n := len(h) - 1
		h = append(append(slices.Clip(h[:n]), "version"), h[n])
	}
	return e.w.Write(h)
}

func (e *tidyExporter) record(rec *store.ReportRecord) error { return e.rows(e.w, rec) }

// rows writes rec's rows to w. It only reads e, so several goroutines may
// call it at once with their own writers.
func (e *tidyExporter) rows(w *CSVWriter, rec *store.ReportRecord) error {
	for _, v := range rec.Versions {
		r := v.Report
		if r == nil {
			continue
		}
		n := strconv.Itoa(v.N)
		for _, c := range r.Cells {
			row := r.RecordFor(c, rec.AgencyID)
			if e.blankAsZero && row[e.valueCol] == "" {
				row[e.valueCol] = "0"
			}
			if e.allVersions {
				last := len(row) - 1
				row = append(row, row[last])
				row[last] = n
			}
			if err := w.Write(row); err != nil {
				return err
			}
		}
	}
	return nil
}

// wideExporter writes one row per report version, one column per cell.
type wideExporter struct {
	w           *CSVWriter
	allVersions bool
	blankAsZero bool
	ids         []string
	index       map[string]int // cell ID → column
	base        int            // number of identity columns
	row         []string       // reused
}

func newWideExporter(w *bufio.Writer, o Options) *wideExporter {
	e := &wideExporter{w: &CSVWriter{w: w}, allVersions: o.AllVersions, blankAsZero: o.BlankAsZero, ids: parser.CellIDs()}
	e.base = len(wideBase)
	if e.allVersions {
		e.base++
	}
	e.index = make(map[string]int, len(e.ids))
	for i, id := range e.ids {
		e.index[id] = e.base + i
	}
	e.row = make([]string, e.base+len(e.ids)+len(wideTail))
	return e
}

var wideBase = []string{"agency", "year", "format", "scope", "organ_code", "published", "source_url", "fetched_at", "sha256"}

// wideTail are the columns after the cells, added with the agency register
// (issue 12): new columns only ever come at the end.
var wideTail = []string{"agency_id", "identified"}

func (e *wideExporter) header() error {
	h := slices.Clone(wideBase)
	if e.allVersions {
		h = append(h, "version")
	}
	return e.w.Write(append(append(h, e.ids...), wideTail...))
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
		tail := e.base + len(e.ids)
		e.row[tail], e.row[tail+1] = rec.AgencyID, strconv.FormatBool(rec.Identified)
		if err := e.w.Write(e.row); err != nil {
			return err
		}
	}
	return nil
}

// reportsExporter writes one row per report (version) with its checks and
// the cross-year checks against the same agency's previous year.
type reportsExporter struct {
	w           *CSVWriter
	db          *store.DB
	allVersions bool
	yearFilter  bool
	prev        *parser.Report // latest version of the previous record
	prevID      string
	prevYear    int
}

// reportsHeader: the columns after cross_year_failures came with the
// agency register (issue 12); new columns only ever come at the end.
var reportsHeader = []string{"agency", "year", "version", "versions", "format", "scope", "organ_code", "title",
	"published", "source_url", "fetched_at", "sha256", "stored_at", "parser_version", "cells", "blank_cells",
	"missing", "no_tables", "checked", "failed_rules", "failures",
	"cross_year_prev", "cross_year_checked", "cross_year_failed_rules", "cross_year_failures",
	"agency_id", "identified", "agency_source", "year_source"}

func newReportsExporter(w *bufio.Writer, o Options, db *store.DB) *reportsExporter {
	return &reportsExporter{w: &CSVWriter{w: w}, db: db, allVersions: o.AllVersions, yearFilter: o.Year != 0}
}

func (e *reportsExporter) header() error { return e.w.Write(reportsHeader) }

// previous returns the latest version of the same organ's report for the
// year before, and the name that report prints, or nil. The organ is the
// register's (agency_id), so a renamed or re-titled organ (淮安市洪泽区人民
// 政府 2024, 洪泽区人民政府 2023) is paired; an unidentified report has no
// previous year. Records arrive in agency_id and year order, so the
// predecessor is the previous record unless a year filter skipped it; then
// it is a single lookup, which keeps memory flat.
func (e *reportsExporter) previous(rec *store.ReportRecord) (*parser.Report, string) {
	if !rec.Identified {
		return nil, ""
	}
	if !e.yearFilter {
		if e.prev != nil && e.prevID == rec.AgencyID && e.prevYear == rec.Year-1 {
			return e.prev, e.prev.Agency
		}
		return nil, ""
	}
	pr, err := e.db.Report(rec.AgencyID, rec.Year-1)
	if err != nil || pr.Latest() == nil || pr.Latest().Report == nil {
		return nil, ""
	}
	return pr.Latest().Report, pr.Agency
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
			rec.AgencyID, strconv.FormatBool(rec.Identified), string(r.AgencySource), string(r.YearSource),
		}
		if err := e.w.Write(row); err != nil {
			return err
		}
	}
	if l := rec.Latest(); l != nil {
		e.prev, e.prevID, e.prevYear = l.Report, rec.AgencyID, rec.Year
	}
	return nil
}

// jsonlExporter writes one JSON object per report version.
type jsonlExporter struct {
	enc *json.Encoder
}

// jsonlVersion is one line of the jsonl export.
type jsonlVersion struct {
	AgencyID      string         `json:"agency_id"`
	Identified    bool           `json:"identified"`
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
		err := e.enc.Encode(jsonlVersion{AgencyID: rec.AgencyID, Identified: rec.Identified, Agency: rec.Agency, Year: rec.Year, Version: v.N, Versions: rec.Count,
			StoredAt: v.StoredAt.UTC(), RunID: v.RunID, ParserVersion: v.ParserVersion, Digest: v.Digest,
			Captures: v.Captures, Report: v.Report})
		if err != nil {
			return err
		}
	}
	return nil
}

// CSVWriter writes RFC 4180 records with LF line ends, quoting exactly the
// fields encoding/csv would quote. It exists because the tidy export
// writes a million rows a second: it remembers, per column, the last field
// and whether it needed quotes, so that the report-level fields repeated on
// every row of a report (agency, URL, SHA-256) are scanned once.
type CSVWriter struct {
	w     csvSink
	last  []string // per column: the previous row's field
	quote []bool   // per column: whether last needed quotes
}

// csvSink is where a CSVWriter writes: a *bufio.Writer or a *bytes.Buffer.
type csvSink interface {
	WriteByte(c byte) error
	WriteString(s string) (int, error)
}

// Write writes one record.
func (c *CSVWriter) Write(fields []string) error {
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

// NewCSVWriter returns a CSVWriter on w.
func NewCSVWriter(w *bufio.Writer) *CSVWriter { return &CSVWriter{w: w} }
