package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/text/width"

	"nianbao/cmd/nianbao/export"
	"nianbao/parser"
	"nianbao/store"
)

const lsHelp = `Usage: nianbao ls [--db PATH] [--agency TEXT] [--year Y]

Lists the archived reports in order of agency and year: the number of stored
versions, the template format of the latest version, and its consistency
checks: "ok" (every identity that could be evaluated holds), "N failed"
(N of the R1–R4 identities do not hold), or "no tables" (the input had no
extractable tables, e.g. they are images). A last line gives the totals.

The database is opened read-only; during a crawl the writer's snapshot is
read instead, and a note on stderr says how old it is.

Exit status: 0 listed (also when nothing matches); 1 failure (database
missing or unreadable); 2 usage error; 4 database locked by another process
with no snapshot to read.
`

func runLs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", DefaultConfig().DB, "archive `PATH`")
	agency := fs.String("agency", "", "only agencies whose name contains `TEXT` (or whose organ code is TEXT)")
	year := fs.Int("year", 0, "only reports for statistics year `Y`")
	fs.Usage = func() { fmt.Fprint(stderr, lsHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "ls takes only flags"}
	}
	if *year < 0 {
		return usageError{msg: fmt.Sprintf("bad --year %d", *year)}
	}
	db, err := openArchiveReadOnly(*dbPath, stderr)
	if err != nil {
		return err
	}
	defer db.Close()

	rows := [][]string{{"AGENCY", "YEAR", "VERSIONS", "FORMAT", "CHECKS"}}
	reports, versions := 0, 0
	err = db.ForEachReport(ctx, store.Filter{Year: *year, LatestOnly: true}, func(rec *store.ReportRecord) error {
		v := rec.Latest()
		if v == nil || !export.MatchAgency(v.Report, rec.Agency, *agency) {
			return nil
		}
		reports++
		versions += rec.Count
		rows = append(rows, []string{rec.Agency, strconv.Itoa(rec.Year), strconv.Itoa(rec.Count), string(v.Report.Format), checkStatus(v.Report)})
		return nil
	})
	if err != nil {
		return fmt.Errorf("list %s: %w", *dbPath, err)
	}
	if err := writeColumns(stdout, rows); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%d reports, %d versions\n", reports, versions)
	return err
}

// writeColumns writes rows as left-aligned columns two spaces apart,
// measuring text in terminal cells: a Chinese character is two cells wide
// (text/tabwriter would count it as one).
func writeColumns(w io.Writer, rows [][]string) error {
	var widths []int
	for _, row := range rows {
		for i, f := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], termWidth(f))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		b.Reset()
		for i, f := range row {
			b.WriteString(f)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-termWidth(f)+2))
			}
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// termWidth is the number of terminal cells s takes.
func termWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// checkStatus summarises a report's consistency checks for ls.
func checkStatus(r *parser.Report) string {
	switch {
	case r.NoTables != "" || len(r.Cells) == 0:
		return "no tables"
	case len(r.Failures) > 0:
		return strconv.Itoa(len(r.Failures)) + " failed"
	}
	return "ok"
}
