package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"nianbao/cmd/nianbao/export"
	"nianbao/store"
)

const exportHelp = `Usage: nianbao export [--db PATH] [--format csv|wide|jsonl|reports|warc|parquet] [--out FILE]
                      [--year Y] [--agency TEXT] [--all-versions] [--bom] [--blank-as-zero]

Writes the archive for analysis, streaming report by report (memory stays
flat as the archive grows), to FILE or standard output. The database is
opened read-only; during a crawl the writer's snapshot is read instead.

Formats:
  csv      (default) tidy: one row per cell of the latest version of each
           report, columns exactly
           agency,year,format,table,row,column,value,raw,source_url,published,fetched_at,sha256,agency_id
           (as 'nianbao parse --format csv', whose agency_id is empty),
           ordered by agency_id (each organ's years together, unidentified
           pages last), year, then table, row and column in template order.
           agency_id came last with the agency register: columns are only
           ever added, at the end.
  wide     one row per report, one column per canonical cell
           (t3.new_received.total, …): the union of the 2019 and 2021
           templates' cells in template order, after the columns
           agency,year,format,scope,organ_code,published,source_url,fetched_at,sha256,
           and last agency_id,identified.
  reports  one row per report: identity, provenance, versions, cells, the
           failed consistency rules (R1–R4) and the cross-year checks against
           the same organ's previous year (Y1 carried_over = carried_forward,
           Y2 t2 in_force continuity), and last
           agency_id,identified,agency_source,year_source.
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
  parquet  the rows of csv as a Parquet file (needs --out FILE), typed:
           year int32; value double (null when blank) with value_text,
           the csv's text of it, beside it; fetched_at a UTC timestamp;
           published the csv's YYYY-MM-DD string (pages print dates such
           as 2024-02-30 that a date column cannot hold); the other
           columns strings, without the csv's formula apostrophe;
           --all-versions adds an int32 "version". zstd pages, row groups
           of 262,144 rows (memory stays flat): pandas.read_parquet (with
           pyarrow), arrow::read_parquet, DuckDB and Spark read it directly.

CSV files are UTF-8 with LF line ends. Text fields that begin with = + - @,
a tab or a carriage return get a leading apostrophe against spreadsheet
formula injection; numbers (values, "-3") are left as they are. Blank cells
(printed blank, "/", "-", "无"…) export empty; --blank-as-zero writes 0
instead, an analyst's choice the export does not make by default: it also
writes 0 for a rowspan continuation (the value is counted on the row that
printed it), and leaves cells a report does not print at all empty (wide).

--all-versions writes every stored version of each report instead of the
latest: csv gains a column "version" before agency_id, wide a "version"
column after sha256, and reports (whose "version" and "versions" columns
are always there) one row per version. Cross-year checks in reports compare
with the latest version of the same organ's previous year: the agency
register's organ, whatever name it printed (淮安市洪泽区人民政府 2024 and
洪泽区人民政府 2023).

agency_id is the agency register's identifier of the organ ("a:…"; see
'nianbao agencies'), or, for a report whose page names no organ (the
configured site name was all that was known), the page's own ("u:…", with
identified false): such reports are never merged under the site's name.
--agency selects organs by agency_id, organ code, or part of any name they
printed.

Exit status: 0 exported; 1 failure (database unreadable, write error);
2 usage error; 4 database locked by a writer and no snapshot to read;
130 interrupted.
`

// exportOptions are the parsed flags of 'nianbao export'.
type exportOptions struct {
	export.Options
	db  string
	out string
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o exportOptions
	fs.StringVar(&o.db, "db", DefaultConfig().DB, "archive `PATH`")
	fs.StringVar(&o.Format, "format", "csv", "output format: csv, wide, jsonl, reports, warc or parquet")
	fs.StringVar(&o.out, "out", "", "write to `FILE` instead of standard output")
	fs.IntVar(&o.Year, "year", 0, "only reports for statistics year `Y`")
	fs.StringVar(&o.Agency, "agency", "", "only organs whose agency_id or organ code is `TEXT`, or one of whose names contains it")
	fs.BoolVar(&o.AllVersions, "all-versions", false, "every stored version, not only the latest")
	fs.BoolVar(&o.BOM, "bom", false, "start CSV output with a UTF-8 byte-order mark (for Excel)")
	fs.BoolVar(&o.BlankAsZero, "blank-as-zero", false, "write blank cells as 0 (default: empty)")
	fs.Usage = func() { fmt.Fprint(stderr, exportHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "export takes only flags"}
	}
	switch o.Format {
	case "csv", "wide", "reports":
	case "jsonl", "warc":
		if o.BOM || o.BlankAsZero {
			return usageError{msg: "--bom and --blank-as-zero apply to csv, wide and reports only"}
		}
	case "parquet":
		if o.BOM {
			return usageError{msg: "--bom applies to csv, wide and reports only"}
		}
		if o.out == "" || o.out == "-" {
			// Readers need the file itself: Parquet's footer, which
			// locates every column, is written last.
			return usageError{msg: "--format parquet writes a file, not standard output", hint: "give --out FILE.parquet"}
		}
	default:
		return usageError{msg: fmt.Sprintf("unknown --format %q", o.Format), hint: "use csv, wide, jsonl, reports, warc or parquet"}
	}
	if o.Year < 0 {
		return usageError{msg: fmt.Sprintf("bad --year %d", o.Year)}
	}
	o.Gzip = o.Format == "warc" && strings.HasSuffix(o.out, ".gz")
	if o.out != "-" {
		o.Filename = o.out
	}
	o.Software = buildVersion()

	db, err := openArchiveReadOnly(o.db, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	defer exportGC()()

	return writeOutput(o.out, stdout, func(w io.Writer) error {
		return export.Write(ctx, db, o.Options, w)
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
