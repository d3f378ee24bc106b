package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"nianbao/crawler"
	"nianbao/parser"
	"nianbao/store"
)

// legacyCopy writes to path, with the store API, the archive an older
// nianbao would have left after crawling what src holds: every capture and
// every crawl state (without the URL kinds it did not record), and every
// report version except those of the reports lost says were lost (a crash
// between a capture and its report); no outcomes. It returns how many
// reports it left out.
func legacyCopy(t *testing.T, src, path string, lost map[string]bool) int {
	t.Helper()
	ctx := context.Background()
	from, err := store.Open(src, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	to, err := store.Open(path, &store.Options{SnapshotInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer to.Close()
	var caps []store.Capture
	if err := from.Captures(ctx, func(c store.Capture) error { caps = append(caps, c); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, c := range caps {
		body, err := from.CaptureBody(c.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := to.PutCapture(c, body); err != nil {
			t.Fatal(err)
		}
	}
	var states []store.URLState
	if err := from.ForEachURL(ctx, func(s store.URLState) error { s.Kind = ""; states = append(states, s); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := to.SetURLStates(states); err != nil {
		t.Fatal(err)
	}
	left := 0
	if err := from.ForEachReport(ctx, store.Filter{}, func(r *store.ReportRecord) error {
		if lost[fmt.Sprintf("%s %d", r.Agency, r.Year)] {
			left++
			return nil
		}
		for _, v := range r.Versions {
			if _, err := to.PutReport(v.Report, v.Captures, v.RunID); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return left
}

// TestCrawl_HealsArchiveWithoutOutcomes opens an archive in the state the
// crash of issue 16 left: report bodies archived with their validators but
// without their reports (an HTML page, and the PDF of a report page that
// has no tables), so that the site answers 304 for them. The next crawl
// must store the missing reports from the archived bodies without
// downloading any of them, and then hold exactly what an archive that
// never crashed holds.
func TestCrawl_HealsArchiveWithoutOutcomes(t *testing.T) {
	demo, err := newDemoPortal()
	if err != nil {
		t.Fatal(err)
	}
	hits := newHitCounter(demo)
	srv := httptest.NewServer(hits)
	t.Cleanup(srv.Close)
	cfg := writeConfig(t, srv.URL, "")
	dir := t.TempDir()
	ctx := context.Background()
	ref := filepath.Join(dir, "ref.db")
	var out bytes.Buffer
	if err := run(ctx, []string{"crawl", "--config", cfg, "--db", ref}, &out, &out); err != nil {
		t.Fatalf("crawl: %v\n%s", err, out.String())
	}

	old := filepath.Join(dir, "old.db")
	if n := legacyCopy(t, ref, old, map[string]bool{"湛江市司法局 2025": true, "淮安市洪泽区人民政府 2024": true}); n != 2 {
		t.Fatalf("left out %d reports, want 2", n)
	}
	if got := versionCounts(t, old); len(got) != 6 {
		t.Fatalf("the old archive holds %d reports, want 6", len(got))
	}
	before := hits.bodies()
	out.Reset()
	if err := run(ctx, []string{"crawl", "--config", cfg, "--db", old}, &out, &out); err != nil {
		t.Fatalf("crawl of the old archive: %v\n%s", err, out.String())
	}
	if n := hits.bodies() - before; n != 0 {
		t.Errorf("the crawl downloaded %d report bodies, want 0 (all are archived)", n)
	}
	// The page, its PDF, and the 湛江 page.
	if !strings.Contains(out.String(), "3 archived bodies without a recorded outcome were parsed again from the archive") {
		t.Errorf("summary does not say what was parsed again:\n%s", out.String())
	}
	if got, want := versionCounts(t, old), versionCounts(t, ref); !maps.Equal(got, want) {
		t.Errorf("reports after the crawl: %v, want %v", mapDiff(got, want), want)
	}
	if got, want := exportCells(t, old), exportCells(t, ref); got != want {
		t.Errorf("export of the healed archive differs:\n%s", lineDiff(got, want))
	}
	db := openRO(t, old)
	rs := runs(t, db)
	if last := rs[len(rs)-1]; last.Counts.NewReports != 2 || last.Counts.NotModified != 9 || last.Counts.NewCaptures != 0 {
		t.Errorf("run counts = %+v, want 2 new reports, 9 not modified, no new captures", last.Counts)
	}
	o, err := db.Outcome(capOf(t, db, srv.URL+"/hzq/xxgk/xxgknb/202502/t20250210_4405901.html"), srv.URL+"/hzq/xxgk/xxgknb/202502/t20250210_4405901.html")
	if err != nil || o.Result != store.ResultSuperseded {
		t.Errorf("the 2024 page without tables: outcome %+v, %v; want superseded by its PDF", o, err)
	}
	db.Close()
	checkArchive(t, old)
}

// capOf returns the body hash the crawl state of url names.
func capOf(t *testing.T, db *store.DB, url string) string {
	t.Helper()
	us, err := db.URLState(url)
	if err != nil {
		t.Fatal(err)
	}
	return us.SHA256
}

// TestPipeline_SettleURL: a 304 for a URL whose archived body has no
// outcome (the crawl state's record, as the crawler hands it to Done) makes
// the pipeline parse that body from the archive; a 304 for a settled URL
// changes nothing.
func TestPipeline_SettleURL(t *testing.T) {
	demo, err := newDemoPortal()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(demo)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ref, old := filepath.Join(dir, "ref.db"), filepath.Join(dir, "old.db")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"crawl", "--config", writeConfig(t, srv.URL, "", "湛江市司法局"), "--db", ref}, &out, &out); err != nil {
		t.Fatalf("crawl: %v\n%s", err, out.String())
	}
	legacyCopy(t, ref, old, map[string]bool{"湛江市司法局 2025": true})

	db := openRW(t, old)
	defer db.Close()
	p := parser.New(parser.Options{})
	defer p.Close()
	pipe := newPipeline(db, p, "run-304", nil)
	page := srv.URL + reportPaths[0]
	us, err := db.URLState(page)
	if err != nil {
		t.Fatal(err)
	}
	rec := crawler.Record{Key: page, URL: page, Kind: crawler.KindReport, Status: http.StatusNotModified, SHA256: us.SHA256, ETag: us.ETag}
	for range 2 {
		if err := pipe.settleURL(context.Background(), "湛江市司法局", rec); err != nil {
			t.Fatal(err)
		}
	}
	if pipe.healed != 1 {
		t.Errorf("parsed %d archived bodies, want 1 (the second 304 finds the outcome)", pipe.healed)
	}
	o, err := db.Outcome(us.SHA256, page)
	if err != nil || o.Result != store.ResultReport || o.Agency != "湛江市司法局" || o.Year != 2025 || o.Version != 1 || o.Cells == 0 || o.RunID != "run-304" {
		t.Errorf("outcome after the 304 = %+v, %v", o, err)
	}
	if r, n := latest(t, db, "湛江市司法局", 2025); n != 1 || cellValue(t, r, "t2", "licensing", "decisions") != "236" {
		t.Errorf("report after the 304: %d versions, licensing %s", n, cellValue(t, r, "t2", "licensing", "decisions"))
	}
}

// TestCrawl_DeferredPageReplaced: a report page left deferred by an
// interrupted crawl (no tables; its report not decided) serves a new body
// with tables by the next crawl. The new body makes the report; the stale
// deferred one must not be stored as a hollow later version.
func TestCrawl_DeferredPageReplaced(t *testing.T) {
	_, srv := startPortal(t, nil)
	dbPath := filepath.Join(t.TempDir(), "nianbao.db")
	page := srv.URL + reportPaths[0]
	stale := simplePage("湛江市司法局2025年政府信息公开工作年度报告", "<p>报告正在整理，敬请期待。</p>")
	func() {
		db := openRW(t, dbPath)
		defer db.Close()
		res, err := db.PutDocuments([]store.Document{{Capture: store.Capture{URL: page, Status: 200, ContentType: "text/html; charset=utf-8", Site: "湛江市司法局",
			Agency: "湛江市司法局", Title: "湛江市司法局2025年政府信息公开工作年度报告"}, Body: stale,
			Outcome: store.Outcome{Result: store.ResultDeferred, Kind: "report", Agency: "湛江市司法局", Year: 2025}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetURLState(page, store.URLState{Site: "湛江市司法局", Kind: "report", ETag: `"stale"`, SHA256: res[0].Outcome.SHA256, LastStatus: 200}); err != nil {
			t.Fatal(err)
		}
	}()
	if code, out, errOut := runNianbao(t, "crawl", "--config", writeConfig(t, srv.URL, "", "湛江市司法局"), "--db", dbPath); code != 0 {
		t.Fatalf("crawl: exit %d\n%s%s", code, out, errOut)
	}
	db := openRO(t, dbPath)
	r, n := latest(t, db, "湛江市司法局", 2025)
	if n != 1 || len(r.Cells) == 0 {
		t.Errorf("湛江市司法局 2025: %d versions, latest with %d cells; want 1 version with the new body's cells", n, len(r.Cells))
	}
	if o, err := db.Outcome(hexSHA(stale), page); err != nil || o.Result != store.ResultSuperseded {
		t.Errorf("the stale page body: outcome %+v, %v; want superseded", o, err)
	}
	db.Close()
	checkArchive(t, dbPath)
}
