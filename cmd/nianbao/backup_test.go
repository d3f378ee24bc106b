package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nianbao/store"
)

func TestBackup(t *testing.T) {
	path := reparseArchive(t)
	out := filepath.Join(t.TempDir(), "copy.db")
	code, stdout, errOut := runNianbao(t, "backup", "--db", path, out)
	if code != 0 || !strings.HasPrefix(stdout, "wrote "+out+": ") {
		t.Fatalf("backup: exit %d\n%s%s", code, stdout, errOut)
	}
	// The copy is a complete archive.
	code, ls, _ := runNianbao(t, "ls", "--db", out)
	if code != 0 || !strings.HasSuffix(ls, "1 reports, 2 versions\n") {
		t.Errorf("ls of the backup:\n%s", ls)
	}
	if _, err := os.Stat(out + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind: %v", err)
	}
}

func TestBackup_DuringCrawl(t *testing.T) {
	path := reparseArchive(t)
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.WriteSnapshot(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "copy.db")
	code, _, errOut := runNianbao(t, "backup", "--db", path, out)
	if code != 0 || !strings.Contains(errOut, "backing up its snapshot of") {
		t.Errorf("backup during a crawl: exit %d: %s", code, errOut)
	}
	code, _, errOut = runNianbao(t, "backup", "--no-snapshot", "--db", path, out)
	if code != exitLocked {
		t.Errorf("backup --no-snapshot during a crawl: exit %d; want %d", code, exitLocked)
	}
}

func TestBackup_Usage(t *testing.T) {
	path := reparseArchive(t)
	for _, args := range [][]string{{"backup", "--db", path}, {"backup", "--db", path, "a", "b"}, {"backup", "--db", path, path}} {
		if code, _, _ := runNianbao(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d; want 2", args, code)
		}
	}
}
