package panel

import (
	"slices"
	"strings"
	"testing"

	"nianbao/parser"
)

// want is an expected indicator: value, numerator, denominator, small
// sample, and a substring of the reason when there is no value.
type want struct {
	value, num, den string
	small           bool
	reason          string
}

func checkIndicators(t *testing.T, inds []Indicator, wants map[string]want) {
	t.Helper()
	for id, w := range wants {
		got := indicator(t, inds, id)
		if got.Value != w.value || got.Numerator != w.num || got.Denominator != w.den || got.SmallSample != w.small {
			t.Errorf("%s = %q (%q / %q, small %v), want %q (%q / %q, small %v); reason %q",
				id, got.Value, got.Numerator, got.Denominator, got.SmallSample, w.value, w.num, w.den, w.small, got.Reason)
		}
		if w.reason != "" && !strings.Contains(got.Reason, w.reason) || w.reason == "" && got.Reason != "" {
			t.Errorf("%s: reason %q, want %q", id, got.Reason, w.reason)
		}
	}
}

// TestIndicators_DictionaryIDs pins the export contract of research.md.
func TestIndicators_DictionaryIDs(t *testing.T) {
	ids := []string{"received", "caseload", "closed", "disclosure_rate.closed", "disclosure_rate.caseload",
		"full_disclosure_rate", "denied_rate", "unavailable_rate", "not_processed_rate", "other_rate",
		"not_held_share", "natural_person_share", "backlog_rate", "review_correction_rate.all",
		"review_correction_rate.decided", "litigation_correction_rate", "dispute_rate", "yoy.received"}
	var got []string
	for _, s := range Dictionary {
		got = append(got, s.ID)
		if s.Formula == "" || s.Name == "" {
			t.Errorf("%s: no formula or name", s.ID)
		}
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("dictionary IDs\n%v\nwant\n%v", got, ids)
	}
	inds := Indicators(parseFixture(t, "zhanjiang-sifaju-2025.txt"), nil)
	for i, ind := range inds {
		if ind.ID != ids[i] {
			t.Fatalf("indicator %d is %s, want %s", i, ind.ID, ids[i])
		}
	}
}

// TestIndicators_Seed: 湛江市司法局 2025, 10 requests, 2 partly disclosed,
// 6 不掌握, 2 信访.
func TestIndicators_Seed(t *testing.T) {
	inds := Indicators(parseFixture(t, "zhanjiang-sifaju-2025.txt"), nil)
	checkIndicators(t, inds, map[string]want{
		"received":                       {"10", "10", "", false, ""},
		"caseload":                       {"10", "10", "", false, ""},
		"closed":                         {"10", "10", "", false, ""},
		"disclosure_rate.closed":         {"0.2000", "2", "10", true, ""},
		"disclosure_rate.caseload":       {"0.2000", "2", "10", true, ""},
		"full_disclosure_rate":           {"0.0000", "0", "10", true, ""},
		"denied_rate":                    {"0.0000", "0", "10", true, ""},
		"unavailable_rate":               {"0.6000", "6", "10", true, ""},
		"not_processed_rate":             {"0.2000", "2", "10", true, ""},
		"other_rate":                     {"0.0000", "0", "10", true, ""},
		"not_held_share":                 {"1.0000", "6", "6", true, ""},
		"natural_person_share":           {"1.0000", "10", "10", true, ""},
		"backlog_rate":                   {"0.0000", "0", "10", true, ""},
		"review_correction_rate.all":     {"", "0", "0", true, "denominator reviews is 0"},
		"review_correction_rate.decided": {"", "0", "0", true, "denominator reviews decided is 0"},
		"litigation_correction_rate":     {"", "0", "0", true, "denominator lawsuits is 0"},
		"dispute_rate":                   {"0.0000", "0", "10", true, ""},
		"yoy.received":                   {"", "", "", false, "no report for 2024"},
	})
	for _, ind := range inds {
		if ind.ChecksFailed != nil {
			t.Errorf("%s: checks failed %v, want none", ind.ID, ind.ChecksFailed)
		}
	}
}

// TestIndicators_HongzeFailedChecks: 洪泽区 2023 breaks R4 twice (行政复议
// 10+1+0+0 ≠ 总计 0; 复议后起诉 5 ≠ 0): its indicators are computed from
// the printed cells with the failed rules attached, never dropped.
// 2024 then gives the year-on-year change (the two years' names differ:
// the register's agency_id links them).
func TestIndicators_HongzeFailedChecks(t *testing.T) {
	r23 := parseFixture(t, "huaian-hongze-2023.layout.txt")
	r24 := parseFixture(t, "huaian-hongze-2024.layout.txt")
	inds := Indicators(r23, nil)
	failed := []string{"R4 t4 row review", "R4 t4 row litigation_after_review"}
	for _, ind := range inds {
		if !slices.Equal(ind.ChecksFailed, failed) {
			t.Errorf("%s: checks failed %v, want %v", ind.ID, ind.ChecksFailed, failed)
		}
	}
	checkIndicators(t, inds, map[string]want{
		"received":               {"21", "21", "", false, ""},
		"closed":                 {"21", "21", "", false, ""},
		"disclosure_rate.closed": {"0.1905", "4", "21", true, ""},
		"denied_rate":            {"0.1429", "3", "21", true, ""},
		"unavailable_rate":       {"0.6190", "13", "21", true, ""},
		"not_processed_rate":     {"0.0476", "1", "21", true, ""},
		"not_held_share":         {"0.7692", "10", "13", true, ""},
		// 纠正 1 of a printed 总计 0: the printed total is used, as printed.
		"review_correction_rate.all":     {"", "1", "0", true, "denominator reviews is 0"},
		"review_correction_rate.decided": {"", "1", "0", true, "denominator reviews decided is 0"},
		"dispute_rate":                   {"0.0000", "0", "21", true, ""},
	})

	inds = Indicators(r24, r23)
	checkIndicators(t, inds, map[string]want{
		"received":                       {"95", "95", "", false, ""},
		"disclosure_rate.closed":         {"0.6211", "59", "95", false, ""},
		"full_disclosure_rate":           {"0.5263", "50", "95", false, ""},
		"not_held_share":                 {"0.9688", "31", "32", false, ""}, // 0.96875: halves round away from zero
		"review_correction_rate.all":     {"0.5000", "1", "2", true, ""},
		"review_correction_rate.decided": {"0.5000", "1", "2", true, ""},
		"litigation_correction_rate":     {"0.0000", "0", "4", true, ""},
		"dispute_rate":                   {"0.0632", "6", "95", false, ""},
		"yoy.received":                   {"3.5238", "74", "21", true, ""},
	})
	yoy := indicator(t, inds, "yoy.received")
	if want := []string{"2023 R4 t4 row review", "2023 R4 t4 row litigation_after_review"}; !slices.Equal(yoy.ChecksFailed, want) {
		t.Errorf("yoy checks failed %v, want the previous year's %v", yoy.ChecksFailed, want)
	}
	if got := indicator(t, inds, "received").ChecksFailed; got != nil {
		t.Errorf("2024 received: checks failed %v, want none", got)
	}
}

// TestIndicators_Format2019Other: the 2019 template prints （六）其他处理 as
// one row (平潭 市场监督管理局 2020: 3 of 5).
func TestIndicators_Format2019Other(t *testing.T) {
	r := parseFixture(t, "pingtan-shichangjianguanju-2020.html")
	if r.Format != parser.Format2019 {
		t.Fatalf("format %s", r.Format)
	}
	checkIndicators(t, Indicators(r, nil), map[string]want{
		"other_rate":             {"0.6000", "3", "5", true, ""},
		"disclosure_rate.closed": {"0.4000", "2", "5", true, ""},
	})
}

// TestIndicators_MergedOther: 平潭 市场监督管理局 2024 prints one 0 in a
// rowspan over the three （六） rows: the group sum counts it once.
func TestIndicators_MergedOther(t *testing.T) {
	r := parseFixture(t, "pingtan-shichangjianguanju-2024.html")
	if c, _ := r.Cell("t3", "other.other", "total"); c.MergedWith != "other.overdue_supplement" {
		t.Fatalf("fixture changed: other.other total merged with %q", c.MergedWith)
	}
	checkIndicators(t, Indicators(r, nil), map[string]want{
		"other_rate":     {"0.0000", "0", "4", true, ""},
		"not_held_share": {"1.0000", "2", "2", true, ""},
	})
}

// setCell changes (or adds) a cell of a generated report.
func setCell(r *parser.Report, id, value, raw, merged string) {
	parts := strings.SplitN(id, ".", 2)
	table, rest := parts[0], parts[1]
	i := strings.LastIndex(rest, ".")
	row, col := rest[:i], rest[i+1:]
	for k := range r.Cells {
		c := &r.Cells[k]
		if c.Table == table && c.Row == row && c.Column == col {
			c.Value, c.Raw, c.MergedWith = value, raw, merged
			return
		}
	}
	r.Cells = append(r.Cells, parser.Cell{Table: table, Row: row, Column: col, Value: value, Raw: raw, MergedWith: merged})
}

func removeCell(r *parser.Report, id string) {
	r.Cells = slices.DeleteFunc(r.Cells, func(c parser.Cell) bool { return c.ID() == id })
}

// TestIndicators_Generated covers blanks, merges across a group's
// boundary, decimals and division by zero on generated reports.
func TestIndicators_Generated(t *testing.T) {
	base := page{Agency: "生成市测试局", Year: 2023, Prose: prose(1, 10),
		T3: map[string]string{
			"new_received": "30 2 0 0 0 1 33", "carried_over": "2 0 0 0 0 0 2",
			"granted": "20 1 0 0 0 0 21", "partial": "5 0 0 0 0 0 5",
			"denied.third_party":   "1 0 0 0 0 0 1",
			"unavailable.not_held": "3 0 0 0 0 1 4", "unavailable.needs_creation": "1 0 0 0 0 0 1",
			"not_processed.duplicate": "1 1 0 0 0 0 2",
			"total":                   "31 2 0 0 0 1 34", "carried_forward": "1 0 0 0 0 0 1",
		},
		T4: "1 1 0 1 3 2 0 0 0 2 0 1 0 0 1"}
	r := base.parse(t)
	if len(r.Failures) != 0 {
		t.Fatalf("generated report fails its checks: %v", r.Failures)
	}
	checkIndicators(t, Indicators(r, nil), map[string]want{
		"caseload":                       {"35", "35", "", false, ""},
		"disclosure_rate.closed":         {"0.7647", "26", "34", false, ""},
		"disclosure_rate.caseload":       {"0.7429", "26", "35", false, ""},
		"unavailable_rate":               {"0.1471", "5", "34", false, ""},
		"not_held_share":                 {"0.8000", "4", "5", true, ""},
		"natural_person_share":           {"0.9091", "30", "33", false, ""},
		"backlog_rate":                   {"0.0286", "1", "35", false, ""},
		"review_correction_rate.all":     {"0.3333", "1", "3", true, ""},
		"review_correction_rate.decided": {"0.5000", "1", "2", true, ""},
		"litigation_correction_rate":     {"0.3333", "1", "3", true, ""},
		"dispute_rate":                   {"0.1818", "6", "33", false, ""},
	})

	t.Run("BlankIsNotZero", func(t *testing.T) {
		r := base.parse(t)
		setCell(r, "t3.partial.total", "", "/", "")
		setCell(r, "t3.unavailable.needs_creation.total", "", "", "")
		checkIndicators(t, Indicators(r, nil), map[string]want{
			"disclosure_rate.closed": {"", "", "34", false, `numerator: t3.partial.total is blank (printed "/")`},
			"full_disclosure_rate":   {"0.6176", "21", "34", false, ""},
			"unavailable_rate":       {"", "", "34", false, "numerator: t3.unavailable.needs_creation.total is blank"},
			"not_held_share":         {"", "4", "", false, "denominator unavailable: t3.unavailable.needs_creation.total is blank"},
		})
	})
	t.Run("NotPrinted", func(t *testing.T) {
		r := base.parse(t)
		removeCell(r, "t3.carried_over.total")
		checkIndicators(t, Indicators(r, nil), map[string]want{
			"caseload":     {"", "", "", false, "t3.carried_over.total is not printed"},
			"backlog_rate": {"", "1", "", false, "denominator caseload: t3.carried_over.total is not printed"},
			"received":     {"33", "33", "", false, ""},
		})
	})
	t.Run("MergeInsideGroup", func(t *testing.T) {
		// One printed 5 spans not_held and needs_creation: the group sum
		// counts it once; not_held alone is unknown.
		r := base.parse(t)
		setCell(r, "t3.unavailable.not_held.total", "5", "5", "")
		setCell(r, "t3.unavailable.needs_creation.total", "", "", "unavailable.not_held")
		checkIndicators(t, Indicators(r, nil), map[string]want{
			"unavailable_rate": {"0.1471", "5", "34", false, ""},
			"not_held_share":   {"", "", "5", true, "t3.unavailable.needs_creation.total is merged with t3.unavailable.not_held.total"},
		})
	})
	t.Run("MergeAcrossGroups", func(t *testing.T) {
		// A printed 1 spanning unavailable.unclear and not_processed.petition
		// belongs to neither group alone.
		r := base.parse(t)
		setCell(r, "t3.unavailable.unclear.total", "1", "1", "")
		setCell(r, "t3.not_processed.petition.total", "", "", "unavailable.unclear")
		checkIndicators(t, Indicators(r, nil), map[string]want{
			"unavailable_rate":   {"", "", "34", false, "merged with t3.unavailable.unclear.total"},
			"not_processed_rate": {"", "", "34", false, "merged with t3.unavailable.unclear.total"},
			"closed":             {"34", "34", "", false, ""},
		})
	})
	t.Run("Decimals", func(t *testing.T) {
		// Exact decimal sums: 0.1 + 0.2 is 0.3, not 0.30000000000000004.
		r := base.parse(t)
		setCell(r, "t3.granted.total", "0.1", "0.1", "")
		setCell(r, "t3.partial.total", "0.2", "0.2", "")
		setCell(r, "t3.total.total", "0.3", "0.3", "")
		checkIndicators(t, Indicators(r, nil), map[string]want{
			"disclosure_rate.closed": {"1.0000", "0.3", "0.3", true, ""},
		})
		setCell(r, "t3.partial.total", "0.00001", "0.00001", "")
		checkIndicators(t, Indicators(r, nil), map[string]want{
			"disclosure_rate.closed": {"", "", "0.3", true, "more than 4 decimals"},
		})
	})
	t.Run("Rounding", func(t *testing.T) {
		// 1 ÷ 20000 = 0.00005: halves round away from zero.
		r := base.parse(t)
		setCell(r, "t3.granted.total", "1", "1", "")
		setCell(r, "t3.partial.total", "0", "0", "")
		setCell(r, "t3.total.total", "20000", "20000", "")
		checkIndicators(t, Indicators(r, nil), map[string]want{
			"disclosure_rate.closed": {"0.0001", "1", "20000", false, ""},
		})
	})
	t.Run("NoTables", func(t *testing.T) {
		r := &parser.Report{Agency: "生成市测试局", Year: 2023, Format: parser.FormatNone, NoTables: "tables not extractable: doc"}
		for _, ind := range Indicators(r, nil) {
			if ind.Value != "" || ind.Reason == "" {
				t.Errorf("%s = %q (%q), want no value with a reason", ind.ID, ind.Value, ind.Reason)
			}
		}
	})
	t.Run("YearOnYearDecline", func(t *testing.T) {
		prev := base
		prev.Year = 2022
		prev.T3 = map[string]string{"new_received": "40 0 0 0 0 4 44", "granted": "44 0 0 0 0 0 44", "total": "44 0 0 0 0 0 44"}
		checkIndicators(t, Indicators(r, prev.parse(t)), map[string]want{
			"yoy.received": {"-0.2500", "-11", "44", false, ""},
		})
		prev.T3["new_received"] = "40 0 0 0 0 4 _"
		checkIndicators(t, Indicators(r, prev.parse(t)), map[string]want{
			"yoy.received": {"", "", "", false, "denominator received(Y−1): 2022: t3.new_received.total is blank"},
		})
		prev.Year = 2021
		checkIndicators(t, Indicators(r, prev.parse(t)), map[string]want{
			"yoy.received": {"", "", "", false, "the previous report is for 2021, not 2022"},
		})
	})
}
