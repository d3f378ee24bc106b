package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParseFiles runs 'nianbao parse --format csv' over 100 real
// report pages (the five HTML fixtures of 136–263 KB, twenty times each)
// and reports pages/s and MB/s. With -cpu 1,2 it shows what the workers
// gain on two cores (issue 11: at least 1.8×):
//
//	go test ./cmd/nianbao -run '^$' -bench ParseFiles -cpu 1,2 -benchtime 5x
func BenchmarkParseFiles(b *testing.B) {
	pages, err := filepath.Glob(filepath.Join("..", "..", "parser", "testdata", "*.html"))
	if err != nil || len(pages) == 0 {
		b.Fatalf("no HTML fixtures: %v", err)
	}
	var args []string
	var size int64
	for range 20 {
		for _, p := range pages {
			fi, err := os.Stat(p)
			if err != nil {
				b.Fatal(err)
			}
			size += fi.Size()
			args = append(args, p)
		}
	}
	// The files are read once so that the first iteration does not
	// measure the disk.
	for _, p := range pages {
		if _, err := os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		if err := run(context.Background(), append([]string{"parse", "--format", "csv"}, args...), io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(args)*b.N)/b.Elapsed().Seconds(), "pages/s")
}
