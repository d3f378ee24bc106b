package main

import (
	"bufio"
	"bytes"
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

const parseHelp = `Usage: nianbao parse [--format json|csv] [--jobs N] FILE...

Parses report files (HTML in UTF-8 or GBK, flattened text, PDF, DOCX), detected
by content, and prints the normalised reports: JSON (default, one array) or the
tidy CSV of 'nianbao export' (one header line, then the cells of every file).
Consistency-check failures are listed in the JSON and on stderr; they do not
change the exit status.

Files are parsed on --jobs workers at a time (default: one per CPU; PDFs one
at a time, as the PDF engine reads one document at a time); the output and
the messages on stderr come in the order of the FILE arguments, byte for byte
what one worker prints.

Exit status: 0 all files parsed, 1 a file could not be read or parsed,
2 usage error.
`

func runParse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "json", "output format: json or csv")
	jobs := fs.Int("jobs", 0, "parse `N` files at a time (default: the number of CPUs)")
	fs.Usage = func() { fmt.Fprint(stderr, parseHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if *format != "json" && *format != "csv" {
		return usageError{msg: fmt.Sprintf("unknown --format %q", *format), hint: "use json or csv"}
	}
	if *jobs < 0 {
		return usageError{msg: fmt.Sprintf("bad --jobs %d", *jobs), hint: "give 1 or more, or 0 for one per CPU"}
	}
	if fs.NArg() == 0 {
		return usageError{msg: "parse needs at least one FILE"}
	}
	p := parser.New(parser.Options{PDFCacheDir: pdfCacheDir()})
	defer p.Close()
	gate := &parseGate{p: p}
	paths := fs.Args()

	// Files are read, parsed and encoded on the workers; the results are
	// written here in the order of the arguments, so the output is the
	// same byte for byte whatever the number of workers.
	work := func(i int) parsed {
		var res parsed
		res.report, res.err = parseOne(gate, paths[i])
		if res.err == nil {
			res.out, res.err = encodeReport(res.report, *format)
		}
		return res
	}
	bw := bufio.NewWriterSize(stdout, 64<<10)
	if *format == "csv" {
		if err := csv.NewWriter(bw).WriteAll([][]string{parser.Header}); err != nil {
			return err
		}
	} else {
		bw.WriteString("[")
	}
	failed, printed := 0, 0
	err := forEachOrdered(ctx, len(paths), *jobs, work, func(i int, res parsed) error {
		if res.err != nil {
			// One bad file does not stop the others.
			fmt.Fprintf(stderr, "nianbao: %v\n", res.err)
			failed++
			return nil
		}
		path, r := paths[i], res.report
		if r.NoTables != "" {
			fmt.Fprintf(stderr, "%s: %s\n", path, r.NoTables)
		}
		for _, f := range r.Failures {
			fmt.Fprintf(stderr, "%s: check failed: %s\n", path, f)
		}
		if *format == "json" {
			sep := ",\n  "
			if printed == 0 {
				sep = "\n  "
			}
			bw.WriteString(sep)
		}
		printed++
		_, err := bw.Write(res.out)
		return err
	})
	if err != nil {
		return err
	}
	if *format == "json" {
		if printed > 0 {
			bw.WriteString("\n")
		}
		bw.WriteString("]\n")
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be parsed", failed, fs.NArg())
	}
	return nil
}

// parsed is one file's outcome in 'nianbao parse': the report and its
// encoded output, or the error naming the file.
type parsed struct {
	report *parser.Report
	out    []byte
	err    error
}

// encodeReport encodes r as 'nianbao parse' prints it: the CSV records of
// its cells, or its JSON as an element of the indented array (the bytes
// encoding/json writes for it inside []*parser.Report, without the
// element's leading indent).
func encodeReport(r *parser.Report, format string) ([]byte, error) {
	var b bytes.Buffer
	if format == "csv" {
		if err := csv.NewWriter(&b).WriteAll(r.Records()); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	enc := json.NewEncoder(&b)
	enc.SetIndent("  ", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode %s: %w", r.SourceURL, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// parseOne reads and parses one file; the error names the file.
func parseOne(p *parseGate, path string) (*parser.Report, error) {
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
