package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"nianbao/cmd/nianbao/export"
	"nianbao/parser"
	"nianbao/store"
)

// genReport builds report i of a generated archive: agencies of five
// years each (2020 in the 2019 format, 2021–2024 in the 2021 format), every
// cell of the template printed, values derived from i so that no two
// reports are equal, a few blanks, a decimal fee.
func genReport(i int) *parser.Report {
	year := 2020 + i%5
	f := parser.Format2021
	if year == 2020 {
		f = parser.Format2019
	}
	r := &parser.Report{
		Agency:    fmt.Sprintf("生成市第%05d局", i/5),
		Year:      year,
		Format:    f,
		Published: fmt.Sprintf("%d-01-%02d", year+1, 1+i%28),
		Scope:     parser.ScopeSelf,
		Title:     fmt.Sprintf("生成市第%05d局%d年政府信息公开工作年度报告", i/5, year),
		Input:     "html",
		SourceURL: fmt.Sprintf("https://www.example.gov.cn/gk/nb/%d/%d.html", year+1, i),
		FetchedAt: time.Date(year+1, 2, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339),
		SHA256:    fmt.Sprintf("%064x", i*7919+1),
		Checked:   40,
	}
	n := 0
	for _, t := range parser.Tables {
		for _, row := range parser.Rows(t, f) {
			for _, col := range row.Columns {
				n++
				v := strconv.Itoa((i*31 + n*17) % 97)
				switch {
				case row.ID == "fees" && col == "amount_10k_yuan":
					v = strconv.Itoa(i%9000) + "." + strconv.Itoa(10+i%90)
				case (i+n)%53 == 0:
					v = "" // printed as "/"
				}
				raw := v
				if v == "" {
					raw = "/"
				}
				r.Cells = append(r.Cells, parser.Cell{Table: t, Row: row.ID, Column: col, Value: v, Raw: raw})
			}
		}
	}
	return r
}

// genArchive writes an archive of n generated reports and returns its
// path and the number of cells (tidy rows).
func genArchive(tb testing.TB, dir string, n int) (string, int) {
	tb.Helper()
	path := filepath.Join(dir, fmt.Sprintf("gen-%d.db", n))
	db, err := store.Open(path, &store.Options{NoSync: true, SnapshotInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows := 0
	for i := range n {
		r := genReport(i)
		rows += len(r.Cells)
		if _, err := db.PutReport(r, nil, "bench"); err != nil {
			tb.Fatal(err)
		}
	}
	return path, rows
}

// peakHeap samples the Go heap (live and unswept objects, from
// runtime/metrics, which does not stop the world) every millisecond while
// fn runs and returns the largest value seen, in bytes.
func peakHeap(fn func()) uint64 {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	sample := func() {
		metrics.Read(samples)
		if v := samples[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak.Load()
}

// BenchmarkExport_TidyCSV exports generated archives of 1,000 and 10,000
// reports (about 200 cells each) as tidy CSV to io.Discard, with the GC
// setting runExport uses, and reports rows/s, rows per CPU-second (steadier
// on a shared machine) and the peak Go heap during the export, which stays
// flat as the archive grows. Run:
//
//	go test ./cmd/nianbao -run '^$' -bench ExportTidy -benchtime 3x
func BenchmarkExport_TidyCSV(b *testing.B) {
	dir := b.TempDir()
	for _, n := range benchSizes() {
		path, rows := genArchive(b, dir, n)
		fi, _ := os.Stat(path)
		b.Run(fmt.Sprintf("reports=%d", n), func(b *testing.B) {
			db, err := store.Open(path, &store.Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			o := export.Options{Format: "csv"}
			defer exportGC()() // as runExport does
			var peak uint64
			cpu0 := cpuTime()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				runtime.GC()
				peak = max(peak, peakHeap(func() {
					if err := export.Write(context.Background(), db, o, io.Discard); err != nil {
						b.Fatal(err)
					}
				}))
			}
			el := time.Since(start)
			b.ReportMetric(float64(rows)*float64(b.N)/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
			b.ReportMetric(float64(rows)*float64(b.N)/el.Seconds(), "rows/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(fi.Size())/(1<<20), "db-MB")
		})
	}
}

// benchSizes are the archive sizes benchmarked: 1,000 and 10,000 reports,
// or $NIANBAO_BENCH_REPORTS alone.
func benchSizes() []int {
	if n, err := strconv.Atoi(os.Getenv("NIANBAO_BENCH_REPORTS")); err == nil && n > 0 {
		return []int{n}
	}
	return []int{1000, 10000}
}

// cpuTime returns the CPU time (user + system) this process has used: on a
// shared machine, rows per CPU-second is steadier than rows per second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestGenerateArchive writes a generated archive for measuring the
// nianbao binary itself (peak RSS with /usr/bin/time -v), when
// NIANBAO_GEN_ARCHIVE=PATH and NIANBAO_BENCH_REPORTS=N are set:
//
//	NIANBAO_GEN_ARCHIVE=/tmp/gen NIANBAO_BENCH_REPORTS=10000 go test ./cmd/nianbao -run TestGenerateArchive
//	/usr/bin/time -v nianbao export --db /tmp/gen/gen-10000.db --out /dev/null
func TestGenerateArchive(t *testing.T) {
	dir := os.Getenv("NIANBAO_GEN_ARCHIVE")
	if dir == "" {
		t.Skip("set NIANBAO_GEN_ARCHIVE=DIR (and NIANBAO_BENCH_REPORTS=N) to write a generated archive")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range benchSizes() {
		path, rows := genArchive(t, dir, n)
		t.Logf("%s: %d reports, %d cells", path, n, rows)
	}
}
