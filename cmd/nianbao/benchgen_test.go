package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"nianbao/store"
)

// TestGenerateArchive_Reports generates a small archive and reads it back:
// every report is there under its generated agency and year with the
// seed's cells scaled by its factor, made from its stored capture, and the
// archive is what 'nianbao ls' and 'nianbao diff' read.
func TestGenerateArchive_Reports(t *testing.T) {
	const n = 23 // four agencies and a half
	path := filepath.Join(t.TempDir(), "gen.db")
	var progress []int
	if err := generateArchive(context.Background(), path, n, func(s int) { progress = append(progress, s) }); err != nil {
		t.Fatal(err)
	}
	if len(progress) != 1 || progress[0] != n {
		t.Errorf("progress = %v, want [%d]", progress, n)
	}
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g, err := newBenchGenerator()
	if err != nil {
		t.Fatal(err)
	}
	// Reports come in agency_id order (the register's key): look each up
	// by its generated identity.
	want := map[string]int{} // "agency year" → generated index
	for i := range n {
		agency, year, _ := benchIdentity(i)
		want[agency+" "+strconv.Itoa(year)] = i
	}
	read := 0
	err = db.ForEachReport(context.Background(), store.Filter{}, func(rec *store.ReportRecord) error {
		read++
		i, ok := want[rec.Agency+" "+strconv.Itoa(rec.Year)]
		if !ok {
			t.Errorf("report %s %d was not generated", rec.Agency, rec.Year)
			return nil
		}
		delete(want, rec.Agency+" "+strconv.Itoa(rec.Year))
		_, _, f := benchIdentity(i)
		v := rec.Latest()
		if rec.Count != 1 || len(v.Captures) != 1 || !rec.Identified {
			t.Errorf("report %d (%s %d): %d versions, captures %v, identified %v; want one version from one capture, identified", i, rec.Agency, rec.Year, rec.Count, v.Captures, rec.Identified)
			return nil
		}
		body, err := db.CaptureBody(v.Captures[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, want := g.page(i); string(body) != string(want) {
			t.Errorf("report %d: stored body differs from generated page %d", i, i)
		}
		// 湛江市司法局 2025 received 10 applications from natural persons.
		if c, _ := v.Report.Cell("t3", "new_received", "natural_person"); c.Value != strconv.Itoa(10*f) {
			t.Errorf("report %d: t3 new_received natural_person = %q, want %d", i, c.Value, 10*f)
		}
		if len(v.Report.Failures) != 0 || len(v.Report.Cells) != 200 {
			t.Errorf("report %d: %d cells, failures %v; want 200 cells that add up", i, len(v.Report.Cells), v.Report.Failures)
		}
		return nil
	})
	if err != nil || read != n || len(want) != 0 {
		t.Fatalf("read %d reports (%v), want %d; not found: %v", read, err, n, want)
	}
	code, out, errOut := runNianbao(t, "diff", "--db", path, "--agency", benchAgencyName(1), "--from", "2024", "--to", "2025", "--format", "csv")
	// Agency 1 is reports 5–9 with factors 6–10: 2024's 9×10 applications
	// become 2025's 10×10.
	if code != 0 || !strings.Contains(out, benchAgencyName(1)+",t3,new_received,natural_person,2024,2025,90,100,10,11.1") {
		t.Errorf("diff: exit %d\n%s\n%s", code, out, errOut)
	}
	if err := generateArchive(context.Background(), path, n, nil); !errors.Is(err, os.ErrExist) {
		t.Errorf("generating over an existing archive: %v, want os.ErrExist", err)
	}
}
