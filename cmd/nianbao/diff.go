package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"nianbao/cmd/nianbao/export"
	"nianbao/parser"
	"nianbao/store"
)

const diffHelp = `Usage: nianbao diff [--db PATH] --agency TEXT --from YEAR --to YEAR [--format text|csv|json]
       nianbao diff [--db PATH] --versions --agency TEXT --year YEAR [--format text|csv|json]

Compares an agency's reports for two statistics years (the latest stored
version of each), or, with --versions, the stored versions of one report (a
table revised after publication), cell by cell by canonical ID.

Every changed cell is listed with its old and new value, the absolute change
and the relative change in percent (empty when the old value is 0 or a value
is blank). A 2019-format year and a 2021-format year are compared only where
the cells mean the same thing: table 三 (its （六）其他处理 as one total when the
reports split it differently: 2021's three other.* rows summed against 2019's
single row), table 四, and table 二's decision counts for 行政许可, 行政处罚 and
行政强制; every other cell is listed as not comparable, with the reason. For
consecutive years the cross-year checks are reported: Y1 carried_over(Y) =
carried_forward(Y−1) per table 三 column, and Y2 t2 in_force(Y) =
in_force(Y−1) + issued(Y) − repealed(Y) for rules and normative_docs (both
reports in the 2021 format). They are soft checks: a failure is reported,
not an error.

--agency selects organs of the agency register (see 'nianbao agencies'):
an agency_id, an organ code (索引号 prefix), or TEXT contained in any name
the organ's reports printed (full width and spaces do not count). An organ
one of whose names equals TEXT is preferred over longer names containing
it. The two years are the same organ's reports, whatever names they print:
the register has already decided that 淮安市洪泽区人民政府 (2024) and
洪泽区人民政府 (2023) are one organ (the same site or organ code, or the
configuration's agencies: rules), and the output names the organ and the
names printed. When the text selects several organs, or none with both
years, diff lists the candidates and exits 2: it never pairs two organs
the register keeps apart (see 'nianbao agencies --proposed' and the
config's agencies: section to make them one).

Formats: text (default) is an aligned table with the not-comparable cells
and the checks; csv has exactly the columns
agency,table,row,column,from,to,old,new,change,pct (from/to are the years,
or the version numbers with --versions) and lists changed cells only (the
not-comparable count and the checks go to standard error); json has it all.

Exit status: 0 compared (whether or not anything changed); 1 failure (no
such report, database unreadable); 2 usage error or an ambiguous --agency;
4 database locked by a writer and no snapshot to read; 130 interrupted.
`

type diffOptions struct {
	db       string
	agency   string
	from, to int
	versions bool
	year     int
	format   string
}

func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o diffOptions
	fs.StringVar(&o.db, "db", DefaultConfig().DB, "archive `PATH`")
	fs.StringVar(&o.agency, "agency", "", "organ: agency_id, organ code, or part of a name it printed (`TEXT`)")
	fs.IntVar(&o.from, "from", 0, "earlier statistics `YEAR`")
	fs.IntVar(&o.to, "to", 0, "later statistics `YEAR`")
	fs.BoolVar(&o.versions, "versions", false, "compare the stored versions of one report (with --year)")
	fs.IntVar(&o.year, "year", 0, "statistics `YEAR` of the report whose versions --versions compares")
	fs.StringVar(&o.format, "format", "text", "output format: text, csv or json")
	fs.Usage = func() { fmt.Fprint(stderr, diffHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "diff takes only flags"}
	case o.format != "text" && o.format != "csv" && o.format != "json":
		return usageError{msg: fmt.Sprintf("unknown --format %q", o.format), hint: "use text, csv or json"}
	case strings.TrimSpace(o.agency) == "":
		return usageError{msg: "diff needs --agency"}
	case o.versions && (o.year <= 0 || o.from != 0 || o.to != 0):
		return usageError{msg: "--versions needs --year and takes no --from/--to"}
	case !o.versions && (o.from <= 0 || o.to <= 0 || o.year != 0):
		return usageError{msg: "diff needs --from and --to (or --versions with --year)"}
	}

	db, err := openArchiveReadOnly(o.db, stderr)
	if err != nil {
		return err
	}
	defer db.Close()

	bw := bufio.NewWriter(stdout)
	if o.versions {
		err = diffVersions(ctx, db, o, bw, stderr)
	} else {
		err = diffYears(ctx, db, o, bw, stderr)
	}
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write diff: %w", ferr)
	}
	return err
}

// organsFor returns the agency_ids --agency TEXT selects in the register:
// the organs with a name equal to TEXT when there are any, else every one
// LookupAgencies finds.
func organsFor(db *store.DB, text string) ([]string, error) {
	ids, exact, err := db.LookupAgencies(text)
	if len(exact) > 0 {
		return exact, err
	}
	return ids, err
}

// latestOf returns the report of organ id for year with only its latest
// version loaded, or nil when there is none.
func latestOf(ctx context.Context, db *store.DB, id string, year int) (*store.ReportRecord, error) {
	var rec *store.ReportRecord
	err := db.ForEachReport(ctx, store.Filter{AgencyID: id, Year: year, LatestOnly: true}, func(r *store.ReportRecord) error {
		if r.Latest() != nil && r.Latest().Report != nil {
			rec = r
		}
		return nil
	})
	return rec, err
}

// describeCandidates names reports for an error message: printed name,
// agency_id and organ code.
func describeCandidates(recs []*store.ReportRecord) string {
	var s []string
	for _, r := range recs {
		d := r.Agency + " [" + r.AgencyID + "]"
		if c := r.Latest().Report.OrganCode; c != "" {
			d += " (" + c + ")"
		}
		s = append(s, d)
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// diffSide describes one of the compared reports.
type diffSide struct {
	Agency    string        `json:"agency"`
	Year      int           `json:"year"`
	Version   int           `json:"version"`
	Versions  int           `json:"versions"`
	Format    parser.Format `json:"format"`
	OrganCode string        `json:"organ_code"`
	Published string        `json:"published"`
	SourceURL string        `json:"source_url"`
	FetchedAt string        `json:"fetched_at"`
	SHA256    string        `json:"sha256"`
	StoredAt  time.Time     `json:"stored_at"`
}

func sideOf(rec *store.ReportRecord, v *store.Version) diffSide {
	r := v.Report
	return diffSide{Agency: rec.Agency, Year: rec.Year, Version: v.N, Versions: rec.Count, Format: r.Format,
		OrganCode: r.OrganCode, Published: r.Published, SourceURL: r.SourceURL, FetchedAt: r.FetchedAt,
		SHA256: r.SHA256, StoredAt: v.StoredAt.UTC()}
}

// yearDiff is the JSON form of a year-on-year diff.
type yearDiff struct {
	AgencyID      string              `json:"agency_id"`
	Agency        string              `json:"agency"`
	MatchedBy     string              `json:"matched_by"`
	From          diffSide            `json:"from"`
	To            diffSide            `json:"to"`
	Changes       []parser.Change     `json:"changes"`
	NotComparable []parser.Change     `json:"not_comparable"`
	CrossYear     []parser.CrossCheck `json:"cross_year"`
	CrossYearNote string              `json:"cross_year_note,omitempty"`
}

func diffYears(ctx context.Context, db *store.DB, o diffOptions, w io.Writer, stderr io.Writer) error {
	if o.from == o.to {
		return usageError{msg: "--from and --to are the same year"}
	}
	ids, err := organsFor(db, o.agency)
	if err != nil {
		return err
	}
	type pair struct{ a, b *store.ReportRecord }
	var pairs []pair
	var as, bs []*store.ReportRecord
	for _, id := range ids {
		a, err := latestOf(ctx, db, id, o.from)
		if err != nil {
			return err
		}
		b, err := latestOf(ctx, db, id, o.to)
		if err != nil {
			return err
		}
		if a != nil {
			as = append(as, a)
		}
		if b != nil {
			bs = append(bs, b)
		}
		if a != nil && b != nil {
			pairs = append(pairs, pair{a, b})
		}
	}
	switch {
	case len(as) == 0 || len(bs) == 0:
		return fmt.Errorf("diff %q: no report matches in %d (%s) and %d (%s): %w",
			o.agency, o.from, describeCandidates(as), o.to, describeCandidates(bs), store.ErrNotFound)
	case len(pairs) == 0:
		return usageError{msg: fmt.Sprintf("--agency %q matches no single organ in both years: %d: %s; %d: %s",
			o.agency, o.from, describeCandidates(as), o.to, describeCandidates(bs)),
			hint: "the agency register keeps these organs apart; 'nianbao agencies --proposed' lists merges it could not confirm, and the config's agencies: section makes them one"}
	case len(pairs) > 1:
		var s []string
		for _, p := range pairs {
			s = append(s, p.b.Agency+" ["+p.b.AgencyID+"]")
		}
		return usageError{msg: fmt.Sprintf("--agency %q is ambiguous: it matches %d organs in both years: %s",
			o.agency, len(pairs), strings.Join(s, ", ")), hint: "give a longer part of the name, the organ code or the agency_id"}
	}
	p := pairs[0]
	by := "agency register: organ " + p.b.AgencyID
	if p.a.Agency != p.b.Agency {
		by += fmt.Sprintf(" (printed %s in %d, %s in %d)", p.a.Agency, o.from, p.b.Agency, o.to)
	}
	prev, cur := p.a.Latest(), p.b.Latest()
	d := yearDiff{AgencyID: p.b.AgencyID, Agency: p.b.Agency, MatchedBy: by, From: sideOf(p.a, prev), To: sideOf(p.b, cur)}
	d.Changes, d.NotComparable = parser.SplitComparable(parser.Diff(prev.Report, cur.Report))
	lo, hi := prev.Report, cur.Report
	if o.from > o.to {
		lo, hi = hi, lo
	}
	if hi.Year == lo.Year+1 {
		d.CrossYear = parser.CrossYear(lo, hi)
		if len(d.CrossYear) == 0 {
			d.CrossYearNote = "no cross-year check could be evaluated (cells missing or blank)"
		}
	} else {
		d.CrossYearNote = fmt.Sprintf("not evaluated: %d and %d are not consecutive years", o.from, o.to)
	}
	if d.CrossYear == nil {
		d.CrossYear = []parser.CrossCheck{}
	}

	switch o.format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(d)
	case "csv":
		cw := export.NewCSVWriter(bufioOf(w))
		if err := cw.Write(diffCSVHeader); err != nil {
			return err
		}
		for _, c := range d.Changes {
			if err := cw.Write(diffCSVRow(d.Agency, c, o.from, o.to)); err != nil {
				return err
			}
		}
		fmt.Fprintf(stderr, "nianbao: %d changed cells; %d cells not comparable (see --format text or json)\n",
			len(d.Changes), len(d.NotComparable))
		writeCrossYear(stderr, d.CrossYear, d.CrossYearNote, "nianbao: ")
		return nil
	}
	fmt.Fprintf(w, "%s: %d → %d (%s)\n", d.Agency, o.from, o.to, d.MatchedBy)
	writeSide(w, strconv.Itoa(o.from), d.From)
	writeSide(w, strconv.Itoa(o.to), d.To)
	writeChangeTables(w, d.Changes, d.NotComparable, strconv.Itoa(o.from), strconv.Itoa(o.to))
	fmt.Fprintln(w)
	writeCrossYear(w, d.CrossYear, d.CrossYearNote, "")
	return nil
}

var diffCSVHeader = []string{"agency", "table", "row", "column", "from", "to", "old", "new", "change", "pct"}

func diffCSVRow(agency string, c parser.Change, from, to int) []string {
	return []string{parser.SafeField(agency), c.Table, c.Row, c.Column, strconv.Itoa(from), strconv.Itoa(to),
		c.Old, c.New, c.Abs, c.Pct}
}

// bufioOf returns w as a *bufio.Writer (runDiff always passes one).
func bufioOf(w io.Writer) *bufio.Writer {
	if bw, ok := w.(*bufio.Writer); ok {
		return bw
	}
	return bufio.NewWriter(w)
}

func writeSide(w io.Writer, label string, s diffSide) {
	fmt.Fprintf(w, "  %s: %s, format %s, version %d of %d", label, s.Agency, s.Format, s.Version, s.Versions)
	if s.Published != "" {
		fmt.Fprintf(w, ", published %s", s.Published)
	}
	if s.FetchedAt != "" {
		fmt.Fprintf(w, ", fetched %s", s.FetchedAt)
	}
	fmt.Fprintf(w, "\n      source %s (sha256 %s)\n", s.SourceURL, shortSHA(s.SHA256))
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func pctText(p string) string {
	if p == "" {
		return ""
	}
	return p + "%"
}

func dash(s string) string {
	if s == "" {
		return "·"
	}
	return s
}

// writeChangeTables prints the changed and the not-comparable cells as
// aligned tables; a blank value shows as "·".
func writeChangeTables(w io.Writer, changed, notComparable []parser.Change, oldLabel, newLabel string) {
	fmt.Fprintf(w, "\nChanged cells: %d\n", len(changed))
	if len(changed) > 0 {
		rows := [][]string{{"TABLE", "ROW", "COLUMN", oldLabel, newLabel, "CHANGE", "PCT", "NOTE"}}
		for _, c := range changed {
			rows = append(rows, []string{c.Table, c.Row, c.Column, dash(c.Old), dash(c.New), dash(c.Abs), pctText(c.Pct), c.Note})
		}
		writeAligned(w, rows, []bool{false, false, false, true, true, true, true, false})
	}
	fmt.Fprintf(w, "\nNot comparable: %d\n", len(notComparable))
	if len(notComparable) > 0 {
		rows := [][]string{{"TABLE", "ROW", "COLUMN", oldLabel, newLabel, "WHY"}}
		for _, c := range notComparable {
			o, n := dash(c.Old), dash(c.New)
			if c.Old == "" && c.New == "" { // a blank cell of one side
				o, n = "", ""
			}
			rows = append(rows, []string{c.Table, c.Row, c.Column, o, n, c.Note})
		}
		writeAligned(w, rows, []bool{false, false, false, true, true, false})
	}
}

// writeAligned prints rows as a table indented by two spaces, columns two
// spaces apart, right-aligned where right says so. The last column is
// not padded, so it may hold free text. Widths count runes: every padded
// column holds ASCII IDs or numbers.
func writeAligned(w io.Writer, rows [][]string, right []bool) {
	width := make([]int, len(right))
	for _, r := range rows {
		for i, f := range r {
			width[i] = max(width[i], utf8.RuneCountInString(f))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		b.Reset()
		b.WriteString("  ")
		for i, f := range r {
			if i == len(r)-1 {
				b.WriteString(f)
				break
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(f))
			if right[i] {
				b.WriteString(pad + f)
			} else {
				b.WriteString(f + pad)
			}
			b.WriteString("  ")
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func writeCrossYear(w io.Writer, checks []parser.CrossCheck, note, prefix string) {
	failed := 0
	for _, x := range checks {
		if !x.Holds {
			failed++
		}
	}
	if note != "" {
		fmt.Fprintf(w, "%sCross-year checks: %s\n", prefix, note)
		return
	}
	fmt.Fprintf(w, "%sCross-year checks: %d evaluated, %d failed\n", prefix, len(checks), failed)
	for _, x := range checks {
		fmt.Fprintf(w, "%s  %s\n", prefix, x)
	}
}

// versionDiff is the JSON form of a diff between stored versions.
type versionDiff struct {
	AgencyID string         `json:"agency_id"`
	Agency   string         `json:"agency"`
	Year     int            `json:"year"`
	Versions []versionInfo  `json:"versions"`
	Diffs    []versionDelta `json:"diffs"`
}

type versionInfo struct {
	diffSide
	ParserVersion string   `json:"parser_version"`
	RunID         string   `json:"run_id,omitempty"`
	Captures      []string `json:"captures"`
}

type versionDelta struct {
	From          int             `json:"from"`
	To            int             `json:"to"`
	Changes       []parser.Change `json:"changes"`
	NotComparable []parser.Change `json:"not_comparable"`
}

func diffVersions(ctx context.Context, db *store.DB, o diffOptions, w io.Writer, stderr io.Writer) error {
	ids, err := organsFor(db, o.agency)
	if err != nil {
		return err
	}
	var cs []*store.ReportRecord
	for _, id := range ids {
		rec, err := latestOf(ctx, db, id, o.year)
		if err != nil {
			return err
		}
		if rec != nil {
			cs = append(cs, rec)
		}
	}
	switch {
	case len(cs) == 0:
		return fmt.Errorf("diff --versions %q %d: no report matches: %w", o.agency, o.year, store.ErrNotFound)
	case len(cs) > 1:
		return usageError{msg: fmt.Sprintf("--agency %q is ambiguous in %d: %s", o.agency, o.year, describeCandidates(cs)),
			hint: "give a longer part of the name, the organ code or the agency_id"}
	}
	rec, err := db.Report(cs[0].AgencyID, o.year)
	if err != nil {
		return err
	}
	d := versionDiff{AgencyID: rec.AgencyID, Agency: rec.Agency, Year: rec.Year, Versions: []versionInfo{}, Diffs: []versionDelta{}}
	for i := range rec.Versions {
		v := &rec.Versions[i]
		if v.Report == nil {
			continue
		}
		d.Versions = append(d.Versions, versionInfo{diffSide: sideOf(rec, v), ParserVersion: v.ParserVersion, RunID: v.RunID, Captures: v.Captures})
		if i == 0 || rec.Versions[i-1].Report == nil {
			continue
		}
		delta := versionDelta{From: rec.Versions[i-1].N, To: v.N}
		delta.Changes, delta.NotComparable = parser.SplitComparable(parser.Diff(rec.Versions[i-1].Report, v.Report))
		d.Diffs = append(d.Diffs, delta)
	}

	switch o.format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(d)
	case "csv":
		cw := export.NewCSVWriter(bufioOf(w))
		if err := cw.Write(diffCSVHeader); err != nil {
			return err
		}
		nc := 0
		for _, delta := range d.Diffs {
			nc += len(delta.NotComparable)
			for _, c := range delta.Changes {
				if err := cw.Write(diffCSVRow(d.Agency, c, delta.From, delta.To)); err != nil {
					return err
				}
			}
		}
		fmt.Fprintf(stderr, "nianbao: %d versions; %d cells not comparable between versions (see --format text or json)\n", len(d.Versions), nc)
		return nil
	}
	fmt.Fprintf(w, "%s %d: %d stored versions\n", d.Agency, d.Year, len(d.Versions))
	for _, v := range d.Versions {
		fmt.Fprintf(w, "  version %d: stored %s, parser %s", v.Version, v.StoredAt.Format(time.RFC3339), v.ParserVersion)
		if v.FetchedAt != "" {
			fmt.Fprintf(w, ", fetched %s", v.FetchedAt)
		}
		fmt.Fprintf(w, "\n      source %s (sha256 %s)\n", v.SourceURL, shortSHA(v.SHA256))
	}
	if len(d.Diffs) == 0 {
		fmt.Fprintln(w, "\nOnly one version: nothing to compare.")
		return nil
	}
	for _, delta := range d.Diffs {
		fmt.Fprintf(w, "\nVersion %d → %d", delta.From, delta.To)
		writeChangeTables(w, delta.Changes, delta.NotComparable, "v"+strconv.Itoa(delta.From), "v"+strconv.Itoa(delta.To))
	}
	return nil
}
