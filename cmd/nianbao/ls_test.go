package main

import (
	"path/filepath"
	"strings"
	"testing"

	"nianbao/parser"
	"nianbao/store"
)

func TestLs(t *testing.T) {
	path := reparseArchive(t)
	if code, _, errOut := runNianbao(t, "reparse", "--db", path); code != 0 {
		t.Fatalf("reparse: %s", errOut)
	}
	db, err := store.Open(path, &store.Options{SnapshotInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	// A legacy report without tables, as a crawl stores it.
	legacy, err := parser.Parse(archivePage(t, "pingtan-gonganju-2018"), parser.Source{URL: urlGonganju})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutReport(legacy, []string{hexSHA(archivePage(t, "pingtan-gonganju-2018"))}, ""); err != nil {
		t.Fatal(err)
	}
	// A report that breaks its own arithmetic.
	bad := &parser.Report{Agency: "平潭综合实验区财政局", Year: 2023, Format: parser.Format2021,
		Cells:    []parser.Cell{{Table: "t4", Row: "review", Column: "total", Value: "0", Raw: "0"}},
		Failures: []parser.CheckFailure{{Rule: "R4"}, {Rule: "R3"}}}
	if _, err := db.PutReport(bad, nil, ""); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, errOut := runNianbao(t, "ls", "--db", path)
	if code != 0 {
		t.Fatalf("ls: exit %d: %s", code, errOut)
	}
	want := `AGENCY                        YEAR  VERSIONS  FORMAT  CHECKS
平潭综合实验区公安局          2018  1         legacy  no tables
平潭综合实验区君山片区管理局  2023  1         2021    ok
平潭综合实验区行政审批局      2023  3         2021    ok
平潭综合实验区财政局          2023  1         2021    2 failed
4 reports, 6 versions
`
	if out != want {
		t.Errorf("ls output:\n%s\nwant:\n%s", out, want)
	}

	code, out, _ = runNianbao(t, "ls", "--db", path, "--agency", "行政审批", "--year", "2023")
	if code != 0 || !strings.Contains(out, "平潭综合实验区行政审批局") || !strings.HasSuffix(out, "1 reports, 3 versions\n") {
		t.Errorf("ls --agency --year:\n%s", out)
	}
	code, out, _ = runNianbao(t, "ls", "--db", path, "--year", "2019")
	if code != 0 || out != "AGENCY  YEAR  VERSIONS  FORMAT  CHECKS\n0 reports, 0 versions\n" {
		t.Errorf("ls --year 2019 (nothing):\n%q", out)
	}
}

func TestLs_Errors(t *testing.T) {
	if code, _, _ := runNianbao(t, "ls", "--db", filepath.Join(t.TempDir(), "none.db")); code != exitFailure {
		t.Errorf("ls of a missing archive: exit %d; want 1", code)
	}
	if code, _, _ := runNianbao(t, "ls", "--year", "x"); code != exitUsage {
		t.Errorf("ls --year x: exit %d; want 2", code)
	}
	if code, _, _ := runNianbao(t, "ls", "extra"); code != exitUsage {
		t.Errorf("ls extra: exit %d; want 2", code)
	}
}

// While another process (here: another open) holds the archive for
// writing, ls reads its snapshot and says so.
func TestLs_DuringCrawlReadsSnapshot(t *testing.T) {
	path := reparseArchive(t)
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.WriteSnapshot(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runNianbao(t, "ls", "--db", path)
	if code != 0 || !strings.HasSuffix(out, "1 reports, 2 versions\n") || !strings.Contains(errOut, "reading its snapshot of") {
		t.Errorf("ls during a crawl: exit %d\n%s%s", code, out, errOut)
	}
}
