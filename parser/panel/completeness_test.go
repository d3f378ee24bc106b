package panel

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nianbao/parser"
)

func TestExpectedFormat(t *testing.T) {
	for year, want := range map[int]parser.Format{2008: parser.FormatLegacy, 2018: parser.FormatLegacy, 2019: parser.Format2019,
		2020: parser.Format2019, 2021: parser.Format2021, 2025: parser.Format2021} {
		if got := ExpectedFormat(year); got != want {
			t.Errorf("ExpectedFormat(%d) = %s, want %s", year, got, want)
		}
	}
}

// TestCompleteness_Fixtures: the real reports are complete, except where
// they are not.
func TestCompleteness_Fixtures(t *testing.T) {
	a := New(Options{})
	for _, name := range []string{"zhanjiang-sifaju-2025.txt", "pingtan-junshanpianqu-2023.html", "pingtan-shichangjianguanju-2020.html",
		"pingtan-shichangjianguanju-2024.html", "pingtan-xingzhengshenpiju-2023.html", "huaian-hongze-2024.layout.txt"} {
		res := a.Analyze([]*Entry{entry(parseFixture(t, name), "s")}, nil)[0]
		c := res.Completeness
		if !c.Known || len(c.MissingSections) != 0 || len(c.MissingTables) != 0 || c.Section5Empty || c.Format != c.Expected {
			t.Errorf("%s: %+v", name, c)
		}
		for _, id := range []string{SignalMissingSections, SignalMissingTables, SignalTemplateMismatch, SignalEmptySection5} {
			if s, ok := signal(res, id); ok {
				t.Errorf("%s: %s fired: %s", name, id, s.Detail)
			}
		}
	}
	// 2018 predates the six-section template: no 六, no tables, no signal.
	res := a.Analyze([]*Entry{entry(parseFixture(t, "pingtan-gonganju-2018.html"), "s")}, nil)[0]
	if got := res.Completeness.MissingSections; !slices.Equal(got, []string{"s6"}) {
		t.Errorf("2018 missing sections %v, want [s6]", got)
	}
	if len(res.Signals) != 0 {
		t.Errorf("2018 legacy report: signals %v, want none", signalIDs(res))
	}
}

// TestCompleteness_EmptySection5PDF: the sample PDF's 五 says only "无".
func TestCompleteness_EmptySection5PDF(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the PDF engine")
	}
	res := New(Options{}).Analyze([]*Entry{entry(parseFixture(t, "lo-sample-2023.pdf"), "s")}, nil)[0]
	s, ok := signal(res, SignalEmptySection5)
	if want := `section 五 (存在的主要问题及改进情况) has 1 characters: "无" (under 10)`; !ok || s.Detail != want {
		t.Errorf("empty_section5 = %q (%v), want %q", s.Detail, ok, want)
	}
}

// TestCompleteness_Generated: incomplete reports with known answers, and
// the cases that must not fire.
func TestCompleteness_Generated(t *testing.T) {
	a := New(Options{})
	base := page{Agency: "生成市测试局", Year: 2023, Published: "2024-01-15", Prose: prose(3, 10),
		Section5: "一是信息公开的深度不够；二是培训不足。下一步将加强培训，完善制度。"}
	tests := []struct {
		name    string
		p       func(page) page
		signals []string
		detail  string // a substring of the first signal's detail
	}{
		{"Complete", func(p page) page { return p }, nil, ""},
		{"NoSection6", func(p page) page { p.Omit = []string{"s6"}; return p },
			[]string{SignalMissingSections}, "1 of 6 sections missing: 六、其他需要报告的事项"},
		{"NoSections5And6", func(p page) page { p.Section5 = ""; p.Omit = []string{"s6"}; return p },
			[]string{SignalMissingSections}, "2 of 6 sections missing: 五、存在的主要问题及改进情况, 六、其他需要报告的事项"},
		{"NoTable4", func(p page) page { p.Omit = []string{"t4"}; return p },
			[]string{SignalMissingTables}, "1 of 3 tables missing: 四 (复议诉讼, t4)"},
		{"Section5Wu", func(p page) page { p.Section5 = "无。"; return p },
			[]string{SignalEmptySection5}, `has 1 characters: "无"`},
		{"Section5Boilerplate", func(p page) page { p.Section5 = "本年度无存在的主要问题及改进情况。"; return p },
			[]string{SignalEmptySection5}, "nothing beyond its heading's words"},
		{"Section5ShortButReal", func(p page) page { p.Section5 = "人员少，培训不足，将加强培训。"; return p }, nil, ""},
		{"Legacy2017Incomplete", func(p page) page { p.Year, p.Published = 2017, "2018-03-01"; p.Omit = []string{"s6", "t4"}; return p },
			[]string{SignalTemplateMismatch}, "tables in the 2021 format in a report for 2017"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.p(base).parse(t)
			res := a.Analyze([]*Entry{entry(r, "s")}, nil)[0]
			var got []string
			for _, s := range res.Signals {
				if s.ID != SignalChecksFailed {
					got = append(got, s.ID)
				}
			}
			if !slices.Equal(got, tt.signals) {
				t.Fatalf("signals %v, want %v (%v)", got, tt.signals, res.Signals)
			}
			if tt.detail != "" && !strings.Contains(res.Signals[0].Detail, tt.detail) {
				t.Errorf("detail %q, want it to say %q", res.Signals[0].Detail, tt.detail)
			}
		})
	}
}

// TestCompleteness_WrongTemplate: a 2021 report printed on the 2019 form
// (the real 2020 page, retitled 2021).
func TestCompleteness_WrongTemplate(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "testdata", "pingtan-shichangjianguanju-2020.html"))
	if err != nil {
		t.Fatal(err)
	}
	body = []byte(strings.ReplaceAll(string(body), "2020年度政府信息公开工作年度报告", "2021年度政府信息公开工作年度报告"))
	r, err := parser.Parse(body, parser.Source{})
	if err != nil || r.Year != 2021 || r.Format != parser.Format2019 {
		t.Fatalf("parse: %v, year %d format %s", err, r.Year, r.Format)
	}
	res := New(Options{}).Analyze([]*Entry{entry(r, "s")}, nil)[0]
	s, ok := signal(res, SignalTemplateMismatch)
	want := "tables in the 2019 format in a report for 2021, which should use the 2021 format (国办公开办函〔2021〕30号, from statistics year 2021)"
	if !ok || s.Detail != want {
		t.Errorf("template_mismatch = %q, want %q", s.Detail, want)
	}
}

// TestCompleteness_NotExtractable: a .doc report has no outline and no
// tables: completeness is unknown, and no completeness signal fires
// (coverage says not_extractable).
func TestCompleteness_NotExtractable(t *testing.T) {
	r, err := parser.Parse([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 a legacy .doc"), parser.Source{Agency: "生成市测试局"})
	if err != nil {
		t.Fatal(err)
	}
	r.Year = 2023
	res := New(Options{}).Analyze([]*Entry{entry(r, "s")}, nil)[0]
	if res.Completeness.Known || len(res.Signals) != 0 {
		t.Errorf("completeness %+v, signals %v: want unknown, none", res.Completeness, signalIDs(res))
	}
}
