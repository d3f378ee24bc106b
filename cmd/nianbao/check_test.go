package main

import (
	"bytes"
	"maps"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nianbao/parser"
	"nianbao/store"
)

// TestCheck_RepairsOldArchive runs 'nianbao check' on an archive left by
// an older nianbao that crashed between captures and their reports (issue
// 16), with also an older body of a report page that nothing accounts for.
// check lists the problems and exits 1; check --repair records outcomes
// from the report versions, parses the bodies that lost their reports from
// the archive, keeps the older body from becoming a version, and the
// archive then holds what one that never crashed holds and checks clean.
func TestCheck_RepairsOldArchive(t *testing.T) {
	demo, err := newDemoPortal()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(demo)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ref, old := filepath.Join(dir, "ref.db"), filepath.Join(dir, "old.db")
	if code, out, errOut := runNianbao(t, "crawl", "--config", writeConfig(t, srv.URL, ""), "--db", ref); code != 0 {
		t.Fatalf("crawl: exit %d\n%s%s", code, out, errOut)
	}
	legacyCopy(t, ref, old, map[string]bool{"湛江市司法局 2025": true, "淮安市洪泽区人民政府 2024": true})
	// The page as first published, with another number: an older body.
	page := srv.URL + reportPaths[0]
	func() {
		db := openRW(t, old)
		defer db.Close()
		seed, err := demodata.ReadFile("demodata/zhanjiang-sifaju-2025.txt")
		if err != nil {
			t.Fatal(err)
		}
		body := seedPage("湛江市司法局2025年政府信息公开工作年度报告", "湛江市司法局", bytes.Replace(seed, []byte("\n  236\n"), []byte("\n  230\n"), 1))
		if _, err := db.PutCapture(store.Capture{URL: page, Status: 200, ContentType: "text/html; charset=utf-8", Site: "湛江市司法局",
			Agency: "湛江市司法局", FetchedAt: time.Date(2026, 1, 28, 8, 0, 0, 0, time.UTC)}, body); err != nil {
			t.Fatal(err)
		}
	}()

	code, out, _ := runNianbao(t, "check", "--db", old)
	if code != exitFailure {
		t.Errorf("check of the old archive: exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		"no outcome: " + page + " (report, ",
		"no outcome: " + srv.URL + "/hzq/xxgk/xxgknb/202502/P020250210602214983371.pdf (attachment, ",
		"(report 平潭综合实验区公安局 2018 version 1 was made from it)",
		"unaccounted: " + page + " (",
		"10 problems: 9 no-outcome, 1 unaccounted\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut := runNianbao(t, "check", "--db", old, "--repair")
	if code != 0 {
		t.Fatalf("check --repair: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"recorded 6 outcomes from the report versions made from their bodies (no parsing)\n",
		"parsed 3 archived bodies again: 2 new reports, 0 new versions\n",
		"parsed 1 older bodies: 0 new reports; 0 without tables, 1 of reports archived from another body,",
		"after the repair:\nok: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check --repair output lacks %q:\n%s", want, out)
		}
	}
	if got, want := versionCounts(t, old), versionCounts(t, ref); !maps.Equal(got, want) {
		t.Errorf("reports after the repair: %v", mapDiff(got, want))
	}
	if got, want := exportCells(t, old), exportCells(t, ref); got != want {
		t.Errorf("export after the repair differs from the archive that never crashed:\n%s", lineDiff(got, want))
	}
	if code, out, _ := runNianbao(t, "check", "--db", old); code != 0 || !strings.HasPrefix(out, "ok: ") {
		t.Errorf("check after the repair: exit %d\n%s", code, out)
	}
	db := openRO(t, old)
	rs := runs(t, db)
	if last := rs[len(rs)-1]; last.Kind != "repair" || last.Counts.NewReports != 2 || last.Finished.IsZero() {
		t.Errorf("last run = %+v, want a finished repair run with 2 new reports", last)
	}
}

// TestCheck_Unrepairable: a report version whose capture is gone is
// reported, and stays after --repair (exit 1 both times).
func TestCheck_Unrepairable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nianbao.db")
	db := openRW(t, path)
	d := store.Document{Capture: store.Capture{URL: "https://www.zhanjiang.gov.cn/a.html"}, Body: []byte("<html>a</html>"), Outcome: store.Outcome{Result: store.ResultNotReport}}
	if _, err := db.PutDocuments([]store.Document{d}); err != nil {
		t.Fatal(err)
	}
	rep, err := parser.Parse(archivePage(t, "pingtan-xingzhengshenpiju-2023"), parser.Source{URL: "https://www.pingtan.gov.cn/a.html"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutReport(rep, []string{hexSHA([]byte("a body never stored"))}, "r"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, args := range [][]string{{"check", "--db", path}, {"check", "--db", path, "--repair"}} {
		code, out, _ := runNianbao(t, args...)
		if code != exitFailure || !strings.Contains(out, "missing capture: report "+rep.Agency+" 2023 version 1 names capture "+hexSHA([]byte("a body never stored"))) ||
			!strings.HasSuffix(out, "1 problems: 1 missing-capture\n") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
	if code, _, _ := runNianbao(t, "check", "--db", path, "extra"); code != exitUsage {
		t.Errorf("check with an argument: exit %d, want 2", code)
	}
	if code, _, _ := runNianbao(t, "check", "--db", filepath.Join(t.TempDir(), "none.db")); code != exitFailure {
		t.Errorf("check of a missing archive: exit %d, want 1", code)
	}
}
