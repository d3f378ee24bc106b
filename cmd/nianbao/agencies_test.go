package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nianbao/parser"
	"nianbao/store"
)

func TestAgencies(t *testing.T) {
	db := fillArchive(t)
	code, out, errOut := runNianbao(t, "agencies", "--db", db)
	if code != 0 {
		t.Fatalf("agencies: exit %d: %s", code, errOut)
	}
	// The register made the two names of 洪泽区 one organ, with the years
	// and the place each name was read.
	for _, want := range []string{
		"  淮安市洪泽区人民政府\n  division 淮安市洪泽区 · sites test · years 2023 2024\n  names: 洪泽区人民政府 (2023; heading), 淮安市洪泽区人民政府 (2024; heading)\n",
		"  平潭综合实验区市场监督管理局\n  division 平潭综合实验区 · sites test · years 2020 2024\n",
		"4 organs, 5 names; 0 unidentified reports",
	} {
		if !strings.Contains(maskIDs(out), want) {
			t.Errorf("agencies output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runNianbao(t, "agencies", "--db", db, "--format", "csv", "--agency", "洪泽")
	recs := readCSV(t, out)
	if code != 0 || len(recs) != 2 || strings.Join(recs[0], ",") != "agency_id,name,division,codes,sites,years,names,rule,links,merged" ||
		recs[1][1] != "淮安市洪泽区人民政府" || recs[1][5] != "2023 2024" || recs[1][6] != "洪泽区人民政府 (2023; heading); 淮安市洪泽区人民政府 (2024; heading)" {
		t.Errorf("agencies --format csv --agency 洪泽: exit %d\n%q", code, recs)
	}
	if code, _, _ := runNianbao(t, "agencies", "--db", db, "--format", "xml"); code != exitUsage {
		t.Errorf("--format xml: exit %d, want 2", code)
	}
}

// Two sites print one organ's name with and without its parent division,
// and carry no organ code: nothing confirms they are one, so the register
// keeps them apart and proposes the merge; an alias in the config makes
// them one (reparse --config), and diff then pairs the years.
func TestAgencies_ProposedThenConfirmed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nianbao.db")
	db, err := store.Open(path, &store.Options{SnapshotInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	p := parser.New(parser.Options{})
	defer p.Close()
	for _, f := range []struct{ file, site, url string }{
		{"huaian-hongze-2023.layout.txt", "洪泽区", "https://www.hongze.gov.cn/nb/2023.txt"},
		{"huaian-hongze-2024.layout.txt", "淮安市", "https://www.huaian.gov.cn/nb/hongze-2024.txt"},
	} {
		body, err := readFixture(f.file)
		if err != nil {
			t.Fatal(err)
		}
		c := store.Capture{URL: f.url, Status: 200, ContentType: "text/plain; charset=utf-8", FetchedAt: time.Now(), Site: f.site}
		r, err := p.Parse(body, parser.Source{URL: f.url, ContentType: c.ContentType})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.PutDocuments([]store.Document{{Capture: c, Body: body, Report: r}}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	code, out, errOut := runNianbao(t, "agencies", "--db", path, "--proposed")
	if code != 0 || !strings.Contains(out, "parent_division: 淮安市洪泽区人民政府 adds the parent division 淮安市 to 洪泽区人民政府, on different sites and without a shared organ code") ||
		!strings.Contains(out, "to confirm: the same organ code on reports of both, reports of both on one site, or an alias in the config (agencies:)") ||
		!strings.HasSuffix(out, "1 proposed merges (none made)\n") {
		t.Fatalf("agencies --proposed: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := runNianbao(t, "diff", "--db", path, "--agency", "洪泽", "--from", "2023", "--to", "2024"); code != exitUsage {
		t.Errorf("diff across two organs kept apart: exit %d, want 2", code)
	}

	cfg := filepath.Join(t.TempDir(), "nianbao.yaml")
	writeFile(t, cfg, "db: "+path+"\nsites:\n  - name: 洪泽区\n    start: [\"https://www.hongze.gov.cn/nb/\"]\nagencies:\n  - name: 淮安市洪泽区人民政府\n    aliases: [洪泽区人民政府]\n")
	if code, out, errOut := runNianbao(t, "reparse", "--config", cfg); code != 0 {
		t.Fatalf("reparse --config: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runNianbao(t, "agencies", "--db", path, "--proposed")
	if code != 0 || !strings.HasSuffix(out, "0 proposed merges (none made)\n") {
		t.Errorf("after the alias: %s", out)
	}
	code, out, _ = runNianbao(t, "agencies", "--db", path)
	if code != 0 || !strings.Contains(maskIDs(out), "a:############  淮安市洪泽区人民政府\n  division 淮安市洪泽区 · sites 洪泽区, 淮安市 · years 2023 2024\n") ||
		!strings.Contains(out, "config rule: 淮安市洪泽区人民政府") || !strings.Contains(out, "1 organs") {
		t.Errorf("agencies after the alias:\n%s", out)
	}
	code, out, errOut = runNianbao(t, "diff", "--db", path, "--agency", "洪泽", "--from", "2023", "--to", "2024")
	if code != 0 || !strings.Contains(out, "(printed 洪泽区人民政府 in 2023, 淮安市洪泽区人民政府 in 2024)") {
		t.Errorf("diff after the alias: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runNianbao(t, "check", "--db", path); code != 0 {
		t.Errorf("check after the merge: exit %d\n%s", code, errOut)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
