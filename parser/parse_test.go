package parser

import (
	"fmt"
	"strings"
	"testing"
)

// rowValues returns the values of a row, "^" for a merged cell.
func rowValues(r *Report, table, row string) string {
	var out []string
	for _, c := range r.Cells {
		if c.Table == table && c.Row == row {
			v := c.Value
			if c.MergedWith != "" {
				v = "^"
			} else if v == "" {
				v = "_"
			}
			out = append(out, v)
		}
	}
	return strings.Join(out, " ")
}

func wantRows(t *testing.T, r *Report, want map[string]string) {
	t.Helper()
	for key, w := range want {
		table, row, _ := strings.Cut(key, "/")
		if got := rowValues(r, table, row); got != w {
			t.Errorf("%s = %q, want %q", key, got, w)
		}
	}
}

// The seed: every one of its 200 printed cells.
func TestParse_Seed(t *testing.T) {
	r := parseFile(t, "testdata/zhanjiang-sifaju-2025.txt")
	if r.Agency != "湛江市司法局" || r.Year != 2025 || r.Format != Format2021 || r.Published != "2026-01-27" || r.Scope != ScopeSelf {
		t.Errorf("identity = %q %d %s %s %s", r.Agency, r.Year, r.Format, r.Published, r.Scope)
	}
	if len(r.Cells) != 200 {
		t.Fatalf("cells = %d, want 200", len(r.Cells))
	}
	zero7 := "0 0 0 0 0 0 0"
	want := map[string]string{
		"t2/rules": "0 0 0", "t2/normative_docs": "1 1 1", "t2/licensing": "236", "t2/penalty": "6",
		"t2/coercion": "0", "t2/fees": "0",
		"t3/new_received": "10 0 0 0 0 0 10", "t3/partial": "2 0 0 0 0 0 2",
		"t3/unavailable.not_held": "6 0 0 0 0 0 6", "t3/not_processed.petition": "2 0 0 0 0 0 2",
		"t3/total": "10 0 0 0 0 0 10", "t3/carried_forward": zero7, "t3/other.other": zero7,
		"t4/review": "0 0 0 0 0", "t4/litigation_direct": "0 0 0 0 0", "t4/litigation_after_review": "0 0 0 0 0",
	}
	wantRows(t, r, want)
	nonzero := 0
	for _, c := range r.Cells {
		if c.Value != c.Raw {
			t.Errorf("%s: value %q, raw %q", c.ID(), c.Value, c.Raw)
		}
		if c.Value != "0" {
			nonzero++
		}
	}
	// 1,1,1,236,6 in t2; 10,10,2,2,6,6,2,2,10,10 in t3.
	if nonzero != 15 {
		t.Errorf("%d non-zero cells, want 15", nonzero)
	}
	if len(r.Failures) != 0 || r.Checked != 42 || len(r.Missing) != 0 {
		t.Errorf("checked %d, failures %v, missing %v; want 42, none, none", r.Checked, r.Failures, r.Missing)
	}
}

// The pdftotext -layout texts of the three fixture PDFs, against the
// figures checked by hand in fixtures/peer/README.md.
func TestParse_LayoutText(t *testing.T) {
	t.Run("Hongze2023", func(t *testing.T) {
		r := parseFile(t, "testdata/huaian-hongze-2023.layout.txt")
		if r.Agency != "洪泽区人民政府" || r.Year != 2023 || r.Format != Format2021 {
			t.Errorf("identity = %q %d %s", r.Agency, r.Year, r.Format)
		}
		wantRows(t, r, map[string]string{
			"t2/normative_docs": "0 5 5", "t2/licensing": "550", "t2/penalty": "4119", "t2/coercion": "195",
			"t2/fees":                       "7730.28",
			"t3/new_received":               "21 0 0 0 0 0 21",
			"t3/carried_over":               "0 0 0 0 0 0 0",
			"t3/granted":                    "0 0 0 0 0 0 0",
			"t3/partial":                    "4 0 0 0 0 0 4", // the wrapped label, numbers on the next line
			"t3/denied.state_secret":        "1 0 0 0 0 0 1",
			"t3/denied.law_prohibited":      "0 0 0 0 0 0 0", // 2.其他法律行政止公开 (sic)
			"t3/denied.process_info":        "1 0 0 0 0 0 1",
			"t3/denied.enforcement_case":    "1 0 0 0 0 0 1",
			"t3/unavailable.not_held":       "10 0 0 0 0 0 10",
			"t3/unavailable.needs_creation": "3 0 0 0 0 0 3",
			"t3/not_processed.petition":     "1 0 0 0 0 0 1",
			"t3/other":                      "0 0 0 0 0 0 0", // one （六） row in this local variant
			"t3/total":                      "21 0 0 0 0 0 21",
			"t3/carried_forward":            "0 0 0 0 0 0 0",
			"t4/review":                     "10 1 0 0 0",
			"t4/litigation_direct":          "0 0 0 0 0",
			"t4/litigation_after_review":    "5 0 0 0 0",
		})
		// The report breaks its own Table 四: reported, never repaired.
		var got []string
		for _, f := range r.Failures {
			got = append(got, fmt.Sprintf("%s %s %s %s %s", f.Rule, f.Row, f.LeftValue, f.RightValue, f.Diff))
		}
		want := "R4 review 11 0 11|R4 litigation_after_review 5 0 5"
		if strings.Join(got, "|") != want {
			t.Errorf("failures = %q, want %q", strings.Join(got, "|"), want)
		}
		if c, _ := r.Cell("t4", "review", "total"); c.Value != "0" {
			t.Errorf("t4 review total = %q, want the printed 0", c.Value)
		}
	})
	t.Run("Hongze2024", func(t *testing.T) {
		r := parseFile(t, "testdata/huaian-hongze-2024.layout.txt")
		if r.Agency != "淮安市洪泽区人民政府" || r.Year != 2024 {
			t.Errorf("identity = %q %d", r.Agency, r.Year)
		}
		wantRows(t, r, map[string]string{
			"t2/normative_docs": "3 0 8", "t2/licensing": "9487", "t2/penalty": "2776", "t2/coercion": "84", "t2/fees": "7545",
			"t3/new_received": "95 0 0 0 0 0 95", "t3/total": "95 0 0 0 0 0 95", "t3/carried_forward": "0 0 0 0 0 0 0",
			"t3/granted": "50 0 0 0 0 0 50", "t3/partial": "9 0 0 0 0 0 9", "t3/unavailable.not_held": "31 0 0 0 0 0 31",
			"t4/review": "1 1 0 0 2", "t4/litigation_direct": "1 0 0 0 1", "t4/litigation_after_review": "2 0 1 0 3",
		})
		if len(r.Failures) != 0 {
			t.Errorf("failures %v, want none", r.Failures)
		}
	})
	t.Run("HuaianCity2024", func(t *testing.T) {
		r := parseFile(t, "testdata/huaian-city-2024.layout.txt")
		if r.Agency != "淮安市人民政府" || r.Year != 2024 || len(r.Cells) != 200 {
			t.Errorf("identity = %q %d, %d cells", r.Agency, r.Year, len(r.Cells))
		}
		wantRows(t, r, map[string]string{
			"t2/rules": "1 0 11", "t2/normative_docs": "8 26 66", "t2/licensing": "447228", "t2/penalty": "3985758",
			"t2/coercion": "88283", "t2/fees": "96171.6",
			"t3/new_received":               "3001 53 0 0 61 4 3119",
			"t3/carried_over":               "34 0 0 0 0 0 34",
			"t3/partial":                    "447 7 0 0 0 0 454",
			"t3/denied.law_prohibited":      "30 1 0 0 0 0 31",
			"t3/unavailable.not_held":       "746 12 0 0 10 1 769",
			"t3/unavailable.needs_creation": "11 0 0 0 0 0 11", // label wrapped under the split group heading
			"t3/other.overdue_supplement":   "67 3 0 0 1 0 71", // "1、" numbering, label wrapped over three lines
			"t3/other.overdue_fee":          "6 0 0 0 0 0 6",
			"t3/other.other":                "108 2 0 0 0 0 110",
			"t3/total":                      "2932 53 0 0 61 4 3050",
			"t3/carried_forward":            "103 0 0 0 0 0 103",
			"t4/review":                     "72 64 178 37 351",
			"t4/litigation_direct":          "13 4 8 1 26",
			"t4/litigation_after_review":    "12 1 1 6 20",
		})
		if len(r.Failures) != 0 || r.Checked != 42 {
			t.Errorf("checked %d, failures %v; want 42, none", r.Checked, r.Failures)
		}
	})
}

// The Section 一 text of 洪泽区 2024 says 17 requests (the office alone);
// table 三 says 95. The parser reads the table and raises nothing.
func TestParse_TextScopeIsNotAnError(t *testing.T) {
	r := parseFile(t, "testdata/huaian-hongze-2024.layout.txt")
	if c, _ := r.Cell("t3", "new_received", "total"); c.Value != "95" {
		t.Errorf("new_received total = %q, want 95", c.Value)
	}
	if len(r.Failures)+len(r.Warnings) != 0 {
		t.Errorf("failures %v warnings %v, want none", r.Failures, r.Warnings)
	}
}

func TestReport_TableRows(t *testing.T) {
	ids := func(r *Report) string {
		var out []string
		for _, s := range r.TableRows(TableRequests) {
			if strings.HasPrefix(s.ID, "other") {
				out = append(out, s.ID)
			}
		}
		return strings.Join(out, " ")
	}
	for file, want := range map[string]string{
		"testdata/zhanjiang-sifaju-2025.txt":            "other.overdue_supplement other.overdue_fee other.other",
		"testdata/huaian-hongze-2023.layout.txt":        "other", // a 2021 report printing one （六） row
		"testdata/pingtan-shichangjianguanju-2020.html": "other",
		"testdata/pingtan-shichangjianguanju-2024.html": "other.overdue_supplement other.overdue_fee other.other",
	} {
		r := parseFile(t, file)
		if got := ids(r); got != want {
			t.Errorf("%s: （六） rows %q, want %q", file, got, want)
		}
		if n := len(r.TableRows(TableRequests)); n != 25 && n != 23 {
			t.Errorf("%s: %d rows", file, n)
		}
	}
}
