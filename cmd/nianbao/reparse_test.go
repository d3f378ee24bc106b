package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nianbao/parser"
	"nianbao/store"
)

// archivePage reads a real report page from the store's testdata (gzip).
func archivePage(t *testing.T, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "store", "testdata", name+".html.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// runNianbao runs the command line in-process and returns its exit status
// and output.
func runNianbao(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return exitCode(err), out.String(), errb.String()
}

const (
	urlShenpi   = "https://www.pingtan.gov.cn/zwgk/zfxxgknb/202401/86659.html"
	urlJunshan  = "https://www.pingtan.gov.cn/zwgk/zfxxgknb/202401/86001.html"
	urlGonganju = "https://www.pingtan.gov.cn/zwgk/zfxxgknb/201901/12345.html"
	urlOld      = "https://www.pingtan.gov.cn/zwgk/zfxxgknb/202401/86659-old.html"
)

// reparseArchive builds an archive as an older parser would have left it:
//   - 行政审批局 2023: version 1 from an old body (since superseded),
//     version 2 from the real page but with one number misread (70 for 7)
//     by "parser 0";
//   - the 君山片区 2023 page and the 公安局 2018 (legacy, no tables) page
//     archived but never turned into reports (as if the old parser had
//     failed on them): the first gives a new report, the second is skipped.
func reparseArchive(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nianbao.db")
	db, err := store.Open(path, &store.Options{SnapshotInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fetched := time.Date(2024, 2, 1, 8, 0, 0, 0, time.UTC)
	shenpi := archivePage(t, "pingtan-xingzhengshenpiju-2023")
	old := []byte("<html><body><h1>平潭综合实验区行政审批局2023年政府信息公开工作年度报告</h1><p>(旧版)</p></body></html>")
	for _, c := range []struct {
		url  string
		body []byte
	}{{urlOld, old}, {urlShenpi, shenpi}, {urlJunshan, archivePage(t, "pingtan-junshanpianqu-2023")}, {urlGonganju, archivePage(t, "pingtan-gonganju-2018")}} {
		if _, err := db.PutCapture(store.Capture{URL: c.url, Status: 200, ContentType: "text/html; charset=utf-8", FetchedAt: fetched, Site: "pingtan"}, c.body); err != nil {
			t.Fatal(err)
		}
		fetched = fetched.Add(time.Minute)
	}
	r, err := parser.Parse(shenpi, parser.Source{URL: urlShenpi})
	if err != nil || len(r.Cells) != 200 {
		t.Fatalf("parse the 行政审批局 page: %d cells, %v", len(r.Cells), err)
	}
	v1 := *r
	v1.Cells = append([]parser.Cell(nil), r.Cells...)
	v1.Cells[20].Value = "99"
	v1.ParserVersion = "0"
	if _, err := db.PutReport(&v1, []string{hexSHA(old)}, "old-run"); err != nil {
		t.Fatal(err)
	}
	v2 := v1
	v2.Cells = append([]parser.Cell(nil), r.Cells...)
	for i, c := range v2.Cells {
		if c.Table == "t3" && c.Row == "new_received" && c.Column == "natural_person" {
			v2.Cells[i].Value, v2.Cells[i].Raw = "70", "70"
		}
	}
	if res, err := db.PutReport(&v2, []string{hexSHA(shenpi)}, "old-run"); err != nil || res.Version != 2 {
		t.Fatalf("store version 2: %+v, %v", res, err)
	}
	return path
}

func TestReparse_StoresChangedNumbersAsNewVersions(t *testing.T) {
	path := reparseArchive(t)

	code, out, errOut := runNianbao(t, "reparse", "--db", path)
	if code != 0 {
		t.Fatalf("reparse: exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{
		"changed 平潭综合实验区行政审批局 2023: version 3 from " + urlShenpi + "\n",
		"new 平潭综合实验区君山片区管理局 2023 (2021, 200 cells) from " + urlJunshan + "\n",
		"reparsed 3 captures with parser " + parser.Version,
		"reports: 0 unchanged; stored 1 new versions, 1 new reports\n",
		"skipped: 1 superseded, 0 without a year, 1 without tables, 0 duplicates of archived reports, 0 not reports, 0 lost their tables (kept), 0 parse errors\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("reparse output lacks %q; got:\n%s", want, out)
		}
	}

	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := db.Report("平潭综合实验区行政审批局", 2023)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Count != 3 {
		t.Fatalf("行政审批局 2023 has %d versions; want 3", rec.Count)
	}
	got := map[int]string{}
	for _, v := range rec.Versions {
		c, _ := v.Report.Cell("t3", "new_received", "natural_person")
		got[v.N] = c.Value + "/" + v.ParserVersion
	}
	if got[2] != "70/0" || got[3] != "7/"+parser.Version {
		t.Errorf("new_received.natural_person by version = %v; want 70 by parser 0, then 7 by parser %s", got, parser.Version)
	}
	if v3 := rec.Latest(); len(v3.Captures) != 1 || v3.Captures[0] != hexSHA(archivePage(t, "pingtan-xingzhengshenpiju-2023")) || v3.RunID == "" {
		t.Errorf("version 3 = captures %v run %q; want the page's capture and the reparse run", v3.Captures, v3.RunID)
	}
	var runs []store.Run
	_ = db.Runs(context.Background(), func(r store.Run) error { runs = append(runs, r); return nil })
	if len(runs) != 1 || runs[0].Kind != "reparse" || runs[0].Counts.NewVersions != 1 || runs[0].Counts.NewReports != 1 || runs[0].Finished.IsZero() {
		t.Errorf("runs = %+v; want one finished reparse run with 1 new version and 1 new report", runs)
	}
	// Every body parsed now has its outcome, so the archive checks clean
	// (the superseded body is accounted for by its version).
	for _, c := range []struct {
		url, body string
		result    store.Result
		version   int
	}{
		{urlShenpi, string(archivePage(t, "pingtan-xingzhengshenpiju-2023")), store.ResultReport, 3},
		{urlJunshan, string(archivePage(t, "pingtan-junshanpianqu-2023")), store.ResultReport, 1},
		{urlGonganju, string(archivePage(t, "pingtan-gonganju-2018")), store.ResultNoTables, 0},
	} {
		o, err := db.Outcome(hexSHA([]byte(c.body)), c.url)
		if err != nil || o.Result != c.result || o.Version != c.version || o.RunID != runs[0].ID {
			t.Errorf("outcome of %s = %+v, %v; want %s version %d", c.url, o, err, c.result, c.version)
		}
	}
	if probs, err := db.Check(context.Background()); err != nil || len(probs) != 0 {
		t.Errorf("check after reparse: %v, %v", probs, err)
	}
	db.Close()

	// A second reparse with the same parser changes nothing.
	code, out, errOut = runNianbao(t, "reparse", "--db", path)
	if code != 0 || !strings.Contains(out, "reports: 2 unchanged; stored 0 new versions, 0 new reports\n") {
		t.Errorf("second reparse: exit %d\n%s%s", code, out, errOut)
	}
}

func TestReparse_DryRunWritesNothing(t *testing.T) {
	path := reparseArchive(t)
	code, out, errOut := runNianbao(t, "reparse", "--dry-run", "--db", path)
	if code != 0 || !strings.Contains(out, "reports: 0 unchanged; would store (dry run) 1 new versions, 1 new reports\n") ||
		!strings.Contains(out, "changed 平潭综合实验区行政审批局 2023: would be new from") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runNianbao(t, "ls", "--db", path)
	if code != 0 || !strings.Contains(out, "1 reports, 2 versions\n") {
		t.Errorf("after a dry run the archive changed:\n%s", out)
	}
}

func TestReparse_KeepsVersionWhenTablesLost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nianbao.db")
	db, err := store.Open(path, &store.Options{SnapshotInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	// A page whose tables this parser cannot read, stored with cells
	// (as a better, or buggier, parser once produced).
	body := []byte("<html><body><h1>平潭综合实验区行政审批局2023年政府信息公开工作年度报告</h1><p>表格见附件。</p></body></html>")
	if _, err := db.PutCapture(store.Capture{URL: urlShenpi, Status: 200, ContentType: "text/html"}, body); err != nil {
		t.Fatal(err)
	}
	r := &parser.Report{Agency: "平潭综合实验区行政审批局", Year: 2023, Format: parser.Format2021,
		Cells: []parser.Cell{{Table: "t3", Row: "total", Column: "total", Value: "7", Raw: "7"}}}
	if _, err := db.PutReport(r, []string{hexSHA(body)}, ""); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, errOut := runNianbao(t, "reparse", "--db", path)
	if code != 0 {
		t.Fatalf("reparse: exit %d: %s", code, errOut)
	}
	// The probe page names its organ and year in its heading; a parser that
	// no longer reads them fails here rather than turning the test off.
	probe, perr := parser.Parse(body, parser.Source{URL: urlShenpi})
	if perr != nil || probe.Year != 2023 || probe.Agency != r.Agency {
		t.Fatalf("the parser reads the probe page as agency %q year %d (err %v); want %q 2023 from its heading", probe.Agency, probe.Year, perr, r.Agency)
	}
	if !strings.Contains(out, "1 lost their tables (kept)") || !strings.Contains(errOut, "now gives no tables") {
		t.Errorf("reparse output:\n%s%s", out, errOut)
	}
	code, out, _ = runNianbao(t, "ls", "--db", path)
	if code != 0 || !strings.Contains(out, "1 reports, 1 versions\n") {
		t.Errorf("ls after reparse:\n%s", out)
	}
}

func TestReparse_LockedExit4(t *testing.T) {
	path := reparseArchive(t)
	db, err := store.Open(path, &store.Options{SnapshotInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	code, _, _ := runNianbao(t, "reparse", "--db", path)
	if code != exitLocked {
		t.Errorf("reparse while the archive is held: exit %d; want %d", code, exitLocked)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("reparse took %v to give up; want about the 3 s lock timeout", d)
	}
}

// Issue 12: an archive written before the agency register, with a county
// column's department reports stacked under the site's name, is repaired
// without crawling: read-only commands say what to run, reparse migrates it
// and re-derives every version's organ, and the stacked pages come apart.
func TestReparse_MigratesSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	f, err := os.Open(filepath.Join("..", "..", "store", "testdata", "schema1-stacked.db.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCmd(t, "ls", "--db", path)
	if exitCode(err) != exitFailure || !strings.Contains(err.Error(), "predates the agency register") || !strings.Contains(err.Error(), "nianbao reparse --db "+path) {
		t.Fatalf("ls of a schema 1 archive: exit %d: %v", exitCode(err), err)
	}
	code, out, errOut := runNianbao(t, "reparse", "--db", path)
	if code != 0 {
		t.Fatalf("reparse: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "identity: 8 versions read again (0 unreadable, kept)") {
		t.Errorf("reparse output:\n%s", out)
	}
	code, out, _ = runNianbao(t, "ls", "--db", path)
	if code != 0 {
		t.Fatal(out)
	}
	for _, want := range []string{
		"平潭综合实验区市场监督管理局  a:############  2024  2         2021    ok\n",
		"洪泽区人民政府                a:############  2023  1         2021    2 failed\n",
		"淮安市洪泽区人民政府          a:############  2024  1         2021    ok\n",
		"Unidentified: 4 reports whose page names no organ",
		"https://www.shuyang.gov.cn/nb/bm/a.html", "https://www.shuyang.gov.cn/nb/bm/b.html",
		"https://www.guannan.gov.cn/nb/bm/c.html", "https://www.guannan.gov.cn/nb/bm/d.html",
		"7 reports (4 unidentified), 8 versions\n",
	} {
		if !strings.Contains(maskIDs(out), want) {
			t.Errorf("ls after reparse lacks %q:\n%s", want, out)
		}
	}
	// The names' sources are read again.
	code, out, _ = runNianbao(t, "agencies", "--db", path, "--agency", "洪泽")
	if code != 0 || !strings.Contains(out, "names: 洪泽区人民政府 (2023; heading), 淮安市洪泽区人民政府 (2024; heading)") {
		t.Errorf("agencies after reparse:\n%s", out)
	}
	if code, out, _ := runNianbao(t, "check", "--db", path); code != 0 {
		t.Errorf("check after reparse: exit %d\n%s", code, out)
	}
}
