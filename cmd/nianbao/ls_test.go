package main

import (
	"path/filepath"
	"regexp"
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
	bad := &parser.Report{Agency: "平潭综合实验区财政局", AgencySource: parser.IdentityTitle, Year: 2023, Format: parser.Format2021,
		Cells:    []parser.Cell{{Table: "t4", Row: "review", Column: "total", Value: "0", Raw: "0"}},
		Failures: []parser.CheckFailure{{Rule: "R4"}, {Rule: "R3"}}}
	if _, err := db.PutReport(bad, nil, ""); err != nil {
		t.Fatal(err)
	}
	// A page that names no organ: only the site's name was known.
	anon := &parser.Report{Agency: "平潭综合实验区", AgencySource: parser.IdentityConfig, Year: 2023, Format: parser.Format2021,
		Title: "2023年政府信息公开工作年度报告", SourceURL: "https://www.pingtan.gov.cn/nb/2023/1.html",
		Cells: []parser.Cell{{Table: "t4", Row: "review", Column: "total", Value: "1", Raw: "1"}}}
	if _, err := db.PutReport(anon, nil, ""); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, errOut := runNianbao(t, "ls", "--db", path)
	if code != 0 {
		t.Fatalf("ls: exit %d: %s", code, errOut)
	}
	want := `AGENCY                        AGENCY_ID       YEAR  VERSIONS  FORMAT  CHECKS
平潭综合实验区公安局          a:############  2018  1         legacy  no tables
平潭综合实验区君山片区管理局  a:############  2023  1         2021    ok
平潭综合实验区行政审批局      a:############  2023  3         2021    ok
平潭综合实验区财政局          a:############  2023  1         2021    2 failed

Unidentified: 1 reports whose page names no organ (only the site's name was known); each page is its own report:
SITE  AGENCY_ID           YEAR  VERSIONS  FORMAT  CHECKS  URL                                        TITLE
      u:################  2023  1         2021    ok      https://www.pingtan.gov.cn/nb/2023/1.html  2023年政府信息公开工作年度报告
5 reports (1 unidentified), 7 versions
`
	if got := maskIDs(out); got != want {
		t.Errorf("ls output:\n%s\nwant:\n%s", got, want)
	}

	code, out, _ = runNianbao(t, "ls", "--db", path, "--agency", "行政审批", "--year", "2023")
	if code != 0 || !strings.Contains(out, "平潭综合实验区行政审批局") || !strings.HasSuffix(out, "1 reports, 3 versions\n") {
		t.Errorf("ls --agency --year:\n%s", out)
	}
	code, out, _ = runNianbao(t, "ls", "--db", path, "--year", "2019")
	if code != 0 || out != "AGENCY  AGENCY_ID  YEAR  VERSIONS  FORMAT  CHECKS\n0 reports, 0 versions\n" {
		t.Errorf("ls --year 2019 (nothing):\n%q", out)
	}
	code, out, _ = runNianbao(t, "ls", "--db", path, "--status", "unidentified")
	if code != 0 || !strings.Contains(out, "https://www.pingtan.gov.cn/nb/2023/1.html") || !strings.HasSuffix(out, "1 reports (1 unidentified), 1 versions\n") {
		t.Errorf("ls --status unidentified:\n%s", out)
	}
	code, out, _ = runNianbao(t, "ls", "--db", path, "--status", "fail")
	if code != 0 || !strings.Contains(out, "平潭综合实验区财政局") || !strings.HasSuffix(out, "1 reports, 1 versions\n") {
		t.Errorf("ls --status fail:\n%s", out)
	}
}

// maskIDs replaces agency_ids by placeholders of the same width, so that
// outputs can be compared whatever the IDs.
func maskIDs(s string) string {
	return agencyIDRe.ReplaceAllStringFunc(s, func(id string) string { return id[:2] + strings.Repeat("#", len(id)-2) })
}

var agencyIDRe = regexp.MustCompile(`\b[au]:[0-9a-f]{12,16}\b`)

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
	if code, _, _ := runNianbao(t, "ls", "--status", "great"); code != exitUsage {
		t.Errorf("ls --status great: exit %d; want 2", code)
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
