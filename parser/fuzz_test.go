package parser

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse: hostile input never panics, and a parse either fails with an
// error or yields a report whose cells all carry canonical IDs and values.
func FuzzParse(f *testing.F) {
	for _, in := range goldenInputs(f) {
		b, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 8<<10 {
			b = b[:8<<10] // keep the corpus small so mutation stays fast
		}
		f.Add(b)
	}
	f.Add([]byte(tableHTML(variant{subtotal: true, groupRows: true})))
	f.Add([]byte(`<table><tr><td rowspan=99999 colspan=99999>1</td></tr></table>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b, Source{URL: "fuzz"})
		if err != nil {
			return
		}
		valid := map[string]bool{}
		for _, f := range []Format{Format2021, Format2019} {
			for _, table := range Tables {
				for _, row := range Rows(table, f) {
					for _, col := range row.Columns {
						valid[table+"/"+row.ID+"/"+col] = true
					}
				}
			}
		}
		valid["t3/other/total"] = true
		for _, c := range r.Cells {
			if !valid[c.Table+"/"+c.Row+"/"+strings.TrimSpace(c.Column)] && !(c.Table == "t3" && c.Row == "other") {
				t.Fatalf("cell with unknown ID %s", c.ID())
			}
			if c.Value != "" && !reNumber.MatchString(c.Value) {
				t.Fatalf("cell %s value %q is not a canonical number", c.ID(), c.Value)
			}
		}
		if r.NoTables != "" && len(r.Cells) != 0 {
			t.Fatalf("NoTables %q with %d cells", r.NoTables, len(r.Cells))
		}
	})
}
