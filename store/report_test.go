package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"nianbao/parser"
)

func TestDB_PutReport_Versioning(t *testing.T) {
	db, _ := mustOpen(t, nil)
	r1 := truthReport(t)
	capA, capB := sha("page as first published"), sha("page as republished")

	res, err := db.PutReport(r1, []string{capA}, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	id := res.AgencyID
	if want := (PutResult{AgencyID: id, Identified: true, Why: "no registered organ is the same (a new organ)",
		Agency: "平潭综合实验区行政审批局", Year: 2023, Version: 1, Created: true, Changed: true}); res != want || !strings.HasPrefix(id, "a:") {
		t.Fatalf("first PutReport = %+v; want %+v", res, want)
	}

	t.Run("SameNumbersNoVersion", func(t *testing.T) {
		// Re-published with new cosmetics: another title, other capture,
		// cells in another order, full-width digits and "—" for 0.
		r := truthReport(t)
		r.Title += "（更新）"
		slices.Reverse(r.Cells)
		for i, c := range r.Cells {
			if c.Value == "0" {
				r.Cells[i].Raw = "０"
			}
		}
		res, err := db.PutReport(r, []string{capB}, "run-2")
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed || res.Created || res.Version != 1 {
			t.Errorf("PutReport(same numbers) = %+v; want version 1 unchanged", res)
		}
	})

	t.Run("ChangedNumberNewVersion", func(t *testing.T) {
		r := truthReport(t)
		for i, c := range r.Cells { // a corrected figure
			if c.Table == parser.TableRequests && c.Row == "new_received" && c.Column == "natural_person" {
				r.Cells[i].Value, r.Cells[i].Raw = "8", "8"
			}
		}
		res, err := db.PutReport(r, []string{capB}, "run-3")
		if err != nil {
			t.Fatal(err)
		}
		if want := (PutResult{AgencyID: id, Identified: true, Why: res.Why, Agency: r.Agency, Year: 2023, Version: 2, Changed: true}); res != want {
			t.Fatalf("PutReport(changed) = %+v; want %+v", res, want)
		}
		rec, err := db.Report(r.Agency, 2023)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Count != 2 || len(rec.Versions) != 2 {
			t.Fatalf("Report has %d/%d versions; want 2", rec.Count, len(rec.Versions))
		}
		v1, v2 := rec.Versions[0], rec.Versions[1]
		c1, _ := v1.Report.Cell(parser.TableRequests, "new_received", "natural_person")
		c2, _ := v2.Report.Cell(parser.TableRequests, "new_received", "natural_person")
		if c1.Value != "7" || c2.Value != "8" {
			t.Errorf("new_received.natural_person: v1 %q, v2 %q; want 7 and 8", c1.Value, c2.Value)
		}
		if v1.N != 1 || v2.N != 2 || v1.RunID != "run-1" || v2.RunID != "run-3" ||
			!slices.Equal(v1.Captures, []string{capA}) || !slices.Equal(v2.Captures, []string{capB}) ||
			v1.ParserVersion != parser.Version || v1.Digest == v2.Digest || rec.Latest().N != 2 {
			t.Errorf("versions = %+v / %+v", v1, v2)
		}
		if len(v1.Report.Cells) != 200 {
			t.Errorf("version 1 has %d cells; want 200", len(v1.Report.Cells))
		}
	})

	t.Run("BackToOldNumbersIsNewVersion", func(t *testing.T) {
		res, err := db.PutReport(truthReport(t), []string{capA}, "run-4")
		if err != nil || res.Version != 3 || !res.Changed {
			t.Errorf("PutReport(old numbers again) = %+v, %v; want version 3", res, err)
		}
	})
}

func TestCellsDigest(t *testing.T) {
	base := []parser.Cell{{Table: "t3", Row: "total", Column: "total", Value: "7", Raw: "7"},
		{Table: "t3", Row: "granted", Column: "total", Value: "", Raw: "/"}}
	d := CellsDigest(&parser.Report{Cells: base})
	tests := []struct {
		name  string
		cells []parser.Cell
		same  bool
	}{
		{"Reordered", []parser.Cell{base[1], base[0]}, true},
		{"RawOnly", []parser.Cell{{Table: "t3", Row: "total", Column: "total", Value: "7", Raw: "７"}, {Table: "t3", Row: "granted", Column: "total", Raw: "—"}}, true},
		{"ValueChanged", []parser.Cell{{Table: "t3", Row: "total", Column: "total", Value: "8", Raw: "8"}, base[1]}, false},
		{"BlankBecomesZero", []parser.Cell{base[0], {Table: "t3", Row: "granted", Column: "total", Value: "0", Raw: "0"}}, false},
		{"CellRemoved", base[:1], false},
		{"Merged", []parser.Cell{base[0], {Table: "t3", Row: "granted", Column: "total", MergedWith: "partial"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CellsDigest(&parser.Report{Cells: tt.cells}) == d; got != tt.same {
				t.Errorf("same digest = %v; want %v", got, tt.same)
			}
		})
	}
}

func TestDB_PutReport_Invalid(t *testing.T) {
	db, _ := mustOpen(t, nil)
	for _, r := range []*parser.Report{nil, {Agency: "", Year: 2023}, {Agency: "某局", Year: 0}, {Agency: "a\x00b", Year: 2023}} {
		if _, err := db.PutReport(r, nil, ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("PutReport(%+v): err = %v; want ErrInvalid", r, err)
		}
	}
	if _, err := db.PutReport(&parser.Report{Agency: "某局", Year: 2023}, []string{"nothex"}, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutReport(bad capture): err = %v; want ErrInvalid", err)
	}
	if _, err := db.Report("某局", 2023); !errors.Is(err, ErrNotFound) {
		t.Errorf("Report(missing): err = %v; want ErrNotFound", err)
	}
}

func TestDB_ForEachReport_OrderAndFilter(t *testing.T) {
	db, _ := mustOpen(t, nil)
	rng := rand.New(rand.NewPCG(3, 4))
	agencies := []string{"平潭综合实验区行政审批局", "平潭综合实验区公安局", "深圳市人民政府", "平潭综合实验区公安局分局"}
	// Insert in scrambled order; the second put of each report changes a
	// number so every report has two versions.
	for _, year := range []int{2024, 2019, 2023} {
		for _, a := range agencies {
			for range 2 {
				if _, err := db.PutReport(syntheticReport(a, year, rng), nil, ""); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	list := func(f Filter) []string {
		var got []string
		err := db.ForEachReport(context.Background(), f, func(r *ReportRecord) error {
			got = append(got, fmt.Sprintf("%s/%d/%d/%d", r.Agency, r.Year, r.Count, len(r.Versions)))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := list(Filter{})
	want := []string{}
	// Key order: the organs' agency_ids, then the years.
	ids := map[string]string{}
	for _, a := range agencies {
		rec, err := db.Report(a, 2019)
		if err != nil {
			t.Fatal(err)
		}
		ids[a] = rec.AgencyID
	}
	sorted := slices.Clone(agencies)
	slices.SortFunc(sorted, func(a, b string) int { return strings.Compare(ids[a], ids[b]) })
	for _, a := range sorted {
		for _, y := range []int{2019, 2023, 2024} {
			want = append(want, fmt.Sprintf("%s/%d/2/2", a, y))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("ForEachReport order:\n got %q\nwant %q", got, want)
	}
	if got, want := list(Filter{Agency: "平潭综合实验区公安局", LatestOnly: true}), []string{
		"平潭综合实验区公安局/2019/2/1", "平潭综合实验区公安局/2023/2/1", "平潭综合实验区公安局/2024/2/1"}; !slices.Equal(got, want) {
		t.Errorf("Filter{Agency} = %q; want %q (exact agency, not its 分局)", got, want)
	}
	if got, want := list(Filter{AgencyContains: "公安", Year: 2023}), []string{
		"平潭综合实验区公安局/2023/2/2", "平潭综合实验区公安局分局/2023/2/2"}; !slices.Equal(got, want) {
		t.Errorf("Filter{AgencyContains, Year} = %q; want %q", got, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := db.ForEachReport(ctx, Filter{}, func(*ReportRecord) error { n++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("ForEachReport after cancel: n=%d err=%v", n, err)
	}
	stop := errors.New("stop")
	if err := db.ForEachReport(context.Background(), Filter{}, func(*ReportRecord) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("ForEachReport returns fn's error: %v", err)
	}
}

// Readers run concurrently with a writer (run with -race).
func TestDB_ConcurrentReaders(t *testing.T) {
	db, _ := mustOpen(t, nil)
	rng := rand.New(rand.NewPCG(5, 6))
	done := make(chan error, 4)
	go func() {
		for i := range 50 {
			if _, err := db.PutReport(syntheticReport(fmt.Sprintf("局%02d", i%10), 2023, rng), nil, ""); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range 3 {
		go func() {
			for range 20 {
				err := db.ForEachReport(context.Background(), Filter{LatestOnly: true}, func(r *ReportRecord) error {
					if r.Latest() == nil || len(r.Latest().Report.Cells) != syntheticCells {
						return fmt.Errorf("report %s: bad latest version", r.Agency)
					}
					return nil
				})
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
