package parser

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// rep builds a report from cell specs "t3.total.total=5" (value),
// "t3.total.total=" (blank) and "t3.other.other.total@other.overdue_supplement"
// (rowspan continuation of that row).
func rep(year int, f Format, specs ...string) *Report {
	r := &Report{Agency: "洪泽区", Year: year, Format: f}
	for _, s := range specs {
		var c Cell
		id, val, ok := strings.Cut(s, "=")
		if !ok {
			id, c.MergedWith, _ = strings.Cut(s, "@")
		}
		i, j := strings.IndexByte(id, '.'), strings.LastIndexByte(id, '.')
		c.Table, c.Row, c.Column = id[:i], id[i+1:j], id[j+1:]
		c.Value, c.Raw = val, val
		r.Cells = append(r.Cells, c)
	}
	return r
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur *Report
		want      []Change
	}{
		{
			name: "SameFormatChanges",
			prev: rep(2023, Format2021, "t2.fees.amount_10k_yuan=7730.28", "t3.new_received.total=21", "t3.total.total=21", "t4.review.total=0", "t4.review.upheld=10"),
			cur:  rep(2024, Format2021, "t2.fees.amount_10k_yuan=7545", "t3.new_received.total=95", "t3.total.total=21.0", "t4.review.total=2", "t4.review.upheld="),
			want: []Change{
				{Table: "t2", Row: "fees", Column: "amount_10k_yuan", Old: "7730.28", New: "7545", Abs: "-185.28", Pct: "-2.4", Comparable: true},
				{Table: "t3", Row: "new_received", Column: "total", Old: "21", New: "95", Abs: "74", Pct: "352.4", Comparable: true},
				{Table: "t4", Row: "review", Column: "upheld", Old: "10", New: "", Comparable: true},
				{Table: "t4", Row: "review", Column: "total", Old: "0", New: "2", Abs: "2", Pct: "", Comparable: true},
			},
		},
		{
			name: "BlanksEqual",
			prev: rep(2023, Format2021, "t3.granted.research=", "t3.granted.total=0"),
			cur:  rep(2024, Format2021, "t3.granted.research=", "t3.granted.total=0"),
			want: nil,
		},
		{
			name: "PctRoundsHalfAwayFromZero",
			prev: rep(2023, Format2021, "t3.total.total=8", "t3.new_received.total=-8"),
			cur:  rep(2024, Format2021, "t3.total.total=7.996", "t3.new_received.total=-7.996"),
			want: []Change{
				{Table: "t3", Row: "new_received", Column: "total", Old: "-8", New: "-7.996", Abs: "0.004", Pct: "0.1", Comparable: true},
				{Table: "t3", Row: "total", Column: "total", Old: "8", New: "7.996", Abs: "-0.004", Pct: "-0.1", Comparable: true},
			},
		},
		{
			name: "Format2019To2021",
			prev: rep(2020, Format2019,
				"t2.normative_docs.new_made=6", "t2.normative_docs.total_published=8",
				"t2.licensing.prev_items=37", "t2.licensing.decisions=5", "t2.penalty.decisions=40",
				"t3.other.natural_person=3", "t3.other.total=3", "t3.total.total=5"),
			cur: rep(2024, Format2021,
				"t2.normative_docs.issued=6", "t2.normative_docs.in_force=56",
				"t2.licensing.decisions=0", "t2.penalty.decisions=159",
				"t3.other.overdue_supplement.natural_person=1", "t3.other.overdue_fee.natural_person=0", "t3.other.other.natural_person=2",
				"t3.other.overdue_supplement.total=0", "t3.other.overdue_fee.total@other.overdue_supplement", "t3.other.other.total@other.overdue_supplement",
				"t3.total.total=4"),
			want: []Change{
				{Table: "t2", Row: "licensing", Column: "decisions", Old: "5", New: "0", Abs: "-5", Pct: "-100.0", Comparable: true},
				{Table: "t2", Row: "penalty", Column: "decisions", Old: "40", New: "159", Abs: "119", Pct: "297.5", Comparable: true},
				{Table: "t3", Row: "other", Column: "total", Old: "3", New: "0", Abs: "-3", Pct: "-100.0", Comparable: true,
					Note: "2024: other.overdue_supplement + other.overdue_fee + other.other"},
				{Table: "t3", Row: "total", Column: "total", Old: "5", New: "4", Abs: "-1", Pct: "-20.0", Comparable: true},
				{Table: "t2", Row: "normative_docs", Column: "issued", New: "6", Note: "only in the 2021 format"},
				{Table: "t2", Row: "normative_docs", Column: "in_force", New: "56", Note: "only in the 2021 format"},
				{Table: "t2", Row: "normative_docs", Column: "new_made", Old: "6", Note: "only in the 2019 format"},
				{Table: "t2", Row: "normative_docs", Column: "total_published", Old: "8", Note: "only in the 2019 format"},
				{Table: "t2", Row: "licensing", Column: "prev_items", Old: "37", Note: "only in the 2019 format"},
			},
		},
		{
			name: "OtherRowsUnchangedAsTotal",
			prev: rep(2020, Format2019, "t3.other.total=3"),
			cur:  rep(2024, Format2021, "t3.other.overdue_supplement.total=1", "t3.other.overdue_fee.total=", "t3.other.other.total=2"),
			want: nil,
		},
		{
			name: "Format2021PrintsSingleOther",
			prev: rep(2023, Format2021, "t3.other.overdue_supplement.total=1", "t3.other.overdue_fee.total=1", "t3.other.other.total=1"),
			cur:  rep(2024, Format2021, "t3.other.total=4"),
			want: []Change{
				{Table: "t3", Row: "other", Column: "total", Old: "3", New: "4", Abs: "1", Pct: "33.3", Comparable: true,
					Note: "2023: other.overdue_supplement + other.overdue_fee + other.other"},
			},
		},
		{
			name: "OtherRowsCompareRowByRow",
			prev: rep(2023, Format2021, "t3.other.overdue_supplement.total=1", "t3.other.overdue_fee.total=0", "t3.other.other.total=1"),
			cur:  rep(2024, Format2021, "t3.other.overdue_supplement.total=0", "t3.other.overdue_fee.total=0", "t3.other.other.total=2"),
			want: []Change{
				{Table: "t3", Row: "other.overdue_supplement", Column: "total", Old: "1", New: "0", Abs: "-1", Pct: "-100.0", Comparable: true},
				{Table: "t3", Row: "other.other", Column: "total", Old: "1", New: "2", Abs: "1", Pct: "100.0", Comparable: true},
			},
		},
		{
			name: "NotPrinted",
			prev: rep(2023, Format2021, "t2.rules.in_force=3", "t4.review.total=1"),
			cur:  rep(2024, Format2021, "t4.review.total=1"),
			want: []Change{
				{Table: "t2", Row: "rules", Column: "in_force", Old: "3", Note: "not printed in the 2024 report"},
			},
		},
		{
			name: "MergedOutsideOther",
			prev: rep(2023, Format2021, "t4.review.upheld=0", "t4.litigation_direct.upheld=0"),
			cur:  rep(2024, Format2021, "t4.review.upheld=0", "t4.litigation_direct.upheld@review"),
			want: []Change{
				{Table: "t4", Row: "review", Column: "upheld", Old: "0", Note: "rowspan in the 2024 report"},
				{Table: "t4", Row: "review", Column: "upheld", New: "0", Note: "rowspan in the 2024 report: value printed once for several rows"},
				{Table: "t4", Row: "litigation_direct", Column: "upheld", Old: "0", Note: "rowspan in the 2024 report"},
				{Table: "t4", Row: "litigation_direct", Column: "upheld", New: "", Note: "rowspan in the 2024 report: value printed on row review"},
			},
		},
		{
			name: "LegacyHasNoCells",
			prev: &Report{Year: 2018, Format: FormatLegacy},
			cur:  rep(2019, Format2019, "t3.total.total=1"),
			want: []Change{
				{Table: "t3", Row: "total", Column: "total", New: "1", Note: "the 2018 report has no standard tables (format legacy)"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(tt.prev, tt.cur)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Diff:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDiff_Nil(t *testing.T) {
	if got := Diff(nil, rep(2024, Format2021)); got != nil {
		t.Errorf("Diff(nil, r) = %v, want nil", got)
	}
}

func TestCrossYear(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur *Report
		want      []string
	}{
		{
			// 洪泽区 2023 → 2024 (fixtures/peer/README.md): 现行有效 5 + 3 − 0 = 8,
			// and nothing was carried over either way.
			name: "HongzeHolds",
			prev: rep(2023, Format2021, "t2.normative_docs.in_force=5", "t3.carried_forward.natural_person=0", "t3.carried_forward.total=0"),
			cur: rep(2024, Format2021, "t2.normative_docs.issued=3", "t2.normative_docs.repealed=0", "t2.normative_docs.in_force=8",
				"t3.carried_over.natural_person=0", "t3.carried_over.total=0"),
			want: []string{
				"Y2 t2 normative_docs in_force: in_force(2024) = 8; in_force(2023) + issued(2024) − repealed(2024) = 5 + 3 − 0 = 8: holds",
				"Y1 t3 carried_over natural_person: carried_over(2024) = 0; carried_forward(2023) = 0: holds",
				"Y1 t3 carried_over total: carried_over(2024) = 0; carried_forward(2023) = 0: holds",
			},
		},
		{
			name: "Fails",
			prev: rep(2023, Format2021, "t2.rules.in_force=10", "t3.carried_forward.total=103"),
			cur:  rep(2024, Format2021, "t2.rules.issued=2", "t2.rules.repealed=1", "t2.rules.in_force=12", "t3.carried_over.total=34"),
			want: []string{
				"Y2 t2 rules in_force: in_force(2024) = 12; in_force(2023) + issued(2024) − repealed(2024) = 10 + 2 − 1 = 11: fails (diff 1)",
				"Y1 t3 carried_over total: carried_over(2024) = 34; carried_forward(2023) = 103: fails (diff -69)",
			},
		},
		{
			name: "SkipsBlankAndNon2021T2",
			prev: rep(2020, Format2019, "t2.rules.total_published=5", "t3.carried_forward.total=", "t3.carried_forward.research=1"),
			cur:  rep(2021, Format2021, "t2.rules.issued=3", "t2.rules.repealed=0", "t2.rules.in_force=8", "t3.carried_over.total=0", "t3.carried_over.research=1"),
			want: []string{
				"Y1 t3 carried_over research: carried_over(2021) = 1; carried_forward(2020) = 1: holds",
			},
		},
		{
			name: "NotConsecutive",
			prev: rep(2022, Format2021, "t3.carried_forward.total=0"),
			cur:  rep(2024, Format2021, "t3.carried_over.total=0"),
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, x := range CrossYear(tt.prev, tt.cur) {
				got = append(got, x.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CrossYear:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCrossYear_Fields(t *testing.T) {
	prev := rep(2023, Format2021, "t2.normative_docs.in_force=5")
	cur := rep(2024, Format2021, "t2.normative_docs.issued=3", "t2.normative_docs.repealed=0", "t2.normative_docs.in_force=8.5")
	got := CrossYear(prev, cur)
	want := []CrossCheck{{Rule: "Y2", Table: "t2", Row: "normative_docs", Column: "in_force",
		Left: "in_force(2024)", LeftValue: "8.5", Right: "in_force(2023) + issued(2024) − repealed(2024)",
		Terms: "5 + 3 − 0", RightValue: "8", Diff: "0.5", Holds: false}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CrossYear = %+v, want %+v", got, want)
	}
}

func TestCellIDs(t *testing.T) {
	ids := CellIDs()
	// t2: 2021 and 2019 rows merged; t3: 26 rows × 7; t4: 3 × 5.
	t2, t3, t4 := 0, 0, 0
	for _, id := range ids {
		switch id[:2] {
		case "t2":
			t2++
		case "t3":
			t3++
		case "t4":
			t4++
		}
	}
	if t2 != 10+22-3 || t3 != 26*7 || t4 != 15 {
		t.Errorf("wide columns t2,t3,t4 = %d,%d,%d; want 29,182,15", t2, t3, t4)
	}
	want := []string{"t2.rules.issued", "t2.rules.repealed", "t2.rules.in_force", "t2.rules.new_made"}
	if !slices.Equal(ids[:4], want) {
		t.Errorf("first columns = %v, want %v", ids[:4], want)
	}
	i, j, k := slices.Index(ids, "t3.not_processed.confirm.total"), slices.Index(ids, "t3.other.natural_person"), slices.Index(ids, "t3.other.overdue_supplement.natural_person")
	if !(i < j && j < k) {
		t.Errorf("t3 other rows out of template order: %d %d %d", i, j, k)
	}
	if l := slices.Index(ids, "t2.licensing.prev_items"); l < 0 || ids[l+1] != "t2.licensing.change" || ids[l+2] != "t2.licensing.decisions" {
		t.Errorf("licensing columns not in 2019 template order around %d", l)
	}
}
