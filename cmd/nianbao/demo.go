package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"nianbao/parser"
	"nianbao/store"
)

const demoHelp = `Usage: nianbao demo [--addr 127.0.0.1:0] [--db PATH] [--keep-serving]

Runs the whole pipeline offline: serves a bundled sample portal on this
machine (five sites in the layouts of real government CMSs — a Guangdong
NFCMS channel with index_N pages, a gkmlpt JSON list API, a Hanweb col page
with dataproxy.jsp, a TRS list with createPageHTML and PDF reports, a GBK
site without any charset declaration — built from real published reports),
crawls it into a fresh database exactly as 'nianbao crawl' would, and prints
what it found: per agency and year the template format, key numbers of
table 三 and 四, and the consistency checks that fail.

The database is a temporary file removed at the end, unless --db is given
(then explore it with 'nianbao export --db PATH' or 'nianbao diff').
No internet access is needed.

Exit status:
  0    the demo ran and every URL was fetched
  1    fatal error
  2    usage error
  3    some URLs failed
  4    the --db database is in use by another nianbao process
  130  interrupted

Flags:
`

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "address for the sample portal (port 0: any free port)")
	dbPath := fs.String("db", "", "keep the database at this path (default: a temporary file, removed)")
	keep := fs.Bool("keep-serving", false, "keep serving the portal after the crawl, until Ctrl-C")
	fs.Usage = func() { fmt.Fprint(stderr, demoHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}

	portal, err := newDemoPortal()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return usageError{msg: fmt.Sprintf("listen on %s: %v", *addr, err), hint: "pick another --addr"}
	}
	srv := &http.Server{Handler: portal, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-serveErr
	}()
	base := "http://" + ln.Addr().String()

	db := *dbPath
	if db == "" {
		dir, err := os.MkdirTemp("", "nianbao-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		db = filepath.Join(dir, "demo.db")
	}
	cfg := demoConfig(base, db)

	fmt.Fprintf(stdout, "Sample portal at %s, %d sites:\n", base, len(demoPortalSites))
	for _, s := range demoPortalSites {
		fmt.Fprintf(stdout, "  %s%s  %s%s\n", s.name, strings.Repeat(" ", max(0, 28-displayWidth(s.name))), base, s.start)
	}
	fmt.Fprintf(stdout, "Crawling into %s …\n\n", db)

	start := time.Now()
	_, crawlErr := crawlSites(ctx, cfg, cfg.Sites, crawlOutput{stdout: stdout, stderr: stderr})
	if crawlErr != nil && exitCode(crawlErr) != exitPartial {
		return crawlErr
	}
	fmt.Fprintf(stdout, "Crawled in %.1fs.\n\n", time.Since(start).Seconds())
	if err := printArchive(ctx, stdout, db); err != nil {
		return err
	}
	if *dbPath != "" {
		fmt.Fprintf(stdout, "\nThe archive is kept at %s: try 'nianbao export --db %s'.\n", db, db)
	}
	if *keep {
		fmt.Fprintf(stdout, "\nStill serving the sample portal at %s; Ctrl-C to stop.\n", base)
		select {
		case <-ctx.Done():
		case err := <-serveErr:
			serveErr <- err
		}
		return crawlErr
	}
	return crawlErr
}

// printArchive lists the reports in the database at path: per agency and
// year the format, input kind, key numbers and failed checks.
func printArchive(ctx context.Context, w io.Writer, path string) error {
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	rows := [][]string{{"agency", "year", "format", "from", "versions", "t3 new", "t3 closed", "t3 carried", "t4 review", "t4 lawsuits", "checks"}}
	var notes []string
	err = db.ForEachReport(ctx, store.Filter{LatestOnly: true}, func(rec *store.ReportRecord) error {
		v := rec.Latest()
		if v == nil || v.Report == nil {
			return nil
		}
		r := v.Report
		cell := func(table, row, col string) string {
			c, ok := r.Cell(table, row, col)
			if !ok {
				return "-"
			}
			if c.MergedWith != "" {
				return "(" + c.MergedWith + ")"
			}
			if c.Value == "" {
				return "·"
			}
			return c.Value
		}
		checks := "-"
		switch {
		case len(r.Failures) > 0:
			checks = fmt.Sprintf("%d of %d fail", len(r.Failures), r.Checked)
			for _, f := range r.Failures {
				notes = append(notes, fmt.Sprintf("  %s %d: %s", r.Agency, r.Year, f))
			}
		case r.Checked > 0:
			checks = fmt.Sprintf("%d ok", r.Checked)
		}
		if r.NoTables != "" {
			notes = append(notes, fmt.Sprintf("  %s %d: %s", r.Agency, r.Year, r.NoTables))
		}
		lawsuits := cell(parser.TableAppeals, "litigation_direct", "total")
		if l2 := cell(parser.TableAppeals, "litigation_after_review", "total"); l2 != "-" {
			lawsuits += "+" + l2
		}
		rows = append(rows, []string{r.Agency, fmt.Sprint(r.Year), string(r.Format), r.Input, fmt.Sprint(rec.Count),
			cell(parser.TableRequests, "new_received", "total"), cell(parser.TableRequests, "total", "total"),
			cell(parser.TableRequests, "carried_forward", "total"), cell(parser.TableAppeals, "review", "total"), lawsuits, checks})
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Reports in the archive (%d):\n", len(rows)-1)
	printTable(w, rows)
	if len(notes) > 0 {
		fmt.Fprintln(w, "\nNotes (failed consistency checks are the report's own arithmetic, kept as printed):")
		fmt.Fprintln(w, strings.Join(notes, "\n"))
	}
	return nil
}
