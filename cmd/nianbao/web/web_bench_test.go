package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"nianbao/parser"
	"nianbao/store"
)

// benchWeb returns a web view over an archive of n agencies, each with the
// six bundled real reports (their tables, checks and years) under its own
// name: 6n reports.
func benchWeb(b *testing.B, n int) (*Server, *store.DB) {
	b.Helper()
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), &store.Options{NoSync: true, SnapshotInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	var reps []*parser.Report
	for _, f := range webFixtures {
		body, err := os.ReadFile(filepath.Join("..", "demodata", f.file))
		if err != nil {
			b.Fatal(err)
		}
		r, err := parser.Parse(body, parser.Source{URL: "https://www.example.gov.cn/" + f.file, ContentType: f.ctype})
		if err != nil {
			b.Fatal(err)
		}
		reps = append(reps, r)
	}
	for i := range n {
		for _, r := range reps {
			c := *r
			c.Agency = fmt.Sprintf("%s%05d", r.Agency, i)
			if _, err := db.PutReport(&c, []string{r.SHA256}, ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	w, err := New(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	return w, db
}

func benchGet(b *testing.B, h http.Handler, path string) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
		_, _ = io.Copy(io.Discard, rec.Body)
	}
}

// BenchmarkWeb_Refresh rebuilds the list index of 6000 reports, as serve
// does after every run.
func BenchmarkWeb_Refresh(b *testing.B) {
	w, _ := benchWeb(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Refresh(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWeb_ReportList renders the first page (500 rows) of 6000
// reports filtered by year.
func BenchmarkWeb_ReportList(b *testing.B) {
	w, _ := benchWeb(b, 1000)
	benchGet(b, w.Handler(), "/?year=2023")
}

// BenchmarkWeb_ReportPage renders one report's three tables.
func BenchmarkWeb_ReportPage(b *testing.B) {
	w, _ := benchWeb(b, 1000)
	benchGet(b, w.Handler(), ReportURL("湛江市司法局00500", 2025))
}

// BenchmarkWeb_AgencyCharts draws the charts of one agency (two years).
func BenchmarkWeb_AgencyCharts(b *testing.B) {
	w, _ := benchWeb(b, 1000)
	benchGet(b, w.Handler(), AgencyURL("平潭综合实验区市场监督管理局00500"))
}

// BenchmarkWeb_Metrics writes /metrics over 6000 reports.
func BenchmarkWeb_Metrics(b *testing.B) {
	w, _ := benchWeb(b, 1000)
	benchGet(b, w.Handler(), "/metrics")
}
