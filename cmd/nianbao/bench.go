package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const benchHelp = `Usage: nianbao bench [--reports N] [--db PATH] [--generate-only] [--keep]

Measures this nianbao on a generated archive of N reports (default 100000),
so that the performance figures of the README can be checked on any
machine without the source or a Go toolchain.

The archive is made from the real 湛江市司法局 2025 report bundled for
'nianbao demo': report i belongs to agency 生成市第NNNNN局 (NNNNN = i/5,
five consecutive years 2021–2025 each), its numbers are scaled by 1+i%11
(sums stay sums), and it is parsed by this build's parser and stored as a
crawl would store it: the page as a capture, the report as its version 1.
About 12 KB of archive per report; 10^5 reports take a few minutes to
generate on two cores. An existing PATH is reused as it is (delete it to
generate again).

Then each command runs as a child process of this binary, one after the
other, and is reported with its wall time, CPU time (user + system), peak
RSS (as /usr/bin/time -v reports it: it counts the archive's pages mapped
into memory) and peak anonymous memory (RssAnon, sampled every 10 ms: the
heap and stacks, without the mapped file):

  ls --db PATH
  ls --db PATH --agency A               (A: an agency in the middle)
  diff --db PATH --agency A --from 2024 --to 2025
  export --db PATH --out PATH.csv
  export --db PATH --format parquet --out PATH.parquet
  reparse --db PATH                     (writes a run record; numbers unchanged)

The exports are deleted afterwards unless --keep is given. Peak anonymous
memory is measured on Linux only ("-" elsewhere).

Exit status: 0 measured; 1 failure (a command failed, disk full); 2 usage
error; 130 interrupted (a partly generated archive is removed).
`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("reports", 100000, "generate `N` reports")
	dbPath := fs.String("db", "", "archive `PATH` (default nianbao-bench-N.db in the current directory)")
	genOnly := fs.Bool("generate-only", false, "generate the archive and measure nothing")
	keep := fs.Bool("keep", false, "keep the exported files")
	fs.Usage = func() { fmt.Fprint(stderr, benchHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "bench takes only flags"}
	}
	if *n < 1 {
		return usageError{msg: fmt.Sprintf("bad --reports %d", *n), hint: "give 1 or more"}
	}
	path := *dbPath
	if path == "" {
		path = fmt.Sprintf("nianbao-bench-%d.db", *n)
	}

	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "generating %d reports into %s\n", *n, path)
		start := time.Now()
		last := start
		err := generateArchive(ctx, path, *n, func(stored int) {
			if time.Since(last) >= 5*time.Second || stored == *n {
				last = time.Now()
				el := time.Since(start)
				fmt.Fprintf(stderr, "  %d reports (%.0f/s)\n", stored, float64(stored)/el.Seconds())
			}
		})
		if err != nil {
			return err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "generated %s: %d reports in %s, %.1f MB (%.0f bytes per report)\n", path, *n,
			time.Since(start).Round(100*time.Millisecond), float64(fi.Size())/1e6, float64(fi.Size())/float64(*n))
	} else if err != nil {
		return err
	} else {
		fi, _ := os.Stat(path)
		fmt.Fprintf(stdout, "using %s (%.1f MB); its reports are assumed to be those of --reports %d\n", path, float64(fi.Size())/1e6, *n)
	}
	if *genOnly {
		return nil
	}

	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find this program: %w", err)
	}
	agency := benchAgencyName((*n - 1) / benchYears / 2)
	csvOut, pqOut := path+".csv", path+".parquet"
	if !*keep {
		defer os.Remove(csvOut)
		defer os.Remove(pqOut)
	}
	cmds := [][]string{
		{"ls", "--db", path},
		{"ls", "--db", path, "--agency", agency},
		{"diff", "--db", path, "--agency", agency, "--from", "2024", "--to", "2025"},
		{"export", "--db", path, "--out", csvOut},
		{"export", "--db", path, "--format", "parquet", "--out", pqOut},
		{"reparse", "--db", path},
	}
	fmt.Fprintf(stdout, "\n| command | wall | CPU | peak RSS | peak anon | output |\n|---|---|---|---|---|---|\n")
	for _, args := range cmds {
		m, err := measure(ctx, self, args)
		if err != nil {
			return err
		}
		out := fmt.Sprintf("%.1f MB", float64(m.stdout)/1e6)
		for _, a := range args {
			if a == csvOut || a == pqOut {
				if fi, err := os.Stat(a); err == nil {
					out = fmt.Sprintf("%.1f MB file", float64(fi.Size())/1e6)
				}
			}
		}
		fmt.Fprintf(stdout, "| `nianbao %s` | %.2f s | %.2f s | %s | %s | %s |\n", strings.Join(args, " "),
			m.wall.Seconds(), m.cpu.Seconds(), mb(m.maxRSS), mb(m.peakAnon), out)
	}
	return nil
}

// measured is what one child command cost.
type measured struct {
	wall, cpu        time.Duration
	maxRSS, peakAnon int64 // bytes; -1 when unknown
	stdout           int64 // bytes written to standard output
}

// measure runs this program with args as a child process and measures it.
// The child's standard output is counted and discarded; its standard error
// is kept for the error message if it fails.
func measure(ctx context.Context, self string, args []string) (measured, error) {
	cmd := exec.CommandContext(ctx, self, args...)
	var count countWriter
	var errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &count, &errOut
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return measured{}, fmt.Errorf("bench: start %s: %w", args[0], err)
	}
	stop := make(chan struct{})
	anon := make(chan int64, 1)
	go func() { anon <- samplePeakAnon(cmd.Process.Pid, stop) }()
	err := cmd.Wait()
	m := measured{wall: time.Since(start), stdout: count.n}
	close(stop)
	m.peakAnon = <-anon
	if err != nil {
		return m, fmt.Errorf("bench: nianbao %s: %w\n%s", strings.Join(args, " "), err, errOut.String())
	}
	m.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	m.maxRSS = maxRSS(cmd.ProcessState)
	return m, nil
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

func mb(b int64) string {
	if b < 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 0, 64) + " MB"
}

// samplePeakAnon reads the RssAnon of process pid from /proc every 10 ms
// until stop is closed and returns the largest value in bytes, or -1 when
// /proc is not there (not Linux).
func samplePeakAnon(pid int, stop <-chan struct{}) int64 {
	status := filepath.Join("/proc", strconv.Itoa(pid), "status")
	peak := int64(-1)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(status); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(l, "RssAnon:"); ok {
					if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil {
						peak = max(peak, kb<<10)
					}
				}
			}
		}
		select {
		case <-stop:
			return peak
		case <-t.C:
		}
	}
}
