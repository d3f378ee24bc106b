package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nianbao/parser"
)

const seedPath = "../../parser/testdata/zhanjiang-sifaju-2025.txt"

func runParseCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestRun_Parse_JSON(t *testing.T) {
	out, _, err := runParseCmd(t, "parse", seedPath, "../../parser/testdata/huaian-hongze-2023.layout.txt")
	if err != nil {
		t.Fatal(err)
	}
	var reports []parser.Report
	if err := json.Unmarshal([]byte(out), &reports); err != nil {
		t.Fatal(err)
	}
	if len(reports) != 2 || reports[0].Agency != "湛江市司法局" || len(reports[0].Cells) != 200 {
		t.Fatalf("got %d reports, first %q with %d cells", len(reports), reports[0].Agency, len(reports[0].Cells))
	}
	if c, _ := reports[0].Cell("t3", "new_received", "total"); c.Value != "10" {
		t.Errorf("new_received total = %q, want 10", c.Value)
	}
	if len(reports[1].Failures) != 2 || reports[1].Failures[0].Rule != "R4" {
		t.Errorf("洪泽区 2023 failures = %v, want two R4", reports[1].Failures)
	}
}

func TestRun_Parse_CSV(t *testing.T) {
	out, errOut, err := runParseCmd(t, "parse", "--format", "csv", seedPath, "../../parser/testdata/huaian-hongze-2023.layout.txt")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "agency,year,format,table,row,column,value,raw,source_url,published,fetched_at,sha256,agency_id" {
		t.Fatalf("header = %s", got)
	}
	if len(rows) != 1+200+186 {
		t.Errorf("%d rows, want 1+200+186", len(rows))
	}
	want := []string{"湛江市司法局", "2025", "2021", "t3", "new_received", "natural_person", "10", "10", seedPath, "2026-01-27", ""}
	found := false
	for _, r := range rows {
		// Outside an archive there is no agency register: agency_id is empty.
		if strings.Join(r[:11], "|") == strings.Join(want, "|") && len(r[11]) == 64 && r[12] == "" {
			found = true
		}
	}
	if !found {
		t.Errorf("no row %v", want)
	}
	if !strings.Contains(errOut, "check failed: R4 t4 row review") {
		t.Errorf("stderr lacks the R4 failure: %q", errOut)
	}
}

func TestRun_Parse_BadInput(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.bin")
	if err := os.WriteFile(junk, []byte("\x00\x01\x02binary\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runParseCmd(t, "parse", filepath.Join(dir, "missing.html"), junk, seedPath)
	if err == nil || exitCode(err) != exitFailure {
		t.Fatalf("err = %v (exit %d), want exit 1", err, exitCode(err))
	}
	if !strings.Contains(errOut, "missing.html") || !strings.Contains(errOut, "junk.bin") || !strings.Contains(errOut, "unknown input format") {
		t.Errorf("stderr does not name the files and reasons: %q", errOut)
	}
	// The good file is still parsed and printed.
	if !strings.Contains(out, "湛江市司法局") {
		t.Errorf("the readable file was not printed")
	}
	if _, _, err := runParseCmd(t, "parse"); exitCode(err) != exitUsage {
		t.Errorf("no files: exit %d, want 2", exitCode(err))
	}
	if _, _, err := runParseCmd(t, "parse", "--format", "xml", seedPath); exitCode(err) != exitUsage {
		t.Errorf("bad format: exit %d, want 2", exitCode(err))
	}
}

// TestRun_Parse_ParallelSameAsSequential parses the parser's real fixtures
// (HTML, text, PDF, DOCX, a legacy .doc), a missing file and junk, three
// times over in an interleaved order, with one worker and with four, and
// checks that stdout and stderr are byte for byte what the sequential
// algorithm writes: each file parsed in turn, the reports encoded as one
// JSON array or the tidy CSV, messages in file order (issue 11).
func TestRun_Parse_ParallelSameAsSequential(t *testing.T) {
	var files []string
	for _, pat := range []string{"*.html", "*.txt", "*.pdf", "*.docx", "*.doc"} {
		m, err := filepath.Glob(filepath.Join("..", "..", "parser", "testdata", pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 15 {
		t.Fatalf("found %d fixtures, want at least 15", len(files))
	}
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.bin")
	if err := os.WriteFile(junk, []byte("\x00\x01\x02binary\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(dir, "missing.html"), junk)
	var args []string
	for k := range 3 {
		for i := range files {
			args = append(args, files[(i*7+k)%len(files)])
		}
	}

	for _, format := range []string{"json", "csv"} {
		wantOut, wantErr := sequentialParse(t, format, args)
		for _, jobs := range []string{"1", "4"} {
			out, errOut, err := runParseCmd(t, append([]string{"parse", "--format", format, "--jobs", jobs}, args...)...)
			if exitCode(err) != exitFailure || !strings.Contains(err.Error(), "6 of ") {
				t.Errorf("%s --jobs %s: err = %v, want 6 files that could not be parsed", format, jobs, err)
			}
			if out != wantOut {
				t.Errorf("%s --jobs %s: stdout differs from the sequential output (%d bytes, want %d)", format, jobs, len(out), len(wantOut))
			}
			if errOut != wantErr {
				t.Errorf("%s --jobs %s: stderr = %q\nwant %q", format, jobs, errOut, wantErr)
			}
		}
	}
}

// sequentialParse is what 'nianbao parse' printed before it parsed in
// parallel: every file parsed in turn, then the reports as one indented
// JSON array, or the CSV records written as they came.
func sequentialParse(t *testing.T, format string, paths []string) (stdout, stderr string) {
	t.Helper()
	p := parser.New(parser.Options{PDFCacheDir: pdfCacheDir()})
	defer p.Close()
	var out, errOut bytes.Buffer
	cw := csv.NewWriter(&out)
	if format == "csv" {
		cw.Write(parser.Header)
	}
	reports := []*parser.Report{}
	for _, path := range paths {
		r, err := parseOne(&parseGate{p: p}, path)
		if err != nil {
			fmt.Fprintf(&errOut, "nianbao: %v\n", err)
			continue
		}
		if r.NoTables != "" {
			fmt.Fprintf(&errOut, "%s: %s\n", path, r.NoTables)
		}
		for _, f := range r.Failures {
			fmt.Fprintf(&errOut, "%s: check failed: %s\n", path, f)
		}
		if format == "csv" {
			cw.WriteAll(r.Records())
		}
		reports = append(reports, r)
	}
	if format == "json" {
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(reports); err != nil {
			t.Fatal(err)
		}
	}
	cw.Flush()
	return out.String(), errOut.String()
}
