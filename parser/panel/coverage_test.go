package panel

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"nianbao/parser"
)

func TestCoverageStates(t *testing.T) {
	want := []CoverageState{"found", "late", "missing", "no_tables", "not_extractable", "unidentified"}
	if !slices.Equal(CoverageStates, want) {
		t.Fatalf("CoverageStates = %v, want %v", CoverageStates, want)
	}
}

// cellString renders a coverage cell compactly for comparison.
func cellString(c CoverageCell) string {
	s := fmt.Sprintf("%s|%s|%d|%s", c.Site, c.Agency, c.Year, c.State)
	if c.Detail != "" {
		s += "|" + c.Detail
	}
	return s
}

// TestCoverage: a site observed over 2021–2024 with known answers for
// every state; an organ first seen in 2022 is expected from 2022 only;
// a configured organ never seen is missing every year; an organ retired
// in 2022 is not expected after.
func TestCoverage(t *testing.T) {
	a := New(Options{})
	obs := []Observation{
		// 甲局: 2021 found, 2022 late, 2023 missing, 2024 found.
		{Site: "S", Agency: "生成市甲局", Year: 2021, Organ: Department, Identified: true, Format: parser.Format2021},
		{Site: "S", Agency: "生成市甲局", Year: 2022, Organ: Department, Identified: true, Format: parser.Format2021, Late: true},
		{Site: "S", Agency: "生成市甲局", Year: 2024, Organ: Department, Identified: true, Format: parser.Format2021},
		// 乙局: first seen 2022; 2023 as a .doc; 2024 a page without tables.
		{Site: "S", Agency: "生成市乙局", Year: 2022, Organ: Department, Identified: true, Format: parser.Format2021},
		{Site: "S", Agency: "生成市乙局", Year: 2023, Organ: Department, Identified: true, Format: parser.FormatNone, NoTables: "tables not extractable: doc"},
		{Site: "S", Agency: "生成市乙局", Year: 2024, Organ: Department, Identified: true, Format: parser.FormatNone, NoTables: "no tables in page: no report tables found"},
		// 丙局: scanned 2021, retired after 2022 by configuration.
		{Site: "S", Agency: "生成市丙局", Year: 2021, Organ: Department, Identified: true, Format: parser.FormatNone, NoTables: "tables not extractable: scanned pdf"},
		// A report whose organ could not be identified (the site's name).
		{Site: "S", Agency: "生成市政府门户网站", Year: 2023, Identified: false, Format: parser.Format2021, SourceURL: "https://s/x.html"},
		// Another site, one organ, two reports for 2024 (two columns).
		{Site: "T", AgencyID: "t-1", Agency: "某县人民政府", Year: 2024, Organ: Government, Identified: true, Format: parser.Format2021, Late: true},
		{Site: "T", AgencyID: "t-1", Agency: "某县人民政府", Year: 2024, Organ: Government, Identified: true, Format: parser.Format2021},
	}
	expect := []Expected{
		{Site: "S", Agency: "生成市丁局", From: 2023},
		{Site: "S", Agency: "生成市丙局", Until: 2022},
	}
	got := a.Coverage(obs, expect, CoverageRange{Now: at("2025-02-10 12:00")})
	var lines []string
	for _, c := range got {
		lines = append(lines, cellString(c))
	}
	want := []string{
		"S|生成市丁局|2023|missing",
		"S|生成市丁局|2024|missing",
		"S|生成市丙局|2021|not_extractable|tables not extractable: scanned pdf",
		"S|生成市丙局|2022|missing",
		"S|生成市乙局|2022|found",
		"S|生成市乙局|2023|not_extractable|tables not extractable: doc",
		"S|生成市乙局|2024|no_tables|no tables in page: no report tables found",
		"S|生成市政府门户网站|2023|unidentified",
		"S|生成市甲局|2021|found",
		"S|生成市甲局|2022|late",
		"S|生成市甲局|2023|missing",
		"S|生成市甲局|2024|found",
		"T|某县人民政府|2024|found|2 reports, the best state shown",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("coverage:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}

	// Drawn on 10 February 2025, a government's missing 2024 report is not
	// due until 31 March; a department's was due on 31 January.
	obs = append(obs, Observation{Site: "T", AgencyID: "t-2", Agency: "某县人民政府", Year: 2023, Organ: Government, Identified: true},
		Observation{Site: "T", AgencyID: "t-3", Agency: "某县财政局", Year: 2023, Organ: Department, Identified: true})
	for _, c := range a.Coverage(obs, nil, CoverageRange{From: 2023, To: 2024, Now: at("2025-02-10 12:00")}) {
		switch {
		case c.AgencyID == "t-2" && c.Year == 2024:
			if c.State != StateMissing || c.Detail != "not due until 2025-03-31" {
				t.Errorf("government 2024: %s", cellString(c))
			}
		case c.AgencyID == "t-3" && c.Year == 2024:
			if c.State != StateMissing || c.Detail != "" {
				t.Errorf("department 2024: %s", cellString(c))
			}
		case c.Year < 2023 || c.Year > 2024:
			t.Errorf("outside the range: %s", cellString(c))
		}
	}
}

// TestCoverage_FromResults: coverage drawn from analysed reports: a late
// report is late, a legacy report is found, a fixture .doc is not
// extractable.
func TestCoverage_FromResults(t *testing.T) {
	a := New(Options{})
	legacy := entry(parseFixture(t, "pingtan-gonganju-2018.html"), "平潭")
	r24 := parseFixture(t, "pingtan-shichangjianguanju-2024.html")
	r20 := parseFixture(t, "pingtan-shichangjianguanju-2020.html")
	e20, e24 := entry(r20, "平潭"), entry(r24, "平潭")
	doc, err := parser.Parse([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 a .doc"), parser.Source{Agency: r24.Agency})
	if err != nil {
		t.Fatal(err)
	}
	doc.Year = 2022
	e22 := entry(doc, "平潭")
	var obs []Observation
	for _, res := range a.Analyze([]*Entry{legacy, e20, e22, e24}, nil) {
		obs = append(obs, Observe(&res))
	}
	var lines []string
	for _, c := range a.Coverage(obs, nil, CoverageRange{}) {
		if c.Agency == r24.Agency || c.Year == 2018 {
			lines = append(lines, cellString(c))
		}
	}
	// 市场监督管理局 is a department: 2020 published 2021-01-27 and 2024
	// published 2025-01-27, both on time.
	want := []string{
		"平潭|平潭综合实验区公安局|2018|found",
		"平潭|平潭综合实验区市场监督管理局|2020|found",
		"平潭|平潭综合实验区市场监督管理局|2021|missing",
		"平潭|平潭综合实验区市场监督管理局|2022|not_extractable|tables not extractable: doc",
		"平潭|平潭综合实验区市场监督管理局|2023|missing",
		"平潭|平潭综合实验区市场监督管理局|2024|found",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("coverage:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
