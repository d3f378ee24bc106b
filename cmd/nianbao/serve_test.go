package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"nianbao/cmd/nianbao/web"
	"nianbao/store"
)

// syncBuffer is a bytes.Buffer safe for the serve goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex // protects b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// writeServeConfig writes a config for the demo portal at base with the
// given schedule.
func writeServeConfig(t *testing.T, base, db, schedule string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "db: %s\nuser_agent: \"nianbao-test/1.0 (+mailto:test@example.org)\"\ndelay: 0s\nparallelism: 4\nconcurrent_sites: 5\nretries: 1\nschedule: %q\nsites:\n", db, schedule)
	for _, s := range demoPortalSites {
		fmt.Fprintf(&b, "  - name: %s\n    start: [%q]\n", s.name, base+s.start)
	}
	path := filepath.Join(t.TempDir(), "serve.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startServe runs 'nianbao serve' through run in a goroutine and returns
// its base URL and a stop function that cancels it and returns its error.
func startServe(t *testing.T, args ...string) (base string, out *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), out, out) }()
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				stopErr = fmt.Errorf("serve did not stop within 30s after cancel")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	re := regexp.MustCompile(`web view at (http://[^ ]+/) `)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return strings.TrimSuffix(m[1], "/"), out, stop
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not report its address:\n%s", out.String())
	return "", nil, nil
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func getText(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// chromium runs headless Chromium with args and returns its standard
// output.
func chromium(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

// TestServe_EndToEnd starts 'nianbao serve' on a schedule that fires every
// second against the bundled sample portal, waits for scheduled runs, and
// loads the report list, a report page and an agency chart page in
// headless Chromium. Screenshots go to t.ArtifactDir() (kept with
// 'go test -artifacts -outputdir DIR').
func TestServe_EndToEnd(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		skipOrFailInCI(t, "chromium is not installed (apt-get install chromium): skipping the browser end-to-end test of serve")
	}
	portal, err := newDemoPortal()
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(portal)
	defer ps.Close()
	dbPath := filepath.Join(t.TempDir(), "serve.db")
	cfg := writeServeConfig(t, ps.URL, dbPath, "@every 1s")
	base, out, stop := startServe(t, "--config", cfg, "--addr", "127.0.0.1:0", "--jitter", "0")

	// Wait for two scheduled runs: the first archives the portal, the
	// second re-crawls it with conditional requests.
	var runs struct {
		Count int         `json:"count"`
		Runs  []store.Run `json:"runs"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		runs.Runs = nil // decoding into old elements would merge their maps
		getJSON(t, base+"/api/runs", &runs)
		finished := 0
		for _, r := range runs.Runs {
			if !r.Finished.IsZero() {
				finished++
			}
		}
		if finished >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no two finished scheduled runs within 60s: %+v\n%s", runs, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	first := runs.Runs[len(runs.Runs)-1] // newest first
	if first.Counts.PagesFetched != 18 || first.Counts.NewReports != 8 || len(first.Sites) != len(demoPortalSites) {
		t.Errorf("first scheduled run: %d pages, %d new reports, %d sites; want 18, 8, %d", first.Counts.PagesFetched,
			first.Counts.NewReports, len(first.Sites), len(demoPortalSites))
	}
	second := runs.Runs[len(runs.Runs)-2]
	// Every report page and attachment archived by the first run (9 bodies)
	// answers 304 to the second; nothing is new.
	if first.Counts.NewCaptures != 9 || second.Counts.NotModified != first.Counts.NewCaptures || second.Counts.NewReports != 0 ||
		second.Counts.NewVersions != 0 || second.Counts.NewCaptures != 0 {
		t.Errorf("first run archived %d bodies; second scheduled run: %d not modified, %d new reports, %d new versions, %d new captures; want 9, 9, 0, 0, 0",
			first.Counts.NewCaptures, second.Counts.NotModified, second.Counts.NewReports, second.Counts.NewVersions, second.Counts.NewCaptures)
	}
	for i := 1; i < len(runs.Runs); i++ { // newest first: each started after the previous finished
		if prev, cur := runs.Runs[i], runs.Runs[i-1]; !prev.Finished.IsZero() && cur.Started.Before(prev.Finished.Truncate(time.Second)) {
			t.Errorf("run %s started at %s before run %s finished at %s", cur.ID, cur.Started, prev.ID, prev.Finished)
		}
	}
	metrics := getText(t, base+"/metrics")
	for _, want := range []string{`nianbao_reports{status="fail"} 1`, `nianbao_reports{status="ok"} 6`, "nianbao_report_versions 8"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if getText(t, base+"/healthz") != "ok\n" {
		t.Error("healthz is not ok")
	}

	art := t.ArtifactDir()
	shot := func(name, u string) {
		t.Helper()
		file := filepath.Join(art, name)
		chromium(t, bin, "--screenshot="+file, "--window-size=1280,2000", u)
		if fi, err := os.Stat(file); err != nil || fi.Size() < 10000 {
			t.Errorf("screenshot %s missing or tiny: %v", file, err)
		}
	}

	// The report list: eight reports, 洪泽区 2023 failing two checks.
	list := chromium(t, bin, "--dump-dom", base+"/")
	got := listed(list)
	if len(got) != 8 {
		t.Errorf("report list shows %d reports, want 8: %q", len(got), got)
	}
	for _, want := range []string{"洪泽区人民政府 2023", "淮安市洪泽区人民政府 2024", "湛江市司法局 2025", "平潭综合实验区公安局 2018"} {
		if !strings.Contains(strings.Join(got, "|"), want) {
			t.Errorf("report list lacks %s", want)
		}
	}
	if !strings.Contains(list, "2 of 40 failed") {
		t.Error("report list does not flag 洪泽区 2023's 2 failed checks")
	}
	shot("reports.png", base+"/")

	// The report page of 洪泽区人民政府 2023 (a PDF): table 四 with the two
	// rows that break R4 highlighted.
	page := chromium(t, bin, "--dump-dom", base+web.ReportURL("洪泽区人民政府", 2023))
	for _, want := range []string{
		`<td class="num fail" data-id="t4.review.upheld">10</td>`,
		`<td class="num fail" data-id="t4.review.corrected">1</td>`,
		`<td class="num fail" data-id="t4.review.total">0</td>`,
		`<td class="num fail" data-id="t4.litigation_after_review.upheld">5</td>`,
		`<td class="num" data-id="t4.litigation_direct.total">0</td>`,
		`<td class="num" data-id="t3.new_received.total">21</td>`,
		`<td class="num" data-id="t2.fees.amount_10k_yuan">7730.28</td>`,
		"R4 t4 row review: upheld+corrected+other+pending = 11 ≠ total = 0 (diff 11)",
		"R4 t4 row litigation_after_review: upheld+corrected+other+pending = 5 ≠ total = 0 (diff 5)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("洪泽区 2023 page in Chromium lacks %q", want)
		}
	}
	if n := strings.Count(page, `class="num fail"`); n != 10 {
		t.Errorf("%d highlighted cells, want 10 (two rows of table 四)", n)
	}
	// Its archived source is served with its stored Content-Type.
	m := regexp.MustCompile(`href="/captures/([0-9a-f]{64})"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no link to the archived capture")
	}
	resp, err := http.Get(base + "/captures/" + m[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF")) {
		t.Errorf("capture: %s, %d bytes starting %q; want the PDF", resp.Header.Get("Content-Type"), len(body), body[:min(8, len(body))])
	}
	shot("report-hongze-2023.png", base+web.ReportURL("洪泽区人民政府", 2023))

	// The agency page: the two years of 市场监督管理局, one point each.
	agency := chromium(t, bin, "--dump-dom", base+web.AgencyURL("平潭综合实验区市场监督管理局"))
	if got := chartPoints(t, agency, "received"); strings.Join(got["s0"], " ") != "2020:5 2024:4" || len(got) != 1 {
		t.Errorf("received chart in Chromium: %v, want s0 = 2020:5 2024:4", got)
	}
	if got := chartPoints(t, agency, "outcomes"); len(got) != 7 || strings.Join(got["s6"], " ") != "2020:5 2024:4" {
		t.Errorf("outcomes chart in Chromium: %v, want 7 series, total 2020:5 2024:4", got)
	}
	if n := strings.Count(agency, "<circle"); n != 2*(1+7+2) {
		t.Errorf("%d points on the agency page, want %d", n, 2*(1+7+2))
	}
	shot("agency-scjgj.png", base+web.AgencyURL("平潭综合实验区市场监督管理局"))
	t.Logf("screenshots in %s", art)

	if err := stop(); err != nil {
		t.Fatalf("serve after cancel: %v, want nil (a clean stop)\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "nianbao serve: stopped") {
		t.Errorf("serve did not say it stopped:\n%s", out.String())
	}
	// Serve closed the database: another process may open it now.
	db, err := store.Open(dbPath, &store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("database still held after serve stopped: %v", err)
	}
	db.Close()
}

// TestServe_InterruptedRunResumesOnce stops serve in the middle of a slow
// scheduled crawl and starts it again: the interrupted run is not counted
// as done, so the restarted scheduler runs it at once (once), and the
// crawl resumes its persisted queue.
func TestServe_InterruptedRunResumesOnce(t *testing.T) {
	portal, err := newDemoPortal()
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var slowOnce sync.Once
	entered := make(chan struct{})
	ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".pdf") { // hold the PDFs until the test says so
			slowOnce.Do(func() { close(entered) })
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		portal.ServeHTTP(w, r)
	}))
	defer ps.Close()
	dbPath := filepath.Join(t.TempDir(), "serve.db")
	cfg := writeServeConfig(t, ps.URL, dbPath, "@every 1s")
	base, out, stop := startServe(t, "--config", cfg, "--addr", "127.0.0.1:0", "--jitter", "0")
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatalf("the scheduled crawl never reached a PDF\n%s", out.String())
	}
	var st map[string]any
	getJSON(t, base+"/api/status", &st)
	if r, _ := st["running"].([]any); len(r) != len(demoPortalSites) {
		t.Errorf("/api/status running = %v, want the %d sites", st["running"], len(demoPortalSites))
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, out.String())
	}
	close(release)

	// The run was recorded as interrupted, with its queue kept.
	db, err := store.Open(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	last, interrupted, err := lastRuns(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if len(interrupted) != len(demoPortalSites) {
		t.Errorf("interrupted sites %v, want all %d", interrupted, len(demoPortalSites))
	}
	pending, err := db.Pending("淮安市洪泽区人民政府")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(last) != 0 {
		t.Errorf("an interrupted run counted as finished: %v", last)
	}
	t.Logf("洪泽区 queue after the interruption: %d URLs", len(pending))

	// Restart with a daily schedule: the interrupted run is due now, once.
	cfg2 := writeServeConfig(t, ps.URL, dbPath, "0 3 * * *")
	base2, out2, stop2 := startServe(t, "--config", cfg2, "--addr", "127.0.0.1:0", "--jitter", "0")
	var runs struct {
		Runs []store.Run `json:"runs"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		runs.Runs = nil // decoding into old elements would merge their maps
		getJSON(t, base2+"/api/runs", &runs)
		var st struct {
			Running []string `json:"running"`
		}
		getJSON(t, base2+"/api/status", &st)
		// The run is finished in the store before serve refreshes its
		// index: wait until the scheduler is idle too.
		if len(runs.Runs) == 2 && !runs.Runs[0].Finished.IsZero() && len(st.Running) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no resumed run within 60s: runs %+v\n%s", runs.Runs, out2.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r := runs.Runs[0]; r.Counts.Failures["interrupted"] != 0 || len(r.Failures) != 0 || r.Counts.NewReports < 1 {
		t.Errorf("resumed run %+v, want it complete, without failures, storing the reports the interrupted run had not reached", r)
	}
	if r := runs.Runs[1]; !r.Finished.IsZero() && r.Counts.Failures["interrupted"] == 0 {
		t.Errorf("first run %+v, want it recorded as interrupted", r)
	}
	var reports struct {
		Reports []web.ReportSummary `json:"reports"`
	}
	getJSON(t, base2+"/api/reports", &reports)
	got := map[string]string{}
	for _, r := range reports.Reports {
		got[r.Agency+" "+strconv.Itoa(r.Year)] = r.Status + " " + r.NewReceived
	}
	for k, want := range map[string]string{
		"洪泽区人民政府 2023": "fail 21", "淮安市洪泽区人民政府 2024": "ok 95", "湛江市司法局 2025": "ok 10",
		"平潭综合实验区市场监督管理局 2020": "ok 5", "平潭综合实验区市场监督管理局 2024": "ok 4", "平潭综合实验区行政审批局 2023": "ok 7",
		"平潭综合实验区君山片区管理局 2023": "ok 2", "平潭综合实验区公安局 2018": "none ",
	} {
		if got[k] != want {
			t.Errorf("after the resumed run, %s is %q, want %q", k, got[k], want)
		}
	}
	if t.Failed() {
		t.Logf("runs: %s", getText(t, base2+"/api/runs"))
	}
	if len(got) != 8 {
		// A resumed run once left a table-less duplicate of a page whose
		// tables are in an attachment (fixed in the crawl pipeline).
		t.Errorf("%d reports after the resumed run, want the portal's 8: %v", len(got), got)
	}
	metrics := getText(t, base2+"/metrics")
	for _, want := range []string{"nianbao_runs_total 2\n", "nianbao_runs_interrupted_total 1\n", "nianbao_run_in_progress 0\n"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
	// Next due is tomorrow's (or today's) 03:00, not another catch-up run.
	m := regexp.MustCompile(`nianbao_next_run_timestamp_seconds (\d+)`).FindStringSubmatch(metrics)
	if m == nil {
		t.Fatal("no next-run metric")
	}
	next, _ := strconv.ParseInt(m[1], 10, 64)
	if d := time.Until(time.Unix(next, 0)); d <= 0 || d > 24*time.Hour {
		t.Errorf("next run in %s, want within the next 24h (the next 03:00)", d)
	}
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
}

func TestServe_Errors(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "a.db")
	t.Run("BadSchedule", func(t *testing.T) {
		cfg := writeServeConfig(t, "http://127.0.0.1:1", dbPath, "61 3 * * *")
		err := run(context.Background(), []string{"serve", "--config", cfg}, io.Discard, io.Discard)
		// The config's validation names the key and its line.
		if exitCode(err) != exitUsage || !strings.Contains(fmt.Sprint(err), "61") {
			t.Errorf("bad schedule: %v (exit %d), want a usage error naming it", err, exitCode(err))
		}
	})
	t.Run("ConfigRejectsWhatServeCannotRun", func(t *testing.T) {
		for spec, ok := range map[string]bool{"61 3 * * *": false, "0 25 * * *": false, "0 3 * 13 *": false,
			"0 3 * * 1-5": true, "CRON_TZ=Asia/Shanghai 0 3 * * *": true, "15 0 3 * * *": true} {
			if err := checkSchedule(spec); (err == nil) != ok {
				t.Errorf("checkSchedule(%q) = %v, want ok=%v", spec, err, ok)
			}
		}
	})
	t.Run("BadFlag", func(t *testing.T) {
		err := run(context.Background(), []string{"serve", "--jitter", "-1s"}, io.Discard, io.Discard)
		if exitCode(err) != exitUsage {
			t.Errorf("negative jitter: %v, want exit 2", err)
		}
	})
	t.Run("Locked", func(t *testing.T) {
		db, err := store.Open(dbPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		cfg := writeServeConfig(t, "http://127.0.0.1:1", dbPath, "@daily")
		err = run(context.Background(), []string{"serve", "--config", cfg, "--addr", "127.0.0.1:0"}, io.Discard, io.Discard)
		if exitCode(err) != exitLocked {
			t.Errorf("locked database: %v (exit %d), want exit 4", err, exitCode(err))
		}
	})
	t.Run("Help", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"serve", "-h"}, &out, &out); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"127.0.0.1", "Exit status:", "/metrics", "nianbao crawl"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("help lacks %q", want)
			}
		}
	})
}

// --now crawls a fresh archive at start-up instead of waiting for the
// first scheduled time (here 03:00).
func TestServe_NowCrawlsAtStart(t *testing.T) {
	portal, err := newDemoPortal()
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(portal)
	defer ps.Close()
	dbPath := filepath.Join(t.TempDir(), "serve.db")
	cfg := writeServeConfig(t, ps.URL, dbPath, "0 3 * * *")
	base, out, stop := startServe(t, "--config", cfg, "--addr", "127.0.0.1:0", "--jitter", "0", "--now")
	defer stop()
	var reports struct {
		Reports []web.ReportSummary `json:"reports"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		reports.Reports = nil
		getJSON(t, base+"/api/reports", &reports)
		var st struct {
			Running []string `json:"running"`
		}
		getJSON(t, base+"/api/status", &st)
		if len(reports.Reports) == 8 && len(st.Running) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no crawl at start-up within 60s: %d reports\n%s", len(reports.Reports), out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, r := range reports.Reports {
		if r.Agency == "湛江市司法局" && (r.Year != 2025 || r.NewReceived != "10") {
			t.Errorf("湛江市司法局: %+v, want 2025 with 10 new requests", r)
		}
	}
}
