package parser

import "testing"

func TestParseDecimal(t *testing.T) {
	for _, c := range []struct{ in, out string }{{"0", "0"}, {"12", "12"}, {"-3", "-3"}, {"7730.28", "7730.28"}, {"0.5", "0.5"}, {"-0.25", "-0.25"}} {
		x, ok := ParseDecimal(c.in)
		if !ok || x.String() != c.out {
			t.Errorf("ParseDecimal(%q) = %v %v, want %s", c.in, x, ok, c.out)
		}
	}
	for _, bad := range []string{"1.23456", "1.-5", "1.+5", "", "x", "123456789012345"} {
		if x, ok := ParseDecimal(bad); ok {
			t.Errorf("ParseDecimal(%q) = %v, want not a decimal", bad, x)
		}
	}
}

func TestRunChecks_Rules(t *testing.T) {
	r := &Report{}
	add := func(table, row string, cols []string, vals ...string) {
		for i, v := range vals {
			r.Cells = append(r.Cells, Cell{Table: table, Row: row, Column: cols[i], Value: v, Raw: v})
		}
	}
	add("t3", "new_received", t3Columns, "5", "1", "0", "0", "0", "0", "6")
	add("t3", "carried_over", t3Columns, "1", "0", "0", "0", "0", "0", "1")
	add("t3", "granted", t3Columns, "4", "1", "0", "0", "0", "0", "4") // R3: 4+1 ≠ 4
	add("t3", "total", t3Columns, "4", "1", "0", "0", "0", "0", "5")
	add("t3", "carried_forward", t3Columns, "2", "0", "0", "0", "0", "0", "2")
	add("t4", "review", t4Columns, "1", "2", "", "0", "3") // blank "other": unevaluable
	add("t4", "litigation_direct", t4Columns, "1", "1", "1", "1", "5")
	runChecks(r)
	got := map[string]string{}
	for _, f := range r.Failures {
		got[f.Rule+" "+f.Row+" "+f.Column] = f.LeftValue + "/" + f.RightValue + "/" + f.Diff
	}
	want := map[string]string{
		"R1  natural_person":    "6/6/0", // holds: not listed
		"R1  total":             "7/7/0",
		"R3 granted ":           "4/5/-1",
		"R4 litigation_direct ": "4/5/-1",
	}
	delete(want, "R1  natural_person")
	delete(want, "R1  total")
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if _, ok := got["R4 review "]; ok {
		t.Error("R4 evaluated over a blank cell")
	}
	// R2 cannot be evaluated: the outcome rows other than granted are absent.
	for k := range got {
		if k[:2] == "R2" {
			t.Errorf("R2 evaluated with outcome rows missing: %s", k)
		}
	}
	if len(r.Failures) != 2 {
		t.Errorf("failures = %v, want R3 granted and R4 litigation_direct", r.Failures)
	}
}
