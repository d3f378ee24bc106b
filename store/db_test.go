package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// childEnv selects a child-process role when the test binary re-executes
// itself (lock and crash tests).
const childEnv = "NIANBAO_STORE_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "hold":
		os.Exit(childHold(os.Getenv("NIANBAO_STORE_DB")))
	case "crash":
		os.Exit(childCrashWriter(os.Getenv("NIANBAO_STORE_DB")))
	default:
		fmt.Fprintln(os.Stderr, "unknown child role")
		os.Exit(2)
	}
}

// childHold opens the database read-write, stores one capture, refreshes
// the snapshot, prints "ready", and holds the file until stdin closes.
func childHold(path string) int {
	db, err := Open(path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 1
	}
	if _, err := db.PutCapture(testCapture("https://example.gov.cn/held.html", 200), []byte("held by the child")); err != nil {
		fmt.Fprintln(os.Stderr, "child put:", err)
		return 1
	}
	if err := db.WriteSnapshot(); err != nil {
		fmt.Fprintln(os.Stderr, "child snapshot:", err)
		return 1
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	if err := db.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "child close:", err)
		return 1
	}
	return 0
}

// startChild re-executes the test binary in role with the database path
// and waits for its "ready" line.
func startChild(t *testing.T, role, path string) (*exec.Cmd, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+role, "NIANBAO_STORE_DB="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child %s: got %q, %v; stderr: %s", role, line, err, stderr.String())
	}
	release := func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %s: %v; stderr: %s", role, err, stderr.String())
		}
	}
	return cmd, release
}

func TestOpen_LockedByOtherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nianbao.db")
	child, release := startChild(t, "hold", path)
	defer release()
	pid := child.Process.Pid

	t.Run("ReadWrite", func(t *testing.T) {
		start := time.Now()
		db, err := Open(path, &Options{Timeout: 500 * time.Millisecond})
		took := time.Since(start)
		if err == nil {
			db.Close()
			t.Fatal("Open succeeded while another process holds the database")
		}
		if !errors.Is(err, ErrLocked) || !errors.Is(err, bolt.ErrTimeout) {
			t.Fatalf("err = %v; want ErrLocked wrapping bolt.ErrTimeout", err)
		}
		var le *LockedError
		if !errors.As(err, &le) || le.PID != pid {
			t.Fatalf("err = %#v; want *LockedError with PID %d", err, pid)
		}
		want := fmt.Sprintf("database is in use by another nianbao process (pid %d)", pid)
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not contain %q", err, want)
		}
		if took < 400*time.Millisecond || took > 3*time.Second {
			t.Errorf("Open returned after %v; want about the 500ms timeout", took)
		}
	})

	t.Run("ReadOnlyFallsBackToSnapshot", func(t *testing.T) {
		start := time.Now()
		db, err := Open(path, &Options{Timeout: 10 * time.Second, ReadOnly: true})
		if err != nil {
			t.Fatalf("read-only Open: %v", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("read-only Open took %v; want the snapshot without waiting out the 10 s timeout", took)
		}
		defer db.Close()
		snap := db.FromSnapshot()
		if snap == nil || snap.HolderPID != pid || snap.Path != SnapshotPath(path) {
			t.Fatalf("FromSnapshot = %+v; want snapshot %s held by pid %d", snap, SnapshotPath(path), pid)
		}
		var urls []string
		if err := db.Captures(context.Background(), func(c Capture) error { urls = append(urls, c.URL); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(urls) != 1 || urls[0] != "https://example.gov.cn/held.html" {
			t.Errorf("snapshot captures = %q; want the child's one capture", urls)
		}
		if _, err := db.PutCapture(testCapture("x", 200), []byte("x")); !errors.Is(err, ErrReadOnly) {
			t.Errorf("PutCapture on snapshot: err = %v; want ErrReadOnly", err)
		}
	})

	t.Run("ReadOnlyNoFallback", func(t *testing.T) {
		_, err := Open(path, &Options{Timeout: 200 * time.Millisecond, ReadOnly: true, NoSnapshotFallback: true})
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("err = %v; want ErrLocked", err)
		}
	})
}

// bbolt's flock is per open file description, so a second Open in the same
// process is refused too (and names this process).
func TestOpen_LockedInProcess(t *testing.T) {
	_, path := mustOpen(t, nil)
	_, err := Open(path, &Options{Timeout: 200 * time.Millisecond})
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("second Open: err = %v; want *LockedError with our pid %d", err, os.Getpid())
	}
}

func TestOpen_PIDFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "nianbao.db")
	db, err := Open(path, &Options{SnapshotInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(PIDPath(path))
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("pid file = %q, %v; want our pid", b, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(PIDPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file after Close: %v; want removed", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := db.Capture(strings.Repeat("0", 64)); !errors.Is(err, ErrClosed) {
		t.Errorf("Capture after Close: %v; want ErrClosed", err)
	}
}

func TestOpen_SchemaTooNew(t *testing.T) {
	db, path := mustOpen(t, nil)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyMetaSchema, []byte(strconv.Itoa(SchemaVersion+1)))
	})
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{false, true} {
		_, err := Open(path, &Options{ReadOnly: ro, SnapshotInterval: -1})
		var se *SchemaError
		if !errors.Is(err, ErrSchemaTooNew) || !errors.As(err, &se) || se.Have != SchemaVersion+1 || se.Want != SchemaVersion {
			t.Fatalf("ReadOnly=%v: err = %v; want *SchemaError %d > %d", ro, err, SchemaVersion+1, SchemaVersion)
		}
		want := fmt.Sprintf("database schema version %d is newer than this nianbao understands (%d)", SchemaVersion+1, SchemaVersion)
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("message %q; want the path and %q", err, want)
		}
	}
}

func TestOpen_ForeignBoltFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("colly")); return err }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if _, err := Open(path, &Options{SnapshotInterval: -1}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open(foreign bbolt file): err = %v; want ErrCorrupt", err)
	}
}

func TestDB_Persistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nianbao.db")
	db := mustOpenPath(t, path, nil)
	body := []byte("<html>2023年政府信息公开工作年度报告</html>")
	if _, err := db.PutCapture(testCapture("https://a.gov.cn/1.html", 200), body); err != nil {
		t.Fatal(err)
	}
	r := truthReport(t)
	if _, err := db.PutReport(r, nil, "run-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Enqueue("pingtan", "https://a.gov.cn/2.html", "https://a.gov.cn/3.html"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = mustOpenPath(t, path, &Options{ReadOnly: true})
	caps := 0
	if err := db.Captures(context.Background(), func(c Capture) error {
		caps++
		got, err := db.CaptureBody(c.SHA256)
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("CaptureBody after reopen = %q, %v", got, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if caps != 1 {
		t.Errorf("captures after reopen = %d; want 1", caps)
	}
	rec, err := db.Report(r.Agency, r.Year)
	if err != nil || rec.Count != 1 || len(rec.Latest().Report.Cells) != len(r.Cells) {
		t.Errorf("Report after reopen = %+v, %v", rec, err)
	}
	pend, err := db.Pending("pingtan")
	if err != nil || len(pend) != 2 {
		t.Errorf("Pending after reopen = %q, %v; want 2 URLs", pend, err)
	}
}

func TestDB_BackupFile(t *testing.T) {
	db, path := mustOpen(t, nil)
	pages := fixturePages(t)
	for i, p := range pages {
		if _, err := db.PutCapture(testCapture(fmt.Sprintf("https://a.gov.cn/%d.html", i), 200), p); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(filepath.Dir(path), "backup.db")
	n, err := db.BackupFile(out)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Size() != n {
		t.Fatalf("backup file size = %v, %v; want %d", fi, err, n)
	}
	// The backup is written while db stays open and writable.
	if _, err := db.PutCapture(testCapture("https://a.gov.cn/after.html", 200), []byte("after backup")); err != nil {
		t.Fatal(err)
	}
	bk := mustOpenPath(t, out, &Options{ReadOnly: true})
	got := 0
	if err := bk.Captures(context.Background(), func(c Capture) error {
		got++
		_, err := bk.CaptureBody(c.SHA256)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got != len(pages) {
		t.Errorf("backup holds %d captures; want %d", got, len(pages))
	}
}

func TestDB_SnapshotRefreshedOnFinishRunAndClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nianbao.db")
	db, err := Open(path, &Options{SnapshotInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	id, err := db.BeginRun([]string{"pingtan"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(Run{ID: id, Counts: Counts{PagesFetched: 3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(SnapshotPath(path)); err != nil {
		t.Fatalf("no snapshot after FinishRun: %v", err)
	}
	if _, err := db.PutCapture(testCapture("https://a.gov.cn/x", 200), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	snap := mustOpenPath(t, SnapshotPath(path), &Options{ReadOnly: true})
	if ok, err := snap.HasCapture(sha("x")); err != nil || !ok {
		t.Errorf("snapshot after Close lacks the last capture: %v %v", ok, err)
	}
}
