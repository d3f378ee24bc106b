package parser

import (
	"os"
	"testing"
)

// BenchmarkParse_HTML parses, normalises and checks real report pages
// (120–250 KB of HTML each, larger than the typical 50–100 KB page) and
// reports reports/s on one core: go test ./parser -bench Parse_HTML -cpu 1
func BenchmarkParse_HTML(b *testing.B) {
	for _, name := range []string{"pingtan-xingzhengshenpiju-2023", "pingtan-shichangjianguanju-2024", "pingtan-shichangjianguanju-2020"} {
		body, err := os.ReadFile("testdata/" + name + ".html")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := Parse(body, Source{URL: name})
				if err != nil || len(r.Cells) < 190 {
					b.Fatalf("parse: %v, %d cells", err, len(r.Cells))
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
		})
	}
}

// BenchmarkParse_Text parses the seed, a flattened text report.
func BenchmarkParse_Text(b *testing.B) {
	body, err := os.ReadFile("testdata/zhanjiang-sifaju-2025.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(body, Source{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}

// BenchmarkParse_HTMLTablesOnly parses a 6 KB page that holds the three
// tables of a full 2021 report and nothing else: the parser's fixed cost
// per report, to which a real page adds its bytes.
func BenchmarkParse_HTMLTablesOnly(b *testing.B) {
	page := []byte(tableHTML(variant{}))
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if r, err := Parse(page, Source{}); err != nil || len(r.Cells) != 200 {
			b.Fatalf("parse: %v, %d cells", err, len(r.Cells))
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}

// BenchmarkOutline reads the outline (sections, section 五, prose
// fingerprint) of a real 211 KB page from its extracted lines: the cost
// that outlines add to Parse.
func BenchmarkOutline(b *testing.B) {
	body, err := os.ReadFile("testdata/pingtan-shichangjianguanju-2024.html")
	if err != nil {
		b.Fatal(err)
	}
	doc, err := extractHTML(decode(body, ""), newDeadline(0))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if o := readOutline(doc); o == nil || o.Shingles < 1000 {
			b.Fatalf("outline %+v", o)
		}
	}
}
