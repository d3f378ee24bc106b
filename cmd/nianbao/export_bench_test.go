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
	"nianbao/store"
)

// genArchive writes an archive of n generated reports (the generator of
// 'nianbao bench', benchgen.go) under dir, or reuses the one a previous
// benchmark of this process wrote, and returns its path and the number of
// cells (tidy rows).
func genArchive(tb testing.TB, dir string, n int) (string, int) {
	tb.Helper()
	path := filepath.Join(dir, fmt.Sprintf("gen-%d.db", n))
	if _, err := os.Stat(path); err != nil {
		if err := generateArchive(context.Background(), path, n, nil); err != nil {
			tb.Fatal(err)
		}
	}
	g, err := newBenchGenerator()
	if err != nil {
		tb.Fatal(err)
	}
	return path, n * len(g.base)
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
func BenchmarkExport_TidyCSV(b *testing.B) { benchExport(b, "csv") }

// BenchmarkExport_Parquet is BenchmarkExport_TidyCSV for the Parquet
// export (written to io.Discard: the writer only appends):
//
//	go test ./cmd/nianbao -run '^$' -bench Export_Parquet -benchtime 3x
func BenchmarkExport_Parquet(b *testing.B) { benchExport(b, "parquet") }

func benchExport(b *testing.B, format string) {
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
			o := export.Options{Format: format}
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
