package crawler

import (
	"os"
	"path/filepath"
	"testing"
)

// realPagesGlob names the real report pages the crawler's tests and
// benchmarks read: the five 平潭 pages of ../shared/fixtures/html, kept in
// the repository beside the parser's goldens (136–264 KB each, both
// templates). Relative to this package's directory, so it holds in any
// clone.
const realPagesGlob = "../parser/testdata/pingtan-*.html"

// realPages returns the real report pages, read from realPagesGlob. A
// missing page fails the test or benchmark: nothing else is substituted,
// so a figure measured on them always means these pages.
func realPages(tb testing.TB) (names []string, pages [][]byte) {
	tb.Helper()
	files, err := filepath.Glob(realPagesGlob)
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) < 5 {
		tb.Fatalf("real report pages %s: found %d, want the 5 平潭 pages (copied from ../shared/fixtures/html)", realPagesGlob, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatalf("read real report page: %v", err)
		}
		names = append(names, filepath.Base(f))
		pages = append(pages, data)
	}
	return names, pages
}
