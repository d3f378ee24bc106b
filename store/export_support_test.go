package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"nianbao/parser"
)

// oddReport has every field set and strings that need JSON escapes.
func oddReport() *parser.Report {
	r := syntheticReport("平潭综合实验区\"市场\"监督管理局", 2024, rand.New(rand.NewPCG(1, 2)))
	r.Cells[0].Raw = "a\"b\\c\t\n\u2028 <>&"
	r.Cells[1].Raw = "😀 é ０"
	r.Cells[2].Value, r.Cells[2].Raw = "", "/"
	r.Cells[3].MergedWith = "other.overdue_supplement"
	r.Cells[3].Value, r.Cells[3].Raw = "", ""
	r.Missing = []string{"t2/rules: not printed"}
	r.Failures = []parser.CheckFailure{{Rule: "R4", Table: "t4", Row: "review", Left: "a", LeftValue: "11", Right: "b", RightValue: "0", Diff: "11"}}
	r.Warnings = []string{"w"}
	r.OrganCode, r.SourceURL, r.FetchedAt, r.SHA256 = "MB1234567", "https://x/?a=1&b=2", "2025-01-01T00:00:00Z", "ab"
	return r
}

func TestDecodeReportFast_MatchesEncodingJSON(t *testing.T) {
	empty := &parser.Report{Agency: "x", Cells: []parser.Cell{}}
	tests := map[string][]byte{
		"Odd":       mustJSON(t, oddReport()),
		"Truth":     mustJSON(t, truthReport(t)),
		"NilCells":  mustJSON(t, &parser.Report{Agency: "x"}),
		"NoCells":   mustJSON(t, empty),
		"Indented":  mustIndent(t, oddReport()),
		"CellsLast": []byte(`{"agency":"a","year":2024,"cells":[{"table":"t3","row":"total","column":"total","value":"5","raw":"5"}]}`),
		// Shapes the scanner does not expect fall back to encoding/json.
		"UnknownCellKey": []byte(`{"agency":"a","cells":[{"table":"t3","x":1}]}`),
		"NoCellsKey":     []byte(`{"agency":"a","year":2024}`),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			var want, got parser.Report
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if err := decodeReportFast(b, &got, new(interner)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decodeReportFast differs from encoding/json:\n got %+v\nwant %+v", got, want)
			}
		})
	}
	var r parser.Report
	if err := decodeReportFast([]byte(`{"cells":[{"table":`), &r, nil); err == nil {
		t.Error("truncated JSON decoded without error")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustIndent(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, " ", "\t")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// collect reads every record with the given iteration.
func collect(t *testing.T, each func(context.Context, Filter, func(*ReportRecord) error) error, f Filter) []*ReportRecord {
	t.Helper()
	var out []*ReportRecord
	if err := each(context.Background(), f, func(r *ReportRecord) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDB_ForEachReportParallel_SameAsForEachReport(t *testing.T) {
	db, _ := mustOpen(t, nil)
	rng := rand.New(rand.NewPCG(3, 4))
	for a := range 12 {
		for y := 2021; y <= 2024; y++ {
			for v := range 1 + (a+y)%3 { // 1–3 versions
				r := syntheticReport(fmt.Sprintf("测试局%02d", a), y, rng)
				if a == 5 {
					r = oddReport()
					r.Agency, r.Year = fmt.Sprintf("测试局%02d", a), y
					r.Cells[10].Value = fmt.Sprint(v)
				}
				if _, err := db.PutReport(r, nil, "run"); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	parallel := func(workers int) func(context.Context, Filter, func(*ReportRecord) error) error {
		return func(ctx context.Context, f Filter, fn func(*ReportRecord) error) error {
			return db.ForEachReportParallel(ctx, f, workers, fn)
		}
	}
	for _, f := range []Filter{{}, {LatestOnly: true}, {Year: 2023}, {Agency: "测试局05"}, {AgencyContains: "局1", LatestOnly: true}} {
		want := collect(t, db.ForEachReport, f)
		if len(want) == 0 {
			t.Fatalf("filter %+v selects nothing", f)
		}
		for _, w := range []int{0, 1, 3} {
			got := collect(t, parallel(w), f)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("filter %+v workers %d: ForEachReportParallel differs from ForEachReport", f, w)
			}
		}
	}

	t.Run("Mapped", func(t *testing.T) {
		want := collect(t, db.ForEachReport, Filter{LatestOnly: true})
		var got []string
		err := ForEachReportMapped(context.Background(), db, Filter{LatestOnly: true}, 3,
			func(r *ReportRecord) (string, error) {
				return fmt.Sprintf("%s %d v%d %s", r.Agency, r.Year, r.Latest().N, r.Latest().Report.Cells[10].Value), nil
			},
			func(s string) error { got = append(got, s); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d results, want %d", len(got), len(want))
		}
		for i, r := range want {
			if w := fmt.Sprintf("%s %d v%d %s", r.Agency, r.Year, r.Latest().N, r.Latest().Report.Cells[10].Value); got[i] != w {
				t.Errorf("result %d = %q, want %q (key order)", i, got[i], w)
			}
		}
		bad := errors.New("map failed")
		err = ForEachReportMapped(context.Background(), db, Filter{}, 2,
			func(r *ReportRecord) (int, error) {
				if r.Agency == "测试局03" {
					return 0, bad
				}
				return 1, nil
			},
			func(int) error { return nil })
		if !errors.Is(err, bad) {
			t.Errorf("mapFn error: got %v", err)
		}
	})
	t.Run("StopsAtError", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := db.ForEachReportParallel(context.Background(), Filter{}, 2, func(*ReportRecord) error {
			n++
			if n == 7 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 7 {
			t.Errorf("err %v after %d records, want stop after 7", err, n)
		}
	})
	t.Run("ContextCanceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		err := db.ForEachReportParallel(ctx, Filter{}, 2, func(*ReportRecord) error {
			n++
			if n == 3 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) || n >= 48 {
			t.Errorf("err %v after %d records, want context.Canceled early", err, n)
		}
	})
}

// TestDB_ReleaseMapped_KeepsData reads records, drops the mapped pages
// mid-transaction, and reads them again: the data must be unchanged.
func TestDB_ReleaseMapped_KeepsData(t *testing.T) {
	db, _ := mustOpen(t, nil)
	rng := rand.New(rand.NewPCG(5, 6))
	for a := range 30 {
		if _, err := db.PutReport(syntheticReport(fmt.Sprintf("局%02d", a), 2024, rng), nil, "run"); err != nil {
			t.Fatal(err)
		}
	}
	want := collect(t, db.ForEachReport, Filter{})
	var got []*ReportRecord
	err := db.view(func(tx *bolt.Tx) error {
		db.releaseMapped(tx)
		c := tx.Bucket(bucketReports).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			db.releaseMapped(tx)
			rec, err := db.loadReport(tx, k, v, false, false)
			if err != nil {
				return err
			}
			got = append(got, rec)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("records read after releaseMapped differ")
	}
}

func TestDecodeVersionFast_MatchesDecodeVersion(t *testing.T) {
	db, _ := mustOpen(t, nil)
	for _, r := range []*parser.Report{oddReport(), truthReport(t)} {
		v := Version{N: 3, Report: r, Captures: []string{sha("a")}, ParserVersion: "1", StoredAt: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), RunID: "r/1", Digest: CellsDigest(r)}
		b, err := db.encodeVersion(v)
		if err != nil {
			t.Fatal(err)
		}
		want, err := db.decodeVersion(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.decodeVersionFast(b, new(interner))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeVersionFast differs from decodeVersion:\n got %+v\nwant %+v", got, want)
		}
		// An envelope the fast path does not expect still decodes.
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "report_zstd")
		m["report_zstd"] = want.Report // not a string: encoding/json must reject it as before
		odd, _ := json.Marshal(m)
		if _, err := db.decodeVersionFast(odd, nil); err == nil {
			t.Error("a non-string report_zstd decoded without error")
		}
	}
}
