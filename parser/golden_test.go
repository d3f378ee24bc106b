package parser

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenInputs are the HTML and text fixtures the golden test ranges over.
func goldenInputs(t testing.TB) []string {
	var files []string
	for _, pat := range []string{"testdata/*.html", "testdata/*.txt"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata")
	}
	return files
}

func parseFile(t testing.TB, path string) *Report {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(body, Source{URL: filepath.Base(path)})
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return r
}

// TestParse_Golden compares the full parse of every fixture with its
// reviewed golden JSON. Run `go test ./parser -update` to rewrite them and
// review the diff like code.
func TestParse_Golden(t *testing.T) {
	for _, in := range goldenInputs(t) {
		name := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
		t.Run(name, func(t *testing.T) {
			r := parseFile(t, in)
			got, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./parser -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s; run go test ./parser -update and review the diff", in, golden)
			}
		})
	}
}

// truth is the hand-transcribed form of fixtures/html/*.truth.json.
type truth struct {
	Agency    string                     `json:"agency"`
	Year      int                        `json:"year"`
	Format    string                     `json:"format"`
	Published string                     `json:"published"`
	Table2    map[string]json.RawMessage `json:"table2"`
	Table3    map[string][]int           `json:"table3"`
	Table4    []int                      `json:"table4"`
}

// TestParse_HTMLTruth checks every real HTML page against the tables
// transcribed by hand, independently of the parser.
func TestParse_HTMLTruth(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.truth.json")
	if len(files) < 5 {
		t.Fatalf("found %d truth files, want 5", len(files))
	}
	for _, tf := range files {
		name := strings.TrimSuffix(filepath.Base(tf), ".truth.json")
		t.Run(name, func(t *testing.T) {
			var tr truth
			b, _ := os.ReadFile(tf)
			if err := json.Unmarshal(b, &tr); err != nil {
				t.Fatal(err)
			}
			r := parseFile(t, filepath.Join("testdata", name+".html"))
			if r.Agency != tr.Agency || r.Year != tr.Year || string(r.Format) != tr.Format || r.Published != tr.Published {
				t.Errorf("identity = %q %d %s %s, want %q %d %s %s", r.Agency, r.Year, r.Format, r.Published, tr.Agency, tr.Year, tr.Format, tr.Published)
			}
			if tr.Format == "legacy" {
				if len(r.Cells) != 0 || r.NoTables == "" {
					t.Errorf("legacy page: %d cells, NoTables %q; want none, with a reason", len(r.Cells), r.NoTables)
				}
				return
			}
			n := 0
			for row, vals := range tr.Table3 {
				for i, v := range vals {
					col := t3Columns[i]
					c, ok := r.Cell("t3", row, col)
					if !ok {
						t.Errorf("t3 %s %s missing", row, col)
						continue
					}
					n++
					if c.MergedWith != "" {
						// One rowspan cell printed for several rows: the truth
						// repeats it per row; the parser counts it once, on
						// the row that printed it.
						origin, _ := r.Cell("t3", c.MergedWith, col)
						if origin.Value != strconv.Itoa(v) {
							t.Errorf("t3 %s %s merged with %s = %q, want %d", row, col, c.MergedWith, origin.Value, v)
						}
						continue
					}
					if c.Value != strconv.Itoa(v) {
						t.Errorf("t3 %s %s = %q, want %d", row, col, c.Value, v)
					}
				}
			}
			for i, v := range tr.Table4 {
				row, col := t4Rows[i/5].ID, t4Columns[i%5]
				if c, _ := r.Cell("t4", row, col); c.Value != strconv.Itoa(v) {
					t.Errorf("t4 %s %s = %q, want %d", row, col, c.Value, v)
				}
				n++
			}
			for row, raw := range tr.Table2 {
				var vals []any
				if string(raw) == "null" {
					for _, c := range r.Cells {
						if c.Table == "t2" && c.Row == row {
							t.Errorf("t2 %s: printed nowhere, parsed %q", row, c.Value)
						}
					}
					continue
				}
				if err := json.Unmarshal(raw, &vals); err != nil {
					var one any
					_ = json.Unmarshal(raw, &one)
					vals = []any{one}
				}
				specRow := row
				if row == "fees_10k_yuan" {
					specRow = "fees"
				}
				var spec RowSpec
				for _, s := range Rows("t2", Format(tr.Format)) {
					if s.ID == specRow {
						spec = s
					}
				}
				for i, v := range vals {
					c, ok := r.Cell("t2", specRow, spec.Columns[i])
					want := ""
					switch v := v.(type) {
					case float64:
						want = strconv.FormatFloat(v, 'f', -1, 64)
					case string:
						want, _ = parseValue(v)
						if c.Raw != v {
							t.Errorf("t2 %s raw = %q, want %q", row, c.Raw, v)
						}
					}
					if !ok || c.Value != want {
						t.Errorf("t2 %s %s = %q, want %s", specRow, spec.Columns[i], c.Value, want)
					}
					n++
				}
			}
			if len(r.Failures) != 0 {
				t.Errorf("failures %v, want none (all identities hold in these pages)", r.Failures)
			}
			t.Logf("%d cells checked against the transcription", n)
		})
	}
}
