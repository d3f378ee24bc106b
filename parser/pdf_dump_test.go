package parser

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestPDFDump prints the lines the PDF extractor builds from the file named
// by $PDF_DUMP, for eyeballing: go test ./parser -run PDFDump -v
// (PDF_CACHE names an engine cache directory).
func TestPDFDump(t *testing.T) {
	path := os.Getenv("PDF_DUMP")
	if path == "" {
		t.Skip("PDF_DUMP not set")
	}
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := New(Options{PDFCacheDir: os.Getenv("PDF_CACHE")})
	defer p.Close()
	doc, err := p.extractPDF(body, Source{URL: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("META %+v noTables=%q\n", doc.meta, doc.noTables)
	for _, ln := range doc.lines {
		var parts []string
		for _, c := range ln.cells {
			s := c.text
			if c.mergedFrom >= 0 {
				s = fmt.Sprintf("^%d", c.mergedFrom)
			} else if c.empty {
				s = "∅"
			}
			parts = append(parts, fmt.Sprintf("%d:%s", c.id, s))
		}
		tag := "T"
		if ln.table {
			tag = "#"
		}
		fmt.Println(tag, strings.Join(parts, " | "))
	}
}
