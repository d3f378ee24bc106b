package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"nianbao/store"
)

// childEnv selects a child-process role when the test binary re-executes
// itself (the crash test).
const childEnv = "NIANBAO_CMD_CHILD"

// TestMain lets the test binary act as a child process: the crash test's
// crawl (childEnv) or the nianbao command itself for the bench test
// (runAsNianbao).
func TestMain(m *testing.M) {
	runAsNianbao()
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "crawl":
		os.Exit(childCrawl(os.Getenv("NIANBAO_CHILD_CONFIG"), os.Getenv("NIANBAO_CHILD_DB"), os.Getenv("NIANBAO_CHILD_STOP")))
	default:
		fmt.Fprintln(os.Stderr, "unknown child role")
		os.Exit(2)
	}
}

// childCrawl runs 'nianbao crawl' on config and db. stop is "POINT:N" or
// "": at the Nth call of the pipeline's or crawl state's hook at POINT
// (see pipeline.hook) it prints "stopped POINT N" and waits for the
// parent's SIGKILL. From then on every hook call blocks, so the other
// workers stop writing within one document however late the kill comes.
func childCrawl(config, db, stop string) int {
	point, nth := "", 0
	if stop != "" {
		p, n, _ := strings.Cut(stop, ":")
		point, nth = p, atoiOr(n, 1)
	}
	var mu sync.Mutex // protects calls and stopped
	calls, stopped := 0, false
	hook := func(at string) {
		mu.Lock()
		if stopped {
			mu.Unlock()
			time.Sleep(time.Hour)
		}
		hit := false
		if at == point {
			calls++
			hit = calls == nth
			stopped = hit
		}
		mu.Unlock()
		if hit {
			fmt.Printf("stopped %s %d\n", at, nth)
			time.Sleep(time.Hour) // the parent kills the process meanwhile
		}
	}
	cfg, err := ReadConfig(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	cfg.DB = db
	_, err = crawlSites(context.Background(), cfg, cfg.Sites, crawlOutput{stdout: io.Discard, stderr: os.Stderr, hook: hook})
	return exitCode(err)
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

// hitCounter counts the full (200) responses of a handler by path: the
// bodies a crawl downloaded.
type hitCounter struct {
	h http.Handler

	mu   sync.Mutex // protects hits
	hits map[string]int
}

func newHitCounter(h http.Handler) *hitCounter { return &hitCounter{h: h, hits: map[string]int{}} }

func (c *hitCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	c.h.ServeHTTP(rec, r)
	if rec.status == http.StatusOK {
		c.mu.Lock()
		c.hits[r.URL.Path]++
		c.mu.Unlock()
	}
}

// bodies returns how many report and attachment bodies (not list pages)
// were downloaded so far.
func (c *hitCounter) bodies() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for p, k := range c.hits {
		if slices.Contains(reportPaths, p) || strings.Contains(p, "/content/post_") {
			n += k
		}
	}
	return n
}

// crashPortal serves the demo portal (five CMS layouts, PDF attachments,
// a report page whose tables are only in its PDF) and a column of n
// generated report pages plus one report page that has no tables and no
// attachment (stored, without cells, only at the end of a run), both
// counting downloads, and writes a config for them.
func crashPortal(t *testing.T, n int) (*hitCounter, *hitCounter, string) {
	t.Helper()
	demo, err := newDemoPortal()
	if err != nil {
		t.Fatal(err)
	}
	bench := newBenchPortal(t, n, 20)
	mux := http.NewServeMux()
	mux.Handle("/", bench)
	mux.HandleFunc(noTablesColumn, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, "", demoModTime, bytes.NewReader(nfcmsList("湛江市档案馆", "信息公开年报", []demoLink{
			{"content/post_4000001.html", "湛江市档案馆2025年政府信息公开工作年度报告", "2026-01-20"}}, "")))
	})
	mux.HandleFunc(noTablesColumn+"content/post_4000001.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, "", demoModTime, bytes.NewReader(simplePage("湛江市档案馆2025年政府信息公开工作年度报告",
			"<p>本报告根据《中华人民共和国政府信息公开条例》编制。全文见纸质版本，请到本馆查阅。</p>")))
	})
	dc, bc := newHitCounter(demo), newHitCounter(mux)
	dsrv, bsrv := httptest.NewServer(dc), httptest.NewServer(bc)
	t.Cleanup(dsrv.Close)
	t.Cleanup(bsrv.Close)
	extra := fmt.Sprintf("  - name: 湛江市司法所\n    start: [%q]\n  - name: 湛江市档案馆\n    start: [%q]\n", bsrv.URL+benchColumn, bsrv.URL+noTablesColumn)
	return dc, bc, writeConfig(t, dsrv.URL, extra)
}

const noTablesColumn = "/zjdag/xxgknb/"

// TestCrawl_KilledAndResumed kills a crawl (SIGKILL of a child process)
// again and again and resumes it each time; issue 16. The kills land at
// points the test picks through the pipeline's hook:
//
//   - "parsed": a document parsed, nothing of it written;
//   - "committed": a body, its report version and its outcome written in
//     one transaction, the URL's crawl state (validators) not yet;
//   - "flushed": a batch of crawl state written;
//   - "finish": the end of a run, with a report page whose tables are only
//     in its PDF archived and recorded as deferred but its report not
//     decided: the window between storing a capture and storing its report
//     that a crawl cannot avoid;
//
// and then at random moments. After the last, interrupted, crawl a
// crawl runs to the end: its export must equal an uninterrupted crawl's
// (every report present, nothing twice, one version each), the archive must
// pass Check, and one more crawl must download no report body (every
// report URL answers 304 and is trusted).
func TestCrawl_KilledAndResumed(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary about 15 times")
	}
	dc, bc, cfgPath := crashPortal(t, 200)
	ctx := context.Background()
	dir := t.TempDir()

	// The reference: one uninterrupted crawl.
	ref := filepath.Join(dir, "ref.db")
	var out bytes.Buffer
	if err := run(ctx, []string{"crawl", "--config", cfgPath, "--db", ref}, &out, &out); err != nil {
		t.Fatalf("reference crawl: %v\n%s", err, out.String())
	}
	refBodies := dc.bodies() + bc.bodies()

	dbPath := filepath.Join(dir, "crashed.db")
	stops := []string{"committed:2", "parsed:3", "flushed:1", "committed:8", "parsed:1", "flushed:3", "committed:1",
		"committed:15", "parsed:6", "finish:1"}
	rng := rand.New(rand.NewPCG(16, 16))
	for _, stop := range stops {
		if got := killChild(t, cfgPath, dbPath, stop, 0); got != "stopped "+strings.Replace(stop, ":", " ", 1) {
			t.Fatalf("child stopping at %s: %q; the kill did not land where planned", stop, got)
		}
	}
	for range 4 {
		killChild(t, cfgPath, dbPath, "", time.Duration(50+rng.IntN(400))*time.Millisecond)
	}

	// Resume to the end.
	out.Reset()
	res, err := crawlSites(ctx, mustReadConfig(t, cfgPath, dbPath), mustReadConfig(t, cfgPath, dbPath).Sites, crawlOutput{stdout: &out, stderr: io.Discard})
	if err != nil {
		t.Fatalf("resumed crawl: %v\n%s", err, out.String())
	}
	for _, s := range res.Sites {
		if s.Stats.Pending != 0 {
			t.Errorf("%s: %d URLs pending after the resumed crawl", s.Name, s.Stats.Pending)
		}
	}
	if got, want := exportCells(t, dbPath), exportCells(t, ref); got != want {
		t.Errorf("export after kills and resume differs from the uninterrupted crawl's:\n%s", lineDiff(got, want))
	}
	refReports, gotReports := versionCounts(t, ref), versionCounts(t, dbPath)
	if len(refReports) != 200+8+1 || refReports["湛江市档案馆 2025"] != 1 {
		t.Errorf("the uninterrupted crawl stored %d reports (湛江市档案馆 2025: %d versions), want 209 (1)", len(refReports), refReports["湛江市档案馆 2025"])
	}
	if !maps.Equal(gotReports, refReports) {
		t.Errorf("reports and version counts after kills: %d reports, want %d; differences: %v", len(gotReports), len(refReports), mapDiff(gotReports, refReports))
	}
	checkArchive(t, dbPath)

	// One more crawl: every report URL answers 304 and is trusted.
	before := dc.bodies() + bc.bodies()
	out.Reset()
	if err := run(ctx, []string{"crawl", "--config", cfgPath, "--db", dbPath}, &out, &out); err != nil {
		t.Fatalf("crawl after resume: %v\n%s", err, out.String())
	}
	if n := dc.bodies() + bc.bodies() - before; n != 0 {
		t.Errorf("the crawl after the resumed one downloaded %d report bodies, want 0", n)
	}
	if got := exportCells(t, dbPath); got != exportCells(t, ref) {
		t.Errorf("export changed by a crawl of an unchanged portal:\n%s", lineDiff(got, exportCells(t, ref)))
	}
	t.Logf("%d kills; reference crawl downloaded %d bodies, the crashed ones %d in all", len(stops)+4, refBodies, before-refBodies)
}

func mustReadConfig(t *testing.T, path, db string) *Config {
	t.Helper()
	cfg, err := ReadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DB = db
	return cfg
}

// killChild starts a crawl child on db and SIGKILLs it when it reports
// having stopped at stop, or after wait when stop is "". It returns the
// child's "stopped …" line ("" when it was killed by time or finished
// first).
func killChild(t *testing.T, cfgPath, db, stop string, wait time.Duration) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=crawl", "NIANBAO_CHILD_CONFIG="+cfgPath, "NIANBAO_CHILD_DB="+db, "NIANBAO_CHILD_STOP="+stop)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "stopped ") {
				lines <- sc.Text()
				break
			}
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var timer <-chan time.Time
	if stop == "" {
		timer = time.After(wait)
	}
	line := ""
	select {
	case l, ok := <-lines:
		if ok {
			line = l
		}
	case <-timer:
	case <-time.After(2 * time.Minute):
		t.Errorf("child %q: no stop after 2 minutes", stop)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	err = cmd.Wait()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled():
	case err == nil:
		// Finished before the kill: a complete crawl.
	default:
		t.Fatalf("child %q: %v\n%s", stop, err, stderr.String())
	}
	return line
}

// exportCells is the tidy CSV export of db without its fetched_at column,
// which differs between two crawls of the same bytes.
func exportCells(t *testing.T, db string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"export", "--db", db}, &out, &errOut); err != nil {
		t.Fatalf("export %s: %v\n%s", db, err, errOut.String())
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(recs[0], "fetched_at")
	if col < 0 {
		t.Fatalf("export has no fetched_at column: %v", recs[0])
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	for _, r := range recs {
		_ = w.Write(slices.Delete(slices.Clone(r), col, col+1))
	}
	w.Flush()
	return b.String()
}

// lineDiff shows the first line where got and want differ.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d (of %d and %d):\n got %s\nwant %s", i+1, len(g), len(w), gl, wl)
		}
	}
	return "no difference"
}

// versionCounts maps "agency year" to the number of stored versions.
func versionCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := map[string]int{}
	if err := db.ForEachReport(context.Background(), store.Filter{LatestOnly: true}, func(r *store.ReportRecord) error {
		m[fmt.Sprintf("%s %d", r.Agency, r.Year)] = r.Count
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

func mapDiff(got, want map[string]int) []string {
	var d []string
	for k, v := range got {
		if want[k] != v {
			d = append(d, fmt.Sprintf("%s: %d versions, want %d", k, v, want[k]))
		}
	}
	for k, v := range want {
		if _, ok := got[k]; !ok {
			d = append(d, fmt.Sprintf("%s: missing (want %d versions)", k, v))
		}
	}
	slices.Sort(d)
	return d
}

// checkArchive requires store.Check to find nothing.
func checkArchive(t *testing.T, path string) {
	t.Helper()
	db, err := store.Open(path, &store.Options{SnapshotInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	probs, err := db.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Errorf("check: %s", p)
	}
}
