package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"nianbao/store"
)

// parallelReparseArchive is a generated archive of n reports where order
// matters to reparse:
//   - the reports of 2021 and 2024 have a second version whose numbers its body does
//     not give (as a buggy older parser stored them): reparse stores a
//     third;
//   - bodies no report comes from yet: for each of k new (agency, year),
//     two different pages fetched a minute apart; the earlier becomes the
//     new report and the later is a duplicate, as when they were crawled.
func parallelReparseArchive(t testing.TB, dir string, n, k int) string {
	path := filepath.Join(dir, "reparse.db")
	if err := generateArchive(context.Background(), path, n, nil); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, &store.Options{NoSync: true, SnapshotInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var recs []*store.ReportRecord
	err = db.ForEachReport(context.Background(), store.Filter{}, func(rec *store.ReportRecord) error {
		if rec.Year%3 == 0 {
			recs = append(recs, rec)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		v := rec.Latest()
		r := *v.Report
		r.Cells = append(r.Cells[:0:0], r.Cells...)
		r.Cells[7].Value += "1"
		if _, err := db.PutReport(&r, v.Captures, "old-run"); err != nil {
			t.Fatal(err)
		}
	}
	g, err := newBenchGenerator()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for j := range k {
		// The later page of each pair is stored first: reparse must go by
		// fetch time, not by storage order.
		for _, f := range []int{3, 2} {
			c := store.Capture{URL: fmt.Sprintf("http://bench.nianbao.invalid/new/%d-%d.html", j, f), Status: 200,
				ContentType: "text/html; charset=utf-8", FetchedAt: at.Add(time.Duration(f*100+j) * time.Minute)}
			if _, err := db.PutCapture(c, g.render(benchAgencyName(90000+j), 2025, f)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return path
}

// TestReparse_ParallelSameAsSequential reparses the same archive with one
// worker and with four and checks that the output, the counts and every
// stored version (the tidy export of all versions) are the same (issue 11).
func TestReparse_ParallelSameAsSequential(t *testing.T) {
	dir := t.TempDir()
	src := parallelReparseArchive(t, dir, 60, 12)
	exports := map[string]string{}
	outs := map[string]string{}
	for _, jobs := range []string{"1", "4"} {
		path := filepath.Join(dir, "jobs-"+jobs+".db")
		copyFile(t, src, path)
		code, out, errOut := runNianbao(t, "reparse", "--db", path, "--jobs", jobs)
		if code != 0 {
			t.Fatalf("reparse --jobs %s: exit %d\n%s", jobs, code, errOut)
		}
		outs[jobs] = regexp.MustCompile(` in [0-9.]+m?s\n`).ReplaceAllString(out, "\n")
		code, csv, errOut := runNianbao(t, "export", "--db", path, "--all-versions")
		if code != 0 {
			t.Fatalf("export: exit %d\n%s", code, errOut)
		}
		exports[jobs] = csv
	}
	for _, want := range []string{
		"reports: 36 unchanged; stored 24 new versions, 12 new reports\n",
		"12 duplicates of archived reports",
		"new 生成市第90003局 2025 (2021, 200 cells) from http://bench.nianbao.invalid/new/3-2.html\n",
	} {
		if !regexp.MustCompile(regexp.QuoteMeta(want)).MatchString(outs["1"]) {
			t.Errorf("reparse --jobs 1 output lacks %q:\n%s", want, outs["1"])
		}
	}
	if outs["1"] != outs["4"] {
		t.Errorf("reparse output differs:\n--jobs 1:\n%s\n--jobs 4:\n%s", outs["1"], outs["4"])
	}
	if exports["1"] != exports["4"] {
		t.Errorf("the archives differ after reparse --jobs 1 and --jobs 4 (%d and %d bytes of export)", len(exports["1"]), len(exports["4"]))
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	// On disk before the copy is used: the reparse's first commit would
	// otherwise write the whole file out and the benchmark time it.
	if err := out.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkReparse reparses a generated archive of 2,000 reports (a copy
// per iteration; every body parses to the numbers stored, so the time is
// reading and parsing) and reports captures/s. With -cpu 1,2 it shows what
// the workers gain (issue 11: at least 1.8× on two cores):
//
//	go test ./cmd/nianbao -run '^$' -bench Reparse -cpu 1,2 -benchtime 3x
func BenchmarkReparse(b *testing.B) {
	const n = 2000
	dir := b.TempDir()
	src := filepath.Join(dir, "src.db")
	if err := generateArchive(context.Background(), src, n, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		path := filepath.Join(dir, fmt.Sprintf("run-%d.db", i))
		copyFile(b, src, path)
		b.StartTimer()
		if err := run(context.Background(), []string{"reparse", "--db", path}, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.Remove(path)
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "captures/s")
}
