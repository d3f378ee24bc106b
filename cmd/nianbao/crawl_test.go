package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"nianbao/parser"
	"nianbao/store"
)

// setPage replaces the body of a portal page (between crawls).
func (p *demoPortal) setPage(pth string, body []byte) {
	pg := p.pages[pth]
	p.mu.Lock()
	defer p.mu.Unlock()
	p.add(pth, pg.ctype, body)
}

// startPortal serves the demo portal behind handler wrap (nil for none).
func startPortal(t *testing.T, wrap func(http.Handler) http.Handler) (*demoPortal, *httptest.Server) {
	t.Helper()
	p, err := newDemoPortal()
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = p
	if wrap != nil {
		h = wrap(p)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return p, srv
}

// writeConfig writes a crawl config for the portal at base with the given
// sites (all demo sites when none).
func writeConfig(t *testing.T, base string, extra string, names ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("user_agent: \"nianbao-test/1.0 (+https://example.org/contact)\"\ndelay: 0s\nparallelism: 4\nretries: 0\nsites:\n")
	for _, s := range demoPortalSites {
		if len(names) > 0 && !contains(names, s.name) {
			continue
		}
		fmt.Fprintf(&b, "  - name: %s\n    start: [%q]\n", s.name, base+s.start)
	}
	b.WriteString(extra)
	path := filepath.Join(t.TempDir(), "sites.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func openRO(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func cellValue(t *testing.T, r *parser.Report, table, row, col string) string {
	t.Helper()
	c, ok := r.Cell(table, row, col)
	if !ok {
		t.Errorf("%s %d: no cell %s.%s.%s", r.Agency, r.Year, table, row, col)
		return ""
	}
	return c.Value
}

func latest(t *testing.T, db *store.DB, agency string, year int) (*parser.Report, int) {
	t.Helper()
	rec, err := db.Report(agency, year)
	if err != nil {
		t.Fatalf("report %s %d: %v", agency, year, err)
	}
	return rec.Latest().Report, rec.Count
}

func runs(t *testing.T, db *store.DB) []store.Run {
	t.Helper()
	var out []store.Run
	if err := db.Runs(context.Background(), func(r store.Run) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// reportPaths are the portal's report pages and attachments.
var reportPaths = []string{
	"/zjsfw/bmdh/sfj/zwgk/xxgknb/content/post_2143084.html",
	"/scjgj/gkmlpt/content/2/2024/post_2024501.html",
	"/scjgj/gkmlpt/content/2/2021/post_2021101.html",
	"/art/2024/1/30/art_1229214366_4405801.html",
	"/art/2024/1/12/art_1229214366_4405802.html",
	"/hzq/xxgk/xxgknb/202502/t20250210_4405901.html",
	"/hzq/xxgk/xxgknb/202502/P020250210602214983371.pdf",
	"/hzq/xxgk/xxgknb/202402/P020240205558833114470.pdf",
	"/ptgaj/zwgk/xxgknb/201901/t20190116_4405951.html",
}

// TestCrawl_Portal crawls the sample portal three times through run: the
// first run stores every report with its real numbers, the second finds
// everything not modified (no report body downloaded, no new version), the
// third sees one corrected number and stores a second version.
func TestCrawl_Portal(t *testing.T) {
	portal, srv := startPortal(t, nil)
	cfg := writeConfig(t, srv.URL, "")
	dbPath := filepath.Join(t.TempDir(), "nianbao.db")
	ctx := context.Background()
	crawl := func() string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(ctx, []string{"crawl", "--config", cfg, "--db", dbPath}, &out, &errOut); err != nil {
			t.Fatalf("crawl: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
		}
		return out.String()
	}

	out := crawl()
	for _, want := range []string{"湛江市司法局", "淮安市洪泽区人民政府", "total                            18        8    8"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	for _, p := range reportPaths {
		if n := portal.Hits(p); n != 1 {
			t.Errorf("first crawl fetched %s %d times, want 1", p, n)
		}
	}
	func() {
		db := openRO(t, dbPath)
		defer db.Close()
		r, n := latest(t, db, "湛江市司法局", 2025)
		if r.Format != parser.Format2021 || n != 1 || r.Input != "html" {
			t.Errorf("湛江市司法局 2025: format %s input %s versions %d, want 2021 html 1", r.Format, r.Input, n)
		}
		for id, want := range map[string]string{
			"t3.new_received.total": "10", "t3.new_received.natural_person": "10", "t3.partial.total": "2",
			"t3.unavailable.not_held.total": "6", "t3.not_processed.petition.total": "2", "t3.total.total": "10",
			"t2.licensing.decisions": "236", "t2.penalty.decisions": "6", "t4.review.total": "0",
		} {
			parts := strings.SplitN(id, ".", 2)
			row, col := parts[1][:strings.LastIndex(parts[1], ".")], parts[1][strings.LastIndex(parts[1], ".")+1:]
			if got := cellValue(t, r, parts[0], row, col); got != want {
				t.Errorf("湛江市司法局 2025 %s = %q, want %q", id, got, want)
			}
		}
		if len(r.Failures) != 0 {
			t.Errorf("湛江市司法局 2025 failures: %v", r.Failures)
		}

		// The 2023 PDF, linked from the TRS list directly: its own table 四
		// breaks R4 (行政复议 10+1+0+0 ≠ 总计 0), kept as printed.
		hz, _ := latest(t, db, "洪泽区人民政府", 2023)
		if hz.Input != "pdf" || cellValue(t, hz, "t3", "new_received", "total") != "21" || cellValue(t, hz, "t4", "review", "upheld") != "10" {
			t.Errorf("洪泽区 2023: input %s, t3 new %s, t4 review upheld %s; want pdf 21 10", hz.Input,
				cellValue(t, hz, "t3", "new_received", "total"), cellValue(t, hz, "t4", "review", "upheld"))
		}
		var r4 []string
		for _, f := range hz.Failures {
			r4 = append(r4, f.Rule+" "+f.Row+" "+f.LeftValue+"≠"+f.RightValue)
		}
		if got := strings.Join(r4, "; "); got != "R4 review 11≠0; R4 litigation_after_review 5≠0" {
			t.Errorf("洪泽区 2023 failures = %q", got)
		}
		// The 2024 report page has no tables: its PDF attachment was parsed.
		hz24, _ := latest(t, db, "淮安市洪泽区人民政府", 2024)
		if hz24.Input != "pdf" || cellValue(t, hz24, "t3", "new_received", "total") != "95" || cellValue(t, hz24, "t2", "licensing", "decisions") != "9487" {
			t.Errorf("洪泽区 2024: input %s, t3 new %s, licensing %s; want pdf 95 9487", hz24.Input,
				cellValue(t, hz24, "t3", "new_received", "total"), cellValue(t, hz24, "t2", "licensing", "decisions"))
		}
		// Hanweb dataproxy record 2, and table 四 non-zero.
		sp, _ := latest(t, db, "平潭综合实验区行政审批局", 2023)
		if cellValue(t, sp, "t3", "new_received", "total") != "7" || cellValue(t, sp, "t4", "review", "upheld") != "1" || cellValue(t, sp, "t2", "normative_docs", "in_force") != "16" {
			t.Errorf("行政审批局 2023: t3 new %s, t4 review upheld %s, t2 in force %s; want 7 1 16",
				cellValue(t, sp, "t3", "new_received", "total"), cellValue(t, sp, "t4", "review", "upheld"), cellValue(t, sp, "t2", "normative_docs", "in_force"))
		}
		js, _ := latest(t, db, "平潭综合实验区君山片区管理局", 2023)
		if cellValue(t, js, "t3", "new_received", "total") != "2" {
			t.Errorf("君山片区 2023 t3 new = %s, want 2", cellValue(t, js, "t3", "new_received", "total"))
		}
		// gkmlpt: a 2021-format and a 2019-format report.
		sc24, _ := latest(t, db, "平潭综合实验区市场监督管理局", 2024)
		sc20, _ := latest(t, db, "平潭综合实验区市场监督管理局", 2020)
		if sc24.Format != parser.Format2021 || sc20.Format != parser.Format2019 || cellValue(t, sc24, "t3", "new_received", "total") != "4" || cellValue(t, sc20, "t3", "new_received", "total") != "5" {
			t.Errorf("市场监督管理局: 2024 %s new %s, 2020 %s new %s; want 2021 4, 2019 5", sc24.Format,
				cellValue(t, sc24, "t3", "new_received", "total"), sc20.Format, cellValue(t, sc20, "t3", "new_received", "total"))
		}
		// GBK without any charset declaration: decoded, not mojibake.
		ga, _ := latest(t, db, "平潭综合实验区公安局", 2018)
		if ga.Format != parser.FormatLegacy || !strings.Contains(ga.Title, "平潭综合实验区公安局2018年") {
			t.Errorf("公安局 2018: format %s title %q", ga.Format, ga.Title)
		}
		var reports []string
		if err := db.ForEachReport(ctx, store.Filter{LatestOnly: true}, func(r *store.ReportRecord) error {
			reports = append(reports, fmt.Sprintf("%s/%d", r.Agency, r.Year))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(reports) != 8 {
			t.Errorf("archive holds %d reports, want 8: %v", len(reports), reports)
		}
		rs := runs(t, db)
		if len(rs) != 1 || rs[0].Finished.IsZero() || rs[0].Counts.NewReports != 8 || len(rs[0].Failures) != 0 || rs[0].Counts.PagesFetched != 18 {
			t.Errorf("run record = %+v, want one finished run with 8 new reports, 18 pages, no failures", rs)
		}
		// Every report page and attachment is archived, with provenance.
		for _, p := range reportPaths {
			us, err := db.URLState(srv.URL + p)
			if err != nil {
				t.Errorf("url state %s: %v", p, err)
				continue
			}
			c, err := db.Capture(us.SHA256)
			if err != nil || c.URL != srv.URL+p || c.RunID != rs[0].ID {
				t.Errorf("capture of %s = %+v, %v", p, c, err)
			}
		}
	}()

	// Second run: list pages again, report bodies not at all.
	out = crawl()
	for _, p := range reportPaths {
		if n := portal.Hits(p); n != 1 {
			t.Errorf("second crawl downloaded %s again (%d full responses in total)", p, n)
		}
	}
	// The 2024 page answered 304 and its PDF, remembered from the first run
	// (URLState.Attachments), was revalidated with its own conditional
	// request: 9 list pages fetched, 9 documents not modified.
	if !strings.Contains(out, "total                             9        9    0        0          0        9       0") {
		t.Errorf("second summary:\n%s", out)
	}
	func() {
		db := openRO(t, dbPath)
		defer db.Close()
		rs := runs(t, db)
		if len(rs) != 2 || rs[1].Counts.NewReports != 0 || rs[1].Counts.NewVersions != 0 || rs[1].Counts.NewCaptures != 0 || rs[1].Counts.NotModified != 9 || rs[1].Counts.PagesFetched != 9 {
			t.Errorf("second run counts = %+v, want nothing new, 9 list pages and 9 not modified", rs[len(rs)-1].Counts)
		}
		if _, n := latest(t, db, "湛江市司法局", 2025); n != 1 {
			t.Errorf("湛江市司法局 2025 has %d versions after an unchanged re-crawl, want 1", n)
		}
	}()

	// Third run: the site corrects 行政许可 236 → 238; a second version.
	seed, err := demodata.ReadFile("demodata/zhanjiang-sifaju-2025.txt")
	if err != nil {
		t.Fatal(err)
	}
	fixed := bytes.Replace(seed, []byte("\n  236\n"), []byte("\n  238\n"), 1)
	if bytes.Equal(fixed, seed) {
		t.Fatal("seed text has no line '  236'")
	}
	portal.setPage(reportPaths[0], seedPage("湛江市司法局2025年政府信息公开工作年度报告", "湛江市司法局", fixed))
	out = crawl()
	if !strings.Contains(out, "湛江市司法局                      3        1    0        1          0        0       0") {
		t.Errorf("third summary:\n%s", out)
	}
	db := openRO(t, dbPath)
	r, n := latest(t, db, "湛江市司法局", 2025)
	if n != 2 || cellValue(t, r, "t2", "licensing", "decisions") != "238" {
		t.Errorf("湛江市司法局 2025: %d versions, licensing %s; want 2 versions, 238", n, cellValue(t, r, "t2", "licensing", "decisions"))
	}
	rec, _ := db.Report("湛江市司法局", 2025)
	if v1 := rec.Versions[0].Report; cellValue(t, v1, "t2", "licensing", "decisions") != "236" {
		t.Errorf("version 1 licensing = %s, want 236 kept", cellValue(t, v1, "t2", "licensing", "decisions"))
	}
	if rs := runs(t, db); rs[2].Counts.NewVersions != 1 || rs[2].Counts.NewCaptures != 1 {
		t.Errorf("third run counts = %+v, want 1 new version from 1 new capture", rs[2].Counts)
	}
}

// TestCrawl_InterruptResume stops a crawl while a report page is being
// fetched (exit 130), then checks that the next crawl resumes the queue
// from the store and finishes it.
func TestCrawl_InterruptResume(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	_, srv := startPortal(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "t20250210_4405901.html") {
				stopped := false
				once.Do(func() { cancel(); stopped = true })
				if stopped {
					<-r.Context().Done() // hold the request until the crawler gives up
					return
				}
			}
			h.ServeHTTP(w, r)
		})
	})
	cfgPath := writeConfig(t, srv.URL, "", "淮安市洪泽区人民政府")
	cfg, err := ReadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DB = filepath.Join(t.TempDir(), "nianbao.db")
	cfg.Parallelism = 1
	var out bytes.Buffer
	_, err = crawlSites(ctx, cfg, cfg.Sites, crawlOutput{stdout: &out, stderr: &out})
	if code := exitCode(err); code != exitInterrupted {
		t.Fatalf("interrupted crawl: err %v, exit %d, want 130\n%s", err, code, out.String())
	}
	func() {
		db, err := store.Open(cfg.DB, &store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		pending, err := db.Pending("淮安市洪泽区人民政府")
		if err != nil || len(pending) == 0 {
			t.Fatalf("queue after interruption: %d items, %v; want the unfinished URLs", len(pending), err)
		}
		if !strings.Contains(strings.Join(pending, "\n"), "t20250210_4405901.html") {
			t.Errorf("the interrupted report page is not queued: %q", pending)
		}
		if rs := runs(t, db); len(rs) != 1 || rs[0].Counts.Failures["interrupted"] != 1 {
			t.Errorf("runs after the interruption = %+v, want one run marked interrupted", rs)
		}
	}()

	out.Reset()
	res, err := crawlSites(context.Background(), cfg, cfg.Sites, crawlOutput{stdout: &out, stderr: &out})
	if err != nil {
		t.Fatalf("resumed crawl: %v\n%s", err, out.String())
	}
	if st := res.Sites[0].Stats; !st.Resumed || st.Pending != 0 {
		t.Errorf("second crawl: resumed %v, pending %d; want a resumed run that empties the queue", st.Resumed, st.Pending)
	}
	db := openRO(t, cfg.DB)
	hz24, _ := latest(t, db, "淮安市洪泽区人民政府", 2024)
	hz23, _ := latest(t, db, "洪泽区人民政府", 2023)
	if cellValue(t, hz24, "t3", "new_received", "total") != "95" || cellValue(t, hz23, "t3", "new_received", "total") != "21" {
		t.Errorf("after resume: 2024 new %s, 2023 new %s; want 95 and 21",
			cellValue(t, hz24, "t3", "new_received", "total"), cellValue(t, hz23, "t3", "new_received", "total"))
	}
	if p, _ := db.Pending("淮安市洪泽区人民政府"); len(p) != 0 {
		t.Errorf("queue after the resumed run: %q", p)
	}
}

// TestCrawl_ExitStatuses covers partial failure (3), a usage error in the
// config (2) and a locked database (4).
func TestCrawl_ExitStatuses(t *testing.T) {
	_, srv := startPortal(t, nil)
	ctx := context.Background()

	t.Run("SomeURLsFail", func(t *testing.T) {
		extra := fmt.Sprintf("  - name: 消失的栏目\n    start: [%q]\n", srv.URL+"/gone/xxgknb/")
		cfg := writeConfig(t, srv.URL, extra, "湛江市司法局")
		dbPath := filepath.Join(t.TempDir(), "nianbao.db")
		var out, errOut bytes.Buffer
		err := run(ctx, []string{"crawl", "--config", cfg, "--db", dbPath}, &out, &errOut)
		if code := exitCode(err); code != exitPartial {
			t.Fatalf("exit %d (%v), want 3\n%s", code, err, out.String())
		}
		if !strings.Contains(out.String(), "消失的栏目: http 404 ×1") {
			t.Errorf("summary lacks the failure:\n%s", out.String())
		}
		db := openRO(t, dbPath)
		rs := runs(t, db)
		if len(rs) != 1 || rs[0].Counts.Failures["http 404"] != 1 || len(rs[0].Failures) != 1 || rs[0].Failures[0].URL != srv.URL+"/gone/xxgknb/" || rs[0].Failures[0].Status != 404 {
			t.Errorf("run record failures = %+v", rs)
		}
		if _, n := latest(t, db, "湛江市司法局", 2025); n != 1 {
			t.Errorf("the healthy site was not stored")
		}
	})
	t.Run("BadConfig", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bad.yaml")
		if err := os.WriteFile(path, []byte("sites:\n  - name: a\n    start: [\"http://a.example/\"]\n    delay: soon\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err := run(ctx, []string{"crawl", "--config", path}, &out, &out)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), path+":4: sites[0].delay: invalid duration") {
			t.Errorf("err = %v (exit %d), want exit 2 naming %s:4 and the key", err, exitCode(err), path)
		}
	})
	t.Run("UnknownSite", func(t *testing.T) {
		cfg := writeConfig(t, srv.URL, "")
		var out bytes.Buffer
		err := run(ctx, []string{"crawl", "--config", cfg, "--site", "不存在"}, &out, &out)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "湛江市司法局") {
			t.Errorf("err = %v, want a usage error listing the sites", err)
		}
	})
	t.Run("Locked", func(t *testing.T) {
		dbPath := filepath.Join(t.TempDir(), "nianbao.db")
		holder, err := store.Open(dbPath, &store.Options{SnapshotInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Close()
		cfg := writeConfig(t, srv.URL, "", "湛江市司法局")
		var out bytes.Buffer
		err = run(ctx, []string{"crawl", "--config", cfg, "--db", dbPath}, &out, &out)
		if exitCode(err) != exitLocked || !errors.Is(err, store.ErrLocked) {
			t.Errorf("err = %v (exit %d), want exit 4", err, exitCode(err))
		}
	})
}

// TestDemo runs 'nianbao demo' to completion, offline.
func TestDemo(t *testing.T) {
	var out, errOut bytes.Buffer
	dbPath := filepath.Join(t.TempDir(), "demo.db")
	if err := run(context.Background(), []string{"demo", "--db", dbPath}, &out, &errOut); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"Reports in the archive (8):",
		"湛江市司法局                  2025    2021  html         1      10         10           0          0          0+0         42 ok",
		"洪泽区人民政府                2023    2021   pdf         1      21         21           0          0          0+0  2 of 40 fail",
		"洪泽区人民政府 2023: R4 t4 row review: upheld+corrected+other+pending = 11 ≠ total = 0 (diff 11)",
		"平潭综合实验区公安局          2018  legacy  html",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("demo output lacks %q:\n%s", want, got)
		}
	}
	if _, err := os.Stat(dbPath); err != nil {
		t.Errorf("--db was not kept: %v", err)
	}
}
