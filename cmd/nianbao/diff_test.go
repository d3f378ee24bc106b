package main

import (
	"encoding/json"
	"strings"
	"testing"

	"nianbao/parser"
)

func TestDiff_Golden(t *testing.T) {
	db := fillArchive(t)
	stamp := storedAtPlaceholders(t, db)
	tests := []struct {
		golden string
		args   []string
	}{
		// 2019 format (2020) against 2021 format (2024): only cells of the same meaning.
		{"diff-2019-2021.golden.txt", []string{"--agency", "平潭综合实验区市场监督管理局", "--from", "2020", "--to", "2024"}},
		{"diff-2019-2021.golden.csv", []string{"--agency", "市场监督管理局", "--from", "2020", "--to", "2024", "--format", "csv"}},
		{"diff-2019-2021.golden.json", []string{"--agency", "市场监督管理局", "--from", "2020", "--to", "2024", "--format", "json"}},
		// Consecutive years: both cross-year checks.
		{"diff-hongze-2023-2024.golden.txt", []string{"--agency", "洪泽", "--from", "2023", "--to", "2024"}},
		// A report revised after publication.
		{"diff-versions.golden.txt", []string{"--versions", "--agency", "平潭", "--year", "2024"}},
		{"diff-versions.golden.csv", []string{"--versions", "--agency", "平潭", "--year", "2024", "--format", "csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			out, stderr, err := runCmd(t, append([]string{"diff", "--db", db}, tt.args...)...)
			if err != nil {
				t.Fatalf("diff %v: %v\n%s", tt.args, err, stderr)
			}
			golden(t, tt.golden, stamp.Replace(out))
		})
	}
}

func TestDiff_Format2019To2021(t *testing.T) {
	db := fillArchive(t)
	out, _, err := runCmd(t, "diff", "--db", db, "--agency", "市场监督管理局", "--from", "2020", "--to", "2024", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var d yearDiff
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	got := map[string]parser.Change{}
	for _, c := range d.Changes {
		got[c.ID()] = c
	}
	// 2020 licensing 5 → 2024 0; penalty 40 → 161 (the revised version 2).
	for id, want := range map[string][4]string{
		"t2.licensing.decisions": {"5", "0", "-5", "-100.0"},
		"t2.penalty.decisions":   {"40", "161", "121", "302.5"},
		"t3.other.total":         {"3", "0", "-3", "-100.0"}, // 2019 other vs Σ 2021 other.* (rowspan 0)
		"t3.total.total":         {"5", "4", "-1", "-20.0"},
	} {
		c, ok := got[id]
		if !ok || [4]string{c.Old, c.New, c.Abs, c.Pct} != want {
			t.Errorf("%s = %+v, want old,new,change,pct %v", id, c, want)
		}
	}
	if len(d.Changes) != 15 || len(d.NotComparable) != 23 {
		t.Errorf("%d changes, %d not comparable; want 15 and 23", len(d.Changes), len(d.NotComparable))
	}
	for _, c := range d.NotComparable {
		if c.Table != "t2" {
			t.Errorf("not comparable outside table 二: %+v", c)
		}
	}
	if d.To.Version != 2 || d.CrossYearNote == "" || len(d.CrossYear) != 0 {
		t.Errorf("to version %d, cross-year %v %q; want version 2, no checks for 2020→2024", d.To.Version, d.CrossYear, d.CrossYearNote)
	}
}

func TestDiff_CrossYearHongze(t *testing.T) {
	db := fillArchive(t)
	out, _, err := runCmd(t, "diff", "--db", db, "--agency", "洪泽", "--from", "2023", "--to", "2024", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var d yearDiff
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	// The 2023 title says 洪泽区人民政府, the 2024 one 淮安市洪泽区人民政府.
	if d.From.Agency != "洪泽区人民政府" || d.To.Agency != "淮安市洪泽区人民政府" || !strings.Contains(d.MatchedBy, "淮安市") {
		t.Errorf("paired %q and %q by %q", d.From.Agency, d.To.Agency, d.MatchedBy)
	}
	var lines []string
	for _, x := range d.CrossYear {
		lines = append(lines, x.String())
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{
		"Y2 t2 normative_docs in_force: in_force(2024) = 8; in_force(2023) + issued(2024) − repealed(2024) = 5 + 3 − 0 = 8: holds",
		"Y1 t3 carried_over total: carried_over(2024) = 0; carried_forward(2023) = 0: holds",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("cross-year checks lack %q:\n%s", want, all)
		}
	}
	if len(d.CrossYear) != 9 {
		t.Errorf("%d cross-year checks, want 9 (2 × Y2, 7 × Y1)", len(d.CrossYear))
	}
}

func TestDiff_Errors(t *testing.T) {
	db := fillArchive(t)
	tests := []struct {
		name string
		args []string
		exit int
		msg  string
	}{
		{"Ambiguous", []string{"--versions", "--agency", "湛江", "--year", "2025"}, exitUsage, "ambiguous"},
		{"ExactNameWins", []string{"--versions", "--agency", "湛江市司法局", "--year", "2025"}, exitOK, ""},
		{"NoReport", []string{"--agency", "湛江", "--from", "2024", "--to", "2025"}, exitFailure, "no report matches in 2024"},
		{"DifferentOrgans", []string{"--agency", "局", "--from", "2023", "--to", "2024"}, exitFailure, "no report matches in 2023"},
		{"NoPair", []string{"--agency", "局", "--from", "2020", "--to", "2025"}, exitUsage, "matches no single organ in both years"},
		{"MissingYears", []string{"--agency", "洪泽"}, exitUsage, "--from and --to"},
		{"SameYear", []string{"--agency", "洪泽", "--from", "2024", "--to", "2024"}, exitUsage, "same year"},
		{"BadFormat", []string{"--agency", "洪泽", "--from", "2023", "--to", "2024", "--format", "xml"}, exitUsage, "format"},
		{"VersionsWithFrom", []string{"--versions", "--agency", "洪泽", "--year", "2024", "--from", "2023"}, exitUsage, "--versions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCmd(t, append([]string{"diff", "--db", db}, tt.args...)...)
			if exitCode(err) != tt.exit || (tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg))) {
				t.Errorf("diff %v: exit %d, err %v; want exit %d and %q", tt.args, exitCode(err), err, tt.exit, tt.msg)
			}
		})
	}
}
