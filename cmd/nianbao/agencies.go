package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"nianbao/cmd/nianbao/export"
	"nianbao/parser"
	"nianbao/store"
)

const agenciesHelp = `Usage: nianbao agencies [--db PATH] [--agency TEXT] [--format text|csv] [--proposed]

Lists the agency register: every organ the archive holds reports of, with
its agency_id (the identifier exports carry), its name, the names its
reports printed (with the years and where each was read: title, heading,
metadata, body, signature, link_text; "unrecorded" for reports archived
before sources were recorded), its organ codes, its division, the sites its
reports were found on, the statistics years present, and the rule of the
config's agencies: section bound to it (with its renames, mergers and
splits).

How identity is decided: each report's organ is read from the report itself
(see the README, "Data model"); the register then makes names of one organ
one agency_id when they differ only by parent divisions (淮安市洪泽区人民政府
≡ 洪泽区人民政府), by notes (（本级）) or by a common short form (人防办 ≡
人民防空办公室, 发改委 ≡ 发展和改革委员会) and the site or a valid organ code
agrees. A page that names no organ is not given one: it is an unidentified
report of its own (listed by 'nianbao ls'), never stacked under the site's
name.

--proposed lists instead the merges the register could not confirm: two
organs whose names relate (or that share an organ code) without the
evidence that would make them one, each with the reason and what would
confirm it. To make them one, add an alias (or a rename with its year) to
the config's agencies: section and run 'nianbao reparse --config FILE'.

--agency keeps the organs an agency_id, organ code or part of a name
selects. --format csv writes one row per organ (or per proposal) with a
header; lists inside a field are separated by "; ".

Exit status: 0 listed (also when nothing matches); 1 failure (database
missing or unreadable, or of an older schema: run 'nianbao reparse' once);
2 usage error; 4 database locked by another process with no snapshot to
read.
`

func runAgencies(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agencies", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", DefaultConfig().DB, "archive `PATH`")
	text := fs.String("agency", "", "only organs whose agency_id or organ code is `TEXT`, or one of whose names contains it")
	format := fs.String("format", "text", "output format: text or csv")
	proposed := fs.Bool("proposed", false, "list the merges the register proposes and has not made")
	fs.Usage = func() { fmt.Fprint(stderr, agenciesHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "agencies takes only flags"}
	case *format != "text" && *format != "csv":
		return usageError{msg: fmt.Sprintf("unknown --format %q", *format), hint: "use text or csv"}
	}
	db, err := openArchiveReadOnly(*dbPath, stderr)
	if err != nil {
		return err
	}
	defer db.Close()

	var keep map[string]bool
	if t := strings.TrimSpace(*text); t != "" {
		ids, _, err := db.LookupAgencies(t)
		if err != nil {
			return err
		}
		keep = map[string]bool{}
		for _, id := range ids {
			keep[id] = true
		}
	}
	selected := func(ids ...string) bool {
		if keep == nil {
			return true
		}
		for _, id := range ids {
			if keep[id] {
				return true
			}
		}
		return false
	}
	bw := bufio.NewWriter(stdout)
	defer bw.Flush()
	if *proposed {
		props, err := db.Proposals(ctx)
		if err != nil {
			return err
		}
		var rows []store.AgencyProposal
		for _, p := range props {
			if selected(p.A, p.B) {
				rows = append(rows, p)
			}
		}
		if *format == "csv" {
			cw := export.NewCSVWriter(bw)
			if err := cw.Write([]string{"agency_id", "name", "other_agency_id", "other_name", "match", "reason", "confirm"}); err != nil {
				return err
			}
			for _, p := range rows {
				if err := cw.Write([]string{p.A, parser.SafeField(p.AName), p.B, parser.SafeField(p.BName), p.Match,
					parser.SafeField(p.Reason), parser.SafeField(p.Confirm)}); err != nil {
					return err
				}
			}
			return bw.Flush()
		}
		for _, p := range rows {
			fmt.Fprintf(bw, "%s %s  ↔  %s %s\n  %s: %s\n  to confirm: %s\n", p.A, p.AName, p.B, p.BName, p.Match, p.Reason, p.Confirm)
		}
		fmt.Fprintf(bw, "%d proposed merges (none made)\n", len(rows))
		return bw.Flush()
	}

	var cw *export.CSVWriter
	if *format == "csv" {
		cw = export.NewCSVWriter(bw)
		if err := cw.Write([]string{"agency_id", "name", "division", "codes", "sites", "years", "names", "rule", "links", "merged"}); err != nil {
			return err
		}
	}
	organs, names := 0, 0
	err = db.ForEachAgency(ctx, func(a *store.Agency) error {
		if !selected(a.ID) {
			return nil
		}
		organs++
		names += len(a.Names)
		var ns, links []string
		for _, n := range a.Names {
			ns = append(ns, nameText(n))
		}
		for _, l := range a.Links {
			links = append(links, fmt.Sprintf("%s %s %d", l.Kind, l.Name, l.Year))
		}
		years := make([]string, len(a.Years))
		for i, y := range a.Years {
			years[i] = strconv.Itoa(y)
		}
		if cw != nil {
			return cw.Write([]string{a.ID, parser.SafeField(a.Name), a.Division, strings.Join(a.Codes, "; "),
				parser.SafeField(strings.Join(a.Sites, "; ")), strings.Join(years, " "), parser.SafeField(strings.Join(ns, "; ")),
				parser.SafeField(a.Rule), parser.SafeField(strings.Join(links, "; ")), strings.Join(a.Merged, "; ")})
		}
		fmt.Fprintf(bw, "%s  %s\n", a.ID, a.Name)
		var facts []string
		if a.Division != "" {
			facts = append(facts, "division "+a.Division)
		}
		if len(a.Codes) > 0 {
			facts = append(facts, "organ code "+strings.Join(a.Codes, ", "))
		}
		if len(a.Sites) > 0 {
			facts = append(facts, "sites "+strings.Join(a.Sites, ", "))
		}
		if len(years) > 0 {
			facts = append(facts, "years "+strings.Join(years, " "))
		} else {
			facts = append(facts, "no report")
		}
		fmt.Fprintf(bw, "  %s\n  names: %s\n", strings.Join(facts, " · "), strings.Join(ns, ", "))
		if a.Rule != "" {
			fmt.Fprintf(bw, "  config rule: %s", a.Rule)
			if len(links) > 0 {
				fmt.Fprintf(bw, " (%s)", strings.Join(links, "; "))
			}
			fmt.Fprintln(bw)
		}
		if len(a.Merged) > 0 {
			fmt.Fprintf(bw, "  merged from: %s\n", strings.Join(a.Merged, ", "))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list agencies of %s: %w", *dbPath, err)
	}
	if cw != nil {
		return bw.Flush()
	}
	unidentified, err := db.CountReports(ctx, store.Filter{Status: "unidentified"})
	if err != nil {
		return err
	}
	fmt.Fprintf(bw, "%d organs, %d names; %d unidentified reports (see 'nianbao ls --status unidentified')\n", organs, names, unidentified)
	return bw.Flush()
}

// nameText renders a printed name with its years and sources:
// "洪泽区人民政府 (2023; heading)".
func nameText(n store.AgencyName) string {
	var parts []string
	if len(n.Years) > 0 {
		ys := make([]string, len(n.Years))
		for i, y := range n.Years {
			ys[i] = strconv.Itoa(y)
		}
		parts = append(parts, strings.Join(ys, " "))
	}
	if len(n.Sources) > 0 {
		ss := make([]string, len(n.Sources))
		for i, s := range n.Sources {
			ss[i] = string(s)
		}
		parts = append(parts, strings.Join(ss, ", "))
	}
	if len(parts) == 0 {
		return n.Name
	}
	return n.Name + " (" + strings.Join(parts, "; ") + ")"
}
