package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/width"

	"nianbao/store"
)

const lsHelp = `Usage: nianbao ls [--db PATH] [--agency TEXT] [--year Y] [--status S]

Lists the archived reports, one per organ and statistics year: the organ's
name as the report prints it, its agency_id (the agency register's; see
'nianbao agencies'), the year, the number of stored versions, the template
format of the latest version, and its consistency checks: "ok" (every
identity that could be evaluated holds), "N failed" (N of the R1–R4
identities do not hold), or "no tables" (the input had no extractable
tables, e.g. they are images). Organs are listed by name, years in order.

Reports whose organ could not be identified (the page names none, so all
the crawl had was the site's configured name) follow in a section of their
own, each with its URL and title: they are never stacked under the site's
name. A last line gives the totals.

--agency selects organs by agency_id, organ code, or part of any name they
printed (full width and spaces do not count); --status by the checks (ok,
fail, none) or identified / unidentified. The filters are answered from the
archive's indexes.

The database is opened read-only; during a crawl the writer's snapshot is
read instead, and a note on stderr says how old it is.

Exit status: 0 listed (also when nothing matches); 1 failure (database
missing or unreadable, or of an older schema: run 'nianbao reparse' once);
2 usage error; 4 database locked by another process with no snapshot to
read.
`

func runLs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", DefaultConfig().DB, "archive `PATH`")
	agency := fs.String("agency", "", "only organs whose agency_id or organ code is `TEXT`, or one of whose names contains it")
	year := fs.Int("year", 0, "only reports for statistics year `Y`")
	status := fs.String("status", "", "only reports whose checks are ok, fail or none, or the identified or unidentified ones")
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
	if *status != "" && !slices.Contains(store.Statuses, *status) {
		return usageError{msg: fmt.Sprintf("bad --status %q", *status), hint: "use " + strings.Join(store.Statuses, ", ")}
	}
	db, err := openArchiveReadOnly(*dbPath, stderr)
	if err != nil {
		return err
	}
	defer db.Close()

	type row struct {
		organ string // the register's name, for sorting
		rec   *store.ReportRecord
	}
	var known, unknown []row
	names := map[string]string{}
	versions := 0
	f := store.Filter{AgencyContains: strings.TrimSpace(*agency), Year: *year, Status: *status, SummaryOnly: true}
	err = db.ForEachReport(ctx, f, func(rec *store.ReportRecord) error {
		versions += rec.Count
		if !rec.Identified {
			unknown = append(unknown, row{rec.Site, rec})
			return nil
		}
		known = append(known, row{"", rec})
		return nil
	})
	if err != nil {
		return fmt.Errorf("list %s: %w", *dbPath, err)
	}
	if len(known) > 0 {
		// The register's names: looked up one by one for a few organs
		// (ls --agency), read all at once for many.
		for _, r := range known {
			names[r.rec.AgencyID] = ""
		}
		if len(names) <= 1000 {
			for id := range names {
				if a, err := db.Agency(id); err == nil {
					names[id] = a.Name
				}
			}
		} else if err := db.AgencyNames(ctx, func(id, name string) error { names[id] = name; return nil }); err != nil {
			return fmt.Errorf("list %s: %w", *dbPath, err)
		}
		for i := range known {
			known[i].organ = cmp.Or(names[known[i].rec.AgencyID], known[i].rec.Agency)
		}
	}
	byName := func(a, b row) int {
		return cmp.Or(strings.Compare(a.organ, b.organ), strings.Compare(a.rec.AgencyID, b.rec.AgencyID), cmp.Compare(a.rec.Year, b.rec.Year))
	}
	slices.SortStableFunc(known, byName)
	slices.SortStableFunc(unknown, func(a, b row) int {
		return cmp.Or(strings.Compare(a.organ, b.organ), cmp.Compare(a.rec.Year, b.rec.Year), strings.Compare(a.rec.URL, b.rec.URL))
	})
	rows := [][]string{{"AGENCY", "AGENCY_ID", "YEAR", "VERSIONS", "FORMAT", "CHECKS"}}
	for _, r := range known {
		rows = append(rows, []string{r.rec.Agency, r.rec.AgencyID, strconv.Itoa(r.rec.Year), strconv.Itoa(r.rec.Count), recFormat(r.rec), checkStatus(r.rec)})
	}
	if err := writeColumns(stdout, rows); err != nil {
		return err
	}
	if len(unknown) > 0 {
		fmt.Fprintf(stdout, "\nUnidentified: %d reports whose page names no organ (only the site's name was known); each page is its own report:\n", len(unknown))
		rows := [][]string{{"SITE", "AGENCY_ID", "YEAR", "VERSIONS", "FORMAT", "CHECKS", "URL", "TITLE"}}
		for _, r := range unknown {
			rows = append(rows, []string{r.rec.Site, r.rec.AgencyID, strconv.Itoa(r.rec.Year), strconv.Itoa(r.rec.Count), recFormat(r.rec),
				checkStatus(r.rec), r.rec.URL, r.rec.Title})
		}
		if err := writeColumns(stdout, rows); err != nil {
			return err
		}
	}
	total := fmt.Sprintf("%d reports", len(known)+len(unknown))
	if len(unknown) > 0 {
		total += fmt.Sprintf(" (%d unidentified)", len(unknown))
	}
	_, err = fmt.Fprintf(stdout, "%s, %d versions\n", total, versions)
	return err
}

// recFormat is the template format of a record's latest version.
func recFormat(rec *store.ReportRecord) string { return string(rec.Format) }

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

// checkStatus summarises a report's consistency checks for ls, from its
// summary (store.ReportStatus).
func checkStatus(rec *store.ReportRecord) string {
	switch rec.Status {
	case "ok":
		return "ok"
	case "fail":
		return strconv.Itoa(rec.Failed) + " failed"
	}
	return "no tables"
}
