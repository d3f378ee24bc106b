package panel

import (
	"slices"
	"strings"
	"testing"

	"nianbao/parser"
)

func TestSignalIDs(t *testing.T) {
	want := []string{"late", "date_moved", "dated_before_first_seen", "missing_sections", "missing_tables",
		"template_mismatch", "empty_section5", "copy_previous_year", "copy_sibling", "revised", "checks_failed"}
	if !slices.Equal(SignalIDs, want) {
		t.Fatalf("SignalIDs = %v, want %v", SignalIDs, want)
	}
}

func TestRevised(t *testing.T) {
	p := page{Agency: "生成市修订局", Year: 2023, Published: "2024-01-15", Prose: prose(5, 10), T3: activeT3}
	v1 := p.parse(t)
	q := p
	q.T3 = map[string]string{}
	for k, v := range activeT3 {
		q.T3[k] = v
	}
	q.T3["granted"], q.T3["partial"] = "9 1 0 0 0 0 10", "1 0 0 0 0 0 1"
	v2 := q.parse(t)
	e := &Entry{Agency: p.Agency, Year: 2023, Report: v2, Identified: true, FirstSeen: at("2024-01-16 03:00"),
		Versions: []Version{
			{N: 1, Report: v1, Digest: "d1", Captures: []string{"c1"}, ParserVersion: "1", StoredAt: at("2024-01-16 03:00")},
			{N: 2, Report: v2, Digest: "d2", Captures: []string{"c2"}, ParserVersion: "1", StoredAt: at("2024-03-05 03:00")},
		}}
	res := New(Options{}).Analyze([]*Entry{e}, nil)[0]
	s, ok := signal(res, SignalRevised)
	want := "first captured 2024-01-16 03:00; version 2 stored 2024-03-05 03:00 replaced version 1: 4 cells changed: " +
		"t3.granted.natural_person 8→9, t3.granted.total 9→10, t3.partial.natural_person 2→1, t3.partial.total 2→1"
	if !ok || s.Detail != want {
		t.Fatalf("revised = %q\nwant %q", s.Detail, want)
	}
	if len(res.Revisions) != 1 || len(res.Revisions[0].Changes) != 4 || res.Revisions[0].To != 2 {
		t.Errorf("revisions %+v", res.Revisions)
	}

	t.Run("ReparseIsNoRevision", func(t *testing.T) {
		e := *e
		e.Versions = slices.Clone(e.Versions)
		e.Versions[1].Captures, e.Versions[1].ParserVersion = []string{"c1"}, "2"
		if res := New(Options{}).Analyze([]*Entry{&e}, nil)[0]; res.Has(SignalRevised) {
			t.Errorf("a re-parse of the same capture counted as a revision: %v", res.Signals)
		}
	})
	t.Run("CellsNotLoaded", func(t *testing.T) {
		e := *e
		e.Versions = slices.Clone(e.Versions)
		e.Versions[0].Report = nil
		s, _ := signal(New(Options{}).Analyze([]*Entry{&e}, nil)[0], SignalRevised)
		if !strings.HasSuffix(s.Detail, "replaced version 1: cells not loaded") {
			t.Errorf("revised = %q", s.Detail)
		}
	})
	t.Run("OneVersion", func(t *testing.T) {
		e := *e
		e.Versions = e.Versions[:1]
		if New(Options{}).Analyze([]*Entry{&e}, nil)[0].Has(SignalRevised) {
			t.Error("one version is no revision")
		}
	})
}

// TestChecksFailed: the real 洪泽区 2023 report breaks R4 twice; a
// generated organ breaks the cross-year identity Y1.
func TestChecksFailed(t *testing.T) {
	res := New(Options{}).Analyze([]*Entry{entry(parseFixture(t, "huaian-hongze-2023.layout.txt"), "淮安")}, nil)[0]
	s, ok := signal(res, SignalChecksFailed)
	want := "2 checks failed: R4 t4 row review: upheld+corrected+other+pending = 11 ≠ total = 0 (diff 11); " +
		"R4 t4 row litigation_after_review: upheld+corrected+other+pending = 5 ≠ total = 0 (diff 5)"
	if !ok || s.Detail != want {
		t.Errorf("checks_failed = %q\nwant %q", s.Detail, want)
	}

	p22 := page{Agency: "生成市结转局", Year: 2022, Prose: prose(8, 10),
		T3: map[string]string{"new_received": "5 0 0 0 0 0 5", "granted": "4 0 0 0 0 0 4", "total": "4 0 0 0 0 0 4", "carried_forward": "1 0 0 0 0 0 1"}}
	p23 := page{Agency: "生成市结转局", Year: 2023, Prose: prose(9, 10),
		T3: map[string]string{"new_received": "5 0 0 0 0 0 5", "carried_over": "2 0 0 0 0 0 2", "granted": "7 0 0 0 0 0 7", "total": "7 0 0 0 0 0 7"}}
	out := New(Options{}).Analyze(organYears(t, "org-y1", p22, p23), nil)
	if out[0].Has(SignalChecksFailed) {
		t.Errorf("2022: %v", out[0].Signals)
	}
	s, ok = signal(out[1], SignalChecksFailed)
	want = "2 checks failed: Y1 t3 carried_over natural_person: carried_over(2023) = 2; carried_forward(2022) = 1: fails (diff 1); " +
		"Y1 t3 carried_over total: carried_over(2023) = 2; carried_forward(2022) = 1: fails (diff 1)"
	if !ok || s.Detail != want {
		t.Errorf("checks_failed = %q\nwant %q", s.Detail, want)
	}
}

// TestAnalyze_GeneratedArchive runs every signal over a generated archive
// of three organs × three years with known answers.
func TestAnalyze_GeneratedArchive(t *testing.T) {
	mk := func(agency string, year int, published string, prose string, mod func(*page)) page {
		p := page{Agency: agency, Year: year, Published: published, Prose: prose,
			Section5: "一是公开内容不够全面；二是培训不足。下一步将完善制度，加强培训。", T3: activeT3}
		if mod != nil {
			mod(&p)
		}
		return p
	}
	var entries []*Entry
	add := func(id string, p page, firstSeen string) *Entry {
		e := entry(p.parse(t), "生成市")
		e.AgencyID = id
		if firstSeen != "" {
			e.FirstSeen = at(firstSeen)
		}
		entries = append(entries, e)
		return e
	}
	diff := func(p *page) {
		p.T3 = map[string]string{"new_received": "3 0 0 0 0 0 3", "granted": "3 0 0 0 0 0 3", "total": "3 0 0 0 0 0 3"}
	}
	// A department: on time, then late, then its 2022 copied for 2023.
	add("dept", mk("生成市甲局", 2021, "2022-01-30", prose(101, 12), diff), "2022-01-30 10:00")
	add("dept", mk("生成市甲局", 2022, "2023-02-03", prose(102, 12), nil), "2023-02-03 10:00")
	add("dept", mk("生成市甲局", 2023, "2024-01-20", prose(102, 12), nil), "2024-01-20 10:00")
	// The government: due 31 March; its 2022 report lacks 六; its 2023
	// report copies the department's 2022 prose.
	add("gov", mk("生成市人民政府", 2021, "2022-03-31", prose(201, 12), diff), "")
	add("gov", mk("生成市人民政府", 2022, "2023-03-15", prose(202, 12), func(p *page) { p.Omit = []string{"s6"} }), "")
	add("gov", mk("生成市人民政府", 2023, "2024-03-01", prose(102, 12), diff), "")
	// A town: no deadline; its 五 says 无.
	add("town", mk("生成市东镇人民政府", 2023, "2024-06-30", prose(301, 12), func(p *page) { p.Section5 = "无" }), "")

	sib := NewSiblings(Options{})
	for _, e := range entries {
		sib.Add(e)
	}
	want := [][]string{
		nil,
		{SignalLate},
		{SignalCopyPreviousYear, SignalCopySibling},
		nil,
		{SignalMissingSections},
		{SignalCopySibling},
		{SignalEmptySection5},
	}
	a := New(Options{})
	for i, res := range a.Analyze(entries, sib) {
		if got := signalIDs(res); !slices.Equal(got, want[i]) {
			t.Errorf("%s %d: signals %v, want %v", res.Entry.Agency, res.Entry.Year, got, want[i])
			for _, s := range res.Signals {
				t.Logf("  %s: %s", s.ID, s.Detail)
			}
		}
	}
	// The department's late 2022 report, in words and numbers.
	res := a.Analyze(entries[:2], nil)[1]
	if s, _ := signal(res, SignalLate); !strings.HasPrefix(s.Detail, "published 2023-02-03, 3 days after the deadline 2023-01-31") {
		t.Errorf("late = %q", s.Detail)
	}
	if res.Organ.Type != Department || res.Timeliness.DaysLate != 3 {
		t.Errorf("organ %v, %d days late", res.Organ, res.Timeliness.DaysLate)
	}
	// Analyzing one agency at a time gives the same answers.
	for i, e := range entries {
		var group []*Entry
		for _, f := range entries {
			if f.Key() == e.Key() {
				group = append(group, f)
			}
		}
		for _, r := range a.Analyze(group, sib) {
			if r.Entry == e && !slices.Equal(signalIDs(r), want[i]) {
				t.Errorf("%s %d alone: %v", e.Agency, e.Year, signalIDs(r))
			}
		}
	}
}

// TestAnalyze_NilAndEmpty: entries without a report are skipped.
func TestAnalyze_NilAndEmpty(t *testing.T) {
	out := New(Options{}).Analyze([]*Entry{nil, {Agency: "x", Year: 2023}}, nil)
	if len(out) != 0 {
		t.Errorf("%d results", len(out))
	}
	if got := Indicators(nil, nil); len(got) != 0 {
		t.Errorf("Indicators(nil) = %v", got)
	}
	if (*Siblings)(nil).Len() != 0 {
		t.Error("nil Siblings")
	}
	r := &parser.Report{Year: 2023}
	if _, ok := checksSignal(r, nil); ok {
		t.Error("checks_failed on an empty report")
	}
}

// TestAnalyze_UnidentifiedNotPaired: two reports under a site's fallback
// name are not one organ's consecutive years.
func TestAnalyze_UnidentifiedNotPaired(t *testing.T) {
	p22 := page{Agency: "生成市门户网站", Year: 2022, Prose: prose(40, 12), T3: activeT3}
	p23 := p22
	p23.Year = 2023
	es := organYears(t, "", p22, p23)
	for _, e := range es {
		e.Identified = false
	}
	res := New(Options{}).Analyze(es, nil)
	if res[1].Has(SignalCopyPreviousYear) || indicator(t, res[1].Indicators, "yoy.received").Reason != "no report for 2022" {
		t.Errorf("unidentified reports paired: %v", res[1].Signals)
	}
	es[0].Identified, es[1].Identified = true, true
	if res := New(Options{}).Analyze(es, nil); !res[1].Has(SignalCopyPreviousYear) {
		t.Errorf("identified: %v", signalIDs(res[1]))
	}
}
