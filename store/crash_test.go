package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// childCrashWriter writes to the database in a loop, as a crawl does
// (captures, reports, URL states, queue), until it is killed. It prints
// "ready" after its first commit.
func childCrashWriter(path string) int {
	db, err := Open(path, &Options{Timeout: 5 * time.Second, SnapshotInterval: 150 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 1
	}
	pages := fixturePagesOrExit()
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	ready := false
	for i := 0; ; i++ {
		run, err := db.BeginRun([]string{"pingtan"})
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		items := make([]CaptureItem, 8)
		var states []URLState
		var urls []string
		for j := range items {
			url := fmt.Sprintf("https://www.pingtan.gov.cn/zwgk/%d/%d.html", rng.IntN(1000), rng.IntN(1000))
			items[j] = CaptureItem{Capture: Capture{URL: url, Status: 200, ContentType: "text/html", FetchedAt: time.Now(), RunID: run}, Body: variedPage(pages, rng)}
			states = append(states, URLState{URL: url, Site: "pingtan", LastStatus: 200, LastFetched: time.Now()})
			urls = append(urls, url)
		}
		if _, err := db.PutCaptures(items); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		for j, it := range items {
			r := syntheticReport(fmt.Sprintf("平潭综合实验区测试局%02d", rng.IntN(20)), 2019+rng.IntN(6), rng)
			s := sha(string(it.Body))
			states[j].SHA256 = s
			if _, err := db.PutReport(r, []string{s}, run); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				return 1
			}
		}
		if err := db.SetURLStates(states); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		if _, err := db.Enqueue("pingtan", urls...); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		for _, u := range urls[:4] {
			if err := db.Done("pingtan", u); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				return 1
			}
		}
		if i%5 == 4 {
			if err := db.FinishRun(Run{ID: run, Counts: Counts{PagesFetched: 8}}); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				return 1
			}
		}
		if !ready {
			fmt.Println("ready")
			ready = true
		}
	}
}

func fixturePagesOrExit() [][]byte {
	pages, err := loadPages()
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	return pages
}

// TestDB_CrashConsistency kills a writing child process with SIGKILL at
// random points, 20 times, and checks after each kill that the database
// opens and holds only whole records.
func TestDB_CrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the test binary 20 times")
	}
	path := filepath.Join(t.TempDir(), "nianbao.db")
	rng := rand.New(rand.NewPCG(1, 2))
	prevCaptures := 0
	for i := range 20 {
		child, _ := startChild(t, "crash", path)
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		if err := child.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := child.Wait()
		var ee interface{ Sys() any }
		if !errors.As(err, &ee) {
			t.Fatalf("kill %d: child ended with %v; want killed", i, err)
		}
		n := verifyWhole(t, path)
		if n < prevCaptures {
			t.Fatalf("kill %d: %d captures after reopen, fewer than the %d before", i, n, prevCaptures)
		}
		t.Logf("kill %d: reopened, %d captures, all whole", i, n)
		prevCaptures = n
	}
}

// verifyWhole reopens the database read-write, as the next crawl would,
// runs bbolt's consistency check, and decodes every record: every body
// must hash to its key, every report version must decode and point to
// stored captures, the queue and its index must agree. It returns the
// number of captures.
func verifyWhole(t *testing.T, path string) int {
	t.Helper()
	db, err := Open(path, &Options{Timeout: 2 * time.Second, SnapshotInterval: -1})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	if err := db.bolt.View(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() { // drain: Check's goroutine reads the tx
			first = cmp.Or(first, err)
		}
		if first != nil {
			return first
		}
		q, idx := tx.Bucket(bucketQueue).Stats().KeyN, tx.Bucket(bucketQueued).Stats().KeyN
		if q != idx {
			return fmt.Errorf("queue has %d entries, its index %d", q, idx)
		}
		return nil
	}); err != nil {
		t.Fatalf("bbolt check: %v", err)
	}
	ctx := context.Background()
	n := 0
	if err := db.Captures(ctx, func(c Capture) error {
		body, err := db.CaptureBody(c.SHA256) // verifies the hash
		if err != nil {
			return err
		}
		if int64(len(body)) != c.Size {
			return fmt.Errorf("capture %s: %d bytes, provenance says %d", c.SHA256, len(body), c.Size)
		}
		n++
		return nil
	}); err != nil {
		t.Fatalf("captures: %v", err)
	}
	if err := db.ForEachReport(ctx, Filter{}, func(r *ReportRecord) error {
		if len(r.Versions) != r.Count || r.Count == 0 {
			return fmt.Errorf("report %s %d: %d versions loaded, count %d", r.Agency, r.Year, len(r.Versions), r.Count)
		}
		for i, v := range r.Versions {
			if v.N != i+1 || v.Report == nil || len(v.Report.Cells) != syntheticCells || v.Digest != CellsDigest(v.Report) {
				return fmt.Errorf("report %s %d version %d (at %d): not whole", r.Agency, r.Year, v.N, i)
			}
			for _, c := range v.Captures {
				if ok, err := db.HasCapture(c); err != nil || !ok {
					return fmt.Errorf("report %s %d version %d: capture %s missing", r.Agency, r.Year, v.N, c)
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("reports: %v", err)
	}
	if err := db.Runs(ctx, func(Run) error { return nil }); err != nil {
		t.Fatalf("runs: %v", err)
	}
	if err := db.ForEachURL(ctx, func(URLState) error { return nil }); err != nil {
		t.Fatalf("url states: %v", err)
	}
	if _, err := db.Pending("pingtan"); err != nil {
		t.Fatalf("pending: %v", err)
	}
	// The snapshot, if the child got to write one, must be whole too.
	if _, err := os.Stat(SnapshotPath(path)); err == nil {
		snap, err := Open(SnapshotPath(path), &Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("open snapshot: %v", err)
		}
		if err := snap.Captures(ctx, func(c Capture) error { _, err := snap.CaptureBody(c.SHA256); return err }); err != nil {
			t.Fatalf("snapshot captures: %v", err)
		}
		snap.Close()
	}
	return n
}
