package parser_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nianbao/parser"
	"nianbao/parser/agency"
)

// sharedFixtures is ../shared/fixtures relative to the repository root.
var sharedFixtures = filepath.Join("..", "..", "shared", "fixtures")

// Issue 12: on every real report in ../shared/fixtures the agency, year
// and format are right. The expected organs are those the fixtures'
// README and truth files name; where a report prints a shorter name (洪泽区
// 2023's title page says 洪泽区人民政府), the printed name is kept and must be
// the same organ by agency.Compare.
func TestParse_SharedFixturesIdentity(t *testing.T) {
	type want struct {
		organ   string // as the fixtures' README or truth file names it
		printed string // as the report prints it, when different
		year    int
		format  parser.Format
		from    parser.IdentitySource
	}
	expect := map[string]want{
		"seed/zhanjiang-sifaju-2025.txt":               {"湛江市司法局", "", 2025, parser.Format2021, parser.IdentityHeading},
		"peer/huaian-hongze-2023.pdf":                  {"淮安市洪泽区人民政府", "洪泽区人民政府", 2023, parser.Format2021, parser.IdentityHeading},
		"peer/huaian-hongze-2024.pdf":                  {"淮安市洪泽区人民政府", "", 2024, parser.Format2021, parser.IdentityHeading},
		"peer/huaian-city-2024.pdf":                    {"淮安市人民政府", "", 2024, parser.Format2021, parser.IdentityHeading},
		"peer/huaian-hongze-2023.pdftotext-layout.txt": {"淮安市洪泽区人民政府", "洪泽区人民政府", 2023, parser.Format2021, parser.IdentityHeading},
		"peer/huaian-hongze-2024.pdftotext-layout.txt": {"淮安市洪泽区人民政府", "", 2024, parser.Format2021, parser.IdentityHeading},
		"peer/huaian-city-2024.pdftotext-layout.txt":   {"淮安市人民政府", "", 2024, parser.Format2021, parser.IdentityHeading},
	}
	// Files that are not reports.
	notReports := map[string]string{
		"peer/huaian-city-2024.section3.peer-raw-text.txt":  "a peer's extraction of section 三 only",
		"peer/huaian-jinhu-2023.peer-llm-parse.json":        "a peer's LLM output, not a report",
		"peer/suqian-2023vs2024.peer-comparison-output.pdf": "a peer's two-year comparison, not a report",
	}
	truths, _ := filepath.Glob(filepath.Join(sharedFixtures, "html", "*.truth.json"))
	for _, tf := range truths {
		var tr struct {
			Agency string `json:"agency"`
			Year   int    `json:"year"`
			Format string `json:"format"`
		}
		b, err := os.ReadFile(tf)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &tr); err != nil {
			t.Fatalf("%s: %v", tf, err)
		}
		name := "html/" + strings.TrimSuffix(filepath.Base(tf), ".truth.json") + ".html"
		expect[name] = want{tr.Agency, "", tr.Year, parser.Format(tr.Format), parser.IdentityTitle}
	}
	if len(truths) < 5 {
		t.Fatalf("%d truth files under %s, want 5 (the shared fixtures must be checked out next to the repository)", len(truths), sharedFixtures)
	}

	p := parser.New(parser.Options{PDFCacheDir: filepath.Join(os.TempDir(), "nianbao-parser-test-pdfium")})
	defer p.Close()
	seen := 0
	for _, dir := range []string{"html", "peer", "seed"} {
		files, err := os.ReadDir(filepath.Join(sharedFixtures, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			name := dir + "/" + f.Name()
			if f.Name() == "README.md" || strings.HasSuffix(name, ".truth.json") || notReports[name] != "" {
				continue
			}
			w, ok := expect[name]
			if !ok {
				t.Errorf("%s: a fixture with no expected identity; add it here", name)
				continue
			}
			seen++
			t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
				body, err := os.ReadFile(filepath.Join(sharedFixtures, name))
				if err != nil {
					t.Fatal(err)
				}
				r, err := p.Parse(body, parser.Source{URL: name, Agency: "configured site name"})
				if err != nil {
					t.Fatal(err)
				}
				printed := w.printed
				if printed == "" {
					printed = w.organ
				}
				if r.Agency != printed || r.Year != w.year || r.Format != w.format || r.AgencySource != w.from || !r.AgencyIdentified() {
					t.Errorf("identity = %q (%s) %d %s, want %q (%s) %d %s", r.Agency, r.AgencySource, r.Year, r.Format, printed, w.from, w.year, w.format)
				}
				if m, why := agency.Compare(r.Agency, w.organ); m < agency.ParentDivision {
					t.Errorf("printed %q is not the organ %q: %s (%s)", r.Agency, w.organ, m, why)
				}
				if r.YearSource == parser.IdentityPublished || r.YearSource == "" {
					t.Errorf("year from %q, want it printed in the report", r.YearSource)
				}
			})
		}
	}
	if seen != len(expect) {
		t.Errorf("checked %d reports, expected %d", seen, len(expect))
	}
}
