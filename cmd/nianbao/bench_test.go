package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBench_MeasuresEveryCommand runs 'nianbao bench' on 40 generated
// reports: it generates the archive, runs each measured command as a child
// process (this test binary standing in for nianbao, see TestMain) and
// prints one row per command with its time and memory; a second run reuses
// the archive.
func TestBench_MeasuresEveryCommand(t *testing.T) {
	t.Setenv("NIANBAO_TEST_MAIN", "1")
	db := filepath.Join(t.TempDir(), "bench.db")
	out, errOut, err := runCmd(t, "bench", "--reports", "40", "--db", db)
	if err != nil {
		t.Fatalf("bench: %v\n%s\n%s", err, out, errOut)
	}
	if !regexp.MustCompile(`generated .*bench\.db: 40 reports in [0-9.]+m?s, [0-9.]+ MB`).MatchString(out) {
		t.Errorf("no generation line:\n%s", out)
	}
	// Agency 3 of 0–7 is the one in the middle.
	agency := benchAgencyName(3)
	row := regexp.MustCompile("(?m)^\\| `nianbao ([^`]+)` \\| [0-9]+\\.[0-9]{2} s \\| [0-9]+\\.[0-9]{2} s \\| [0-9]+ MB \\| ([0-9]+ MB|-) \\| [0-9.]+ MB( file)? \\|$")
	var cmds []string
	for _, m := range row.FindAllStringSubmatch(out, -1) {
		cmds = append(cmds, strings.ReplaceAll(m[1], db, "DB"))
	}
	want := []string{"ls --db DB", "ls --db DB --agency " + agency, "diff --db DB --agency " + agency + " --from 2024 --to 2025",
		"export --db DB --out DB.csv", "export --db DB --format parquet --out DB.parquet", "reparse --db DB"}
	if strings.Join(cmds, "\n") != strings.Join(want, "\n") {
		t.Errorf("measured:\n%s\nwant:\n%s\noutput:\n%s", strings.Join(cmds, "\n"), strings.Join(want, "\n"), out)
	}
	for _, f := range []string{db + ".csv", db + ".parquet"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s left behind without --keep", f)
		}
	}
	// The archive is reused; reparse found every report unchanged, so ls
	// still lists 40.
	out, _, err = runCmd(t, "bench", "--reports", "40", "--db", db, "--generate-only")
	if err != nil || !strings.Contains(out, "using "+db) {
		t.Errorf("second run: %v\n%s", err, out)
	}
	if out, _, err := runCmd(t, "ls", "--db", db); err != nil || !strings.Contains(out, "40 reports, 40 versions") {
		t.Errorf("ls after bench: %v\n%s", err, out)
	}
}
