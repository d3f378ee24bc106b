package panel

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nianbao/parser"
)

// organYears parses one organ's pages and returns their entries, linked
// by one agency_id.
func organYears(t *testing.T, id string, pages ...page) []*Entry {
	t.Helper()
	var out []*Entry
	for _, p := range pages {
		e := entry(p.parse(t), "生成市")
		e.AgencyID = id
		out = append(out, e)
	}
	return out
}

var activeT3 = map[string]string{
	"new_received": "12 1 0 0 0 0 13", "granted": "8 1 0 0 0 0 9", "partial": "2 0 0 0 0 0 2",
	"unavailable.not_held": "2 0 0 0 0 0 2", "total": "12 1 0 0 0 0 13",
}

func TestCopyPreviousYear(t *testing.T) {
	a := New(Options{})
	p22 := page{Agency: "生成市复制局", Year: 2022, Published: "2023-01-10", Prose: prose(22, 12), Section5: "培训不足，下一步加强培训。",
		T2: map[string]string{"normative_docs": "1 0 7", "licensing": "35"}, T3: activeT3}
	p23 := p22
	p23.Year, p23.Published, p23.Prose = 2023, "2024-01-12", prose(23, 12)

	t.Run("TablesIdentical", func(t *testing.T) {
		res := a.Analyze(organYears(t, "org-1", p22, p23), nil)
		if len(res[0].Signals) != 0 {
			t.Errorf("2022: signals %v, want none", signalIDs(res[0]))
		}
		s, ok := signal(res[1], SignalCopyPreviousYear)
		want := "tables identical to 2022's: 200 cells compared, all equal, 15 of them non-zero activity (e.g. t2.normative_docs.issued = 1)"
		if !ok || s.Detail != want {
			t.Fatalf("copy_previous_year = %q\nwant %q", s.Detail, want)
		}
		if s.Ref == nil || s.Ref.Year != 2022 || s.Ref.AgencyID != "org-1" || s.Ref.Similarity <= 0 || s.Ref.Similarity >= 0.5 {
			t.Errorf("ref %+v", s.Ref)
		}
	})
	t.Run("OneCellChanged", func(t *testing.T) {
		q := p23
		q.T3 = map[string]string{}
		for k, v := range activeT3 {
			q.T3[k] = v
		}
		q.T3["partial"], q.T3["unavailable.not_held"] = "1 0 0 0 0 0 1", "3 0 0 0 0 0 3"
		res := a.Analyze(organYears(t, "org-1", p22, q), nil)
		if _, ok := signal(res[1], SignalCopyPreviousYear); ok {
			t.Errorf("fired for tables that differ: %v", res[1].Signals)
		}
	})
	t.Run("ZeroActivityIsNotACopy", func(t *testing.T) {
		// All flows zero two years running; the stock of rules in force
		// (in_force 7) carries over by nature.
		z22, z23 := p22, p23
		z22.T2, z22.T3 = map[string]string{"normative_docs": "0 0 7"}, nil
		z23.T2, z23.T3 = z22.T2, nil
		res := a.Analyze(organYears(t, "org-1", z22, z23), nil)
		if len(res[1].Signals) != 0 {
			t.Errorf("signals %v, want none", res[1].Signals)
		}
	})
	t.Run("ProseCopied", func(t *testing.T) {
		// The same text with new numbers: digits are ignored.
		q := p23
		q.Prose = strings.ReplaceAll(p22.Prose, "全年完成", "全年完成1")
		q.T3 = map[string]string{"new_received": "5 0 0 0 0 0 5", "granted": "5 0 0 0 0 0 5", "total": "5 0 0 0 0 0 5"}
		res := a.Analyze(organYears(t, "org-1", p22, q), nil)
		s, ok := signal(res[1], SignalCopyPreviousYear)
		if !ok || !strings.HasPrefix(s.Detail, "prose 100% similar to 2022's (shingles of 5 characters, digits ignored; threshold 90%;") || s.Ref.Similarity != 1 {
			t.Fatalf("copy_previous_year = %q (%v)", s.Detail, ok)
		}
	})
	t.Run("NotConsecutive", func(t *testing.T) {
		q := p23
		q.Year, q.Published = 2024, "2025-01-12"
		res := a.Analyze(organYears(t, "org-1", p22, q), nil)
		if _, ok := signal(res[1], SignalCopyPreviousYear); ok {
			t.Errorf("compared with a report two years back")
		}
	})
}

// TestCopyPreviousYear_Seed: the seed report republished for the next
// year with only the year changed: tables and prose both copied.
func TestCopyPreviousYear_Seed(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "testdata", "zhanjiang-sifaju-2025.txt"))
	if err != nil {
		t.Fatal(err)
	}
	r25, err := parser.Parse(body, parser.Source{URL: "2025.txt"})
	if err != nil {
		t.Fatal(err)
	}
	r26, err := parser.Parse([]byte(strings.ReplaceAll(string(body), "2025", "2026")), parser.Source{URL: "2026.txt"})
	if err != nil || r26.Year != 2026 {
		t.Fatalf("parse: %v, year %d", err, r26.Year)
	}
	res := New(Options{}).Analyze([]*Entry{entry(r25, "湛江"), entry(r26, "湛江")}, nil)
	s, ok := signal(res[1], SignalCopyPreviousYear)
	want := "tables identical to 2025's: 200 cells compared, all equal, 14 of them non-zero activity (e.g. t2.normative_docs.issued = 1); " +
		"prose 100% similar to 2025's (shingles of 5 characters, digits ignored; threshold 90%; 1480 and 1480 shingles)"
	if !ok || s.Detail != want {
		t.Errorf("copy_previous_year = %q\nwant %q", s.Detail, want)
	}
}

// TestCopyPreviousYear_RealYears: 洪泽区 2023 → 2024, one organ's real
// reports of consecutive years (35 % of shingles shared), is no copy.
func TestCopyPreviousYear_RealYears(t *testing.T) {
	e23 := entry(parseFixture(t, "huaian-hongze-2023.layout.txt"), "淮安")
	e24 := entry(parseFixture(t, "huaian-hongze-2024.layout.txt"), "淮安")
	e23.AgencyID, e24.AgencyID = "hongze", "hongze"
	res := New(Options{}).Analyze([]*Entry{e23, e24}, nil)
	if _, ok := signal(res[1], SignalCopyPreviousYear); ok {
		t.Errorf("fired: %v", res[1].Signals)
	}
	if sim, ok := proseSimilar(e23.Report.Outline, e24.Report.Outline, DefaultMinShingles); !ok || sim < 0.25 || sim > 0.45 {
		t.Errorf("similarity %.3f", sim)
	}
}

// TestSiblings: thirty organs of one year; one copied another's prose,
// three share one text, one changed a sentence of another's. Only they
// get copy_sibling, each naming its pair.
func TestSiblings(t *testing.T) {
	a := New(Options{})
	sib := NewSiblings(Options{})
	var entries []*Entry
	text := func(i int) string { return prose(uint64(1000+i), 14) }
	for i := range 30 {
		p := page{Agency: fmt.Sprintf("生成市第%02d局", i), Year: 2023, Published: "2024-01-20", Prose: text(i)}
		switch i {
		case 7:
			p.Prose = text(3)
		case 11, 12:
			p.Prose = text(10)
		case 20:
			// One sentence rewritten.
			p.Prose = strings.Replace(text(19), "。", "。本局还组织了一次面向全区群众的政务公开专题宣传活动。", 1)
		case 25:
			p.Prose = "加强培训。" // too little prose to compare
		case 26:
			p.Prose = "加强培训。"
		}
		e := entry(p.parse(t), "生成市")
		e.AgencyID = fmt.Sprintf("org-%02d", i)
		sib.Add(e)
		entries = append(entries, e)
	}
	// Another year's identical text is not this year's sibling.
	other := entry(page{Agency: "生成市第03局", Year: 2022, Prose: text(3)}.parse(t), "生成市")
	sib.Add(other)
	if sib.Len() != 29 {
		t.Errorf("indexed %d reports, want 29 (two too short)", sib.Len())
	}

	want := map[int]struct {
		pair   string
		sim    float64
		others int
	}{
		3: {"org-07", 1, 1}, 7: {"org-03", 1, 1},
		10: {"org-11", 1, 2}, 11: {"org-10", 1, 2}, 12: {"org-10", 1, 2},
		19: {"org-20", -1, 1}, 20: {"org-19", -1, 1},
	}
	for i, res := range a.Analyze(entries, sib) {
		s, ok := signal(res, SignalCopySibling)
		w, expected := want[i]
		if ok != expected {
			t.Errorf("organ %d: copy_sibling %v (%q), want %v", i, ok, s.Detail, expected)
			continue
		}
		if !ok {
			continue
		}
		if s.Ref.AgencyID != w.pair || w.sim == 1 && s.Ref.Similarity != 1 || w.sim < 0 && (s.Ref.Similarity < 0.9 || s.Ref.Similarity >= 1) {
			t.Errorf("organ %d: paired with %s at %.3f, want %s (%v): %s", i, s.Ref.AgencyID, s.Ref.Similarity, w.pair, w.sim, s.Detail)
		}
		if m, _ := sib.Match(res.Entry); m.Others != w.others {
			t.Errorf("organ %d: %d others, want %d", i, m.Others, w.others)
		}
	}
	s, _ := signal(a.Analyze(entries[3:4], sib)[0], SignalCopySibling)
	if want := "prose 100% similar to 生成市第07局's report for 2023 (agency_id org-07), https://www.example.gov.cn/nb/2024/生成市第07局.html (shingles of 5 characters, digits ignored; threshold 90%)"; s.Detail != want {
		t.Errorf("detail %q\nwant %q", s.Detail, want)
	}
}

// TestSiblings_Fixtures: the real reports of 2023 and 2024 are nobody's
// siblings.
func TestSiblings_Fixtures(t *testing.T) {
	var entries []*Entry
	sib := NewSiblings(Options{})
	for _, name := range []string{"pingtan-junshanpianqu-2023.html", "pingtan-xingzhengshenpiju-2023.html", "huaian-hongze-2023.layout.txt",
		"pingtan-shichangjianguanju-2024.html", "huaian-hongze-2024.layout.txt", "huaian-city-2024.layout.txt"} {
		e := entry(parseFixture(t, name), "s")
		sib.Add(e)
		entries = append(entries, e)
	}
	for _, res := range New(Options{}).Analyze(entries, sib) {
		if s, ok := signal(res, SignalCopySibling); ok {
			t.Errorf("%s %d: %s", res.Entry.Agency, res.Entry.Year, s.Detail)
		}
	}
}
