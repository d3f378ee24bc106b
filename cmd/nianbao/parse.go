package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"nianbao/parser"
)

const parseHelp = `Usage: nianbao parse [--format json|csv] FILE...

Parses report files (HTML in UTF-8 or GBK, flattened text, PDF, DOCX), detected
by content, and prints the normalised reports: JSON (default, one array) or the
tidy CSV of 'nianbao export' (one header line, then the cells of every file).
Consistency-check failures are listed in the JSON and on stderr; they do not
change the exit status.

Exit status: 0 all files parsed, 1 a file could not be read or parsed,
2 usage error.
`

func runParse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "json", "output format: json or csv")
	fs.Usage = func() { fmt.Fprint(stderr, parseHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if *format != "json" && *format != "csv" {
		return usageError{msg: fmt.Sprintf("unknown --format %q", *format), hint: "use json or csv"}
	}
	if fs.NArg() == 0 {
		return usageError{msg: "parse needs at least one FILE"}
	}
	p := parser.New(parser.Options{PDFCacheDir: pdfCacheDir()})
	defer p.Close()

	var reports []*parser.Report
	var cw *csv.Writer
	if *format == "csv" {
		cw = csv.NewWriter(stdout)
		if err := cw.Write(parser.Header); err != nil {
			return err
		}
	}
	failed := 0
	for _, path := range fs.Args() {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := parseOne(p, path)
		if err != nil {
			// One bad file does not stop the others.
			fmt.Fprintf(stderr, "nianbao: %v\n", err)
			failed++
			continue
		}
		if r.NoTables != "" {
			fmt.Fprintf(stderr, "%s: %s\n", path, r.NoTables)
		}
		for _, f := range r.Failures {
			fmt.Fprintf(stderr, "%s: check failed: %s\n", path, f)
		}
		if cw != nil {
			if err := cw.WriteAll(r.Records()); err != nil {
				return err
			}
			continue
		}
		reports = append(reports, r)
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	} else {
		if reports == nil {
			reports = []*parser.Report{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(reports); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be parsed", failed, fs.NArg())
	}
	return nil
}

// parseOne reads and parses one file; the error names the file.
func parseOne(p *parser.Parser, path string) (*parser.Report, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	r, err := p.Parse(body, parser.Source{URL: path})
	if err != nil {
		var pe *parser.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("parse %w", err)
		}
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return r, nil
}

// pdfCacheDir is where the PDF engine keeps its compiled WebAssembly between
// runs: $NIANBAO_CACHE, else the user cache directory. Empty disables it.
func pdfCacheDir() string {
	if d := os.Getenv("NIANBAO_CACHE"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return d + "/nianbao/pdfium"
}
