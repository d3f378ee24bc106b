package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"nianbao/store"
)

const backupHelp = `Usage: nianbao backup [--db PATH] OUT

Writes a consistent copy of the archive to OUT (written to OUT.tmp, synced,
then renamed), from one read transaction (bbolt's Tx.WriteTo). The copy is
an ordinary archive: use it with --db, or copy it back in place.

When no crawl is running the database itself is copied. While a crawl in
another process holds it, the crawl's snapshot is copied instead (taken
after each run, every two minutes during one, and when the crawl ends) and
a note on stderr says how old it is; use --no-snapshot to fail instead.

Exit status: 0 written; 1 failure (database missing, write error); 2 usage
error; 4 database locked by another process (with --no-snapshot, or when
there is no snapshot).
`

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", DefaultConfig().DB, "archive `PATH`")
	noSnap := fs.Bool("no-snapshot", false, "fail (exit 4) instead of copying a running crawl's snapshot")
	fs.Usage = func() { fmt.Fprint(stderr, backupHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{msg: "backup needs exactly one OUT file"}
	}
	out := fs.Arg(0)
	if _, err := os.Stat(*dbPath); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup %s: no such file (give --db)", *dbPath)
	}
	if same(out, *dbPath) || same(out, store.SnapshotPath(*dbPath)) {
		return usageError{msg: fmt.Sprintf("OUT %s is the database or its snapshot", out)}
	}
	db, err := store.Open(*dbPath, &store.Options{ReadOnly: true, NoSnapshotFallback: *noSnap})
	if err != nil {
		return err
	}
	defer db.Close()
	if s := db.FromSnapshot(); s != nil {
		fmt.Fprintf(stderr, "nianbao: a crawl holds %s (pid %d); backing up its snapshot of %s\n",
			*dbPath, s.HolderPID, s.Taken.Format(time.RFC3339))
	}
	start := time.Now()
	n, err := db.BackupFile(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d bytes in %s\n", out, n, time.Since(start).Round(time.Millisecond))
	return nil
}

// same reports whether paths a and b name the same existing file.
func same(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}
